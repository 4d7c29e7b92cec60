package org.capbus.dbus.wire;

import java.nio.ByteBuffer;

/**
 * Cuts one connection's byte stream into messages, after authentication. Accepts chunks split anywhere, checks
 * each frame's length from its fixed header against the limit before allocating, validates each message with
 * {@link DBusMessage#parse} and hands it on with the file descriptors it claims.
 *
 * <p>A message of up to {@value #EAGER_LIMIT} bytes gets its final buffer from {@link MessageBuffers} as soon as its
 * fixed header arrives, when the connection's {@link IncomingBudget} accepts its whole length: its bytes are then
 * copied once, from the read buffer into the message. (Growing such messages as their bytes arrive cost the bus a
 * third of its CPU on 1 MiB calls: fresh, zeroed, humongous arrays and a copy per doubling.) A longer message, or one
 * the budget cannot take at once, grows with its bytes, never to the length its header announces before they arrive:
 * a client announcing 30 MiB and sending 16 bytes holds {@value #FIRST_BUFFER} bytes at most, and one announcing
 * {@value #EAGER_LIMIT} holds that much only within its budget, which bounds every connection and every user. Each
 * growth is charged to the budget first; one that does not fit stops the framer (the owner closes the connection).
 * Buffers grow fourfold until the last, which comes from {@link MessageBuffers} at the message's length.
 *
 * <p>Descriptors arrive out of band: the transport calls {@link #onFds} with those of a {@code recvmsg}, then
 * {@link #onData} with its bytes. As in dbus-daemon, a message takes as many descriptors as its UNIX_FDS field
 * says from the queue, in arrival order; the sender attaches them to the message's bytes, so by the time the
 * last byte of the message has been read they are all here, and a message claiming more than were received is
 * a protocol violation. Descriptors not claimed yet stay queued for the next message.
 *
 * <p>{@code max_message_unix_fds} bounds them as dbus-daemon's receive buffer does: one {@code recvmsg} may bring at
 * most that many, a message may claim at most that many, and once the messages a read completed have taken theirs,
 * at most that many may wait; anything more is a protocol violation. dbus-daemon, while it holds descriptors, reads
 * only the rest of the current message, so those of the next one never arrive in the same read; this framer is
 * handed whole reads, in which the kernel may put the end of one message and the start of the next with its
 * descriptors (it stops a read after the first segment that carries some), so it checks the queue once the read's
 * whole messages have claimed theirs, not before: within a read it may hold up to twice the limit.
 *
 * <p>After a protocol violation the framer is dead: it reports once, then ignores all input. The owner closes
 * the connection and the descriptors still queued ({@link #drainFds()}). Owned by the connection, on the
 * event-loop thread; state is a 16-byte header scratch, the message being filled and the fd queue.
 */
public final class MessageFramer {

    /** What the framer reports, on the thread that called {@link #onData}. */
    public interface Listener {

        /**
         * A complete, valid message of a known type. {@code fds} are its descriptors (an empty array when it
         * has none); the listener owns both the message and the descriptors from now on.
         */
        void onMessage(DBusMessage message, int[] fds);

        /**
         * A well-formed message of a type the specification does not define, which it says must be ignored.
         * The listener owns {@code fds} and closes them; the connection stays open.
         */
        void onUnknownMessage(DBusMessage message, int[] fds);

        /**
         * The stream broke a rule: the connection must be closed. Called at most once; {@code message} is the
         * rejected message (null if the fixed header alone was enough to refuse the frame), for logging.
         */
        void onProtocolViolation(Validity reason, DBusMessage message);

        /**
         * The connection's {@link IncomingBudget} refused the bytes of a message of {@code announcedLength} bytes
         * already arriving: the connection must be closed. Called at most once, instead of any further callback.
         */
        void onIncomingQuotaExceeded(int announcedLength);
    }

    /** The largest buffer given to a message longer than {@link #EAGER_LIMIT} before its bytes arrive. */
    static final int FIRST_BUFFER = 64 * 1024;

    /**
     * Messages up to this long get their whole buffer when their header arrives (budget permitting): 1 MiB of payload
     * and its header, the size portals and file managers move, with room to spare.
     */
    static final int EAGER_LIMIT = 2 * 1024 * 1024;

