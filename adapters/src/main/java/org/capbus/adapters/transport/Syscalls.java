package org.capbus.adapters.transport;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The libc calls the transport makes, bound once with the Foreign Function &amp; Memory API.
 *
 * <p>Every wrapper returns the call's result when it succeeded and {@code -errno} when it failed (the kernel's own
 * convention), so an expected outcome such as {@code EAGAIN} is a value to compare, never an exception. {@code errno}
 * is captured right after the call into a small segment owned by this instance; an instance is therefore used by
 * one thread at a time: the event loop has its own, and code that listens from another thread makes another.
 *
 * <p>The calls on the data path ({@code recvmsg}, {@code sendmsg}, {@code accept4}, {@code fcntl}, {@code close}) are
 * linked {@linkplain Linker.Option#critical(boolean) critical}: on non-blocking sockets they return in microseconds,
 * and skipping the thread-state transition is measurable at that scale. Blocking-capable or rare calls are not.
 *
 * <p>Constants are the Linux values shared by x86-64 and aarch64 (the generic socket ABI).
 */
@SuppressWarnings("restricted") // native access is the point of this class; the build enables it for the module
final class Syscalls {
    static final int AF_UNIX = 1;
    static final int SOCK_STREAM = 1;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_NONBLOCK = 0x800;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOMAXCONN = 4096;

    static final int SOL_SOCKET = 1;
    static final int SO_TYPE = 3;
    static final int SO_PEERCRED = 17;
    static final int SO_ACCEPTCONN = 30;
    static final int SO_RCVTIMEO = 20;
    static final int SO_SNDTIMEO = 21;
    static final int SO_PEERSEC = 31;
    static final int SO_PEERGROUPS = 59;
    static final int SCM_RIGHTS = 1;

    static final int MSG_CTRUNC = 0x8;
    static final int MSG_DONTWAIT = 0x40;
    static final int MSG_NOSIGNAL = 0x4000;
    static final int MSG_CMSG_CLOEXEC = 0x40000000;

    static final int F_SETFD = 2;
    static final int F_GETFL = 3;
    static final int F_SETFL = 4;
    static final int F_DUPFD_CLOEXEC = 1030;
    static final int FD_CLOEXEC = 1;
    static final int O_NONBLOCK = 0x800;

    /** The kernel's limit of descriptors in one {@code SCM_RIGHTS} message ({@code SCM_MAX_FD}). */
    static final int SCM_MAX_FD = 253;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_OPTION = Linker.Option.captureCallState("errno");
    private static final Linker.Option CRITICAL = Linker.Option.critical(false);
    private static final AddressLayout POINTER = ADDRESS;

    private static final MethodHandle SOCKET = bind("socket", false, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle BIND = bind("bind", false, JAVA_INT, JAVA_INT, POINTER, JAVA_INT);
    private static final MethodHandle LISTEN = bind("listen", false, JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle ACCEPT4 = bind("accept4", true, JAVA_INT, JAVA_INT, POINTER, POINTER, JAVA_INT);
    private static final MethodHandle RECVMSG = bind("recvmsg", true, JAVA_LONG, JAVA_INT, POINTER, JAVA_INT);
    private static final MethodHandle SENDMSG = bind("sendmsg", true, JAVA_LONG, JAVA_INT, POINTER, JAVA_INT);
    private static final MethodHandle SENDTO =
            bind("sendto", false, JAVA_LONG, JAVA_INT, POINTER, JAVA_LONG, JAVA_INT, POINTER, JAVA_INT);
    private static final MethodHandle CLOSE = bind("close", true, JAVA_INT, JAVA_INT);
    private static final MethodHandle GETSOCKOPT =
            bind("getsockopt", false, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, POINTER, POINTER);
    private static final MethodHandle GETSOCKNAME = bind("getsockname", false, JAVA_INT, JAVA_INT, POINTER, POINTER);
    // Non-critical twins, for calls that may block (the live upgrade's hand-over channel): a critical downcall
    // keeps the thread in Java state, and a blocked one would hold up every safepoint.
    private static final MethodHandle RECVMSG_BLOCKING =
            bind("recvmsg", false, JAVA_LONG, JAVA_INT, POINTER, JAVA_INT);
    private static final MethodHandle SENDMSG_BLOCKING =
            bind("sendmsg", false, JAVA_LONG, JAVA_INT, POINTER, JAVA_INT);
    private static final MethodHandle ACCEPT4_BLOCKING =
            bind("accept4", false, JAVA_INT, JAVA_INT, POINTER, POINTER, JAVA_INT);
    private static final MethodHandle CONNECT = bind("connect", false, JAVA_INT, JAVA_INT, POINTER, JAVA_INT);
    private static final MethodHandle SETSOCKOPT =
            bind("setsockopt", false, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, POINTER, JAVA_INT);
    private static final MethodHandle UNLINK = bind("unlink", false, JAVA_INT, POINTER);
    private static final MethodHandle CHMOD = bind("chmod", false, JAVA_INT, POINTER, JAVA_INT);
    // fcntl is variadic: the third argument is passed as a C long, which is what glibc reads back with va_arg.
    private static final MethodHandle FCNTL = LINKER.downcallHandle(LIBC.findOrThrow("fcntl"),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG),
            Linker.Option.firstVariadicArg(2), ERRNO_OPTION, CRITICAL);
    private static final MethodHandle MALLOC = LINKER.downcallHandle(LIBC.findOrThrow("malloc"),
            FunctionDescriptor.of(POINTER, JAVA_LONG));
    private static final MethodHandle FREE = LINKER.downcallHandle(LIBC.findOrThrow("free"),
            FunctionDescriptor.ofVoid(POINTER));

    /** Where the errno of the last failed call lands; read only by the thread that made the call. */
    private final MemorySegment callState = Arena.ofAuto().allocate(CAPTURE_LAYOUT);

    private static MethodHandle bind(String name, boolean critical, ValueLayout result, MemoryLayout... args) {
        FunctionDescriptor descriptor = FunctionDescriptor.of(result, args);
        return critical
                ? LINKER.downcallHandle(LIBC.findOrThrow(name), descriptor, ERRNO_OPTION, CRITICAL)
                : LINKER.downcallHandle(LIBC.findOrThrow(name), descriptor, ERRNO_OPTION);
    }

    private int errno() {
        return (int) ERRNO.get(callState, 0L);
    }

    private int check(int result) {
        return result >= 0 ? result : -errno();
    }

    private long check(long result) {
        return result >= 0 ? result : -errno();
    }

    private static IllegalStateException linkageBug(Throwable t) {
        return new IllegalStateException("native call failed to run", t);
    }

    int socket(int domain, int type, int protocol) {
        try {
            return check((int) SOCKET.invokeExact(callState, domain, type, protocol));
        } catch (Throwable t) {
            throw linkageBug(t);
        }
    }

    int bind(int fd, MemorySegment address, int addressLength) {
        try {
            return check((int) BIND.invokeExact(callState, fd, address, addressLength));
        } catch (Throwable t) {
            throw linkageBug(t);
        }
    }

    int listen(int fd, int backlog) {
        try {
            return check((int) LISTEN.invokeExact(callState, fd, backlog));
        } catch (Throwable t) {
            throw linkageBug(t);
        }
    }

    /** {@code accept4} without asking for the peer's address (a unix peer's address says nothing useful). */
    int accept4(int fd, int flags) {
        try {
            return check((int) ACCEPT4.invokeExact(callState, fd, MemorySegment.NULL, MemorySegment.NULL, flags));
        } catch (Throwable t) {
            throw linkageBug(t);
        }
    }

    /** {@code recvmsg} that may block (see {@code RECVMSG_BLOCKING}). */
    long recvmsgBlocking(int fd, MemorySegment msghdr, int flags) {
        try {
            return check((long) RECVMSG_BLOCKING.invokeExact(callState, fd, msghdr, flags));
        } catch (Throwable t) {
            throw linkageBug(t);
        }
    }

    /** {@code sendmsg} that may block. */
    long sendmsgBlocking(int fd, MemorySegment msghdr, int flags) {
        try {
            return check((long) SENDMSG_BLOCKING.invokeExact(callState, fd, msghdr, flags));
        } catch (Throwable t) {
            throw linkageBug(t);
        }
    }

    /** {@code accept4} that may block. */
    int accept4Blocking(int fd, int flags) {
        try {
            return check((int) ACCEPT4_BLOCKING.invokeExact(callState, fd, MemorySegment.NULL, MemorySegment.NULL,
                    flags));
        } catch (Throwable t) {
            throw linkageBug(t);
        }
    }

    int connect(int fd, MemorySegment address, int addressLength) {
        try {
            return check((int) CONNECT.invokeExact(callState, fd, address, addressLength));
        } catch (Throwable t) {
            throw linkageBug(t);
        }
    }

    int setsockopt(int fd, int level, int option, MemorySegment value, int valueLength) {
        try {
            return check((int) SETSOCKOPT.invokeExact(callState, fd, level, option, value, valueLength));
        } catch (Throwable t) {
            throw linkageBug(t);
        }
    }

    long recvmsg(int fd, MemorySegment msghdr, int flags) {
        try {
            return check((long) RECVMSG.invokeExact(callState, fd, msghdr, flags));
        } catch (Throwable t) {
            throw linkageBug(t);
        }
    }

    long sendmsg(int fd, MemorySegment msghdr, int flags) {
        try {
            return check((long) SENDMSG.invokeExact(callState, fd, msghdr, flags));
        } catch (Throwable t) {
            throw linkageBug(t);
        }
    }

    long sendto(int fd, MemorySegment buffer, long length, int flags, MemorySegment address, int addressLength) {
        try {
            return check((long) SENDTO.invokeExact(callState, fd, buffer, length, flags, address, addressLength));
        } catch (Throwable t) {
            throw linkageBug(t);
        }
    }

    int close(int fd) {
        try {
            return check((int) CLOSE.invokeExact(callState, fd));
        } catch (Throwable t) {
            throw linkageBug(t);
        }
    }

    int fcntl(int fd, int command, long argument) {
        try {
            return check((int) FCNTL.invokeExact(callState, fd, command, argument));
        } catch (Throwable t) {
            throw linkageBug(t);
        }
    }

    /** A close-on-exec duplicate numbered 3 or above, so that it can never land on stdin, stdout or stderr. */
    int dupCloexec(int fd) {
        return fcntl(fd, F_DUPFD_CLOEXEC, 3);
    }

    int getsockopt(int fd, int level, int option, MemorySegment value, MemorySegment valueLength) {
        try {
            return check((int) GETSOCKOPT.invokeExact(callState, fd, level, option, value, valueLength));
        } catch (Throwable t) {
            throw linkageBug(t);
        }
    }

    int getsockname(int fd, MemorySegment address, MemorySegment addressLength) {
        try {
            return check((int) GETSOCKNAME.invokeExact(callState, fd, address, addressLength));
        } catch (Throwable t) {
            throw linkageBug(t);
        }
    }

    int unlink(MemorySegment path) {
        try {
            return check((int) UNLINK.invokeExact(callState, path));
        } catch (Throwable t) {
            throw linkageBug(t);
        }
    }

    int chmod(MemorySegment path, int mode) {
        try {
            return check((int) CHMOD.invokeExact(callState, path, mode));
        } catch (Throwable t) {
            throw linkageBug(t);
        }
    }

    /** {@code malloc}; returns a segment of exactly {@code size} bytes, or {@link MemorySegment#NULL} if it failed. */
    static MemorySegment malloc(long size) {
        try {
            MemorySegment raw = (MemorySegment) MALLOC.invokeExact(size);
            return raw.equals(MemorySegment.NULL) ? MemorySegment.NULL : raw.reinterpret(size);
        } catch (Throwable t) {
            throw linkageBug(t);
        }
    }

    static void free(MemorySegment memory) {
        try {
            FREE.invokeExact(memory);
        } catch (Throwable t) {
            throw linkageBug(t);
        }
    }
}
