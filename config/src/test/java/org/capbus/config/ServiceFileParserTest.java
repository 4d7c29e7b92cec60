package org.capbus.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ServiceFileParserTest {
    private static final Path FILE = Path.of("/s/org.example.Foo.service");

    private static ServiceFile parse(String text) throws ConfigException {
        return ServiceFileParser.parse(FILE, text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void shouldReadTheKeysTheBusUsesAndIgnoreOthers() throws ConfigException {
        ServiceFile s = parse("""
                # a comment
                [D-BUS Service]
                Name = org.example.Foo
                Exec=/usr/bin/foo --arg\\sspaced
                User=nobody
                SystemdService=foo.service
                AssumedAppArmorLabel=unconfined
                X-Whatever=1
                Name[de]=ignored

                [Other Section]
                Name=org.example.Bar
                """);
        assertThat(s.name()).isEqualTo("org.example.Foo");
        assertThat(s.exec()).isEqualTo("/usr/bin/foo --arg spaced");
        assertThat(s.user()).isEqualTo("nobody");
        assertThat(s.systemdService()).isEqualTo("foo.service");
        assertThat(s.canonicalFileName()).isEqualTo("org.example.Foo.service");
    }

    @Test
    void shouldAcceptCrLfAndOptionalKeysAbsent() throws ConfigException {
        ServiceFile s = parse("[D-BUS Service]\r\nName=org.example.Foo\r\nExec=/bin/true\r\n");
        assertThat(s.exec()).isEqualTo("/bin/true");
        assertThat(s.user()).isNull();
        assertThat(s.systemdService()).isNull();
    }

    @Test
    void shouldNameTheLineAndReasonOfSyntaxFaults() {
        assertThatThrownBy(() -> parse("[D-BUS Service]\nName=org.example.Foo\nExec\n"))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.line()).isEqualTo(3);
                    assertThat(e.reason()).isEqualTo("No '=' in key/value pair");
                    assertThat(e.file()).isEqualTo(FILE);
                });
        assertThatThrownBy(() -> parse("Name=x\n")).hasMessageContaining(":1: invalid service file");
        assertThatThrownBy(() -> parse("[D-BUS Service\n")).hasMessageContaining(":1: Invalid syntax for section header");
        assertThatThrownBy(() -> parse("[D-BUS Service]\n=x\n")).hasMessageContaining(":2: Empty key name");
        assertThatThrownBy(() -> parse("[D-BUS Service]\nNa*me=x\n")).hasMessageContaining(":2: Invalid characters");
        assertThatThrownBy(() -> parse("[D-BUS Service]\nExec=a\\qb\n")).hasMessageContaining(":2: Invalid escape");
    }

    @Test
    void shouldRequireNameAndExecAndAValidName() {
        assertThatThrownBy(() -> parse("[D-BUS Service]\nExec=/bin/true\n")).hasMessageContaining("No \"Name\" key");
        assertThatThrownBy(() -> parse("[D-BUS Service]\nName=org.example.Foo\n")).hasMessageContaining("No \"Exec\" key");
        assertThatThrownBy(() -> parse("[Other]\nName=org.example.Foo\n")).hasMessageContaining("no [D-BUS Service]");
        assertThatThrownBy(() -> parse("[D-BUS Service]\nName=nodots\nExec=/bin/true\n"))
                .hasMessageContaining(":2: Name=nodots is not a valid well-known bus name");
    }

    @Test
    void shouldRefuseInvalidUtf8AndHugeFiles() {
        assertThatThrownBy(() -> ServiceFileParser.parse(FILE, new byte[] {'[', (byte) 0xff, ']'}))
                .hasMessageContaining("invalid UTF-8");
        assertThatThrownBy(() -> ServiceFileParser.parse(FILE, new byte[ServiceFileParser.MAX_SIZE + 1]))
                .hasMessageContaining("too large");
    }
}
