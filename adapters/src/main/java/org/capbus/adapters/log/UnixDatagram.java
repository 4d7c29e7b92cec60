package org.capbus.adapters.log;

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
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A unix datagram socket (the JDK's channels have none): unbound, to send to the journal's or syslog's socket; or
 * bound to a path, to receive (what tests read log lines back with). Through the Foreign Function & Memory API.
 * Owned by one thread at a time (the log writer; a test).
 */
final class UnixDatagram implements AutoCloseable {
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SUN_PATH_MAX = 108;
    private static final int SOCKADDR_UN_SIZE = 2 + SUN_PATH_MAX;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_OPTION = Linker.Option.captureCallState("errno");
    private static final MethodHandle SOCKET = LINKER.downcallHandle(LIBC.findOrThrow("socket"),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), ERRNO_OPTION);
    private static final MethodHandle BIND = LINKER.downcallHandle(LIBC.findOrThrow("bind"),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), ERRNO_OPTION);
    private static final MethodHandle SENDTO = LINKER.downcallHandle(LIBC.findOrThrow("sendto"),
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT), ERRNO_OPTION);
    private static final MethodHandle RECV = LINKER.downcallHandle(LIBC.findOrThrow("recv"),
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), ERRNO_OPTION);
    private static final MethodHandle SETSOCKOPT = LINKER.downcallHandle(LIBC.findOrThrow("setsockopt"),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), ERRNO_OPTION);
    private static final MethodHandle CLOSE = LINKER.downcallHandle(LIBC.findOrThrow("close"),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_SNDTIMEO = 21;
    /**
     * How long a send may wait for room at the receiver (a datagram socket queues only ~10 datagrams, so a burst
     * waits for journald to read): long enough for a busy journald, short enough that a hung one costs the writer
     * one second per line, not forever.
     */
    private static final long SEND_TIMEOUT_SECONDS = 1;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment state = arena.allocate(CAPTURE_LAYOUT);
    private final int fd;

    private UnixDatagram(int fd) {
        this.fd = fd;
    }

    /** An unbound socket to send with; a send waits at most {@link #SEND_TIMEOUT_SECONDS} for room. */
    static UnixDatagram open() throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(CAPTURE_LAYOUT);
            int fd = (int) SOCKET.invokeExact(st, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                throw new IOException("socket(AF_UNIX, SOCK_DGRAM): errno " + (int) ERRNO.get(st, 0L));
            }
            MemorySegment timeval = a.allocate(16); // struct timeval: tv_sec, tv_usec (both long on LP64)
            timeval.set(JAVA_LONG, 0, SEND_TIMEOUT_SECONDS);
            timeval.set(JAVA_LONG, 8, 0L);
            int ignored = (int) SETSOCKOPT.invokeExact(st, fd, SOL_SOCKET, SO_SNDTIMEO, timeval, 16);
            return new UnixDatagram(fd);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** A socket bound to {@code path}, to receive datagrams sent there. */
    static UnixDatagram bind(Path path) throws IOException {
        UnixDatagram s = open();
        try {
            MemorySegment address = s.address(path);
            int r = (int) BIND.invokeExact(s.state, s.fd, address, (int) address.byteSize());
            if (r < 0) {
                throw new IOException("bind " + path + ": errno " + s.errno());
            }
            return s;
        } catch (IOException | RuntimeException | Error e) {
            s.close();
            throw e;
        } catch (Throwable t) {
            s.close();
            throw new IllegalStateException(t);
        }
    }

    /**
     * Sends {@code datagram} to the socket at {@code path}, waiting at most {@link #SEND_TIMEOUT_SECONDS} for room.
     *
     * @return 0, or the errno of the failure (ENOENT/ECONNREFUSED: nobody listens; EAGAIN: still full)
     */
    int send(Path path, byte[] datagram) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment address = address(a, path);
            MemorySegment data = a.allocate(Math.max(1, datagram.length));
            MemorySegment.copy(datagram, 0, data, JAVA_BYTE, 0, datagram.length);
            long n = (long) SENDTO.invokeExact(state, fd, data, (long) datagram.length, MSG_NOSIGNAL,
                    address, (int) address.byteSize());
            return n < 0 ? errno() : 0;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Receives one datagram (blocking), at most {@code max} bytes. */
    byte[] receive(int max) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buffer = a.allocate(max);
            long n = (long) RECV.invokeExact(state, fd, buffer, (long) max, 0);
            if (n < 0) {
                throw new IOException("recv: errno " + errno());
            }
            return buffer.asSlice(0, n).toArray(JAVA_BYTE);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private MemorySegment address(Path path) {
        return address(arena, path);
    }

    private static MemorySegment address(Arena a, Path path) {
        byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
        if (name.length >= SUN_PATH_MAX) {
            throw new IllegalArgumentException("socket path too long: " + path);
        }
        MemorySegment sa = a.allocate(SOCKADDR_UN_SIZE);
        sa.set(JAVA_SHORT, 0, (short) AF_UNIX);
        MemorySegment.copy(name, 0, sa, JAVA_BYTE, 2, name.length);
        return sa.asSlice(0, 2 + name.length + 1);
    }

    private int errno() {
        return (int) ERRNO.get(state, 0L);
    }

    @Override
    public void close() {
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            // nothing to do at close
        }
        arena.close();
    }
}
