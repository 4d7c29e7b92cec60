package org.capbus.adapters.transport;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.capbus.adapters.transport.TransportTestSupport.QueueingAcceptor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.capbus.adapters.transport.TransportTestSupport.connect;
import static org.capbus.adapters.transport.TransportTestSupport.readExactly;

/** The listen address forms of the D-Bus specification, as dbus-daemon 1.14 handles them. */
class UnixTransportListenTest {
    @TempDir
    Path dir;

    private UnixTransport transport = UnixTransport.start();

    @AfterEach
    void stop() {
        transport.shutdown();
    }

    private static void assertEchoes(String address) throws IOException {
        try (SocketChannel client = connect(address)) {
            client.write(ByteBuffer.wrap(new byte[] {42}));
            assertThat(readExactly(client, 1)).containsExactly(42);
        }
    }

    @Test
    void shouldListenOnEscapedPathAndRemoveItAtShutdown() throws Exception {
        Path socket = dir.resolve("a b,c");
        String address = transport.listen("unix:path=" + DBusAddress.escape(socket.toString()),
                new QueueingAcceptor(true));
        assertThat(address).isEqualTo("unix:path=" + dir.toString().replace(" ", "%20") + "/a%20b%2cc");
        assertEchoes(address);
        transport.shutdown();
        assertThat(Files.exists(socket)).isFalse();
    }

    @Test
    void shouldReplaceStaleSocketFileButNotRegularFile() throws Exception {
        Path socket = dir.resolve("bus");
        String address = transport.listen("unix:path=" + socket, new QueueingAcceptor(true));
        transport.shutdown();
        // A crashed daemon leaves its socket file: simulate with a socket bound and never unlinked.
        transport = UnixTransport.start();
        try (var channel = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            channel.bind(java.net.UnixDomainSocketAddress.of(socket));
        }
        assertThat(transport.listen("unix:path=" + socket, new QueueingAcceptor(true))).isEqualTo(address);
        assertEchoes(address);

        Path regular = Files.writeString(dir.resolve("file"), "keep");
        assertThatThrownBy(() -> transport.listen("unix:path=" + regular, new QueueingAcceptor(true)))
                .isInstanceOf(IOException.class);
        assertThat(Files.readString(regular)).isEqualTo("keep");
    }

    @Test
    void shouldListenOnTmpdirAndDirWithRandomPathSockets() throws Exception {
        for (String key : new String[] {"tmpdir", "dir"}) {
            String address = transport.listen("unix:" + key + "=" + dir, new QueueingAcceptor(true));
            assertThat(address).matches("unix:path=" + dir + "/dbus-[A-Za-z0-9]{10}");
            assertEchoes(address);
        }
        transport.shutdown();
        try (var files = Files.list(dir)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void shouldListenOnRuntimeDirectoryBus() throws Exception {
        transport.shutdown();
        transport = UnixTransport.start(TransportOptions.DEFAULTS, Map.of("XDG_RUNTIME_DIR", dir.toString()));
        String address = transport.listen("unix:runtime=yes", new QueueingAcceptor(true));
        assertThat(address).isEqualTo("unix:path=" + dir + "/bus");
        assertEchoes(address);
    }

    @Test
    void shouldFailRuntimeWithoutXdgRuntimeDir() {
        transport.shutdown();
        transport = UnixTransport.start(TransportOptions.DEFAULTS, Map.of());
        assertThatThrownBy(() -> transport.listen("unix:runtime=yes", new QueueingAcceptor(true)))
                .isInstanceOf(IOException.class)
                .satisfies(e -> assertThat(e.getSuppressed()[0]).hasMessageContaining("XDG_RUNTIME_DIR"));
    }

    @Test
    void shouldListenOnAbstractSocketReachedByRealClient() throws Exception {
        String name = "capbus-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        String address = transport.listen("unix:abstract=" + name, new QueueingAcceptor(true));
        assertThat(address).isEqualTo("unix:abstract=" + name);
        Process peer = PythonPeer.start(dir, "abstract", name);
        assertThat(PythonPeer.finish(peer)).containsExactly("ping");
    }

    @Test
    void shouldUseFirstAddressThatWorks() throws Exception {
        Path socket = dir.resolve("second");
        String address = transport.listen("tcp:host=localhost,port=0;unix:path=/nonexistent-dir/x;unix:path="
                + socket, new QueueingAcceptor(true));
        assertThat(address).isEqualTo("unix:path=" + socket);
        assertEchoes(address);
    }

    @Test
    void shouldRejectMalformedAddressesBeforeBindingAny() {
        Path socket = dir.resolve("never");
        assertThatThrownBy(() -> transport.listen("unix:path=" + socket + ";unix:path=a b",
                new QueueingAcceptor(true))).isInstanceOf(IllegalArgumentException.class);
        assertThat(Files.exists(socket)).isFalse();
        assertThatThrownBy(() -> transport.listen("unix:path=/a,abstract=b", new QueueingAcceptor(true)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldListenOnInheritedSocket() throws Exception {
        Path socket = dir.resolve("inherited");
        Syscalls syscalls = new Syscalls();
        int fd = syscalls.socket(Syscalls.AF_UNIX, Syscalls.SOCK_STREAM, 0);
        assertThat(fd).isNotNegative();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = SockaddrUn.encode(arena, false, socket.toString());
            assertThat(syscalls.bind(fd, address, (int) address.byteSize())).isZero();
            assertThat(syscalls.listen(fd, 16)).isZero();
        }
        String address = transport.listenInherited(fd, new QueueingAcceptor(true));
        assertThat(address).isEqualTo("unix:path=" + socket);
        assertEchoes(address);
        transport.shutdown();
        assertThat(Files.exists(socket)).as("systemd owns an inherited socket's file").isTrue();
    }

    @Test
    void shouldRefuseInheritedDescriptorThatIsNotListening() {
        Syscalls syscalls = new Syscalls();
        int fd = syscalls.socket(Syscalls.AF_UNIX, Syscalls.SOCK_STREAM, 0);
        try {
            assertThatThrownBy(() -> transport.listenInherited(fd, new QueueingAcceptor(true)))
                    .isInstanceOf(IOException.class).hasMessageContaining("not a listening socket");
        } finally {
            syscalls.close(fd);
        }
    }
}
