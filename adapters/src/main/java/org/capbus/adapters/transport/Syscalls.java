package org.capbus.adapters.transport;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.lang.ref.Reference;

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
 * <p>Every function is bound with one and the same C signature, {@code long f(long, long, long, long, long, long)}:
 * ints are widened, pointers passed as addresses, unused arguments as 0, and an {@code int} result is read from the
 * low 32 bits. The JDK generates and links a new stub class for each distinct signature (measured: ~12 ms of CPU each
 * at start-up, ~100 ms for the fifteen signatures these calls used to have, with or without the AOT cache); with one
 * signature it does that twice (critical or not). This is exact on the LP64 Linux ABIs the bus runs on (x86-64 System
 * V and AAPCS64): the first six integer or pointer arguments travel in 64-bit registers, a callee reads only the
 * registers it declares, and the caller owns the rest. A segment passed by address is kept reachable until the call
 * returns ({@link Reference#reachabilityFence}), as the JDK does for segment arguments.
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
    /**
     * The one C signature every function is bound with: six {@code long} arguments, a {@code long} result. See the
     * class comment for why; {@link #call} and {@link #fast} widen the real arguments to it.
     */
    private static final FunctionDescriptor ANY_CALL = FunctionDescriptor.of(JAVA_LONG,
            JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG);

    private static final MethodHandle SOCKET = bind("socket", false);
    private static final MethodHandle BIND = bind("bind", false);
    private static final MethodHandle LISTEN = bind("listen", false);
    private static final MethodHandle ACCEPT4 = bind("accept4", true);
    private static final MethodHandle RECVMSG = bind("recvmsg", true);
    private static final MethodHandle SENDMSG = bind("sendmsg", true);
    private static final MethodHandle SENDTO = bind("sendto", false);
    private static final MethodHandle CLOSE = bind("close", true);
    private static final MethodHandle GETSOCKOPT = bind("getsockopt", false);
    private static final MethodHandle GETSOCKNAME = bind("getsockname", false);
    // Non-critical twins, for calls that may block (the live upgrade's hand-over channel): a critical downcall
    // keeps the thread in Java state, and a blocked one would hold up every safepoint.
    private static final MethodHandle RECVMSG_BLOCKING = bind("recvmsg", false);
    private static final MethodHandle SENDMSG_BLOCKING = bind("sendmsg", false);
    private static final MethodHandle ACCEPT4_BLOCKING = bind("accept4", false);
    private static final MethodHandle CONNECT = bind("connect", false);
    private static final MethodHandle SETSOCKOPT = bind("setsockopt", false);
    private static final MethodHandle UNLINK = bind("unlink", false);
    private static final MethodHandle CHMOD = bind("chmod", false);
    // fcntl is variadic: its third argument is read back with va_arg as a C long, which is what it gets here; the
    // x86-64 ABI's vector-register count (%al) is set by the JDK's stub for every call, variadic or not.
    private static final MethodHandle FCNTL = bind("fcntl", true);
    private static final MethodHandle MALLOC = bind("malloc", false);
    private static final MethodHandle FREE = bind("free", false);

    /** Where the errno of the last failed call lands; read only by the thread that made the call. */
    private final MemorySegment callState = Arena.ofAuto().allocate(CAPTURE_LAYOUT);

    /** malloc and free capture errno too (unused): one instance for them, as they are called from the loop only. */
    private static final MemorySegment ALLOCATOR_STATE = Arena.global().allocate(CAPTURE_LAYOUT);

    private static MethodHandle bind(String name, boolean critical) {
        return critical
                ? LINKER.downcallHandle(LIBC.findOrThrow(name), ANY_CALL, ERRNO_OPTION, CRITICAL)
                : LINKER.downcallHandle(LIBC.findOrThrow(name), ANY_CALL, ERRNO_OPTION);
    }

    /**
     * {@code send} with its buffer on the Java heap: linked critical with heap access, so the kernel copies straight
     * from a {@code byte[]} (the collector waits for the call). Its own signature, bound on first use: only large
     * message bodies take this path.
     */
    private static final class HeapSend {
        static final MethodHandle SEND = LINKER.downcallHandle(LIBC.findOrThrow("send"),
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT),
                ERRNO_OPTION, Linker.Option.critical(true));
    }

    /**
     * {@code recv} into the Java heap, as {@link HeapSend} sends from it: the kernel copies straight into a
     * {@code byte[]}. Bound on first use: only the rest of large messages is read this way.
     */
    private static final class HeapRecv {
        static final MethodHandle RECV = LINKER.downcallHandle(LIBC.findOrThrow("recv"),
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT),
                ERRNO_OPTION, Linker.Option.critical(true));
    }

    /** {@code socketpair}, bound on first use: only the live upgrade's rehearsal (a new process) makes pairs. */
    private static final class SocketPair {
        static final MethodHandle SOCKETPAIR = bind("socketpair", false);
    }

    /**
     * Binds the heap {@code send} and {@code recv} now (see {@link TransportPreparation}), so that the first large
     * message does not stall the event loop while the JDK generates their stubs.
     */
    static void prepareHeapCalls() {
        MethodHandle send = HeapSend.SEND;
        MethodHandle recv = HeapRecv.RECV;
        Reference.reachabilityFence(send);
        Reference.reachabilityFence(recv);
    }

    private static long call(MethodHandle function, MemorySegment state, long a, long b, long c, long d, long e,
                             long f) {
        try {
            return (long) function.invokeExact(state, a, b, c, d, e, f);
        } catch (Throwable t) {
            throw linkageBug(t);
        }
    }

    private int errno() {
        return (int) ERRNO.get(callState, 0L);
    }

    /** For functions returning a C {@code int}: only the low 32 bits of the result register are defined. */
    private int checkInt(long result) {
        int value = (int) result;
        return value >= 0 ? value : -errno();
    }

    /** For functions returning {@code ssize_t}. */
    private long check(long result) {
        return result >= 0 ? result : -errno();
    }

    private static IllegalStateException linkageBug(Throwable t) {
        return new IllegalStateException("native call failed to run", t);
    }

    int socket(int domain, int type, int protocol) {
        return checkInt(call(SOCKET, callState, domain, type, protocol, 0, 0, 0));
    }

    /** Two connected unix stream sockets, non-blocking and close-on-exec, into {@code pair}; 0 or -errno. */
    int socketPair(int[] pair) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            int result = checkInt(call(SocketPair.SOCKETPAIR, callState, AF_UNIX,
                    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds.address(), 0, 0));
            pair[0] = fds.getAtIndex(JAVA_INT, 0);
            pair[1] = fds.getAtIndex(JAVA_INT, 1);
            return result;
        }
    }

    int bind(int fd, MemorySegment address, int addressLength) {
        int result = checkInt(call(BIND, callState, fd, address.address(), addressLength, 0, 0, 0));
        Reference.reachabilityFence(address);
        return result;
    }

    int listen(int fd, int backlog) {
        return checkInt(call(LISTEN, callState, fd, backlog, 0, 0, 0, 0));
    }

    /** {@code accept4} without asking for the peer's address (a unix peer's address says nothing useful). */
    int accept4(int fd, int flags) {
        return checkInt(call(ACCEPT4, callState, fd, 0, 0, flags, 0, 0));
    }

    /** {@code recvmsg} that may block (see {@code RECVMSG_BLOCKING}). */
    long recvmsgBlocking(int fd, MemorySegment msghdr, int flags) {
        long result = check(call(RECVMSG_BLOCKING, callState, fd, msghdr.address(), flags, 0, 0, 0));
        Reference.reachabilityFence(msghdr);
        return result;
    }

    /** {@code sendmsg} that may block. */
    long sendmsgBlocking(int fd, MemorySegment msghdr, int flags) {
        long result = check(call(SENDMSG_BLOCKING, callState, fd, msghdr.address(), flags, 0, 0, 0));
        Reference.reachabilityFence(msghdr);
        return result;
    }

    /** {@code accept4} that may block. */
    int accept4Blocking(int fd, int flags) {
        return checkInt(call(ACCEPT4_BLOCKING, callState, fd, 0, 0, flags, 0, 0));
    }

    int connect(int fd, MemorySegment address, int addressLength) {
        int result = checkInt(call(CONNECT, callState, fd, address.address(), addressLength, 0, 0, 0));
        Reference.reachabilityFence(address);
        return result;
    }

    int setsockopt(int fd, int level, int option, MemorySegment value, int valueLength) {
        int result = checkInt(call(SETSOCKOPT, callState, fd, level, option, value.address(), valueLength, 0));
        Reference.reachabilityFence(value);
        return result;
    }

    long recvmsg(int fd, MemorySegment msghdr, int flags) {
        long result = check(call(RECVMSG, callState, fd, msghdr.address(), flags, 0, 0, 0));
        Reference.reachabilityFence(msghdr);
        return result;
    }

    long sendmsg(int fd, MemorySegment msghdr, int flags) {
        long result = check(call(SENDMSG, callState, fd, msghdr.address(), flags, 0, 0, 0));
        Reference.reachabilityFence(msghdr);
        return result;
    }

    long sendto(int fd, MemorySegment buffer, long length, int flags, MemorySegment address, int addressLength) {
        long result = check(call(SENDTO, callState, fd, buffer.address(), length, flags, address.address(),
                addressLength));
        Reference.reachabilityFence(buffer);
        Reference.reachabilityFence(address);
        return result;
    }

    /**
     * {@code recv} of at most {@code length} bytes into {@code array[offset, ...)}, written by the kernel in place.
     * It has no room for descriptors: any arriving with those bytes are closed by the kernel, unseen (the caller
     * reads this way only where none may rightly arrive).
     */
    long recvHeap(int fd, byte[] array, int offset, int length, int flags) {
        MemorySegment bytes = MemorySegment.ofArray(array).asSlice(offset, length);
        try {
            return check((long) HeapRecv.RECV.invokeExact(callState, fd, bytes, (long) length, flags));
        } catch (Throwable t) {
            throw linkageBug(t);
        }
    }

    /** {@code send} of {@code array[offset, offset + length)}, read by the kernel in place. */
    long sendHeap(int fd, byte[] array, int offset, int length, int flags) {
        MemorySegment bytes = MemorySegment.ofArray(array).asSlice(offset, length);
        try {
            return check((long) HeapSend.SEND.invokeExact(callState, fd, bytes, (long) length, flags));
        } catch (Throwable t) {
            throw linkageBug(t);
        }
    }

    int close(int fd) {
        return checkInt(call(CLOSE, callState, fd, 0, 0, 0, 0, 0));
    }

    int fcntl(int fd, int command, long argument) {
        return checkInt(call(FCNTL, callState, fd, command, argument, 0, 0, 0));
    }

    /** A close-on-exec duplicate numbered 3 or above, so that it can never land on stdin, stdout or stderr. */
    int dupCloexec(int fd) {
        return fcntl(fd, F_DUPFD_CLOEXEC, 3);
    }

    int getsockopt(int fd, int level, int option, MemorySegment value, MemorySegment valueLength) {
        int result = checkInt(call(GETSOCKOPT, callState, fd, level, option, value.address(), valueLength.address(), 0));
        Reference.reachabilityFence(value);
        Reference.reachabilityFence(valueLength);
        return result;
    }

    int getsockname(int fd, MemorySegment address, MemorySegment addressLength) {
        int result = checkInt(call(GETSOCKNAME, callState, fd, address.address(), addressLength.address(), 0, 0, 0));
        Reference.reachabilityFence(address);
        Reference.reachabilityFence(addressLength);
        return result;
    }

    int unlink(MemorySegment path) {
        int result = checkInt(call(UNLINK, callState, path.address(), 0, 0, 0, 0, 0));
        Reference.reachabilityFence(path);
        return result;
    }

    int chmod(MemorySegment path, int mode) {
        int result = checkInt(call(CHMOD, callState, path.address(), mode, 0, 0, 0, 0));
        Reference.reachabilityFence(path);
        return result;
    }

    /** {@code malloc}; returns a segment of exactly {@code size} bytes, or {@link MemorySegment#NULL} if it failed. */
    static MemorySegment malloc(long size) {
        long raw = call(MALLOC, ALLOCATOR_STATE, size, 0, 0, 0, 0, 0);
        return raw == 0 ? MemorySegment.NULL : MemorySegment.ofAddress(raw).reinterpret(size);
    }

    static void free(MemorySegment memory) {
        call(FREE, ALLOCATOR_STATE, memory.address(), 0, 0, 0, 0, 0);
    }
}
