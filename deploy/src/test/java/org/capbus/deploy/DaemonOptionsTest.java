package org.capbus.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.capbus.config.BusConfig;
import org.capbus.config.MetricsAddress;
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

    @Test
    void shouldParseTheMetricsAddressInBothForms() throws Exception {
        assertThat(DaemonOptions.parse(new String[] {"--session", "--metrics=127.0.0.1:9464"}).metrics())
                .contains(new MetricsAddress("127.0.0.1", 9464));
        assertThat(DaemonOptions.parse(new String[] {"--session", "--metrics", "[::1]:9500"}).metrics())
                .contains(new MetricsAddress("::1", 9500));
        assertThat(DaemonOptions.parse(new String[] {"--session"}).metrics()).isEmpty();
    }

    @Test
    void shouldRefuseABadMetricsAddress() {
        assertThatThrownBy(() -> DaemonOptions.parse(new String[] {"--session", "--metrics=9464"}))
                .isInstanceOf(DaemonOptions.UsageException.class).hasMessageStartingWith("--metrics: ");
        assertThatThrownBy(() -> DaemonOptions.parse(new String[] {"--session", "--metrics=localhost:0"}))
                .isInstanceOf(DaemonOptions.UsageException.class);
    }

    @Test
    void shouldPreferTheCommandLineMetricsAddressOverTheConfiguration() throws Exception {
        BusConfig builtin = BusConfig.builtinSession();
        BusConfig configured = new BusConfig(builtin.file(), builtin.type(), builtin.user(), builtin.fork(),
                builtin.keepUmask(), builtin.syslog(), builtin.allowAnonymous(), builtin.pidfile(),
                builtin.servicehelper(), builtin.listen(), builtin.auth(), builtin.serviceDirs(), builtin.configDirs(),
                builtin.limits(), builtin.policy(), builtin.selinuxContexts(), builtin.apparmorMode(),
                builtin.warnings(), new MetricsAddress("127.0.0.1", 9464));
        DaemonOptions plain = DaemonOptions.parse(new String[] {"--session"});
        DaemonOptions asked = DaemonOptions.parse(new String[] {"--session", "--metrics=127.0.0.1:9999"});

        assertThat(Daemon.metricsAddress(plain, builtin)).isNull();
        assertThat(Daemon.metricsAddress(plain, configured)).isEqualTo(new MetricsAddress("127.0.0.1", 9464));
        assertThat(Daemon.metricsAddress(asked, configured)).isEqualTo(new MetricsAddress("127.0.0.1", 9999));
    }
}