    /**
     * The fewest bytes worth a direct read ({@link #directLength()}): below this the copy it saves costs less than
     * the system call it adds (an ordinary read also takes whatever follows the message).
     */
    static final int DIRECT_READ_MIN = 64 * 1024;

    private static final int FDS_NOT_READ = -2;

    private static final int[] NO_FDS = new int[0];

    private final Listener listener;
    private final int maxMessageLength;
    private final int maxMessageFds;

    private final byte[] header = new byte[WireLimits.FIXED_HEADER_LENGTH];
    private int headerFill;
    private final MessageBuffers buffers;
    private final IncomingBudget budget;
    /** Bytes charged to the budget for {@link #message}: its capacity. */
    private int charged;
    private byte[] message;
    private int messageLength;
    private int messageFill;
    /**
     * The UNIX_FDS of the message being received, read from its header fields once they are all here (-1: not to be
     * told from them), or {@link #FDS_NOT_READ}; for {@link #directLength()}.
     */
    private int announcedFds = FDS_NOT_READ;

    private int[] fdQueue = new int[4];
    private int fdHead;
    private int fdCount;

    private boolean dead;

    /**
     * @param maxMessageLength the largest message accepted, at most {@link WireLimits#MAX_MESSAGE_LENGTH}
     *                         (dbus-daemon's {@code max_message_size})
     * @param maxMessageFds    the most descriptors one message, one read and the queue between reads may hold
     *                         (dbus-daemon's {@code max_message_unix_fds})
     */
    public MessageFramer(Listener listener, int maxMessageLength, int maxMessageFds) {
        this(listener, maxMessageLength, maxMessageFds, MessageBuffers.HEAP, IncomingBudget.UNLIMITED);
    }

    /** As above, reading the last buffer of each message from {@code buffers}, with no {@link IncomingBudget}. */
    public MessageFramer(Listener listener, int maxMessageLength, int maxMessageFds, MessageBuffers buffers) {
        this(listener, maxMessageLength, maxMessageFds, buffers, IncomingBudget.UNLIMITED);
    }

    /**
     * As above, reading the last buffer of each message from {@code buffers} (which may be longer than the message),
     * and charging buffers to {@code budget} as they grow.
     */
    public MessageFramer(Listener listener, int maxMessageLength, int maxMessageFds, MessageBuffers buffers,
                         IncomingBudget budget) {
        if (maxMessageLength < WireLimits.FIXED_HEADER_LENGTH || maxMessageLength > WireLimits.MAX_MESSAGE_LENGTH) {
            throw new IllegalArgumentException("maxMessageLength: " + maxMessageLength
                    + " (expected: 16.." + WireLimits.MAX_MESSAGE_LENGTH + ")");
        }
        this.listener = listener;
        this.buffers = buffers;
        this.budget = budget;
        this.maxMessageLength = maxMessageLength;
        this.maxMessageFds = maxMessageFds;
    }

    /** Whether a protocol violation stopped the framer. */
    public boolean isDead() {
        return dead;
    }

    /** Whether part of a message has been received and not yet delivered. */
    public boolean hasPartialMessage() {
        return headerFill != 0;
    }

    /** Descriptors received and not yet claimed by a message. */
    public int queuedFds() {
        return fdCount;
    }

    /**
     * Descriptors that arrived with the bytes of the next {@link #onData}. The framer takes ownership of
     * {@code fds[0, count)}; too many queued is a protocol violation (the excess is queued anyway so that
     * {@link #drainFds()} returns all of them for closing).
     */
    public void onFds(int[] fds, int count) {
        if (fdCount + count > fdQueue.length) {
            int[] grown = new int[Math.max(fdQueue.length * 2, fdCount + count)];
            for (int i = 0; i < fdCount; i++) {
                grown[i] = fdQueue[(fdHead + i) % fdQueue.length];
            }
            fdQueue = grown;
            fdHead = 0;
        }
        for (int i = 0; i < count; i++) {
            fdQueue[(fdHead + fdCount + i) % fdQueue.length] = fds[i];
        }
        fdCount += count;
        // dbus-daemon's recvmsg has room for max_message_unix_fds less what it holds: more is truncated (MSG_CTRUNC),
        // and it closes the connection. What waited here was checked at the end of the last read (onData).
        if (count > maxMessageFds || fdCount > 2L * maxMessageFds) {
            violation(Validity.TOO_MANY_UNIX_FDS, null);
        }
    }

