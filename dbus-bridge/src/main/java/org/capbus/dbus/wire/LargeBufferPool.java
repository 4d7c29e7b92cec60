package org.capbus.dbus.wire;

import java.util.function.LongSupplier;

/**
 * Reuses the buffers of large messages. A bus that relays 1 MiB messages would otherwise allocate a new 1 MiB array
 * for each one, and the garbage collector would spend most of its time copying the ones still in flight; with the
 * pool a steady flow of large messages allocates nothing.
 *
 * <p>Buffers of at least {@link #MIN_POOLED} bytes are rounded up to a multiple of 64 KiB (at most 1/16 more than
 * asked for) and, once the bus has written the message to every receiver, returned with {@link #release}. The pool
 * keeps a few buffers per size and at most {@code capacityBytes} in all; anything beyond is left to the garbage
 * collector. Smaller messages get exact arrays: they die young and cost the collector nothing.
 *
 * <p>An idle pool empties itself: with a {@link Timer}, the first buffer taken back arms a check that drops every
 * idle buffer once no large buffer was taken or given back for {@link #IDLE_MILLIS}, so that the collector can give
 * the memory of a burst back to the system (an idle session bus should not keep 32 MiB of it). No timer runs while
 * the pool is empty.
 *
 * <p>Owned by the event-loop thread; not thread-safe.
 */
public final class LargeBufferPool implements MessageBuffers {
    /** Messages at least this long come from the pool. */
    public static final int MIN_POOLED = 64 * 1024;
    private static final int UNIT_SHIFT = 16;
    private static final int UNIT = 1 << UNIT_SHIFT;
    /** Buffers kept per size. */
    private static final int PER_SIZE = 8;

    /** How long the pool keeps its buffers without any large message coming or going. */
    public static final long IDLE_MILLIS = 5_000;

    /** Runs a task on the pool's thread after a delay (the event loop's scheduler). */
    @FunctionalInterface
    public interface Timer {
        void schedule(Runnable task, long delayMillis);
    }

    private final long capacityBytes;
    private final Timer timer;
    private final LongSupplier nanoClock;
    private boolean trimArmed;
    private long lastUseNanos;
    private final byte[][][] bySize = new byte[(WireLimits.MAX_MESSAGE_LENGTH >>> UNIT_SHIFT) + 1][][];
    private final int[] counts = new int[bySize.length];
    private long pooledBytes;
    private long reused;
    private long allocated;

    /** A pool that keeps at most {@code capacityBytes} of idle buffers, for as long as it lives. */
    public LargeBufferPool(long capacityBytes) {
        this(capacityBytes, null, System::nanoTime);
    }

    /** A pool that keeps at most {@code capacityBytes} of buffers, emptied after {@link #IDLE_MILLIS} unused. */
    public LargeBufferPool(long capacityBytes, Timer timer) {
        this(capacityBytes, timer, System::nanoTime);
    }

    /** For tests: {@code nanoClock} stands in for {@link System#nanoTime()}. */
    LargeBufferPool(long capacityBytes, Timer timer, LongSupplier nanoClock) {
        this.capacityBytes = capacityBytes;
        this.timer = timer;
        this.nanoClock = nanoClock;
    }

    @Override
    public byte[] allocate(int length) {
        if (length < MIN_POOLED) {
            return new byte[length];
        }
        int units = (int) (((long) length + UNIT - 1) >>> UNIT_SHIFT);
        lastUseNanos = nanoClock.getAsLong();
        int n = counts[units];
        if (n > 0) {
            byte[][] stack = bySize[units];
            byte[] b = stack[--n];
            stack[n] = null;
            counts[units] = n;
            pooledBytes -= b.length;
            reused++;
            return b;
        }
        allocated++;
        return new byte[units << UNIT_SHIFT];
    }

    /**
     * Takes back a buffer this pool handed out, once nothing reads it any more. Buffers of other sizes, and any
     * beyond the pool's bounds, are dropped.
     */
    public void release(byte[] b) {
        int length = b.length;
        if (length < MIN_POOLED || (length & (UNIT - 1)) != 0 || pooledBytes + length > capacityBytes) {
            return;
        }
        int units = length >>> UNIT_SHIFT;
        if (units >= bySize.length) {
            return;
        }
        byte[][] stack = bySize[units];
        if (stack == null) {
            stack = new byte[PER_SIZE][];
            bySize[units] = stack;
        }
        int n = counts[units];
        if (n == PER_SIZE) {
            return;
        }
        stack[n] = b;
        counts[units] = n + 1;
        pooledBytes += length;
        lastUseNanos = nanoClock.getAsLong();
        if (timer != null && !trimArmed) {
            trimArmed = true;
            timer.schedule(this::trimIfIdle, IDLE_MILLIS);
        }
    }

    /** The idle check: drops every buffer if none was used for {@link #IDLE_MILLIS}, else checks again later. */
    private void trimIfIdle() {
        trimArmed = false;
        if (pooledBytes == 0) {
            return;
        }
        long idleMillis = (nanoClock.getAsLong() - lastUseNanos) / 1_000_000;
        if (idleMillis >= IDLE_MILLIS) {
            clear();
        } else {
            trimArmed = true;
            timer.schedule(this::trimIfIdle, IDLE_MILLIS - idleMillis);
        }
    }

    /** Drops every idle buffer. */
    public void clear() {
        for (int units = 0; units < bySize.length; units++) {
            byte[][] stack = bySize[units];
            if (stack != null) {
                java.util.Arrays.fill(stack, null);
                counts[units] = 0;
            }
        }
        pooledBytes = 0;
    }

    /** Bytes held by idle buffers. */
    public long pooledBytes() {
        return pooledBytes;
    }

    /** Large buffers handed out from the pool. */
    public long reused() {
        return reused;
    }

    /** Large buffers that had to be allocated. */
    public long allocated() {
        return allocated;
    }
}
