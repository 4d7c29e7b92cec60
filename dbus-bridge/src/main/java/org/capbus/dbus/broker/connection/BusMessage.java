package org.capbus.dbus.broker.connection;

import org.capbus.dbus.io.WrittenCallback;
import org.capbus.dbus.wire.LargeBufferPool;

/**
 * One D-Bus message on its way through the core: the payload of a core {@link org.capbus.core.Message}. It is
 * written to a socket as {@code head} followed by {@code tail[tailOffset, tailOffset + tailLength)}: for a message
 * a client sent, {@code head} is the header the bus rebuilt with the sender field it sets itself and the tail is
 * the client's body bytes, untouched; for a message the bus created, {@code head} is the whole message. One
 * instance is shared by every receiver of a broadcast.
 *
 * <p>File descriptors belong to the bus until the last receiver took its copy (the transport duplicates them on
 * write) or dropped the message: {@link #release()} counts receivers down and closes them at zero. A large tail is
 * lent to the transport rather than copied ({@link #LENT_TAIL_MIN}): that lending holds a reference of its own,
 * given back through {@link #written()}, so the pool cannot hand the buffer out again while a socket still sends
 * from it.
 *
 * <p>A message a client sent with descriptors is charged to that client's incoming descriptors while it lives
 * ({@link #chargeFdsTo}): dbus-daemon counts a connection's received messages against {@code max_incoming_unix_fds}
 * until the last receiver has written them, and stops reading from it meanwhile.
 *
 * <p>Event-loop thread only.
 */
public final class BusMessage implements WrittenCallback {
    /**
     * Tails at least this long are lent to the transport ({@code writeLent}) instead of copied into its buffer: one
     * copy of the body less per receiver, where copying costs more than the bookkeeping.
     */
    static final int LENT_TAIL_MIN = LargeBufferPool.MIN_POOLED;

    /** No descriptors. */
    public static final int[] NO_FDS = new int[0];

    final byte[] head;
    final byte[] tail;
    final int tailOffset;
    final int tailLength;
    final int[] fds;
    /**
     * References: one for the dispatcher until routing is done, plus one per receiver that has not yet taken or
     * dropped the message; the fds close when it reaches zero.
     */
    private int pending = 1;
    private final FdCloser closer;
    /** Takes {@code tail} back once the last receiver has written the message; null if the buffer is shared. */
    private final LargeBufferPool pool;
    /** Told when the descriptors close; null if nobody is charged for them. */
    private FdCharge charge;

    /** Who is charged for the descriptors while the message lives: its sender's incoming budget. */
    public interface FdCharge {
        /** The message's {@code count} descriptors were closed: the last receiver took its copy, or none will. */
        void fdsReleased(int count);
    }

    /** Closes descriptors; the transport's job, given to the bridge at start. */
    @FunctionalInterface
    public interface FdCloser {
        void close(int fd);
    }

    /**
     * A message written as {@code head} then {@code tail[tailOffset, tailOffset + tailLength)}, carrying {@code fds}
     * (closed by {@code closer} once the last receiver is done); {@code pool} takes {@code tail} back then, unless
     * null (the buffer is shared with something still reading it).
     */
    public BusMessage(byte[] head, byte[] tail, int tailOffset, int tailLength, int[] fds, FdCloser closer,
                      LargeBufferPool pool) {
        this.pool = pool;
        this.head = head;
        this.tail = tail;
        this.tailOffset = tailOffset;
        this.tailLength = tailLength;
        this.fds = fds;
        this.closer = closer;
    }

    /** A message the bus built whole. */
    public static BusMessage whole(byte[] bytes) {
        return new BusMessage(bytes, null, 0, 0, NO_FDS, null, null);
    }

    /** The message's bytes in one new array (head then tail), for a receiver that needs them whole. */
    public byte[] wholeBytes() {
        if (tailLength == 0) {
            return head;
        }
        byte[] out = new byte[head.length + tailLength];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(tail, tailOffset, out, head.length, tailLength);
        return out;
    }

    /**
     * Charges the descriptors to {@code owner} until they close: {@code owner} has counted them already and is told
     * {@link FdCharge#fdsReleased} once. Call once, before the message is sent, and only if it has descriptors.
     */
    public void chargeFdsTo(FdCharge owner) {
        this.charge = owner;
    }

    /** The descriptors (the message's own array: the bus owns them until the last {@link #release()}). */
    public int[] fds() {
        return fds;
    }

    public long size() {
        return (long) head.length + tailLength;
    }

    /** Counts receivers the message was queued to (after a successful send). */
    public void expect(int receivers) {
        pending += receivers;
    }

    /** The transport is done with the tail it was lent: the lending's reference goes. */
    @Override
    public void written() {
        release();
    }

    /** A receiver wrote or dropped its copy, or the dispatcher is done routing. */
    public void release() {
        if (--pending == 0) {
            closeFds();
            if (pool != null) {
                pool.release(tail);
            }
        }
    }

    /** The number of descriptors it carries. */
    public int fdCount() {
        return fds.length;
    }

    private void closeFds() {
        if (fds.length > 0 && closer != null) {
            for (int fd : fds) {
                closer.close(fd);
            }
        }
        if (charge != null) {
            FdCharge owner = charge;
            charge = null;
            owner.fdsReleased(fds.length);
        }
    }
}
