package org.capbus.deploy;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class DaemonTest {
    @Test
    void shouldTakeSystemdColonAsThePassedSockets() {
        assertThat(Daemon.isSystemdAddress("systemd:")).isTrue();
        assertThat(Daemon.isSystemdAddress(" systemd: ")).isTrue();
        assertThat(Daemon.isSystemdAddress("unix:path=/run/user/1000/bus")).isFalse();
        assertThat(Daemon.isSystemdAddress("unix:tmpdir=/tmp")).isFalse();
    }

    @Test
    void shouldAcceptTheCommandLineOfTheSystemdUnits() throws Exception {
        DaemonOptions session = DaemonOptions.parse(new String[] {"--session", "--address=systemd:", "--nofork",
            "--nopidfile", "--systemd-activation", "--syslog-only", "--metrics=127.0.0.1:9464"});
        assertThat(session.session()).isTrue();
        assertThat(session.address()).contains("systemd:");
        assertThat(session.fork()).contains(Boolean.FALSE);
        assertThat(session.noPidFile()).isTrue();
        assertThat(session.systemdActivation()).isTrue();

        DaemonOptions system = DaemonOptions.parse(new String[] {"--system", "--address=systemd:", "--nofork",
            "--nopidfile", "--systemd-activation", "--syslog-only"});
        assertThat(system.system()).isTrue();
        assertThat(Daemon.isSystemdAddress(system.address().orElseThrow())).isTrue();
    }
}
