package org.capbus.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ExecCommandLineTest {

    @Test
    void shouldSplitLikeDbusDaemon() {
        assertThat(ExecCommandLine.split("/usr/bin/foo  -a\tb")).containsExactly("/usr/bin/foo", "-a", "b");
        assertThat(ExecCommandLine.split("sh -c 'echo $HOME; exit 3'")).containsExactly("sh", "-c", "echo $HOME; exit 3");
        assertThat(ExecCommandLine.split("a \"b \\\"c\\\" d\" e\\ f")).containsExactly("a", "b \"c\" d", "e f");
        assertThat(ExecCommandLine.split("x''y \"\"")).containsExactly("xy", "");
    }

    @Test
    void shouldRefuseEmptyAndUnclosed() {
        assertThatThrownBy(() -> ExecCommandLine.split("  ")).hasMessageContaining("empty");
        assertThatThrownBy(() -> ExecCommandLine.split("a 'b")).hasMessageContaining("Unmatched");
        assertThatThrownBy(() -> ExecCommandLine.split("a \"b")).hasMessageContaining("Unmatched");
    }
}
