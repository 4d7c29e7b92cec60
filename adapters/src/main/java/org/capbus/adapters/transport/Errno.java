package org.capbus.adapters.transport;

/**
 * The Linux {@code errno} values the transport acts on, and a printable name for log lines. Syscall wrappers in
 * {@link Syscalls} return {@code -errno} on failure, so callers compare against the negated constants.
 */
final class Errno {
    static final int EINTR = 4;
    static final int EBADF = 9;
    static final int EAGAIN = 11;
    static final int ENOMEM = 12;
    static final int EACCES = 13;
    static final int EEXIST = 17;
    static final int EINVAL = 22;
    static final int ENFILE = 23;
    static final int EMFILE = 24;
    static final int EPIPE = 32;
    static final int ERANGE = 34;
    static final int ENOENT = 2;
    static final int EPROTO = 71;
    static final int ENOTSOCK = 88;
    static final int ENOPROTOOPT = 92;
    static final int EADDRINUSE = 98;
    static final int ECONNABORTED = 103;
    static final int ECONNRESET = 104;
    static final int ENOBUFS = 105;
    static final int ETOOMANYREFS = 109;

    private Errno() {
    }

    /** A readable form of a (positive or negated) errno value, for log and exception messages only. */
    static String describe(int errno) {
        int e = Math.abs(errno);
        String name = switch (e) {
            case ENOENT -> "ENOENT";
            case EINTR -> "EINTR";
            case EBADF -> "EBADF";
            case EAGAIN -> "EAGAIN";
            case ENOMEM -> "ENOMEM";
            case EACCES -> "EACCES";
            case EEXIST -> "EEXIST";
            case EINVAL -> "EINVAL";
            case ENFILE -> "ENFILE";
            case EMFILE -> "EMFILE";
            case EPIPE -> "EPIPE";
            case ERANGE -> "ERANGE";
            case EPROTO -> "EPROTO";
            case ENOTSOCK -> "ENOTSOCK";
            case ENOPROTOOPT -> "ENOPROTOOPT";
            case EADDRINUSE -> "EADDRINUSE";
            case ECONNABORTED -> "ECONNABORTED";
            case ECONNRESET -> "ECONNRESET";
            case ENOBUFS -> "ENOBUFS";
            case ETOOMANYREFS -> "ETOOMANYREFS";
            default -> "errno";
        };
        return name + " (" + e + ")";
    }
}
