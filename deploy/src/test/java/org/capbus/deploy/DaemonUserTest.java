package org.capbus.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;

import org.junit.jupiter.api.Test;

class DaemonUserTest {
    @Test
    void shouldLookUpUsersInTheUserDatabase() throws IOException {
        assertThat(DaemonUser.lookup("root")).isEqualTo(new DaemonUser("root", 0, 0));
        DaemonUser nobody = DaemonUser.lookup("nobody");
        assertThat(nobody.uid()).isEqualTo(65534);
    }

    @Test
    void shouldRefuseAUserThatDoesNotExist() {
        assertThatThrownBy(() -> DaemonUser.lookup("capbus-no-such-user"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("Could not get UID and GID for username \"capbus-no-such-user\"");
    }

    @Test
    void shouldKnowWhetherTheProcessRunsAsTheUserAlready() throws IOException {
        boolean root = "root".equals(System.getProperty("user.name"));
        assertThat(DaemonUser.lookup("root").isCurrent()).isEqualTo(root);
        assertThat(DaemonUser.lookup("nobody").isCurrent()).isFalse();
    }
}
