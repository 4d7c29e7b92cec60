package org.capbus.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Where a live upgrade's outcome is written for {@code --upgrade=PID} to read: one line in
 * {@code upgrade-PID.outcome}, "upgraded: ..." or "failed: ...", in a directory only the bus's user can enter
 * ({@code $XDG_RUNTIME_DIR}, else {@code /tmp/capbus-UID}, made 0700 and checked to be the user's own). The
 * hand-over socket lives there too. Any thread.
 */
final class UpgradeOutcome {
    private UpgradeOutcome() {
    }

    static Path privateDirectory() throws IOException {
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        if (runtime != null && !runtime.isEmpty() && Files.isDirectory(Path.of(runtime))) {
            return Path.of(runtime);
        }
        long uid = new com.sun.security.auth.module.UnixSystem().getUid();
        Path dir = Path.of("/tmp", "capbus-" + uid);
        if (!Files.isDirectory(dir)) {
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // made meanwhile; checked below
            }
        }
        int owner = (Integer) Files.getAttribute(dir, "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) Files.getAttribute(dir, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS);
        if (owner != uid || (mode & 0077) != 0 || Files.isSymbolicLink(dir)) {
            throw new IOException(dir + " is not a private directory of uid " + uid);
        }
        return dir;
    }

    static Path file(long pid) throws IOException {
        return privateDirectory().resolve("upgrade-" + pid + ".outcome");
    }

    /** Writes the outcome atomically; a failure to write is only logged by the caller's log line already. */
    static void write(long pid, String outcome, boolean success) {
        try {
            Path target = file(pid);
            Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
            Files.writeString(tmp, outcome + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            System.err.println("capbus: cannot write the upgrade outcome: " + e.getMessage());
        }
    }
}
