package org.capbus.adapters.transport;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;

import org.capbus.dbus.io.PeerCredentials;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The private, blocking unix stream socket over which a live upgrade passes from the old bus process to the new one
 * (docs/live-upgrade.md): framed messages ({@code u32 type, u32 length, payload}, little-endian), each carrying up to
 * {@link #MAX_FDS} descriptors by {@code SCM_RIGHTS} with its first byte. The old process listens on a socket file
 * in a directory only its user can enter and checks that the peer is the child it started; the new one connects.
 *
 * <p>Not the event loop's: every call blocks up to {@link #timeout(long)}, and uses the non-critical downcalls so a
 * blocked thread never holds up the JVM's safepoints. One thread at a time.
 */
public final class HandoverChannel implements AutoCloseable {
    /** The most descriptors one frame carries (the kernel's {@code SCM_MAX_FD}). */
    public static final int MAX_FDS = Syscalls.SCM_MAX_FD;
    private static final int HEADER = 8;
    private static final int CHUNK = 256 * 1024;

    private final Syscalls syscalls = new Syscalls();
    private final Arena arena = Arena.ofShared();
    private final int fd;
    private final SocketMessage message = new SocketMessage(arena, 2 * SocketMessage.MAX_FDS_CONTROL_SPACE);
    private final MemorySegment buffer = arena.allocate(CHUNK, 8);
    private final int[] received = new int[2 * MAX_FDS];
    private int[] pendingFds = new int[0];
    private boolean closed;

    /** One frame received: its type, payload and the descriptors that came with it (the receiver owns them). */
    public record Frame(int type, byte[] payload, int[] fds) {
    }

    private HandoverChannel(int fd) {
        this.fd = fd;
    }

    /** The listening end, in the old process. */
    public static final class Server implements AutoCloseable {
        private final Syscalls syscalls = new Syscalls();
        private final int fd;
        private final Path path;

        private Server(int fd, Path path) {
            this.fd = fd;
            this.path = path;
        }

        /** Accepts the new process's connection, waiting at most {@code timeoutMillis}. */
        public HandoverChannel accept(long timeoutMillis) throws IOException {
            setTimeout(syscalls, fd, Syscalls.SO_RCVTIMEO, timeoutMillis);
            while (true) {
                int client = syscalls.accept4Blocking(fd, Syscalls.SOCK_CLOEXEC);
                if (client >= 0) {
                    return new HandoverChannel(client);
                }
                if (client == -Errno.EINTR) {
                    continue;
                }
                if (client == -Errno.EAGAIN) {
                    throw new SocketTimeoutException("the new process did not connect within " + timeoutMillis + " ms");
                }
                throw new IOException("accept on the hand-over socket failed: " + Errno.describe(client));
            }
        }

        public Path path() {
            return path;
        }

        @Override
        public void close() {
            syscalls.close(fd);
            try (Arena scratch = Arena.ofConfined()) {
                syscalls.unlink(scratch.allocateFrom(path.toString()));
            }
        }
    }

    /** Listens on the socket file {@code path} (in a directory of the caller's, which only its user can enter). */
    public static Server listen(Path path) throws IOException {
        Syscalls syscalls = new Syscalls();
        int fd = syscalls.socket(Syscalls.AF_UNIX, Syscalls.SOCK_STREAM | Syscalls.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new IOException("cannot create the hand-over socket: " + Errno.describe(fd));
        }
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment address = SockaddrUn.encode(scratch, false, path.toString());
            int r = syscalls.bind(fd, address, (int) address.byteSize());
            if (r < 0 || (r = syscalls.listen(fd, 1)) < 0) {
                syscalls.close(fd);
                throw new IOException("cannot listen on " + path + ": " + Errno.describe(r));
            }
        } catch (IllegalArgumentException e) {
            syscalls.close(fd);
            throw new IOException("hand-over socket path too long: " + path, e);
        }
        return new Server(fd, path);
    }

    /** Connects to the old process's hand-over socket at {@code path}. */
    public static HandoverChannel connect(Path path) throws IOException {
        Syscalls syscalls = new Syscalls();
        int fd = syscalls.socket(Syscalls.AF_UNIX, Syscalls.SOCK_STREAM | Syscalls.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new IOException("cannot create a socket: " + Errno.describe(fd));
        }
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment address = SockaddrUn.encode(scratch, false, path.toString());
            int r = syscalls.connect(fd, address, (int) address.byteSize());
            if (r < 0) {
                syscalls.close(fd);
                throw new IOException("cannot connect to the hand-over socket " + path + ": " + Errno.describe(r));
            }
        } catch (IllegalArgumentException e) {
            syscalls.close(fd);
            throw new IOException("hand-over socket path too long: " + path, e);
        }
        return new HandoverChannel(fd);
    }

    /** The credentials of the process at the other end. */
    public PeerCredentials peer() throws IOException {
        PeerCredentials c = new PeerCredentialsReader(syscalls, arena).read(fd);
        if (c == null) {
            throw new IOException("the hand-over socket has no peer credentials");
        }
        return c;
    }

    /** Bounds every later send and receive to {@code millis}. */
    public void timeout(long millis) throws IOException {
        setTimeout(syscalls, fd, Syscalls.SO_RCVTIMEO, millis);
        setTimeout(syscalls, fd, Syscalls.SO_SNDTIMEO, millis);
    }

    private static void setTimeout(Syscalls syscalls, int fd, int option, long millis) throws IOException {
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment timeval = scratch.allocate(16, 8);
            timeval.set(JAVA_LONG, 0, millis / 1000);
            timeval.set(JAVA_LONG, 8, (millis % 1000) * 1000);
            int r = syscalls.setsockopt(fd, Syscalls.SOL_SOCKET, option, timeval, 16);
            if (r < 0) {
                throw new IOException("cannot set a timeout on the hand-over socket: " + Errno.describe(r));
            }
        }
    }

    /** Sends one frame with {@code fds} (at most {@link #MAX_FDS}; the caller keeps its descriptors). */
    public void send(int type, byte[] payload, int[] fds) throws IOException {
        if (fds.length > MAX_FDS) {
            throw new IllegalArgumentException("fds: " + fds.length + " (expected: <= " + MAX_FDS + ")");
        }
        byte[] framed = new byte[HEADER + payload.length];
        ByteBuffer.wrap(framed).order(ByteOrder.LITTLE_ENDIAN).putInt(type).putInt(payload.length);
        System.arraycopy(payload, 0, framed, HEADER, payload.length);
        int offset = 0;
        boolean fdsSent = fds.length == 0;
        while (offset < framed.length) {
            int n = Math.min(CHUNK, framed.length - offset);
            MemorySegment.copy(framed, offset, buffer, JAVA_BYTE, 0, n);
            message.prepareSend(buffer.address(), n, fds, 0, fdsSent ? 0 : fds.length);
            long written = syscalls.sendmsgBlocking(fd, message.header(), Syscalls.MSG_NOSIGNAL);
            if (written == -Errno.EINTR) {
                continue;
            }
            if (written == -Errno.EAGAIN) {
                throw new SocketTimeoutException("the other process did not take the hand-over in time");
            }
            if (written < 0) {
                throw new IOException("sending on the hand-over socket failed: " + Errno.describe((int) written));
            }
            fdsSent = true;
            offset += (int) written;
        }
    }

    /** Receives one frame; end of file or a timeout throws. */
    public Frame receive() throws IOException {
        byte[] header = new byte[HEADER];
        read(header);
        ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
        int type = h.getInt();
        int length = h.getInt();
        if (length < 0) {
            throw new IOException("hand-over frame of length " + length);
        }
        byte[] payload = new byte[length];
        read(payload);
        int[] fds = pendingFds;
        pendingFds = new int[0];
        return new Frame(type, payload, fds);
    }

    private void read(byte[] into) throws IOException {
        int offset = 0;
        while (offset < into.length) {
            int want = Math.min(CHUNK, into.length - offset);
            message.prepareReceive(buffer.address(), want);
            long n = syscalls.recvmsgBlocking(fd, message.header(), Syscalls.MSG_CMSG_CLOEXEC);
            if (n == -Errno.EINTR) {
                continue;
            }
            if (n == -Errno.EAGAIN) {
                throw new SocketTimeoutException("the other process did not answer in time");
            }
            if (n < 0) {
                throw new IOException("receiving on the hand-over socket failed: " + Errno.describe((int) n));
            }
            int count = message.takeFds(received, syscalls);
            if (count > 0) {
                int old = pendingFds.length;
                pendingFds = Arrays.copyOf(pendingFds, old + count);
                System.arraycopy(received, 0, pendingFds, old, count);
            }
            if ((message.flags() & Syscalls.MSG_CTRUNC) != 0) {
                throw new IOException("descriptors truncated on the hand-over socket");
            }
            if (n == 0) {
                throw new java.io.EOFException("the other process closed the hand-over socket");
            }
            MemorySegment.copy(buffer, JAVA_BYTE, 0, into, offset, (int) n);
            offset += (int) n;
        }
    }

    /** Closes a descriptor this process received and does not keep. */
    public void closeFd(int descriptor) {
        syscalls.close(descriptor);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            syscalls.close(fd);
        }
    }
}
