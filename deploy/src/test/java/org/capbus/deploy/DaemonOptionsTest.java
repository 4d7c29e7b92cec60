package org.capbus.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DaemonOptionsTest {

    @Test
    void shouldParseTheBenchmarkHarnessCommandLine() throws Exception {
        DaemonOptions o = DaemonOptions.parse(new String[] {
            "--config-file=bus.conf", "--nofork", "--print-address=3", "--address=unix:path=/tmp/x/bus.sock"});
        assertThat(o.configFile()).contains("bus.conf");
        assertThat(o.fork()).contains(false);
        assertThat(o.printAddress()).hasValue(3);
        assertThat(o.address()).contains("unix:path=/tmp/x/bus.sock");
    }

    @Test
    void shouldTakeValuesInBothForms() throws Exception {
        DaemonOptions o = DaemonOptions.parse(new String[] {
            "--config-file", "a.conf", "--address", "unix:abstract=x", "--print-address", "5", "--print-pid", "6"});
        assertThat(o.configFile()).contains("a.conf");
        assertThat(o.address()).contains("unix:abstract=x");
        assertThat(o.printAddress()).hasValue(5);
        assertThat(o.printPid()).hasValue(6);
    }

    @Test
    void shouldDefaultPrintDescriptorsToStandardOutput() throws Exception {
        // python-dbusmock: --fork --print-address=1 --print-pid=1; GTestDBus: --print-address=N --config-file=F.
        DaemonOptions o = DaemonOptions.parse(new String[] {"--session", "--print-address", "--print-pid", "--fork"});
        assertThat(o.session()).isTrue();
        assertThat(o.printAddress()).hasValue(1);
        assertThat(o.printPid()).hasValue(1);
        assertThat(o.fork()).contains(true);
    }

    @Test
    void shouldAcceptSyslogAndActivationOptions() throws Exception {
        DaemonOptions o = DaemonOptions.parse(new String[] {"--session", "--syslog-only", "--systemd-activation", "--nopidfile"});
        assertThat(o.syslog()).contains("syslog-only");
        assertThat(o.systemdActivation()).isTrue();
        assertThat(o.noPidFile()).isTrue();
    }

    @Test
    void shouldRefuseUnknownOptionsAndConflicts() {
        assertThatThrownBy(() -> DaemonOptions.parse(new String[] {"--bogus"}))
                .isInstanceOf(DaemonOptions.UsageException.class).hasMessageContaining("--bogus");
        assertThatThrownBy(() -> DaemonOptions.parse(new String[] {"--session", "--system"}))
                .isInstanceOf(DaemonOptions.UsageException.class);
        assertThatThrownBy(() -> DaemonOptions.parse(new String[] {"--print-address=x"}))
                .isInstanceOf(DaemonOptions.UsageException.class);
        assertThatThrownBy(() -> DaemonOptions.parse(new String[] {"--config-file"}))
                .isInstanceOf(DaemonOptions.UsageException.class);
        assertThatThrownBy(() -> DaemonOptions.parse(new String[] {"--nofork=yes"}))
                .isInstanceOf(DaemonOptions.UsageException.class);
    }
}
