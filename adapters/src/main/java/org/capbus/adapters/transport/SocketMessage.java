package org.capbus.adapters.transport;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A flyweight over one native {@code struct msghdr}, its single {@code struct iovec} and a control buffer: the
 * argument of one {@code recvmsg} or {@code sendmsg}. The event loop owns two (one for reads, one for writes) and
 * reuses them for every connection, so no call allocates.
 *
 * <pre>
 *  offset  struct msghdr (LP64 Linux)          struct iovec at 64        control buffer at 80
 *   0      void   *msg_name        = NULL        0  void  *iov_base        cmsghdr, cmsghdr, ...
 *   8      int     msg_namelen     = 0 (+pad)    8  size_t iov_len
 *  16      iovec  *msg_iov         -&gt; 64
 *  24      size_t  msg_iovlen      = 1          struct cmsghdr
 *  32      void   *msg_control     -&gt; 80          0  size_t cmsg_len   (header + data, unaligned)
 *  40      size_t  msg_controllen                  8  int    cmsg_level (SOL_SOCKET)
 *  48      int     msg_flags       (+pad)         12  int    cmsg_type  (SCM_RIGHTS)
 *                                                 16  data: int fds[]; next header at CMSG_ALIGN(cmsg_len)
 * </pre>
 */
final class SocketMessage {
    private static final long MSG_IOV = 16;
    private static final long MSG_IOVLEN = 24;
    private static final long MSG_CONTROL = 32;
    private static final long MSG_CONTROLLEN = 40;
    private static final long MSG_FLAGS = 48;
    private static final long IOV = 64;
    private static final long IOV_BASE = IOV;
    private static final long IOV_LEN = IOV + 8;
    private static final long CONTROL = 80;

    private static final long CMSG_HEADER = 16;
    private static final long CMSG_LEVEL = 8;
    private static final long CMSG_TYPE = 12;

    /** {@code CMSG_SPACE(SCM_MAX_FD * sizeof(int))}: room for the largest descriptor set the kernel passes. */
    static final int MAX_FDS_CONTROL_SPACE = cmsgSpace(Syscalls.SCM_MAX_FD * 4);

    private final MemorySegment memory;
    private final int controlCapacity;

    /**
     * @param arena           owns the native memory; lives as long as the event loop
     * @param controlCapacity bytes of control buffer
     */
    SocketMessage(Arena arena, int controlCapacity) {
        this.controlCapacity = controlCapacity;
        this.memory = arena.allocate(CONTROL + controlCapacity, 8);
        memory.set(JAVA_LONG, MSG_IOV, memory.address() + IOV);
        memory.set(JAVA_LONG, MSG_IOVLEN, 1);
        memory.set(JAVA_LONG, MSG_CONTROL, memory.address() + CONTROL);
    }

    static int cmsgAlign(int length) {
        return (length + 7) & ~7;
    }

    static int cmsgSpace(int dataLength) {
        return (int) CMSG_HEADER + cmsgAlign(dataLength);
    }

    /** The segment to pass to {@code recvmsg}/{@code sendmsg}. */
    MemorySegment header() {
        return memory;
    }

    /** Prepares a {@code recvmsg} into {@code [address, address + length)} with the whole control buffer. */
    void prepareReceive(long address, long length) {
        memory.set(JAVA_LONG, IOV_BASE, address);
        memory.set(JAVA_LONG, IOV_LEN, length);
        memory.set(JAVA_LONG, MSG_CONTROLLEN, controlCapacity);
        memory.set(JAVA_INT, MSG_FLAGS, 0);
    }

    /**
     * Prepares a {@code sendmsg} of {@code [address, address + length)}, carrying {@code fdCount} descriptors from
     * {@code fds[fdOffset..]} in one {@code SCM_RIGHTS} control message when {@code fdCount > 0}.
     */
    void prepareSend(long address, long length, int[] fds, int fdOffset, int fdCount) {
        memory.set(JAVA_LONG, IOV_BASE, address);
        memory.set(JAVA_LONG, IOV_LEN, length);
        memory.set(JAVA_INT, MSG_FLAGS, 0);
        if (fdCount == 0) {
            memory.set(JAVA_LONG, MSG_CONTROLLEN, 0);
            return;
        }
        int dataLength = fdCount * 4;
        memory.set(JAVA_LONG, CONTROL, CMSG_HEADER + dataLength);
        memory.set(JAVA_INT, CONTROL + CMSG_LEVEL, Syscalls.SOL_SOCKET);
        memory.set(JAVA_INT, CONTROL + CMSG_TYPE, Syscalls.SCM_RIGHTS);
        MemorySegment.copy(fds, fdOffset, memory, JAVA_INT, CONTROL + CMSG_HEADER, fdCount);
        memory.set(JAVA_LONG, MSG_CONTROLLEN, cmsgSpace(dataLength));
    }

    /** The {@code msg_flags} the kernel set on the last {@code recvmsg} ({@code MSG_CTRUNC} matters). */
    int flags() {
        return memory.get(JAVA_INT, MSG_FLAGS);
    }

    /**
     * Copies every descriptor of every {@code SCM_RIGHTS} control message the last {@code recvmsg} returned into
     * {@code out}, in order. Descriptors that do not fit are closed (cannot happen with an {@code out} of
     * {@link Syscalls#SCM_MAX_FD} entries, as one {@code recvmsg} on a stream socket never returns more).
     *
     * @return how many descriptors were stored in {@code out}
     */
    int takeFds(int[] out, Syscalls syscalls) {
        long controlLength = memory.get(JAVA_LONG, MSG_CONTROLLEN);
        int count = 0;
        long offset = 0;
        while (offset + CMSG_HEADER <= controlLength) {
            long cmsgLength = memory.get(JAVA_LONG, CONTROL + offset);
            if (cmsgLength < CMSG_HEADER || offset + cmsgLength > controlLength) {
                break;
            }
            if (memory.get(JAVA_INT, CONTROL + offset + CMSG_LEVEL) == Syscalls.SOL_SOCKET
                    && memory.get(JAVA_INT, CONTROL + offset + CMSG_TYPE) == Syscalls.SCM_RIGHTS) {
                int n = (int) ((cmsgLength - CMSG_HEADER) / 4);
                for (int i = 0; i < n; i++) {
                    int fd = memory.get(JAVA_INT, CONTROL + offset + CMSG_HEADER + 4L * i);
                    if (count < out.length) {
                        out[count++] = fd;
                    } else {
                        syscalls.close(fd);
                    }
                }
            }
            offset += cmsgAlign((int) cmsgLength);
        }
        return count;
    }
}
