package org.capbus.adapters.transport;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import org.capbus.dbus.io.PeerCredentials;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Reads the credentials of the process at the other end of a connected unix socket, once at accept, on the event
 * loop: {@code SO_PEERCRED} (pid, uid, gid as of {@code connect}), {@code SO_PEERGROUPS} (Linux 4.13+) and
 * {@code SO_PEERSEC} (the LSM label, where an LSM provides one). Owns a small scratch buffer that grows to the
 * largest answer seen.
 */
final class PeerCredentialsReader {
    private static final long[] NO_GROUPS = new long[0];
    private static final int UCRED_SIZE = 12;

    private final Syscalls syscalls;
    private final Arena arena;
    private final MemorySegment length;
    private MemorySegment scratch;

    PeerCredentialsReader(Syscalls syscalls, Arena arena) {
        this.syscalls = syscalls;
        this.arena = arena;
        this.length = arena.allocate(JAVA_INT);
        this.scratch = arena.allocate(1024, 8);
    }

    /** The peer's credentials, or null if the socket has none ({@code SO_PEERCRED} failed: not a unix socket). */
    PeerCredentials read(int fd) {
        length.set(JAVA_INT, 0, UCRED_SIZE);
        if (syscalls.getsockopt(fd, Syscalls.SOL_SOCKET, Syscalls.SO_PEERCRED, scratch, length) < 0) {
            return null;
        }
        long pid = Integer.toUnsignedLong(scratch.get(JAVA_INT, 0));
        long uid = Integer.toUnsignedLong(scratch.get(JAVA_INT, 4));
        long gid = Integer.toUnsignedLong(scratch.get(JAVA_INT, 8));
        return new PeerCredentials(uid, gid, pid, groups(fd), securityLabel(fd));
    }

    private long[] groups(int fd) {
        int size = option(fd, Syscalls.SO_PEERGROUPS);
        if (size <= 0) {
            return NO_GROUPS;
        }
        long[] groups = new long[size / 4];
        for (int i = 0; i < groups.length; i++) {
            groups[i] = Integer.toUnsignedLong(scratch.get(JAVA_INT, 4L * i));
        }
        return groups;
    }

    /**
     * The label as dbus-daemon keeps it: one trailing NUL dropped (some LSMs count it, others not); a label with an
     * embedded NUL is ignored, as dbus-daemon does, since no consumer could tell where it ends.
     */
    private byte[] securityLabel(int fd) {
        int size = option(fd, Syscalls.SO_PEERSEC);
        if (size <= 0) {
            return null;
        }
        byte[] label = scratch.asSlice(0, size).toArray(JAVA_BYTE);
        int end = label[size - 1] == 0 ? size - 1 : size;
        for (int i = 0; i < end; i++) {
            if (label[i] == 0) {
                return null;
            }
        }
        return end == 0 ? null : Arrays.copyOf(label, end);
    }

    /** getsockopt into {@code scratch}, growing it on {@code ERANGE}; the answer's length, or -1 if unavailable. */
    private int option(int fd, int option) {
        for (int attempt = 0; attempt < 4; attempt++) {
            length.set(JAVA_INT, 0, (int) scratch.byteSize());
            int result = syscalls.getsockopt(fd, Syscalls.SOL_SOCKET, option, scratch, length);
            if (result >= 0) {
                return length.get(JAVA_INT, 0);
            }
            if (result != -Errno.ERANGE) {
                return -1; // ENOPROTOOPT: older kernel, or no LSM label
            }
            long wanted = Math.max(length.get(JAVA_INT, 0), scratch.byteSize() * 2);
            scratch = arena.allocate(wanted, 8);
        }
        return -1;
    }
}
