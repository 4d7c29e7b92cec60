package org.capbus.dbus.sasl;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.SecureRandom;
import java.security.SecureRandomSpi;

/**
 * Unpredictable bytes for what the bus needs at start (its GUID, the names of its sockets) without starting Java's
 * security providers: {@code new SecureRandom()} costs about 45 ms of a 300 ms start (the providers' registry, then
 * NativePRNG opening its devices), for 16 bytes that {@code /dev/urandom} gives in microseconds. The cookie mechanism,
 * which draws randomness per authentication, gets a {@link #deferred()} generator whose provider starts at its first
 * use, so a bus that never sees DBUS_COOKIE_SHA1 never pays for it.
 *
 * <p>Stateless; any thread.
 */
public final class RandomBytes {
    private static final String DEVICE = "/dev/urandom";

    private RandomBytes() {
    }

    /** {@code n} bytes from the kernel's generator (from a {@link SecureRandom} if {@value #DEVICE} is unreadable). */
    public static byte[] of(int n) {
        byte[] out = new byte[n];
        try (InputStream in = new FileInputStream(DEVICE)) {
            if (in.readNBytes(out, 0, n) == n) {
                return out;
            }
        } catch (IOException e) {
            // no device node (a minimal container): the provider's generator below
        }
        new SecureRandom().nextBytes(out);
        return out;
    }

    /** A {@link SecureRandom} that creates the platform's default generator when it is first asked for bytes. */
    public static SecureRandom deferred() {
        return new SecureRandom(new DeferredSpi(), null) {
            private static final long serialVersionUID = 1L;

            @Override
            public String getAlgorithm() {
                return "deferred default";
            }
        };
    }

    /** Delegates to the default {@link SecureRandom}, made on first use. */
    private static final class DeferredSpi extends SecureRandomSpi {
        private static final long serialVersionUID = 1L;
        private transient SecureRandom delegate;

        private synchronized SecureRandom delegate() {
            if (delegate == null) {
                delegate = new SecureRandom();
            }
            return delegate;
        }

        @Override
        protected void engineSetSeed(byte[] seed) {
            delegate().setSeed(seed);
        }

        @Override
        protected void engineNextBytes(byte[] bytes) {
            delegate().nextBytes(bytes);
        }

        @Override
        protected byte[] engineGenerateSeed(int numBytes) {
            return delegate().generateSeed(numBytes);
        }
    }
}
