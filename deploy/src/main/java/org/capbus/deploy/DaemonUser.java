package org.capbus.deploy;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The configuration's {@code <user>}: the bus switches to it once its sockets listen and its pid file is written,
 * as dbus-daemon does (the system bus runs as {@code messagebus}, and the launch helper only runs activated
 * services for that user). glibc's {@code setgid}/{@code setuid} change every thread of the process, so the JVM's
 * threads all run as the user afterwards. Nothing to do when the process already runs as the user.
 *
 * <p>Called once, by {@link Daemon} on the main thread, before clients are served.
 */
final class DaemonUser {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_OPTION = Linker.Option.captureCallState("errno");

    private DaemonUser() {
    }

    /** A user of /etc/passwd: its uid and primary gid. */
    record Account(String name, int uid, int gid) {
    }

    /** The account {@code name} in {@code passwd} (the /etc/passwd format), or null. */
    static Account lookup(Path passwd, String name) throws IOException {
        for (String line : Files.readAllLines(passwd, StandardCharsets.UTF_8)) {
            String[] f = line.split(":", 5);
            if (f.length >= 4 && f[0].equals(name)) {
                return new Account(name, Integer.parseInt(f[2]), Integer.parseInt(f[3]));
            }
        }
        return null;
    }

    /**
     * Becomes {@code name}: its supplementary groups, its primary group, its uid.
     *
     * @throws IOException naming the step that failed (unknown user, or not permitted)
     */
    static void switchTo(String name) throws IOException {
        Account account = lookup(Path.of("/etc/passwd"), name);
        if (account == null) {
            throw new IOException("Could not get UID and GID for username \"" + name + "\"");
        }
        if (new com.sun.security.auth.module.UnixSystem().getUid() == account.uid()) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            call(arena, state, "initgroups", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT),
                    "Failed to initialize groups", arena.allocateFrom(name), account.gid());
            call(arena, state, "setgid", FunctionDescriptor.of(JAVA_INT, JAVA_INT), "Failed to set GID to "
                    + account.gid(), account.gid());
            call(arena, state, "setuid", FunctionDescriptor.of(JAVA_INT, JAVA_INT), "Failed to set UID to "
                    + account.uid(), account.uid());
        }
    }

    private static void call(Arena arena, MemorySegment state, String function, FunctionDescriptor descriptor,
                             String failure, Object... args) throws IOException {
        MethodHandle h = LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow(function), descriptor, ERRNO_OPTION);
        Object[] all = new Object[args.length + 1];
        all[0] = state;
        System.arraycopy(args, 0, all, 1, args.length);
        int rc;
        try {
            rc = (int) h.invokeWithArguments(all);
        } catch (Throwable t) {
            throw new IOException(failure + ": " + t, t);
        }
        if (rc != 0) {
            throw new IOException(failure + ": errno " + (int) ERRNO.get(state, 0L));
        }
    }
}
