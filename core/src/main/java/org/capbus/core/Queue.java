package org.capbus.core;

/**
 * A peer's incoming queue: events in commit order (so in global sequence order), as a growable ring buffer of
 * two arrays (stamps and references), so queuing an event allocates nothing once the arrays have grown to the peer's working size.
 *
 * <p>An entry is a message ({@link #MESSAGE}: the receiver's handle to the destination node, the message, and the
 * two usages it was charged to) or a notification ({@link #NODE_DESTROYED}, {@link #NODE_RELEASED}: the receiver's
 * handle it concerns). The handles a message transfers are installed in the receiving peer when it is queued and are
 * kept in a second ring, {@code message.handles().length} of them per message entry, in entry order.
 *
 * <p>Owned by its {@link Peer}; event-loop thread only.
 */
final class Queue {
    static final byte MESSAGE = 0;
    static final byte NODE_DESTROYED = 1;
    static final byte NODE_RELEASED = 2;

    private static final int INITIAL_CAPACITY = 16;
    /** Bits of a stamp that hold the entry's kind; the rest is its sequence number. */
    private static final int KIND_BITS = 2;
    private static final long KIND_MASK = (1 << KIND_BITS) - 1;
    /** References per entry: destination handle, message, peer usage, user usage. */
    private static final int STRIDE = 4;

    /*
     * An entry is one stamp and STRIDE consecutive references, so queuing or taking one touches two cache lines
     * (one per array), not one per field:
     *
     *   stamps:  | sequence << 2 | kind |
     *   entries: | handle | message | peer usage | user usage |   (notifications: handle only)
     */
    private long[] stamps = new long[INITIAL_CAPACITY];
    private Object[] entries = new Object[INITIAL_CAPACITY * STRIDE];
    private int head;
    private int size;

    private Handle[] transfers = new Handle[INITIAL_CAPACITY];
    private int transferHead;
    private int transferSize;

    boolean isEmpty() {
        return size == 0;
    }

    int size() {
        return size;
    }

    void pushMessage(long sequence, Handle destination, Message message, Usage peerUsage, Usage userUsage) {
        int i = slot();
        stamps[i] = (sequence << KIND_BITS) | MESSAGE;
        Object[] e = entries;
        int at = i * STRIDE;
        e[at] = destination;
        e[at + 1] = message;
        e[at + 2] = peerUsage;
        e[at + 3] = userUsage;
    }

    /** Appends one transferred handle (or null) of the message entry pushed last. */
    void pushTransfer(Handle handle) {
        if (transferSize == transfers.length) {
            transfers = grow(transfers, transferHead, transferSize);
            transferHead = 0;
        }
        transfers[(transferHead + transferSize) & (transfers.length - 1)] = handle;
        transferSize++;
    }

    void pushNotification(long sequence, byte kind, Handle handle) {
        int i = slot();
        stamps[i] = (sequence << KIND_BITS) | kind;
        entries[i * STRIDE] = handle;
    }

    byte headKind() {
        return (byte) (stamps[head] & KIND_MASK);
    }

    long headSequence() {
        return stamps[head] >>> KIND_BITS;
    }

    Handle headHandle() {
        return (Handle) entries[head * STRIDE];
    }

    Message headMessage() {
        return (Message) entries[head * STRIDE + 1];
    }

    Usage headPeerUsage() {
        return (Usage) entries[head * STRIDE + 2];
    }

    Usage headUserUsage() {
        return (Usage) entries[head * STRIDE + 3];
    }

    /** Hands each queued message, oldest first, to {@code action}, taking none (snapshots; see Peer). */
    void forEachMessage(java.util.function.Consumer<Message> action) {
        int mask = stamps.length - 1;
        for (int k = 0; k < size; k++) {
            int i = (head + k) & mask;
            if ((stamps[i] & KIND_MASK) == MESSAGE) {
                action.accept((Message) entries[i * STRIDE + 1]);
            }
        }
    }

    /** Drops the head entry (not its transfers: take those with {@link #popTransfer}). */
    void pop() {
        int i = head;
        Object[] e = entries;
        int at = i * STRIDE;
        e[at] = null;
        e[at + 1] = null;
        e[at + 2] = null;
        e[at + 3] = null;
        head = (i + 1) & (stamps.length - 1);
        size--;
    }

    Handle popTransfer() {
        int i = transferHead;
        Handle h = transfers[i];
        transfers[i] = null;
        transferHead = (i + 1) & (transfers.length - 1);
        transferSize--;
        return h;
    }

    private int slot() {
        if (size == stamps.length) {
            growEntries();
        }
        int i = (head + size) & (stamps.length - 1);
        size++;
        return i;
    }

    private void growEntries() {
        int n = stamps.length;
        long[] st = new long[n * 2];
        Object[] en = new Object[n * 2 * STRIDE];
        for (int j = 0; j < size; j++) {
            int from = (head + j) & (n - 1);
            st[j] = stamps[from];
            System.arraycopy(entries, from * STRIDE, en, j * STRIDE, STRIDE);
        }
        stamps = st;
        entries = en;
        head = 0;
    }

    /** A ring of twice the length holding {@code a}'s {@code count} entries from {@code start}, moved to index 0. */
    private static <T> T[] grow(T[] a, int start, int count) {
        T[] b = java.util.Arrays.copyOf(a, a.length * 2);
        int n = a.length;
        for (int j = 0; j < count; j++) {
            b[j] = a[(start + j) & (n - 1)];
        }
        for (int j = count; j < n; j++) {
            b[j] = null;
        }
        return b;
    }
}
