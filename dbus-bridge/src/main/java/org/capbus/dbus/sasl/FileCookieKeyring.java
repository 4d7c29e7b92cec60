package org.capbus.dbus.sasl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * The DBUS_COOKIE_SHA1 keyring as libdbus keeps it ({@code dbus/dbus-keyring.c}), so that libdbus and
 * GDBus clients of the same user read the cookies this server writes: the directory
 * {@code ~/.dbus-keyrings} (mode 0700, refused if others may access it), one file per cookie context
 * with lines {@code <id> <creation time in seconds> <hex secret>}, and a {@code <context>.lock} file
 * created exclusively while the file is rewritten.
 *
 * <p>Cookie lifetimes are libdbus's: a cookie is used for new challenges for 5 minutes, dropped from the
 * file after 7 (so a client has at least 2 minutes to answer), and one dated more than 5 minutes in the
 * future is dropped as clock skew. At most 256 cookies are kept.
 *
 * <p>Blocking file I/O; safe to share between threads (each call locks the file).
 */
public final class FileCookieKeyring implements CookieKeyring {

    /** The context every D-Bus implementation uses. */
    public static final String GENERAL_CONTEXT = "org_freedesktop_general";

    static final long NEW_KEY_TIMEOUT_SECONDS = 60 * 5;
    static final long EXPIRE_KEYS_TIMEOUT_SECONDS = NEW_KEY_TIMEOUT_SECONDS + 60 * 2;
    static final long MAX_TIME_TRAVEL_SECONDS = 60 * 5;
    static final int MAX_KEYS_IN_FILE = 256;
    private static final int SECRET_BYTES = 24;
    /** libdbus waits up to 32 x 250 ms for the lock, then takes it as stale. */
    private static final int MAX_LOCK_TIMEOUTS = 32;
    private static final long LOCK_TIMEOUT_MILLIS = 250;

    private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");

    private final Path directory;
    private final String context;
    private final LongSupplier nowSeconds;
    private final SecureRandom random;

    /**
     * @param directory  the keyring directory, normally {@code ~/.dbus-keyrings} of the server's user
     * @param context    the cookie context, normally {@link #GENERAL_CONTEXT}
     * @param nowSeconds the wall clock, in seconds since the epoch
     * @param random     for cookie ids and secrets
     */
    public FileCookieKeyring(Path directory, String context, LongSupplier nowSeconds, SecureRandom random) {
        if (context.isEmpty() || context.contains("/") || context.contains(".") || context.contains(" ")) {
            throw new IllegalArgumentException("invalid cookie context: " + context);
        }
        this.directory = directory;
        this.context = context;
        this.nowSeconds = nowSeconds;
        this.random = random;
    }

    /** The keyring of this process's user, with the general context. */
    public static FileCookieKeyring forCurrentUser(SecureRandom random) {
        return new FileCookieKeyring(Path.of(System.getProperty("user.home"), ".dbus-keyrings"), GENERAL_CONTEXT,
                () -> System.currentTimeMillis() / 1000, random);
    }

    @Override
    public String context() {
        return context;
    }

    /** The keyring file. */
    public Path file() {
        return directory.resolve(context);
    }

    @Override
    public Cookie cookieForChallenge() throws IOException {
        ensureDirectory();
        Path lock = directory.resolve(context + ".lock");
        acquire(lock);
        try {
            long now = nowSeconds.getAsLong();
            List<Entry> entries = new ArrayList<>();
            boolean changed = read(now, entries);
            Entry best = null;
            for (Entry e : entries) {
                if (now - e.created < NEW_KEY_TIMEOUT_SECONDS && (best == null || e.created > best.created)) {
                    best = e;
                }
            }
            if (best == null) {
                best = newEntry(entries, now);
                entries.add(best);
                while (entries.size() > MAX_KEYS_IN_FILE) {
                    entries.removeFirst();
                }
                changed = true;
            }
            if (changed) {
                write(entries);
            }
            return new Cookie(best.id, best.secret);
        } finally {
            Files.deleteIfExists(lock);
        }
    }

    private record Entry(long id, long created, String secret) {
    }

    private void ensureDirectory() throws IOException {
        if (!Files.isDirectory(directory)) {
            try {
                Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(DIR_MODE));
            } catch (FileAlreadyExistsException e) {
                // created concurrently: checked below
            }
        }
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(directory);
        for (PosixFilePermission p : mode) {
            if (!DIR_MODE.contains(p)) {
                // libdbus refuses a keyring others could read or replace.
                throw new IOException("keyring directory " + directory + " is accessible by others: "
                        + PosixFilePermissions.toString(mode));
            }
        }
    }

    private void acquire(Path lock) throws IOException {
        for (int attempt = 0; attempt <= MAX_LOCK_TIMEOUTS + 1; attempt++) {
            try {
                Files.createFile(lock, PosixFilePermissions.asFileAttribute(FILE_MODE));
                return;
            } catch (FileAlreadyExistsException e) {
                if (attempt < MAX_LOCK_TIMEOUTS) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(LOCK_TIMEOUT_MILLIS));
                } else if (attempt == MAX_LOCK_TIMEOUTS) {
                    // As libdbus: a lock held this long was left by a dead process.
                    Files.deleteIfExists(lock);
                }
            }
        }
        throw new IOException("cannot lock keyring " + lock);
    }

    /**
     * Adds the valid, unexpired cookies of the file to {@code entries}; malformed and expired lines are
     * dropped, as libdbus does.
     *
     * @return whether anything was dropped (the file must be rewritten)
     */
    private boolean read(long now, List<Entry> entries) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file(), StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return false;
        }
        int kept = 0;
        int nonBlank = 0;
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            nonBlank++;
            String[] f = line.strip().split(" ");
            if (f.length != 3) {
                continue;
            }
            long id;
            long created;
            try {
                id = Long.parseLong(f[0]);
                created = Long.parseLong(f[1]);
            } catch (NumberFormatException e) {
                continue;
            }
            if (id < 0 || id > Integer.MAX_VALUE || created <= 0 || Hex.decode(f[2]) == null
                    || containsId(entries, id)) {
                continue;
            }
            if (created - now > MAX_TIME_TRAVEL_SECONDS || now - created > EXPIRE_KEYS_TIMEOUT_SECONDS) {
                continue;
            }
            if (entries.size() < MAX_KEYS_IN_FILE) {
                entries.add(new Entry(id, created, f[2]));
                kept++;
            }
        }
        return kept != nonBlank;
    }

    private Entry newEntry(List<Entry> entries, long now) {
        long id;
        do {
            id = random.nextInt() & 0x7fff_ffff;
        } while (containsId(entries, id));
        byte[] secret = new byte[SECRET_BYTES];
        random.nextBytes(secret);
        return new Entry(id, now, Hex.encode(secret));
    }

    private static boolean containsId(List<Entry> entries, long id) {
        for (Entry e : entries) {
            if (e.id == id) {
                return true;
            }
        }
        return false;
    }

    /** Replaces the file atomically, mode 0600. */
    private void write(List<Entry> entries) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Entry e : entries) {
            sb.append(e.id).append(' ').append(e.created).append(' ').append(e.secret).append('\n');
        }
        Path tmp = Files.createTempFile(directory, context + ".", ".tmp",
                PosixFilePermissions.asFileAttribute(FILE_MODE));
        try {
            Files.writeString(tmp, sb, StandardCharsets.US_ASCII);
            Files.move(tmp, file(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
