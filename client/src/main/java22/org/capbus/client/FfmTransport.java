package org.capbus.client;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A blocking unix stream socket through FFM (Java 22+): {@code recvmsg} with a control buffer on every read, so
 * descriptors that arrive are kept (a read without one would make the kernel close them), and {@code sendmsg} with
 * one {@code SCM_RIGHTS} message for the descriptors of a write. Linux x86-64/aarch64 layouts.
 *
 * <p>Reads happen on the client's event thread only; writes under the client's write lock, each with its own
 * native memory.
 */
@SuppressWarnings("restricted")
final class FfmTransport implements ClientTransport {
    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    private static final int SHUT_RDWR = 2;
    private static final int EINTR = 4;
    private static final int SCM_MAX_FD = 253;
    /** struct msghdr: name, namelen(+pad), iov, iovlen, control, controllen, flags(+pad). */
    private static final int MSGHDR_SIZE = 56;
    private static final int CMSG_HEADER = 16;
    private static final int WRITE_BUFFER = 64 * 1024;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_OPTION = Linker.Option.captureCallState("errno");
    private static final MethodHandle SOCKET = bind("socket", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle CONNECT = bind("connect", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle RECVMSG = bind("recvmsg", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle SENDMSG = bind("sendmsg", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle CLOSE = bind("close", JAVA_INT, JAVA_INT);
    private static final MethodHandle SHUTDOWN = bind("shutdown", JAVA_INT, JAVA_INT, JAVA_INT);

    private final int fd;
    private final Arena readArena = Arena.ofShared();
    private final MemorySegment readBuffer;
    private final MemorySegment readControl;
    private final MemorySegment readHeader;
    private final MemorySegment readIov;
    private final MemorySegment readState;
    /**
     * Native memory of writes up to {@link #WRITE_BUFFER} bytes, reused: writes are serialised by the client's write
     * lock. Freed by the collector with the transport (a write may still be running when it is closed).
     */
    private final Arena writeArena = Arena.ofAuto();
    private final MemorySegment writeData;
    private final MemorySegment writeIov;
    private final MemorySegment writeHeader;
    private final MemorySegment writeControl;
    private final MemorySegment writeState;
    private int[] fds = new int[8];
    private int fdCount;
    private volatile boolean closed;

    private static MethodHandle bind(String name, java.lang.foreign.ValueLayout result,
                                     java.lang.foreign.MemoryLayout... args) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), FunctionDescriptor.of(result, args),
                ERRNO_OPTION);
    }

    private FfmTransport(int fd) {
        this.fd = fd;
        this.readBuffer = readArena.allocate(65536);
        this.readControl = readArena.allocate(CMSG_HEADER + 4L * SCM_MAX_FD, 8);
        this.readHeader = readArena.allocate(MSGHDR_SIZE, 8);
        this.readIov = readArena.allocate(16, 8);
        this.readState = readArena.allocate(CAPTURE);
        this.writeData = writeArena.allocate(WRITE_BUFFER);
        this.writeIov = writeArena.allocate(16, 8);
        this.writeHeader = writeArena.allocate(MSGHDR_SIZE, 8);
        this.writeControl = writeArena.allocate(CMSG_HEADER + 4L * SCM_MAX_FD, 8);
        this.writeState = writeArena.allocate(CAPTURE);
    }

    static FfmTransport connect(String path) throws IOException {
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        if (p.length >= 108) {
            throw new IOException("socket path too long: " + path);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            int fd = (int) SOCKET.invokeExact(state, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                throw new IOException("socket: errno " + (int) ERRNO.get(state, 0L));
            }
            MemorySegment addr = arena.allocate(110);
            addr.set(JAVA_SHORT, 0, (short) AF_UNIX);
            MemorySegment.copy(p, 0, addr, java.lang.foreign.ValueLayout.JAVA_BYTE, 2, p.length);
            int r = (int) CONNECT.invokeExact(state, fd, addr, 110);
            if (r < 0) {
                int errno = (int) ERRNO.get(state, 0L);
                int ignored = (int) CLOSE.invokeExact(state, fd);
                throw new IOException("connect to " + path + ": errno " + errno);
            }
            return new FfmTransport(fd);
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("native call failed", t);
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        int want = (int) Math.min(dst.remaining(), readBuffer.byteSize());
        readIov.set(ADDRESS, 0, readBuffer);
        readIov.set(JAVA_LONG, 8, want);
        readHeader.fill((byte) 0);
        readHeader.set(ADDRESS, 16, readIov);
        readHeader.set(JAVA_LONG, 24, 1);
        readHeader.set(ADDRESS, 32, readControl);
        readHeader.set(JAVA_LONG, 40, readControl.byteSize());
        long n;
        try {
            do {
                n = (long) RECVMSG.invokeExact(readState, fd, readHeader, MSG_CMSG_CLOEXEC);
            } while (n < 0 && (int) ERRNO.get(readState, 0L) == EINTR && !closed);
        } catch (Throwable t) {
            throw new IllegalStateException("native call failed", t);
        }
        if (n < 0) {
            throw new IOException("recvmsg: errno " + (int) ERRNO.get(readState, 0L));
        }
        collectFds(readHeader.get(JAVA_LONG, 40));
        if (n == 0) {
            return -1;
        }
        dst.put(readBuffer.asSlice(0, n).asByteBuffer());
        return (int) n;
    }

    private void collectFds(long controlLength) {
        long off = 0;
        while (off + CMSG_HEADER <= controlLength) {
            long len = readControl.get(JAVA_LONG, off);
            int level = readControl.get(JAVA_INT, off + 8);
            int type = readControl.get(JAVA_INT, off + 12);
            if (len < CMSG_HEADER) {
                break;
            }
            if (level == SOL_SOCKET && type == SCM_RIGHTS) {
                int count = (int) ((len - CMSG_HEADER) / 4);
                for (int i = 0; i < count; i++) {
                    if (fdCount == fds.length) {
                        fds = Arrays.copyOf(fds, fdCount * 2);
                    }
                    fds[fdCount++] = readControl.get(JAVA_INT, off + CMSG_HEADER + 4L * i);
                }
            }
            off += (len + 7) & ~7L;
        }
    }

    @Override
    public synchronized int[] takeFds(int count) {
        int n = Math.min(count, fdCount);
        int[] out = Arrays.copyOf(fds, n);
        System.arraycopy(fds, n, fds, 0, fdCount - n);
        fdCount -= n;
        return out;
    }

    @Override
    public void write(ByteBuffer src, int[] passFds) throws IOException {
        if (passFds.length > SCM_MAX_FD) {
            throw new IOException("fd count: " + passFds.length + " (expected: <= " + SCM_MAX_FD + ")");
        }
        if (src.remaining() <= WRITE_BUFFER) {
            MemorySegment.copy(MemorySegment.ofBuffer(src), 0, writeData, 0, src.remaining());
            send(writeData, src.remaining(), passFds, writeIov, writeHeader, writeControl, writeState);
        } else {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment data = arena.allocate(src.remaining());
                MemorySegment.copy(MemorySegment.ofBuffer(src), 0, data, 0, src.remaining());
                send(data, src.remaining(), passFds, arena.allocate(16, 8), arena.allocate(MSGHDR_SIZE, 8),
                        arena.allocate(CMSG_HEADER + 4L * SCM_MAX_FD, 8), arena.allocate(CAPTURE));
            }
        }
        src.position(src.limit());
    }

    /** Sends {@code data[0, total)}, the descriptors with its first byte. */
    private void send(MemorySegment data, long total, int[] passFds, MemorySegment iov, MemorySegment header,
                      MemorySegment control, MemorySegment state) throws IOException {
        try {
            long sent = 0;
            boolean fdsSent = passFds.length == 0;
            while (sent < total) {
                header.fill((byte) 0);
                iov.set(ADDRESS, 0, data.asSlice(sent));
                iov.set(JAVA_LONG, 8, total - sent);
                header.set(ADDRESS, 16, iov);
                header.set(JAVA_LONG, 24, 1);
                if (!fdsSent) {
                    long controlLength = CMSG_HEADER + 4L * passFds.length;
                    control.set(JAVA_LONG, 0, controlLength);
                    control.set(JAVA_INT, 8, SOL_SOCKET);
                    control.set(JAVA_INT, 12, SCM_RIGHTS);
                    for (int i = 0; i < passFds.length; i++) {
                        control.set(JAVA_INT, CMSG_HEADER + 4L * i, passFds[i]);
                    }
                    header.set(ADDRESS, 32, control);
                    header.set(JAVA_LONG, 40, (controlLength + 7) & ~7L);
                }
                long n = (long) SENDMSG.invokeExact(state, fd, header, MSG_NOSIGNAL);
                if (n < 0) {
                    int errno = (int) ERRNO.get(state, 0L);
                    if (errno == EINTR) {
                        continue;
                    }
                    throw new IOException("sendmsg: errno " + errno);
                }
                fdsSent = true;
                sent += n;
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("native call failed", t);
        }
    }

    @Override
    public boolean passesFds() {
        return true;
    }

    @Override
    public void closeFd(int descriptor) {
        try (Arena arena = Arena.ofConfined()) {
            int ignored = (int) CLOSE.invokeExact(arena.allocate(CAPTURE), descriptor);
        } catch (Throwable t) {
            throw new IllegalStateException("native call failed", t);
        }
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try (Arena arena = Arena.ofConfined()) {
            // Wakes the event thread's blocking recvmsg; the descriptor is closed once, here.
            int ignored = (int) SHUTDOWN.invokeExact(arena.allocate(CAPTURE), fd, SHUT_RDWR);
            ignored = (int) CLOSE.invokeExact(arena.allocate(CAPTURE), fd);
        } catch (Throwable t) {
            throw new IllegalStateException("native call failed", t);
        }
        for (int i = 0; i < fdCount; i++) {
            closeFd(fds[i]);
        }
        fdCount = 0;
    }
}
