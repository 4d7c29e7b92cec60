package org.capbus.adapters.transport;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * The service-manager notification of {@code sd_notify(3)}: one datagram of {@code KEY=VALUE} lines sent to the unix
 * socket named by {@code $NOTIFY_SOCKET} (a path, or an abstract name written with a leading {@code @}). A
 * {@code Type=notify} unit is started once the daemon sends {@code READY=1}, which is how dbus-daemon's and
 * dbus-broker's units order clients after the bus; capbus's units do the same. Stateless; called off the event loop,
 * a few times per process.
 */
public final class SystemdNotifier {
    /** The variable systemd sets for a service that may notify. */
    public static final String NOTIFY_SOCKET = "NOTIFY_SOCKET";

    /** What {@link #notify} did. */
    public enum Result {
        /** The datagram was sent. */
        SENT,
        /** {@code $NOTIFY_SOCKET} is unset or empty: not started by a service manager that listens. */
        NOT_REQUESTED,
        /** The socket could not be reached (or the name is too long for {@code sockaddr_un}). */
        FAILED
    }

    private SystemdNotifier() {
    }

    /** Sends {@code state} (e.g. {@code "READY=1"}) to {@code $NOTIFY_SOCKET}. */
    public static Result notify(String state) {
        return notify(System.getenv(NOTIFY_SOCKET), state);
    }

    /** Sends {@code state} to the socket {@code notifySocket} names (as {@code $NOTIFY_SOCKET} would). */
    public static Result notify(String notifySocket, String state) {
        if (notifySocket == null || notifySocket.isEmpty()) {
            return Result.NOT_REQUESTED;
        }
        // sd_notify accepts "@name" for the abstract namespace; everything else must be an absolute path.
        boolean abstractName = notifySocket.charAt(0) == '@';
        if (!abstractName && notifySocket.charAt(0) != '/') {
            return Result.FAILED;
        }
        String name = abstractName ? notifySocket.substring(1) : notifySocket;
        Syscalls syscalls = new Syscalls();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address;
            try {
                address = SockaddrUn.encode(arena, abstractName, name);
            } catch (IllegalArgumentException e) {
                return Result.FAILED;
            }
            // The segment is exactly the address length: an abstract name must not carry a terminator.
            int addressLength = (int) address.byteSize();
            byte[] bytes = state.getBytes(StandardCharsets.UTF_8);
            MemorySegment payload = arena.allocateFrom(JAVA_BYTE, bytes);
            int fd = syscalls.socket(Syscalls.AF_UNIX, Syscalls.SOCK_DGRAM | Syscalls.SOCK_CLOEXEC, 0);
            if (fd < 0) {
                return Result.FAILED;
            }
            try {
                long sent = syscalls.sendto(fd, payload, bytes.length, Syscalls.MSG_NOSIGNAL, address, addressLength);
                return sent == bytes.length ? Result.SENT : Result.FAILED;
            } finally {
                syscalls.close(fd);
            }
        }
    }
}
