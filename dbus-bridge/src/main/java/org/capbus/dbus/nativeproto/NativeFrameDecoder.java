package org.capbus.dbus.nativeproto;

import java.nio.ByteBuffer;
import java.util.Arrays;

import org.capbus.dbus.wire.IncomingBudget;

/**
 * Splits a native connection's byte stream into {@link NativeFrame}s: an explicit state machine (header, then
 * body) that takes bytes split anywhere. The 24-byte header is gathered into a fixed array and checked against the
 * limits before anything is allocated; the body's array then grows with the bytes that arrive (at most
 * {@value #FIRST_BODY} bytes at first, then fourfold, to the frame's length), never to the length the header announces
 * before they do: a client announcing a 32 MiB frame and sending nothing holds {@value #FIRST_BODY} bytes. Each growth is
 * charged to the connection's {@link IncomingBudget} first (max_incoming_bytes, and four times that per user, as for
 * D-Bus messages), and the charge goes when the frame is delivered; a growth the budget refuses is a violation (the
 * connection is closed). Descriptors
 * that arrive with the bytes wait in arrival order and are claimed by the frame whose header counts them, once its
 * last byte is in.
 *
 * <p>After a violation the decoder ignores all further input (the connection is being closed).
 *
 * <p>Owned by one connection; event-loop thread only.
 */
public final class NativeFrameDecoder {

    /** Receives decoded frames and violations. */
    public interface Listener {
        /** A whole frame; the listener owns {@code frame.fds()}. */
        void onFrame(NativeFrame frame);

        /** The stream broke the protocol; the reason reads {@code what: X (expected: Y)}. */
        void onProtocolViolation(String reason);
    }

    /** The largest body array given to a frame before its bytes arrive. */
    static final int FIRST_BODY = 64 * 1024;

    private static final long[] NO_IDS = new long[0];
    private static final int[] NO_FDS = new int[0];
    private static final byte[] NO_BYTES = new byte[0];

    private final Listener listener;
    private final IncomingBudget budget;
    /** Bytes charged to {@link #budget} for the body being read: its capacity. */
    private int charged;
    private final long maxPayload;
    private final int maxFds;
    private final byte[] header = new byte[NativeFrame.HEADER_LENGTH];
    private int headerFilled;
    /** The body (ids and payload) of the frame being read, as far as it has grown; null while reading a header. */
    private byte[] body;
    /** The length of the body of the frame being read, from its header. */
    private int bodyLength;
    private int bodyFilled;
    private int[] fds = new int[4];
    private int fdCount;
    private boolean failed;

    /**
     * @param maxPayload the largest payload accepted (the bus's max_message_size)
     * @param maxFds     the most descriptors one frame may carry (the bus's max_message_unix_fds)
     */
    public NativeFrameDecoder(Listener listener, long maxPayload, int maxFds) {
        this(listener, maxPayload, maxFds, IncomingBudget.UNLIMITED);
    }

    /** As above, charging each frame's body to {@code budget} while its bytes arrive. */
    public NativeFrameDecoder(Listener listener, long maxPayload, int maxFds, IncomingBudget budget) {
        this.listener = listener;
        this.budget = budget;
        this.maxPayload = maxPayload;
        this.maxFds = maxFds;
    }

    /** Descriptors that arrived with the bytes of the next {@link #onData} call. The decoder owns them. */
    public void onFds(int[] received, int count) {
        if (fdCount + count > fds.length) {
            fds = Arrays.copyOf(fds, Math.max(fds.length * 2, fdCount + count));
        }
        System.arraycopy(received, 0, fds, fdCount, count);
        fdCount += count;
        // As the D-Bus framer (and dbus-daemon): one read brings at most max_message_unix_fds, and what waits
        // between reads is checked at the end of onData; so the queue stays bounded even before any frame claims.
        if (!failed && (count > maxFds || fdCount > 2L * maxFds)) {
            violation("descriptors: " + count + " in one read, " + fdCount + " queued (expected: <= " + maxFds
                    + ")");
        }
    }

    /** Descriptors received and not yet claimed by a frame. */
    public int queuedFds() {
        return fdCount;
    }

    /** Descriptors received and not claimed by a frame (to close at disconnect); the decoder forgets them. */
    public int[] drainFds() {
        int[] out = Arrays.copyOf(fds, fdCount);
        fdCount = 0;
        return out;
    }

    /**
     * The bytes received of the frame being read (its header as far as it came, then its body), for a live upgrade,
     * whose next process feeds them to its own decoder; empty between frames.
     */
    public byte[] partialBytes() {
        if (body == null) {
            return Arrays.copyOf(header, headerFilled);
        }
        byte[] out = Arrays.copyOf(header, header.length + bodyFilled);
        System.arraycopy(body, 0, out, header.length, bodyFilled);
        return out;
    }

    /** The descriptors not yet claimed by a frame, in arrival order, left queued (a live upgrade passes copies on). */
    public int[] peekFds() {
        return Arrays.copyOf(fds, fdCount);
    }

    /** Bytes held for the frame being read (its body array as far as it has grown), for tests. */
    int heldBytes() {
        return body == null ? 0 : body.length;
    }

    /** Whether a violation stopped the decoder. */
    public boolean failed() {
        return failed;
    }

    /** Consumes all of {@code data}, delivering every frame it completes. */
    public void onData(ByteBuffer data) {
        consume(data);
        if (!failed && fdCount > maxFds) {
            // The read's whole frames took theirs: more than one frame's worth waits for frames not yet sent.
            violation("descriptors: " + fdCount + " waiting for frames (expected: <= " + maxFds + ")");
        }
    }