    /**
     * The bytes of the message received so far and not yet delivered (empty if none), for a live upgrade: the
     * framer that takes over is fed them and continues where this one stopped. Nothing changes here.
     */
    public byte[] partialBytes() {
        if (message != null) {
            return java.util.Arrays.copyOf(message, messageFill);
        }
        return java.util.Arrays.copyOf(header, headerFill);
    }

    /** The queued descriptors in arrival order, left queued (for a live upgrade, which passes copies on). */
    public int[] peekFds() {
        int[] out = new int[fdCount];
        for (int i = 0; i < fdCount; i++) {
            out[i] = fdQueue[(fdHead + i) % fdQueue.length];
        }
        return out;
    }

    /** Removes and returns every queued descriptor, for the owner to close when the connection ends. */
    public int[] drainFds() {
        return takeFds(fdCount);
    }

    /**
     * Consumes all of {@code data} (valid only during the call: complete messages are copied out, a partial one
     * is kept), delivering every message it completes.
     */
    public void onData(ByteBuffer data) {
        consume(data);
        if (!dead && fdCount > maxMessageFds) {
            // The read's whole messages took theirs: what is left waits for messages to come, which dbus-daemon
            // would have had no room to receive.
            violation(Validity.TOO_MANY_UNIX_FDS, null);
        }
    }

    /**
     * How many bytes the framer would take straight into the message being received, or 0: the rest of a message of
     * at least {@link #DIRECT_READ_MIN} more bytes, once it holds the message's final buffer and its header fields,
     * and only when every descriptor the header announces has arrived. The transport may then read those bytes into
     * {@link #directArray()} from {@link #directOffset()} itself, with no room for descriptors, and report them with
     * {@link #directFilled}: one copy of every large body less (it used to be read into the transport's buffer, then
     * copied here).
     *
     * <p>Why the descriptor condition makes such a read safe: the kernel closes, unseen, descriptors arriving in a read
     * that has no room for them. A message's descriptors must come with its own bytes (the specification), so once it
     * has all it announces, descriptors within the rest of its bytes would belong to a later message, sent before that
     * message's first byte: a broken client, whose later message then misses them and ends its connection as a
     * protocol violation (dbus-broker closes it too). Every client library sends descriptors with the first byte of
     * their message, which the ordinary read before a direct one received.
     */
    public int directLength() {
        if (dead || message == null || message.length < messageLength || messageFill < WireLimits.FIXED_HEADER_LENGTH) {
            return 0;
        }
        int rest = messageLength - messageFill;
        if (rest < DIRECT_READ_MIN) {
            return 0;
        }
        if (announcedFds == FDS_NOT_READ) {
            // Once per message, when its header fields are all here: a header may hold millions of fields, and the
            // transport asks before every read.
            long fieldsEnd = WireLimits.FIXED_HEADER_LENGTH
                    + WireBytes.getUInt(message, 12, message[0] == 'B');
            if (messageFill < fieldsEnd) {
                return 0;
            }
            announcedFds = DBusMessage.announcedUnixFds(message, messageFill);
        }
        return announcedFds >= 0 && announcedFds <= fdCount ? rest : 0;
    }

    /** The array {@link #directLength()} bytes may be read into. */
    public byte[] directArray() {
        return message;
    }

    /** Where in {@link #directArray()} they go. */
    public int directOffset() {
        return messageFill;
    }

    /**
     * {@code n} bytes (1 to {@link #directLength()}) were read into {@link #directArray()} at {@link #directOffset()};
     * delivers the message if they complete it.
     */
    public void directFilled(int n) {
        if (n <= 0 || n > messageLength - messageFill || message == null || dead) {
            throw new IllegalStateException("direct read of " + n + " bytes into " + this);
        }
        messageFill += n;
        if (messageFill == messageLength) {
            deliver();
        }
    }

