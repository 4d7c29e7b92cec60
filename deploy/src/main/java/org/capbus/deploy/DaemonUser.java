package org.capbus.deploy;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

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

/**
 * The user the configuration's {@code <user>} names, which the bus runs as once its sockets are bound: looked up
 * with {@code getpwnam(3)} (so NSS users count, as for dbus-daemon) and become with {@code setgroups(0, NULL)},
 * {@code setgid}, {@code setuid}, the order of dbus-daemon's {@code _dbus_change_to_daemon_user} (the group first,
 * while the process may still change it; no supplementary groups kept). glibc applies each of these to every thread
 * of the process, so the JVM's and netty's threads change with the one that calls. Used once, by {@link Daemon} at
 * start-up; not thread-safe ({@code getpwnam} returns static storage), which start-up does not need.
 *
 * @param name the user name as configured
 * @param uid  its uid
 * @param gid  its primary gid
 */
record DaemonUser(String name, long uid, long gid) {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_OPTION = Linker.Option.captureCallState("errno");

    /** {@code struct passwd} on Linux (LP64): pw_name, pw_passwd, then {@code uid_t pw_uid} and {@code gid_t pw_gid}. */
    private static final long PW_UID_OFFSET = 16;
    private static final long PW_GID_OFFSET = 20;
    private static final long PASSWD_SIZE = 48;

    private static final MethodHandle GETPWNAM = LINKER.downcallHandle(LIBC.findOrThrow("getpwnam"),
            FunctionDescriptor.of(ADDRESS, ADDRESS), ERRNO_OPTION);
    private static final MethodHandle SETGROUPS = LINKER.downcallHandle(LIBC.findOrThrow("setgroups"),
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS), ERRNO_OPTION);
    private static final MethodHandle SETGID = LINKER.downcallHandle(LIBC.findOrThrow("setgid"),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT), ERRNO_OPTION);
    private static final MethodHandle SETUID = LINKER.downcallHandle(LIBC.findOrThrow("setuid"),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT), ERRNO_OPTION);
    private static final MethodHandle GETUID = LINKER.downcallHandle(LIBC.findOrThrow("getuid"),
            FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle GETEUID = LINKER.downcallHandle(LIBC.findOrThrow("geteuid"),
            FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle GETGID = LINKER.downcallHandle(LIBC.findOrThrow("getgid"),
            FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle GETEGID = LINKER.downcallHandle(LIBC.findOrThrow("getegid"),
            FunctionDescriptor.of(JAVA_INT));

    /** Looks {@code name} up in the user database; fails with dbus-daemon's wording when there is no such user. */
    static DaemonUser lookup(String name) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE_LAYOUT);
            MemorySegment entry = (MemorySegment) GETPWNAM.invokeExact(state, arena.allocateFrom(name));
            if (entry.equals(MemorySegment.NULL)) {
                int errno = (int) ERRNO.get(state, 0L);
                throw new IOException("Could not get UID and GID for username \"" + name + "\""
                        + (errno != 0 ? " (errno " + errno + ")" : ""));
            }
            MemorySegment passwd = entry.reinterpret(PASSWD_SIZE);
            return new DaemonUser(name, Integer.toUnsignedLong(passwd.get(JAVA_INT, PW_UID_OFFSET)),
                    Integer.toUnsignedLong(passwd.get(JAVA_INT, PW_GID_OFFSET)));
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("getpwnam", t);
        }
    }

    /** Whether the process already runs as this user and group (real and effective), so there is nothing to do. */
    boolean isCurrent() {
        try {
            return Integer.toUnsignedLong((int) GETUID.invokeExact()) == uid
                    && Integer.toUnsignedLong((int) GETEUID.invokeExact()) == uid
                    && Integer.toUnsignedLong((int) GETGID.invokeExact()) == gid
                    && Integer.toUnsignedLong((int) GETEGID.invokeExact()) == gid;
        } catch (Throwable t) {
            throw new IllegalStateException("getuid", t);
        }
    }

    /**
     * Makes the whole process run as this user: no supplementary groups, its gid, its uid. Throws if any step fails
     * (typically: not started as root), and the bus then refuses to start, as dbus-daemon does.
     */
    void become() throws IOException {
        if (isCurrent()) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE_LAYOUT);
            if ((int) SETGROUPS.invokeExact(state, 0L, MemorySegment.NULL) != 0) {
                throw failure("drop supplementary groups", state);
            }
            if ((int) SETGID.invokeExact(state, (int) gid) != 0) {
                throw failure("set GID to " + gid, state);
            }
            if ((int) SETUID.invokeExact(state, (int) uid) != 0) {
                throw failure("set UID to " + uid, state);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("setuid", t);
        }
        if (!isCurrent()) {
            throw new IOException("still not running as user \"" + name + "\" after setgid/setuid");
        }
    }

    private IOException failure(String step, MemorySegment state) {
        int errno = (int) ERRNO.get(state, 0L);
        String reason = errno == 1 ? "Operation not permitted" : "errno " + errno;
        return new IOException("Failed to " + step + " to run as user \"" + name + "\": " + reason);
    }
}
