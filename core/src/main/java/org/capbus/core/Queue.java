package org.capbus.core;

/**
 * A peer's incoming queue: events in commit order (so in global sequence order), as a growable ring buffer of
 * parallel arrays, so queuing an event allocates nothing once the arrays have grown to the peer's working size.
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

    private long[] sequences = new long[INITIAL_CAPACITY];
    private byte[] kinds = new byte[INITIAL_CAPACITY];
    private Handle[] handles = new Handle[INITIAL_CAPACITY];
    private Message[] messages = new Message[INITIAL_CAPACITY];
    private Usage[] peerUsages = new Usage[INITIAL_CAPACITY];
    private Usage[] userUsages = new Usage[INITIAL_CAPACITY];
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
        sequences[i] = sequence;
        kinds[i] = MESSAGE;
        handles[i] = destination;
        messages[i] = message;
        peerUsages[i] = peerUsage;
        userUsages[i] = userUsage;
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
        sequences[i] = sequence;
        kinds[i] = kind;
        handles[i] = handle;
    }

    byte headKind() {
        return kinds[head];
    }

    long headSequence() {
        return sequences[head];
    }

    Handle headHandle() {
        return handles[head];
    }

    Message headMessage() {
        return messages[head];
    }

    Usage headPeerUsage() {
        return peerUsages[head];
    }

    Usage headUserUsage() {
        return userUsages[head];
    }

    /** Drops the head entry (not its transfers: take those with {@link #popTransfer}). */
    void pop() {
        int i = head;
        handles[i] = null;
        messages[i] = null;
        peerUsages[i] = null;
        userUsages[i] = null;
        head = (i + 1) & (kinds.length - 1);
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
        if (size == kinds.length) {
            growEntries();
        }
        int i = (head + size) & (kinds.length - 1);
        size++;
        return i;
    }

    private void growEntries() {
        int n = kinds.length;
        long[] seq = new long[n * 2];
        byte[] k = new byte[n * 2];
        for (int j = 0; j < size; j++) {
            int from = (head + j) & (n - 1);
            seq[j] = sequences[from];
            k[j] = kinds[from];
        }
        sequences = seq;
        kinds = k;
        handles = grow(handles, head, size);
        messages = grow(messages, head, size);
        peerUsages = grow(peerUsages, head, size);
        userUsages = grow(userUsages, head, size);
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
