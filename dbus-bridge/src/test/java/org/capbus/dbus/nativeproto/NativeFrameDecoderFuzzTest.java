package org.capbus.dbus.nativeproto;

import java.nio.ByteBuffer;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing (jazzer) of the {@link NativeFrameDecoder}: any byte stream cut into reads anywhere, with
 * descriptors arriving between reads. No exception escapes; a violation comes at most once and nothing follows it;
 * every frame it delivers is within the limits it was given (targets, handles, payload, descriptors, each descriptor
 * delivered once, in arrival order); and the memory held for an unfinished frame stays within the first body array or
 * four times what arrived, never the length a header announces.
 *
 * <p>Replayed as an ordinary test from {@code NativeFrameDecoderFuzzTestInputs/}; {@code scripts/fuzz.sh native} runs
 * it long.
 */
class NativeFrameDecoderFuzzTest {
    private static final long MAX_PAYLOAD = 32L << 20;
    private static final int MAX_FDS = 16;

    /** Checks each callback against the decoder's promises. */
    private static final class Checker implements NativeFrameDecoder.Listener {
        int violations;
        long arrivedSinceFrame;
        int nextClaimedFd = 1000;

        @Override
        public void onFrame(NativeFrame frame) {
            if (violations > 0) {
                throw new AssertionError("a frame after the violation");
            }
            if (frame.targets().length > NativeFrame.MAX_TARGETS || frame.handles().length > NativeFrame.MAX_HANDLES
                    || frame.payload().length > MAX_PAYLOAD || frame.fds().length > MAX_FDS) {
                throw new AssertionError("a frame beyond the limits: " + frame);
            }
            for (int fd : frame.fds()) {
                if (fd != nextClaimedFd++) {
                    throw new AssertionError("descriptor " + fd + " out of order or twice");
                }
            }
            arrivedSinceFrame = 0;
        }

        @Override
        public void onProtocolViolation(String reason) {
            if (violations++ > 0) {
                throw new AssertionError("a second violation: " + reason);
            }
            if (reason == null || reason.isEmpty()) {
                throw new AssertionError("a violation without a reason");
            }
        }
    }

    @FuzzTest
    void fuzzDecoder(FuzzedDataProvider data) {
        Checker checker = new Checker();
        NativeFrameDecoder decoder = new NativeFrameDecoder(checker, MAX_PAYLOAD, MAX_FDS);
        int nextFd = 1000;
        while (data.remainingBytes() > 0) {
            if (data.consumeInt(0, 15) == 0) {
                int count = data.consumeInt(0, 4);
                int[] fds = new int[count];
                for (int i = 0; i < count; i++) {
                    fds[i] = nextFd++;
                }
                decoder.onFds(fds, count);
                continue;
            }
            byte[] chunk = data.consumeBytes(data.consumeInt(1, 70_000));
            checker.arrivedSinceFrame += chunk.length;
            decoder.onData(ByteBuffer.wrap(chunk));
            long bound = Math.max(NativeFrameDecoder.FIRST_BODY, 4 * checker.arrivedSinceFrame);
            if (decoder.heldBytes() > bound) {
                throw new AssertionError("holds " + decoder.heldBytes() + " bytes after " + checker.arrivedSinceFrame
                        + " arrived");
            }
        }
        decoder.drainFds();
    }
}