    private void consume(ByteBuffer data) {
        while (data.hasRemaining() && !failed) {
            if (body == null) {
                int n = Math.min(data.remaining(), header.length - headerFilled);
                data.get(header, headerFilled, n);
                headerFilled += n;
                if (headerFilled == header.length) {
                    startBody();
                }
            } else {
                int n = Math.min(data.remaining(), bodyLength - bodyFilled);
                if (bodyFilled + n > body.length
                        && !grow(Math.min(bodyLength, Math.max(4 * body.length, bodyFilled + n)))) {
                    return;
                }
                data.get(body, bodyFilled, n);
                bodyFilled += n;
                if (bodyFilled == bodyLength) {
                    finishFrame();
                }
            }
        }
    }

    private void startBody() {
        long length = NativeFrameWriter.getInt(header, NativeFrame.OFFSET_LENGTH) & 0xFFFFFFFFL;
        int operation = NativeFrameWriter.getShort(header, NativeFrame.OFFSET_OPERATION);
        int targets = NativeFrameWriter.getShort(header, NativeFrame.OFFSET_TARGET_COUNT);
        int handles = NativeFrameWriter.getShort(header, NativeFrame.OFFSET_HANDLE_COUNT);
        int fdsWanted = NativeFrameWriter.getShort(header, NativeFrame.OFFSET_FD_COUNT);
        int reserved = NativeFrameWriter.getShort(header, NativeFrame.OFFSET_RESERVED);
        if ((operation & NativeFrame.FROM_BUS) != 0) {
            violation("operation: 0x" + Integer.toHexString(operation) + " (expected: a request, < 0x8000)");
            return;
        }
        if (reserved != 0) {
            violation("reserved: " + reserved + " (expected: 0)");
            return;
        }
        if (targets > NativeFrame.MAX_TARGETS) {
            violation("target count: " + targets + " (expected: <= " + NativeFrame.MAX_TARGETS + ")");
            return;
        }
        if (handles > NativeFrame.MAX_HANDLES) {
            violation("handle count: " + handles + " (expected: <= " + NativeFrame.MAX_HANDLES + ")");
            return;
        }
        if (fdsWanted > maxFds) {
            violation("fd count: " + fdsWanted + " (expected: <= " + maxFds + ")");
            return;
        }
        long idBytes = 8L * (targets + handles);
        long min = NativeFrame.HEADER_LENGTH + idBytes;
        long max = min + maxPayload;
        if (length < min || length > max) {
            violation("frame length: " + length + " (expected: >= " + min + " and <= " + max + ")");
            return;
        }
        bodyLength = (int) (length - NativeFrame.HEADER_LENGTH);
        body = NO_BYTES;
        bodyFilled = 0;
        if (bodyLength > 0 && !grow(Math.min(bodyLength, FIRST_BODY))) {
            return;
        }
        if (bodyLength == 0) {
            finishFrame();
        }
    }

    /** Moves the body into an array of {@code capacity} bytes, charged to the budget first; false after a refusal. */
    private boolean grow(int capacity) {
        int extra = capacity - body.length;
        if (!budget.charge(extra)) {
            violation("incoming bytes: a frame of " + (NativeFrame.HEADER_LENGTH + bodyLength)
                    + " bytes arriving (expected: within max_incoming_bytes)");
            return false;
        }
        charged += extra;
        body = Arrays.copyOf(body, capacity);
        return true;
    }

    /** Gives the body's charge back: the frame was delivered or dropped. */
    private void refund() {
        if (charged > 0) {
            budget.refund(charged);
            charged = 0;
        }
    }

    /** The connection is closing: drops the frame being read and refunds its charge; later input is ignored. */
    public void close() {
        failed = true;
        body = null;
        refund();
    }

    private void finishFrame() {
        byte[] b = body;
        body = null;
        refund();
        headerFilled = 0;
        int operation = NativeFrameWriter.getShort(header, NativeFrame.OFFSET_OPERATION);
        int flags = NativeFrameWriter.getShort(header, NativeFrame.OFFSET_FLAGS);
        long requestId = NativeFrameWriter.getLong(header, NativeFrame.OFFSET_REQUEST_ID);
        int targets = NativeFrameWriter.getShort(header, NativeFrame.OFFSET_TARGET_COUNT);
        int handles = NativeFrameWriter.getShort(header, NativeFrame.OFFSET_HANDLE_COUNT);
        int fdsWanted = NativeFrameWriter.getShort(header, NativeFrame.OFFSET_FD_COUNT);
        if (fdsWanted > fdCount) {
            violation("descriptors: " + fdCount + " arrived (expected: " + fdsWanted + " by the frame's last byte)");
            return;
        }
        int[] claimed = NO_FDS;
        if (fdsWanted > 0) {
            claimed = Arrays.copyOf(fds, fdsWanted);
            System.arraycopy(fds, fdsWanted, fds, 0, fdCount - fdsWanted);
            fdCount -= fdsWanted;
        }
        long[] t = ids(b, 0, targets);
        long[] h = ids(b, 8 * targets, handles);
        int idBytes = 8 * (targets + handles);
        byte[] payload = idBytes == 0 ? b : (b.length == idBytes ? NO_BYTES : Arrays.copyOfRange(b, idBytes, b.length));
        listener.onFrame(new NativeFrame(operation, flags, requestId, t, h, claimed, payload));
    }

    private static long[] ids(byte[] b, int offset, int count) {
        if (count == 0) {
            return NO_IDS;
        }
        long[] out = new long[count];
        for (int i = 0; i < count; i++) {
            out[i] = NativeFrameWriter.getLong(b, offset + 8 * i);
        }
        return out;
    }

    private void violation(String reason) {
        failed = true;
        body = null;
        refund();
        listener.onProtocolViolation(reason);
    }
}
