package org.capbus.bench.wire;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The client side of a round-trip shape: keeps {@code depth} calls in flight until {@code total} have been answered.
 * The first calls go out from the main thread, every later one from the thread that saw an answer arrive (the
 * client's reading thread), so a round trip never waits for the main thread.
 */
final class Pipeline {
    /** Sends one call. */
    interface Sender {
        void send() throws Exception;
    }

    private final int depth;
    private final Sender sender;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong done = new AtomicLong();
    private volatile long total;
    private volatile CountDownLatch finished = new CountDownLatch(0);
    private volatile Throwable error;

    Pipeline(int depth, Sender sender) {
        this.depth = depth;
        this.sender = sender;
    }

    void run(long ops) throws Exception {
        sent.set(0);
        done.set(0);
        total = ops;
        finished = new CountDownLatch(1);
        for (int i = 0; i < depth; i++) {
            sendNext();
        }
        if (!finished.await(2, TimeUnit.MINUTES)) {
            throw new IllegalStateException("round trips did not complete: " + done.get() + " of " + ops);
        }
        if (error != null) {
            throw new IllegalStateException("sending failed", error);
        }
    }

    /** An answer arrived (called on the reading thread). */
    void answered() {
        if (done.incrementAndGet() == total) {
            finished.countDown();
        } else {
            sendNext();
        }
    }

    private void sendNext() {
        if (sent.getAndIncrement() < total) {
            try {
                sender.send();
            } catch (Exception e) {
                error = e;
                finished.countDown();
            }
        }
    }
}
