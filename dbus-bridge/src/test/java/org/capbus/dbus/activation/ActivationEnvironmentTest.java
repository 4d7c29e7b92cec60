package org.capbus.dbus.activation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ActivationEnvironmentTest {

    @Test
    void shouldDropTheBussOwnSystemdVariablesAndAddTheStarterAddress() {
        ActivationEnvironment env = new ActivationEnvironment(Map.of("PATH", "/bin", "LISTEN_FDS", "1",
                "NOTIFY_SOCKET", "/run/x", "INVOCATION_ID", "abc", "DBUS_STARTER_ADDRESS", "old"));
        env.update(Map.of("FOO", "bar", "PATH", "/usr/bin"));
        Map<String, String> child = env.forChild("unix:path=/tmp/b,guid=1", "session");
        assertThat(child).containsEntry("PATH", "/usr/bin").containsEntry("FOO", "bar")
                .containsEntry("DBUS_STARTER_ADDRESS", "unix:path=/tmp/b,guid=1")
                .containsEntry("DBUS_SESSION_BUS_ADDRESS", "unix:path=/tmp/b,guid=1")
                .containsEntry("DBUS_STARTER_BUS_TYPE", "session")
                .doesNotContainKeys("LISTEN_FDS", "NOTIFY_SOCKET", "INVOCATION_ID", "DBUS_SYSTEM_BUS_ADDRESS");
        assertThat(env.forChild("unix:path=/s", "system")).containsEntry("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/s")
                .doesNotContainKey("DBUS_SESSION_BUS_ADDRESS");
    }
}
