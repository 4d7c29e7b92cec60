package org.capbus.adapters.transport;

import java.lang.foreign.MemorySegment;

import org.capbus.dbus.io.WrittenCallback;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * The bytes and descriptors queued on one connection and not yet accepted by the kernel. Owned by its
 * {@link UnixConnection}, used on the event-loop thread only.
 *
 * <p>Bytes live in one {@code malloc}ed native block, {@code [readIndex, writeIndex)}, so {@code sendmsg} reads them
 * in place; the block doubles when full (after compacting, when that frees enough) and is freed once drained if it
 * grew large. Positions of descriptor attachments are absolute stream offsets ({@code streamBase} is the offset of
 * {@code readIndex}), so compaction never has to touch them.
 *
 * <p>Lent bytes ({@link #lend}) are not copied: the buffer keeps a reference to the caller's array, in order between
 * the copied bytes (each lending records how many copied bytes precede it), sends straight from the array with
 * {@code send}, and tells the lender once the last of its bytes went (or at {@link #release}). Stream offsets of
 * copied bytes ({@code streamBase}) count copied bytes only; lendings are placed by them.
 *
 * <p>Descriptor rule: a {@code sendmsg} carrying descriptors must start exactly at the byte they are attached to,
 * and must not reach the next attachment, so a receiver sees each set with the first byte of the D-Bus message it
 * belongs to. The kernel attaches them to the first buffer of the send, so they go even if only part of the bytes do.
 */
final class OutboundBuffer {
    /** Result of {@link #flush}: everything queued was written. */
    static final int FLUSHED = 0;
    /** Result of {@link #flush}: the socket is full; wait for {@code EPOLLOUT}. */
    static final int WOULD_BLOCK = 1;

    private static final int INITIAL_CAPACITY = 4096;
    /** A drained buffer larger than this is freed, so that one burst does not pin memory on an idle connection. */
    private static final long RETAINED_CAPACITY = 256 * 1024;

    private MemorySegment memory = MemorySegment.NULL;
    private long capacity;
    private long readIndex;
    private long writeIndex;
    /** Stream offset of the byte at {@code readIndex}. */
    private long streamBase;

    // Attachments, a FIFO in parallel arrays: entry i covers fds[attachFirst[i], attachFirst[i] + attachCount[i]).
    private long[] attachPosition = new long[0];
    private int[] attachFirst = new int[0];
    private int[] attachCount = new int[0];
    private int attachHead;
    private int attachTail;
    private int[] fds = new int[0];
    private int fdTail;

    // Lendings, a FIFO in parallel arrays: lentArray[i][lentOffset[i], + lentLength[i]) goes after the copied byte
    // at stream offset lentPosition[i] - 1; lentDone[i] is told when it is sent.
    private byte[][] lentArray = new byte[0][];
    private int[] lentOffset = new int[0];
    private int[] lentLength = new int[0];
    private long[] lentPosition = new long[0];
    private WrittenCallback[] lentDone = new WrittenCallback[0];
    private int lentHead;
    private int lentTail;
    private long lentBytes;

    long pendingBytes() {
        return writeIndex - readIndex + lentBytes;
    }

    /** Descriptors attached to bytes not yet written (each duplicated for this connection: they hold an fd each). */
    int pendingFds() {
        return attachHead < attachTail ? fdTail - attachFirst[attachHead] : 0;
    }

    /** Stream offset the next appended byte gets. */
    private long streamEnd() {
        return streamBase + (writeIndex - readIndex);
    }

    /** Copies {@code length} bytes in. Returns false if native memory could not be had (the caller closes). */
    boolean append(byte[] src, int offset, int length) {
        if (capacity - writeIndex < length && !makeRoom(length)) {
            return false;
        }
        MemorySegment.copy(src, offset, memory, JAVA_BYTE, writeIndex, length);
        writeIndex += length;
        return true;
    }

    /**
     * Queues {@code src[offset, offset + length)} to be sent without copying; {@code done} is told once it is sent
     * or the buffer released. The caller leaves those bytes untouched until then.
     *
     * @return false if descriptors wait to be attached to the next byte (they must travel with copied bytes, in a
     *     {@code sendmsg}): nothing was queued, and the caller copies instead
     */
    boolean lend(byte[] src, int offset, int length, WrittenCallback done) {
        long position = streamEnd();
        if (attachHead < attachTail && attachPosition[attachTail - 1] == position) {
            return false;
        }
        if (lentTail == lentArray.length) {
            growLendings();
        }
        lentArray[lentTail] = src;
        lentOffset[lentTail] = offset;
        lentLength[lentTail] = length;
        lentPosition[lentTail] = position;
        lentDone[lentTail] = done;
        lentTail++;
        lentBytes += length;
        return true;
    }

    private void growLendings() {
        int live = lentTail - lentHead;
        boolean grow = live * 2 >= lentArray.length;
        int size = grow ? Math.max(4, lentArray.length * 2) : lentArray.length;
        byte[][] arrays = grow ? new byte[size][] : lentArray;
        int[] offsets = grow ? new int[size] : lentOffset;
        int[] lengths = grow ? new int[size] : lentLength;
        long[] positions = grow ? new long[size] : lentPosition;
        WrittenCallback[] dones = grow ? new WrittenCallback[size] : lentDone;
        System.arraycopy(lentArray, lentHead, arrays, 0, live);
        System.arraycopy(lentOffset, lentHead, offsets, 0, live);
        System.arraycopy(lentLength, lentHead, lengths, 0, live);
        System.arraycopy(lentPosition, lentHead, positions, 0, live);
        System.arraycopy(lentDone, lentHead, dones, 0, live);
        if (!grow) {
            java.util.Arrays.fill(arrays, live, size, null);
            java.util.Arrays.fill(dones, live, size, null);
        }
        lentArray = arrays;
        lentOffset = offsets;
        lentLength = lengths;
        lentPosition = positions;
        lentDone = dones;
        lentHead = 0;
        lentTail = live;
    }

    /** Forgets the first lending and tells its lender. */
    private void lendingDone() {
        WrittenCallback done = lentDone[lentHead];
        lentArray[lentHead] = null;
        lentDone[lentHead] = null;
        lentBytes -= lentLength[lentHead];
        lentHead++;
        if (lentHead == lentTail) {
            lentHead = 0;
            lentTail = 0;
        }
        done.written();
    }

    private boolean makeRoom(long length) {
        long pending = writeIndex - readIndex;
        long needed = pending + length;
        if (needed <= capacity && readIndex >= capacity / 2) {
            MemorySegment.copy(memory, readIndex, memory, 0, pending);
            readIndex = 0;
            writeIndex = pending;
            return true;
        }
        long newCapacity = Math.max(INITIAL_CAPACITY, capacity);
        while (newCapacity < needed) {
            newCapacity <<= 1;
        }
        MemorySegment grown = Syscalls.malloc(newCapacity);
        if (grown.equals(MemorySegment.NULL)) {
            return false;
        }
        if (pending > 0) {
            MemorySegment.copy(memory, readIndex, grown, 0, pending);
        }
        if (capacity > 0) {
            Syscalls.free(memory);
        }
        memory = grown;
        capacity = newCapacity;
        readIndex = 0;
        writeIndex = pending;
        return true;
    }

    /**
     * Attaches already-duplicated descriptors to the next appended byte. Sets attached to the same byte merge.
     *
     * @return false if that would put more than {@link Syscalls#SCM_MAX_FD} descriptors on one byte (the kernel
     *     refuses such a {@code sendmsg}); nothing was attached then
     */
    boolean attach(int[] duplicated, int count) {
        long position = streamEnd();
        boolean merge = attachHead < attachTail && attachPosition[attachTail - 1] == position;
        int already = merge ? attachCount[attachTail - 1] : 0;
        if (already + count > Syscalls.SCM_MAX_FD) {
            return false;
        }
        if (fdTail + count > fds.length) {
            growFds(count);
        }
        System.arraycopy(duplicated, 0, fds, fdTail, count);
        if (merge) {
            attachCount[attachTail - 1] += count;
        } else {
            if (attachTail == attachPosition.length) {
                growAttachments();
            }
            attachPosition[attachTail] = position;
            attachFirst[attachTail] = fdTail;
            attachCount[attachTail] = count;
            attachTail++;
        }
        fdTail += count;
        return true;
    }

    private void growFds(int count) {
        int live = attachHead < attachTail ? attachFirst[attachHead] : fdTail;
        int used = fdTail - live;
        int[] next = used + count > fds.length ? new int[Math.max(16, (used + count) * 2)] : fds;
        System.arraycopy(fds, live, next, 0, used);
        for (int i = attachHead; i < attachTail; i++) {
            attachFirst[i] -= live;
        }
        fds = next;
        fdTail = used;
    }

    private void growAttachments() {
        int live = attachTail - attachHead;
        boolean grow = live * 2 >= attachPosition.length;
        int size = grow ? Math.max(8, attachPosition.length * 2) : attachPosition.length;
        long[] positions = grow ? new long[size] : attachPosition;
        int[] firsts = grow ? new int[size] : attachFirst;
        int[] counts = grow ? new int[size] : attachCount;
        System.arraycopy(attachPosition, attachHead, positions, 0, live);
        System.arraycopy(attachFirst, attachHead, firsts, 0, live);
        System.arraycopy(attachCount, attachHead, counts, 0, live);
        attachPosition = positions;
        attachFirst = firsts;
        attachCount = counts;
        attachHead = 0;
        attachTail = live;
    }

    /**
     * Writes as much as the socket takes: copied bytes with one {@code sendmsg} per attachment boundary, lent bytes
     * with {@code send} straight from their array, in stream order.
     *
     * @return {@link #FLUSHED}, {@link #WOULD_BLOCK}, or a negated errno the connection dies of
     */
    int flush(int fd, Syscalls syscalls, SocketMessage message, TransportCounters counters) {
        while (true) {
            if (lentHead < lentTail && lentPosition[lentHead] == streamBase) {
                // Every copied byte before this lending is sent: its turn.
                int length = lentLength[lentHead];
                long written = syscalls.sendHeap(fd, lentArray[lentHead], lentOffset[lentHead], length,
                        Syscalls.MSG_NOSIGNAL | Syscalls.MSG_DONTWAIT);
                counters.sendmsgCalls++;
                if (written < 0) {
                    if (written == -Errno.EINTR) {
                        continue;
                    }
                    return written == -Errno.EAGAIN ? WOULD_BLOCK : (int) written;
                }
                counters.bytesWritten += written;
                if (written < length) {
                    lentOffset[lentHead] += (int) written;
                    lentLength[lentHead] = length - (int) written;
                    lentBytes -= written;
                    return WOULD_BLOCK;
                }
                lendingDone();
                continue;
            }
            if (writeIndex == readIndex) {
                break;
            }
            long length = writeIndex - readIndex;
            if (lentHead < lentTail) {
                length = Math.min(length, lentPosition[lentHead] - streamBase);
            }
            int fdCount = 0;
            if (attachHead < attachTail) {
                long distance = attachPosition[attachHead] - streamBase;
                if (distance == 0) {
                    fdCount = attachCount[attachHead];
                    if (attachHead + 1 < attachTail) {
                        length = Math.min(length, attachPosition[attachHead + 1] - streamBase);
                    }
                } else {
                    length = Math.min(length, distance);
                }
            }
            message.prepareSend(memory.address() + readIndex, length, fds,
                    fdCount == 0 ? 0 : attachFirst[attachHead], fdCount);
            long written = syscalls.sendmsg(fd, message.header(), Syscalls.MSG_NOSIGNAL | Syscalls.MSG_DONTWAIT);
            counters.sendmsgCalls++;
            if (written < 0) {
                if (written == -Errno.EINTR) {
                    continue;
                }
                return written == -Errno.EAGAIN ? WOULD_BLOCK : (int) written;
            }
            if (fdCount > 0) {
                // The kernel now holds its own references: ours are done whatever part of the bytes went.
                closeAttachment(attachHead, syscalls);
                attachHead++;
                counters.fdsSent += fdCount;
            }
            readIndex += written;
            streamBase += written;
            counters.bytesWritten += written;
            if (written < length) {
                return WOULD_BLOCK;
            }
        }
        drained();
        return FLUSHED;
    }

    private void drained() {
        readIndex = 0;
        writeIndex = 0;
        if (attachHead == attachTail) {
            attachHead = 0;
            attachTail = 0;
            fdTail = 0;
        }
        if (capacity > RETAINED_CAPACITY) {
            Syscalls.free(memory);
            memory = MemorySegment.NULL;
            capacity = 0;
        }
    }

    private void closeAttachment(int index, Syscalls syscalls) {
        int first = attachFirst[index];
        for (int i = 0; i < attachCount[index]; i++) {
            syscalls.close(fds[first + i]);
        }
    }

    /**
     * What is queued, for a live upgrade: the exact byte stream still to be written (copied bytes and lent bytes
     * interleaved in stream order, so queued large messages travel too), and for each attachment its offset in that
     * stream and duplicates of its descriptors (the caller owns the duplicates; the buffer keeps its own). Nothing
     * changes here: lenders are still told at {@link #release}.
     */
    TransportImage.Pending snapshot(Syscalls syscalls) {
        byte[] bytes = new byte[Math.toIntExact(pendingBytes())];
        int out = 0;
        long copiedFrom = readIndex;
        for (int i = lentHead; i < lentTail; i++) {
            // The copied bytes before this lending (its position counts copied bytes only), then the lending.
            long copiedTo = readIndex + (lentPosition[i] - streamBase);
            int copied = (int) (copiedTo - copiedFrom);
            if (copied > 0) {
                MemorySegment.copy(memory, JAVA_BYTE, copiedFrom, bytes, out, copied);
                out += copied;
                copiedFrom = copiedTo;
            }
            System.arraycopy(lentArray[i], lentOffset[i], bytes, out, lentLength[i]);
            out += lentLength[i];
        }
        int rest = (int) (writeIndex - copiedFrom);
        if (rest > 0) {
            MemorySegment.copy(memory, JAVA_BYTE, copiedFrom, bytes, out, rest);
        }
        int n = attachTail - attachHead;
        long[] at = new long[n];
        int[][] sets = new int[n][];
        for (int i = 0; i < n; i++) {
            int a = attachHead + i;
            // An attachment sits on a copied byte; the lendings placed at or before it precede that byte.
            long lentBefore = 0;
            for (int l = lentHead; l < lentTail && lentPosition[l] <= attachPosition[a]; l++) {
                lentBefore += lentLength[l];
            }
            at[i] = attachPosition[a] - streamBase + lentBefore;
            sets[i] = new int[attachCount[a]];
            for (int j = 0; j < attachCount[a]; j++) {
                sets[i][j] = syscalls.dupCloexec(fds[attachFirst[a] + j]);
            }
        }
        return new TransportImage.Pending(bytes, at, sets);
    }

    /**
     * Closes every descriptor not yet sent, frees the memory and tells every lender its bytes are no longer needed.
     * The buffer is empty and usable afterwards.
     */
    void release(Syscalls syscalls) {
        while (lentHead < lentTail) {
            lendingDone();
        }
        for (int i = attachHead; i < attachTail; i++) {
            closeAttachment(i, syscalls);
        }
        attachHead = 0;
        attachTail = 0;
        fdTail = 0;
        if (capacity > 0) {
            Syscalls.free(memory);
        }
        memory = MemorySegment.NULL;
        capacity = 0;
        readIndex = 0;
        writeIndex = 0;
    }
}
