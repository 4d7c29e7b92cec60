package org.capbus.config;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every way a file is refused names the file, the line and the reason. */
class ConfigErrorTest {

    private static final ConfigEnvironment ENV = new ConfigEnvironment(null, null, null, "/home/u", false, null);

    @TempDir
    Path dir;

    /** Each body goes on line 3 of a file that has {@code <busconfig>} on 1 and a listen on 2. */
    static Stream<Arguments> faults() {
        return Stream.of(
                Arguments.of("<foo/>", "Element <foo> not allowed inside <busconfig> in configuration file"),
                Arguments.of("<policy context=\"default\"><permit own=\"x\"/></policy>",
                        "Element <permit> not allowed inside <policy> in configuration file"),
                Arguments.of("<selinux><mapping/></selinux>",
                        "Element <mapping> not allowed inside <selinux> in configuration file"),
                Arguments.of("<user><name/></user>", "Element <name> is not allowed in this context"),
                Arguments.of("<fork now=\"yes\"/>", "Attribute \"now\" is invalid on <fork> element in this context"),
                Arguments.of("<policy context=\"default\"><allow own=\"x\" color=\"red\"/></policy>",
                        "Attribute \"color\" is invalid on <allow> element in this context"),
                Arguments.of("<include ignore_missing=\"maybe\">x.conf</include>",
                        "ignore_missing attribute must have value \"yes\" or \"no\""),
                Arguments.of("<include>absent.conf</include>", "No such file or directory"),
                Arguments.of("<include if_selinux_enabled=\"no\" selinux_root_relative=\"yes\">x</include>",
                        "Could not determine SELinux policy root for relative inclusion"),
                Arguments.of("<limit>5</limit>", "<limit> element must have a \"name\" attribute"),
                Arguments.of("<limit name=\"max_bananas\">5</limit>", "There is no limit called \"max_bananas\""),
                Arguments.of("<limit name=\"auth_timeout\">soon</limit>",
                        "<limit name=\"auth_timeout\"> element has invalid value (could not parse as integer)"),
                Arguments.of("<limit name=\"auth_timeout\">-1</limit>",
                        "<limit name=\"auth_timeout\"> must be a positive number"),
                Arguments.of("<type></type>", "XML element <type> was expected to have content inside it"),
                Arguments.of("<fork>please</fork>",
                        "No text content expected inside XML element fork in configuration file"),
                Arguments.of("<policy/>",
                        "<policy> element must have exactly one of (context|user|group|at_console) attributes"),
                Arguments.of("<policy user=\"a\" group=\"b\"/>",
                        "<policy> element must have exactly one of (context|user|group|at_console) attributes"),
                Arguments.of("<policy context=\"sometimes\"/>",
                        "context attribute on <policy> must have the value \"default\" or \"mandatory\", not \"sometimes\""),
                Arguments.of("<policy at_console=\"yes\"/>",
                        "Unknown value \"yes\" for at_console in message bus configuration file"),
                Arguments.of("<policy context=\"default\"><allow/></policy>",
                        "Element <allow> must have one or more attributes"),
                Arguments.of("<policy context=\"default\"><allow send_member=\"M\"/></policy>",
                        "if you specify a member you must specify an interface or a path"),
                Arguments.of("<policy context=\"default\"><allow own=\"a\" send_destination=\"b\"/></policy>",
                        "own, own_prefix, user, group and the message-related attributes cannot be combined"),
                Arguments.of("<policy context=\"default\"><allow send_path=\"/\" receive_path=\"/\"/></policy>",
                        "send and receive attributes cannot be combined"),
                Arguments.of("<policy context=\"default\"><allow send_error=\"e.E\" send_interface=\"i.I\"/></policy>",
                        "send_error cannot be combined with send_member or send_interface"),
                Arguments.of("<policy context=\"default\"><allow receive_error=\"e.E\" receive_interface=\"i.I\"/></policy>",
                        "receive_error cannot be combined with receive_member or receive_interface"),
                Arguments.of("<policy context=\"default\"><allow send_destination=\"a\" send_destination_prefix=\"b\"/></policy>",
                        "send_destination cannot be combined with send_destination_prefix"),
                Arguments.of("<policy context=\"default\"><allow send_type=\"telegram\"/></policy>",
                        "Bad message type \"telegram\""),
                Arguments.of("<policy context=\"default\"><allow receive_type=\"telegram\"/></policy>",
                        "Bad message type \"telegram\""),
                Arguments.of("<policy context=\"default\"><allow send_path=\"/\" eavesdrop=\"maybe\"/></policy>",
                        "Bad value \"maybe\" for eavesdrop attribute, must be true or false"),
                Arguments.of("<policy context=\"default\"><allow send_path=\"/\" send_requested_reply=\"1\"/></policy>",
                        "Bad value \"1\" for send_requested_reply attribute, must be true or false"),
                Arguments.of("<policy context=\"default\"><allow receive_path=\"/\" receive_requested_reply=\"1\"/></policy>",
                        "Bad value \"1\" for receive_requested_reply attribute, must be true or false"),
                Arguments.of("<policy context=\"default\"><allow send_broadcast=\"yes\"/></policy>",
                        "Bad value \"yes\" for send_broadcast attribute, must be true or false"),
                Arguments.of("<policy context=\"default\"><allow send_destination=\"a.B\" send_broadcast=\"true\"/></policy>",
                        "Rule with send_broadcast=\"true\" and send_destination=\"a.B\" cannot match anything"),
                Arguments.of("<policy context=\"default\"><allow send_path=\"/\" max_fds=\"-1\"/></policy>",
                        "Bad value \"-1\" for max_fds attribute"),
                Arguments.of("<policy user=\"root\"><allow user=\"*\"/></policy>",
                        "<allow> rule cannot be per-user because it has bus-global semantics"),
                Arguments.of("<policy group=\"wheel\"><deny group=\"*\"/></policy>",
                        "<deny> rule cannot be per-group because it has bus-global semantics"),
                Arguments.of("<selinux><associate own=\"a\"/></selinux>",
                        "Element <associate> must have attributes own=\"<servicename>\" and context=\"<selinux context>\""),
                Arguments.of("<apparmor mode=\"paranoid\"/>",
                        "Mode attribute on <apparmor> must have value \"required\", \"enabled\" or \"disabled\", not \"paranoid\""),
                Arguments.of("<metrics/>", "<metrics> element must have an \"address\" attribute (HOST:PORT)"),
                Arguments.of("<metrics address=\"127.0.0.1\"/>", "metrics address \"127.0.0.1\" is not HOST:PORT"),
                Arguments.of("<metrics address=\"127.0.0.1:http\"/>", "port is not a number"),
                Arguments.of("<metrics address=\"127.0.0.1:70000\"/>", "metrics port: 70000 (expected: 1..65535)"),
                Arguments.of("<metrics address=\"::1:9464\"/>", "an IPv6 host must be written in brackets"),
                Arguments.of("<metrics address=\"h:1\" port=\"2\"/>",
                        "Attribute \"port\" is invalid on <metrics> element in this context"),
                Arguments.of("<metrics address=\"h:1\">now</metrics>",
                        "No text content expected inside XML element metrics in configuration file"),
                Arguments.of("<listen>a</lis>", "Malformed XML"),
                Arguments.of("<type>&bogus;</type>", "bogus"));
    }

