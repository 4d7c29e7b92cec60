package org.capbus.dbus.wire;

import java.nio.ByteBuffer;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing (jazzer) of the {@link MessageFramer}: any byte stream, cut into reads anywhere, with
 * descriptors arriving between reads. No exception may escape; the framer reports at most one violation or quota
 * refusal and then stays silent; and what it holds for a message it has not finished is bounded by what arrived
 * (never the length a header announces), as charged to its {@link IncomingBudget}.
 *
 * <p>Replayed as an ordinary test from {@code MessageFramerFuzzTestInputs/} (the committed corpus); {@code scripts/fuzz.sh}
 * runs it for a long time (docs/fuzzing.md).
 */
class MessageFramerFuzzTest {
    /** Messages up to 1 MiB: beyond the first buffer, small enough to keep executions fast. */
    private static final int MAX_MESSAGE = 1 << 20;

    /** Checks the framer's bookkeeping after every call. */
    private static final class Checker implements MessageFramer.Listener, IncomingBudget {
        final long limit;
        long charged;
        long fedSinceLastDelivery;
        int terminal;

        Checker(long limit) {
            this.limit = limit;
        }

        @Override
        public boolean charge(int bytes) {
            if (bytes <= 0) {
                throw new AssertionError("charge of " + bytes);
            }
            if (charged + bytes > limit) {
                return false;
            }
            charged += bytes;
            return true;
        }

        @Override
        public void refund(int bytes) {
            charged -= bytes;
            if (charged < 0) {
                throw new AssertionError("refunded more than charged: " + charged);
            }
        }

        @Override
        public void onMessage(DBusMessage message, int[] fds) {
            afterTerminal();
            if (message.validity() != Validity.VALID || fds.length != message.unixFds()) {
                throw new AssertionError("delivered " + message.validity() + " with " + fds.length + " fds");
            }
            fedSinceLastDelivery = 0;
        }

        @Override
        public void onUnknownMessage(DBusMessage message, int[] fds) {
            afterTerminal();
            fedSinceLastDelivery = 0;
        }

        @Override
        public void onProtocolViolation(Validity reason, DBusMessage message) {
            afterTerminal();
            if (!reason.isError()) {
                throw new AssertionError("violation without an error: " + reason);
            }
            terminal++;
        }

        @Override
        public void onIncomingQuotaExceeded(int announcedLength) {
            afterTerminal();
            terminal++;
        }

        private void afterTerminal() {
            if (terminal > 0) {
                throw new AssertionError("callback after the framer stopped");
            }
        }
    }

    @FuzzTest
    void fuzzFramer(FuzzedDataProvider data) {
        Checker checker = new Checker(data.consumeBoolean() ? Long.MAX_VALUE : data.consumeLong(0, 4L << 20));
        MessageFramer framer = new MessageFramer(checker, MAX_MESSAGE, 16, MessageBuffers.HEAP, checker);
        int nextFd = 1000;
        while (data.remainingBytes() > 0) {
            if (data.consumeInt(0, 15) == 0) {
                int count = data.consumeInt(0, 4);
                int[] fds = new int[count];
                for (int i = 0; i < count; i++) {
                    fds[i] = nextFd++;
                }
                framer.onFds(fds, count);
                continue;
            }
            byte[] chunk = data.consumeBytes(data.consumeInt(1, 70_000));
            checker.fedSinceLastDelivery += chunk.length;
            framer.onData(ByteBuffer.wrap(chunk));
            // The buffer of a partial message: a message up to the eager limit may hold its whole length at once;
            // a longer one the first buffer, then at most four times what arrived.
            long bound = Math.max(MessageFramer.EAGER_LIMIT,
                    MessageFramer.FIRST_BUFFER + 4 * checker.fedSinceLastDelivery);
            if (checker.charged > bound) {
                throw new AssertionError("holds " + checker.charged + " bytes after " + checker.fedSinceLastDelivery
                        + " arrived");
            }
        }
        framer.close();
        if (checker.charged != 0) {
            throw new AssertionError("charge left after close: " + checker.charged);
        }
        framer.drainFds();
    }
}
