package org.capbus.dbus.broker;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * An event loop that runs nothing by itself: the test thread is the loop, and timers (the authentication timeout)
 * and tasks posted to the loop wait until the test runs them with {@link #runTimers()} or {@link #runTasks()}. No
 * thread is ever started.
 */
final class ManualLoop extends ScheduledThreadPoolExecutor {
    private final List<Runnable> timers = new ArrayList<>();
    private final List<Runnable> tasks = new ArrayList<>();

    ManualLoop() {
        super(1);
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
        Pending p = new Pending(command, unit.toMillis(delay));
        timers.add(p);
        return p;
    }

    @Override
    public void execute(Runnable command) {
        tasks.add(command);
    }

    /** The delays, in milliseconds, of the timers waiting (neither run nor cancelled), in the order they were set. */
    List<Long> timerDelaysMillis() {
        List<Long> out = new ArrayList<>();
        for (Runnable r : timers) {
            Pending p = (Pending) r;
            if (!p.isDone()) {
                out.add(p.delayMillis);
            }
        }
        return out;
    }

    /** Runs every timer that was not cancelled, now. */
    void runTimers() {
        List<Runnable> due = new ArrayList<>(timers);
        timers.clear();
        due.forEach(Runnable::run);
    }

    /** Runs the tasks posted to the loop so far (and those they post), in order. */
    void runTasks() {
        while (!tasks.isEmpty()) {
            tasks.removeFirst().run();
        }
    }

    private static final class Pending implements ScheduledFuture<Object>, Runnable {
        private final Runnable command;
        private final long delayMillis;
        private boolean cancelled;
        private boolean done;

        Pending(Runnable command, long delayMillis) {
            this.command = command;
            this.delayMillis = delayMillis;
        }

        @Override
        public void run() {
            if (!cancelled) {
                done = true;
                command.run();
            }
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(delayMillis, TimeUnit.MILLISECONDS);
        }

        @Override
        public int compareTo(Delayed o) {
            return 0;
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            cancelled = !done;
            return cancelled;
        }

        @Override
        public boolean isCancelled() {
            return cancelled;
        }

        @Override
        public boolean isDone() {
            return done || cancelled;
        }

        @Override
        public Object get() {
            return null;
        }

        @Override
        public Object get(long timeout, TimeUnit unit) {
            return null;
        }
    }
}