    private void consume(ByteBuffer data) {
        while (!dead && data.hasRemaining()) {
            if (headerFill < WireLimits.FIXED_HEADER_LENGTH) {
                int n = Math.min(WireLimits.FIXED_HEADER_LENGTH - headerFill, data.remaining());
                data.get(header, headerFill, n);
                headerFill += n;
                if (headerFill < WireLimits.FIXED_HEADER_LENGTH) {
                    return;
                }
                int length = DBusMessage.frameLength(header, 0);
                if (length < 0) {
                    violation(DBusMessage.frameError(length), null);
                    break;
                }
                if (length > maxMessageLength) {
                    violation(Validity.TOO_LARGE, null);
                    break;
                }
                messageLength = length;
                messageFill = 0;
                announcedFds = FDS_NOT_READ;
                if (!(length <= EAGER_LIMIT && takeWhole())
                        && !grow(Math.min(length, Math.max(FIRST_BUFFER,
                        WireLimits.FIXED_HEADER_LENGTH + data.remaining())))) {
                    break;
                }
                System.arraycopy(header, 0, message, 0, WireLimits.FIXED_HEADER_LENGTH);
                messageFill = WireLimits.FIXED_HEADER_LENGTH;
            }
            int wanted = Math.min(messageLength - messageFill, data.remaining());
            if (messageFill + wanted > message.length
                    && !grow(Math.min(messageLength, Math.max(4 * message.length, messageFill + wanted)))) {
                break;
            }
            int n = Math.min(message.length - messageFill, wanted);
            data.get(message, messageFill, n);
            messageFill += n;
            if (messageFill == messageLength) {
                deliver();
            }
        }
        if (dead) {
            data.position(data.limit());
        }
    }

    /**
     * Gives the new message its final buffer at once, if the budget takes its whole length now; false (and nothing
     * charged) if not, for the message to grow with its bytes instead.
     */
    private boolean takeWhole() {
        if (!budget.charge(messageLength)) {
            return false;
        }
        charged = messageLength;
        message = buffers.allocate(messageLength);
        return true;
    }

    /**
     * Moves the message into a buffer of {@code capacity} bytes (the message's length: from {@link #buffers}), charged
     * to the budget first; false if the budget refused, after reporting it.
     */
    private boolean grow(int capacity) {
        byte[] next = capacity == messageLength ? null : new byte[capacity];
        int extra = (next != null ? capacity : messageLength) - charged;
        if (extra > 0 && !budget.charge(extra)) {
            dead = true;
            dropMessage();
            listener.onIncomingQuotaExceeded(messageLength);
            return false;
        }
        if (next == null) {
            next = buffers.allocate(messageLength);
        }
        if (message != null) {
            System.arraycopy(message, 0, next, 0, messageFill);
        }
        message = next;
        charged += Math.max(extra, 0);
        return true;
    }

    /** Forgets the message being received and refunds its charge. */
    private void dropMessage() {
        message = null;
        if (charged > 0) {
            budget.refund(charged);
            charged = 0;
        }
    }

    /**
     * The connection is closing: drops the partial message and refunds its charge. The framer ignores input from now
     * on; {@link #drainFds()} still returns the queued descriptors.
     */
    public void close() {
        dead = true;
        dropMessage();
    }

    private void deliver() {
        byte[] bytes = message;
        dropMessage();
        headerFill = 0;
        messageFill = 0;
        DBusMessage m = new DBusMessage();
        Validity v = m.parse(bytes, messageLength);
        if (v.isError()) {
            violation(v, m);
            return;
        }
        int claimed = m.unixFds();
        if (claimed > fdCount) {
            violation(Validity.MISSING_UNIX_FDS, m);
            return;
        }
        if (claimed > maxMessageFds) {
            // Received over several reads, each within the limit: dbus-daemon would have had no room for the rest.
            violation(Validity.UNIX_FDS_OVER_LIMIT, m);
            return;
        }
        int[] fds = takeFds(claimed);
        if (v == Validity.VALID) {
            listener.onMessage(m, fds);
        } else {
            listener.onUnknownMessage(m, fds);
        }
    }

    private int[] takeFds(int n) {
        if (n == 0) {
            return NO_FDS;
        }
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = fdQueue[(fdHead + i) % fdQueue.length];
        }
        fdHead = (fdHead + n) % fdQueue.length;
        fdCount -= n;
        return out;
    }

    private void violation(Validity reason, DBusMessage m) {
        if (!dead) {
            dead = true;
            dropMessage();
            listener.onProtocolViolation(reason, m);
        }
    }

    @Override
    public String toString() {
        return "MessageFramer{headerFill=" + headerFill + ", messageFill=" + messageFill + ", queuedFds=" + fdCount
                + (dead ? ", dead" : "") + "}";
    }
}
