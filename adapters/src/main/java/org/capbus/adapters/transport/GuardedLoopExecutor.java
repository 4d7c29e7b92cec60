package org.capbus.adapters.transport;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event loop as the bridge sees it ({@link UnixTransport#executor()}): every task and timer runs on the loop as
 * before, but an {@link Error} thrown by one goes to the {@link FatalErrorHandler} instead of netty, which would log it
 * and carry on (or, for a timer, keep it silently in a future nobody reads). A {@link RuntimeException} from a task
 * nobody waits for ({@code execute}, {@code schedule} of a {@code Runnable}) is a bug: it is logged with its stack and
 * the loop goes on; from {@code submit} or a {@code Callable} it reaches the caller's future unchanged.
 *
 * <p>Stateless apart from its two references; safe from any thread, as the loop it wraps.
 */
final class GuardedLoopExecutor implements ScheduledExecutorService {
    private static final Logger LOG = LoggerFactory.getLogger(GuardedLoopExecutor.class);

    private final ScheduledExecutorService loop;
    private final FatalErrorHandler fatal;

    GuardedLoopExecutor(ScheduledExecutorService loop, FatalErrorHandler fatal) {
        this.loop = loop;
        this.fatal = fatal;
    }

    /** A task whose failures nobody collects: an Error is fatal, a RuntimeException is logged. */
    Runnable unattended(Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.error("a task on the event loop failed: {}", task, e);
            } catch (Error e) {
                // Only a test's handler returns.
                fatal.fatal("a task on the event loop", e);
            }
        };
    }

    /** A task whose caller reads the result: only an Error is intercepted. */
    private Runnable attended(Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (Error e) {
                fatal.fatal("a task on the event loop", e);
                throw e;
            }
        };
    }

    private <T> Callable<T> attended(Callable<T> task) {
        return () -> {
            try {
                return task.call();
            } catch (Error e) {
                fatal.fatal("a task on the event loop", e);
                throw e;
            }
        };
    }

    private <T> List<Callable<T>> attendedAll(Collection<? extends Callable<T>> tasks) {
        return tasks.stream().map(this::attended).toList();
    }

    @Override
    public void execute(Runnable command) {
        loop.execute(unattended(command));
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
        return loop.schedule(unattended(command), delay, unit);
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
        return loop.schedule(attended(callable), delay, unit);
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
        return loop.scheduleAtFixedRate(unattended(command), initialDelay, period, unit);
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
        return loop.scheduleWithFixedDelay(unattended(command), initialDelay, delay, unit);
    }

    @Override
    public <T> Future<T> submit(Callable<T> task) {
        return loop.submit(attended(task));
    }

    @Override
    public <T> Future<T> submit(Runnable task, T result) {
        return loop.submit(attended(task), result);
    }

    @Override
    public Future<?> submit(Runnable task) {
        return loop.submit(attended(task));
    }

    @Override
    public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks) throws InterruptedException {
        return loop.invokeAll(attendedAll(tasks));
    }

    @Override
    public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
            throws InterruptedException {
        return loop.invokeAll(attendedAll(tasks), timeout, unit);
    }

    @Override
    public <T> T invokeAny(Collection<? extends Callable<T>> tasks) throws InterruptedException, ExecutionException {
        return loop.invokeAny(attendedAll(tasks));
    }

    @Override
    public <T> T invokeAny(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
            throws InterruptedException, ExecutionException, TimeoutException {
        return loop.invokeAny(attendedAll(tasks), timeout, unit);
    }

    @Override
    public void shutdown() {
        loop.shutdown();
    }

    @Override
    public List<Runnable> shutdownNow() {
        return loop.shutdownNow();
    }

    @Override
    public boolean isShutdown() {
        return loop.isShutdown();
    }

    @Override
    public boolean isTerminated() {
        return loop.isTerminated();
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return loop.awaitTermination(timeout, unit);
    }
}
