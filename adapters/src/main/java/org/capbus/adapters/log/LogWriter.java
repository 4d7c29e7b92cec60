package org.capbus.adapters.log;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import org.slf4j.event.Level;

/**
 * Where every log line of the process goes: a bounded queue that {@link #submit} fills without ever waiting (a line
 * that finds it full, or that the rate limit refuses, is dropped and counted), drained by one daemon thread,
 * "capbus-log", that writes each line to standard error and/or the system log: the journal's native socket when it
 * exists, else syslog's {@code /dev/log}; a send waits at most a second for the receiver. Every so often it writes
 * how many lines were dropped. A shutdown hook writes what is still queued. One per process ({@link CapbusLog}); thread-safe.
 */
final class LogWriter {
    /** Lines that may wait; at ~200 bytes each, well under a MiB. */
    static final int QUEUE_CAPACITY = 1024;
    /** A burst of this many lines passes, then {@link #LINES_PER_SECOND}: a flood cannot fill a disk. */
    static final int BURST = 200;
    static final int LINES_PER_SECOND = 50;

    private final BlockingQueue<LogLine> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final RateLimit limit;
    private final LongAdder suppressed = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final long pid = ProcessHandle.current().pid();
    private final ZoneId zone = ZoneId.systemDefault();
    private final PrintStream stderr;
    private volatile Outputs outputs;
    private Thread thread;

    /** Where lines go: standard error, and/or the system log at {@code socket} in {@code journal} or syslog format. */
    record Outputs(boolean stderr, Path socket, boolean journal) {
        static final Outputs STDERR = new Outputs(true, null, false);
    }

    LogWriter(PrintStream stderr, int burst, int perSecond) {
        this.stderr = stderr;
        this.limit = new RateLimit(burst, perSecond);
        this.outputs = Outputs.STDERR;
    }

    /**
     * The system log to use: the journal's native socket if {@code journalSocket} exists, else syslog's socket.
     */
    static Outputs systemLog(boolean alsoStderr, Path journalSocket, Path syslogSocket) {
        return Files.exists(journalSocket) ? new Outputs(alsoStderr, journalSocket, true)
                : new Outputs(alsoStderr, syslogSocket, false);
    }

    void configure(Outputs o) {
        outputs = o;
    }

    Outputs outputs() {
        return outputs;
    }

    /** Queues {@code line} unless the rate limit or a full queue refuses it (then counts it). Never waits. */
    void submit(LogLine line) {
        if (!limit.tryAcquire(System.nanoTime())) {
            suppressed.increment();
            return;
        }
        start();
        if (!queue.offer(line)) {
            dropped.increment();
        }
    }

    private synchronized void start() {
        if (thread != null) {
            return;
        }
        thread = Thread.ofPlatform().daemon().name("capbus-log").start(this::run);
        Runtime.getRuntime().addShutdownHook(new Thread(this::drain, "capbus-log-flush"));
    }

    private void run() {
        UnixDatagram socket = null;
        long lastReport = System.nanoTime();
        while (true) {
            LogLine line;
            try {
                line = queue.poll(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (line != null) {
                socket = write(line, socket);
            }
            long now = System.nanoTime();
            if (now - lastReport >= TimeUnit.SECONDS.toNanos(1)) {
                lastReport = now;
                long s = suppressed.sumThenReset();
                long d = dropped.sumThenReset();
                if (s + d > 0) {
                    socket = write(new LogLine(System.currentTimeMillis(), Level.WARN, false, LogWriter.class.getName(),
                            (s + d) + " log lines dropped (" + s + " over the rate limit of " + LINES_PER_SECOND
                                    + "/s, " + d + " with the queue full)"), socket);
                }
            }
        }
    }

    /** At exit: what is still queued, to standard error and the system log as configured. */
    private void drain() {
        UnixDatagram socket = null;
        LogLine line;
        while ((line = queue.poll()) != null) {
            socket = write(line, socket);
        }
        if (socket != null) {
            socket.close();
        }
    }

    /** Writes one line; returns the socket to use next time (opened on first use). Writer thread. */
    private UnixDatagram write(LogLine line, UnixDatagram socket) {
        Outputs o = outputs;
        boolean toStderr = o.stderr();
        if (o.socket() != null) {
            try {
                if (socket == null) {
                    socket = UnixDatagram.open();
                }
                byte[] datagram = o.journal() ? LogFormats.journal(line, pid) : LogFormats.syslog(line, pid, zone);
                if (socket.send(o.socket(), datagram) != 0) {
                    toStderr = true; // no system log listening: better on standard error than nowhere
                }
            } catch (java.io.IOException | RuntimeException e) {
                toStderr = true;
            }
        }
        if (toStderr) {
            stderr.println(LogFormats.stderrLine(line, pid));
            stderr.flush();
        }
        return socket;
    }
}
