package org.capbus.bench.wire;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

/**
 * A blocking unix stream socket through FFM, for the benchmark's raw D-Bus connections: {@code read}, {@code send},
 * and {@code sendmsg} with one {@code SCM_RIGHTS} control message when descriptors go along (the JDK's channels
 * cannot pass them). Reads use plain {@code read}: descriptors that arrive are closed by the kernel, which is all
 * the benchmark's receivers do with them. Reads on one thread, writes on one thread (each has its own native buffer).
 */
@SuppressWarnings("restricted")
final class UnixSocket implements AutoCloseable {
    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int SHUT_RDWR = 2;
    private static final int MSGHDR_SIZE = 56;
    private static final int CMSG_HEADER = 16;
    private static final int BUFFER = 64 * 1024;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle SOCKET = bind("socket", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle CONNECT = bind("connect", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle READ = bind("read", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG);
    private static final MethodHandle SEND = bind("send", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT);
    private static final MethodHandle SENDMSG = bind("sendmsg", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle CLOSE = bind("close", JAVA_INT, JAVA_INT);
    private static final MethodHandle SHUTDOWN = bind("shutdown", JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle OPEN = bind("open", JAVA_INT, ADDRESS, JAVA_INT);

    private final int fd;
    // Freed by the collector once the socket is unreachable (a reader may still be in read() when it is closed).
    private final Arena arena = Arena.ofAuto();
    private final MemorySegment readBuffer = arena.allocate(BUFFER);
    private final MemorySegment writeBuffer = arena.allocate(BUFFER);
    private final MemorySegment iov = arena.allocate(16, 8);
    private final MemorySegment header = arena.allocate(MSGHDR_SIZE, 8);
    private final MemorySegment control = arena.allocate(CMSG_HEADER + 8, 8);
    private volatile boolean closed;

    private static MethodHandle bind(String name, MemoryLayout result, MemoryLayout... args) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(),
                FunctionDescriptor.of(result, args));
    }

    private UnixSocket(int fd) {
        this.fd = fd;
    }

    static UnixSocket connect(String path) throws IOException {
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        try (Arena a = Arena.ofConfined()) {
            int fd = (int) SOCKET.invokeExact(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                throw new IOException("socket failed");
            }
            MemorySegment addr = a.allocate(110);
            addr.set(JAVA_SHORT, 0, (short) AF_UNIX);
            MemorySegment.copy(p, 0, addr, JAVA_BYTE, 2, p.length);
            if ((int) CONNECT.invokeExact(fd, addr, 110) < 0) {
                int ignored = (int) CLOSE.invokeExact(fd);
                throw new IOException("connect to " + path + " failed");
            }
            return new UnixSocket(fd);
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Opens {@code /dev/null} read-only: the descriptor the fd-passing calls carry. */
    static int openDevNull() {
        try (Arena a = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(a.allocateFrom("/dev/null"), 0x80000);
            if (fd < 0) {
                throw new IllegalStateException("open /dev/null failed");
            }
            return fd;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Reads up to {@code len} bytes into {@code dst}; -1 at the end of the stream. */
    int read(byte[] dst, int off, int len) throws IOException {
        long n;
        try {
            n = (long) READ.invokeExact(fd, readBuffer, (long) Math.min(len, BUFFER));
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (n < 0) {
            if (closed) {
                return -1;
            }
            throw new IOException("read failed");
        }
        if (n == 0) {
            return -1;
        }
        MemorySegment.copy(readBuffer, JAVA_BYTE, 0, dst, off, (int) n);
        return (int) n;
    }

    /** Writes all of {@code src[off, off+len)}; {@code passFd} (if >= 0) goes along with the first byte. */
    void write(byte[] src, int off, int len, int passFd) throws IOException {
        if (len > BUFFER) {
            throw new IOException("message too long for the benchmark: " + len);
        }
        MemorySegment.copy(src, off, writeBuffer, JAVA_BYTE, 0, len);
        long sent = 0;
        try {
            if (passFd >= 0) {
                iov.set(ADDRESS, 0, writeBuffer);
                iov.set(JAVA_LONG, 8, len);
                header.fill((byte) 0);
                header.set(ADDRESS, 16, iov);
                header.set(JAVA_LONG, 24, 1);
                control.set(JAVA_LONG, 0, CMSG_HEADER + 4);
                control.set(JAVA_INT, 8, SOL_SOCKET);
                control.set(JAVA_INT, 12, SCM_RIGHTS);
                control.set(JAVA_INT, CMSG_HEADER, passFd);
                header.set(ADDRESS, 32, control);
                header.set(JAVA_LONG, 40, control.byteSize());
                sent = (long) SENDMSG.invokeExact(fd, header, MSG_NOSIGNAL);
                if (sent < 0) {
                    throw new IOException("sendmsg failed");
                }
            }
            while (sent < len) {
                long n = (long) SEND.invokeExact(fd, writeBuffer.asSlice(sent), len - sent, MSG_NOSIGNAL);
                if (n < 0) {
                    throw new IOException("write failed");
                }
                sent += n;
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            int ignored = (int) SHUTDOWN.invokeExact(fd, SHUT_RDWR);
            ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
