package org.capbus.adapters.transport;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DBusAddressTest {

    @Test
    void shouldParseSeveralAddressesWithEscapedValues() {
        List<DBusAddress> addresses = DBusAddress.parseList("unix:path=/tmp/a%20b,guid=0123;;tcp:host=x,port=1");
        assertThat(addresses).containsExactly(
                new DBusAddress("unix", Map.of("path", "/tmp/a b", "guid", "0123")),
                new DBusAddress("tcp", Map.of("host", "x", "port", "1")));
    }

    @Test
    void shouldRejectWhatDbusDaemonRejects() {
        assertThatThrownBy(() -> DBusAddress.parseList("unix:path=/a b")).hasMessageContaining("escaped");
        assertThatThrownBy(() -> DBusAddress.parseList("unix:path=%4")).hasMessageContaining("hex");
        assertThatThrownBy(() -> DBusAddress.parseList("nocolon")).hasMessageContaining("colon");
        assertThatThrownBy(() -> DBusAddress.parseList("unix:path=")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DBusAddress.parseList("unix:path=/a,path=/b")).hasMessageContaining("twice");
        assertThatThrownBy(() -> DBusAddress.parseList(";")).hasMessageContaining("Empty");
    }

    @Test
    void shouldEscapeEveryByteOutsideTheOptionallyEscapedSet() {
        assertThat(DBusAddress.escape("/run/user/1000/bus")).isEqualTo("/run/user/1000/bus");
        assertThat(DBusAddress.escape("a b,c;d=é")).isEqualTo("a%20b%2cc%3bd%3d%c3%a9");
        assertThat(DBusAddress.unescape(DBusAddress.escape("a b,c;d=é"))).isEqualTo("a b,c;d=é");
    }

    @Test
    void shouldReadExactlyOneUnixListenForm() {
        assertThat(UnixListenAddress.of(DBusAddress.parse("unix:tmpdir=/tmp")))
                .isEqualTo(new UnixListenAddress(UnixListenAddress.Kind.TMPDIR, "/tmp"));
        assertThat(UnixListenAddress.of(DBusAddress.parse("unix:runtime=yes")).kind())
                .isEqualTo(UnixListenAddress.Kind.RUNTIME);
        assertThat(UnixListenAddress.of(DBusAddress.parse("tcp:host=localhost"))).isNull();
        assertThatThrownBy(() -> UnixListenAddress.of(DBusAddress.parse("unix:runtime=no")))
                .hasMessageContaining("yes");
        assertThatThrownBy(() -> UnixListenAddress.of(DBusAddress.parse("unix:guid=00")))
                .hasMessageContaining("Must specify");
        assertThatThrownBy(() -> UnixListenAddress.of(DBusAddress.parse("unix:path=/a,dir=/b")))
                .hasMessageContaining("more than one");
    }

    @Test
    void shouldReadSystemdListenFdsOnlyForThisPid() {
        assertThat(SystemdListenFds.parse(Map.of("LISTEN_PID", "42", "LISTEN_FDS", "2"), 42)).containsExactly(3, 4);
        assertThat(SystemdListenFds.parse(Map.of("LISTEN_PID", "41", "LISTEN_FDS", "2"), 42)).isEmpty();
        assertThat(SystemdListenFds.parse(Map.of("LISTEN_PID", "42", "LISTEN_FDS", "x"), 42)).isEmpty();
        assertThat(SystemdListenFds.parse(Map.of(), 42)).isEmpty();
    }
}
