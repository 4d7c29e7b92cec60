package org.capbus.dbus.io;

/**
 * The credentials of the process at the other end of a unix socket, read once at accept
 * ({@code SO_PEERCRED}, and {@code SO_PEERGROUPS} where the kernel has it).
 *
 * @param uid    user id
 * @param gid    primary group id
 * @param pid    process id (0 if unknown)
 * @param groups supplementary groups, or an empty array if unknown
 * @param securityLabel the LSM label ({@code SO_PEERSEC}), or null if none
 */
public record PeerCredentials(long uid, long gid, long pid, long[] groups, byte[] securityLabel) {
}