    @ParameterizedTest
    @MethodSource("faults")
    void shouldRefuseWithFileLineAndReason(String body, String reason) throws Exception {
        Path file = dir.resolve("bad.conf");
        Files.writeString(file, "<busconfig>\n<listen>unix:path=/x</listen>\n" + body + "\n</busconfig>\n");

        assertThatThrownBy(() -> BusConfig.load(file, ENV))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.file()).isEqualTo(file);
                    assertThat(e.line()).isEqualTo(3);
                    assertThat(e.reason()).contains(reason);
                    assertThat(e.getMessage()).isEqualTo(file + ":3: " + e.reason());
                });
    }

    @Test
    void shouldRefuseAWrongRootElement() throws Exception {
        Path file = dir.resolve("bad.conf");
        Files.writeString(file, "<?xml version=\"1.0\"?>\n<config/>\n");

        assertThatThrownBy(() -> BusConfig.load(file, ENV)).isInstanceOfSatisfying(ConfigException.class, e -> {
            assertThat(e.line()).isEqualTo(2);
            assertThat(e.reason()).isEqualTo("Unknown element <config> at root of configuration file");
        });
    }

    @Test
    void shouldRefuseAFileWithoutListen() throws Exception {
        Path file = dir.resolve("bad.conf");
        Files.writeString(file, "<busconfig><type>session</type></busconfig>");

        assertThatThrownBy(() -> BusConfig.load(file, ENV)).isInstanceOfSatisfying(ConfigException.class,
                e -> assertThat(e.reason()).isEqualTo(
                        "Configuration file needs one or more <listen> elements giving addresses"));
    }

    @Test
    void shouldRefuseAMissingTopLevelFile() {
        Path file = dir.resolve("absent.conf");

        assertThatThrownBy(() -> BusConfig.load(file, ENV)).isInstanceOfSatisfying(ConfigException.class, e -> {
            assertThat(e.file()).isEqualTo(file);
            assertThat(e.reason()).contains("No such file or directory");
        });
    }

    @Test
    void shouldRefuseTruncatedXmlAtItsLastLine() throws Exception {
        Path file = dir.resolve("bad.conf");
        Files.writeString(file, "<busconfig>\n<listen>x:</listen>\n<policy context=\"default\">\n");

        assertThatThrownBy(() -> BusConfig.load(file, ENV)).isInstanceOfSatisfying(ConfigException.class, e -> {
            assertThat(e.file()).isEqualTo(file);
            assertThat(e.line()).isGreaterThanOrEqualTo(3);
            assertThat(e.reason()).startsWith("Malformed XML");
        });
    }
}
