package org.capbus.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

import org.capbus.config.BusConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads the configuration (SIGHUP, {@code ReloadConfig}) on one worker thread, off the event loop, and coalesces
 * requests: every request made before a load starts is answered by that load, so 20,000 pipelined
 * {@code ReloadConfig} calls cost one or two reads of the file, not 20,000 threads. A request made while a load runs
 * waits for the next one (the file may have changed after the running load read it). The result is applied and the
 * requests answered on the loop, in request order.
 *
 * <p>Thread-safe: {@link #request} is called on the loop (or by the signal handler); the worker takes the pending
 * requests under this object's lock.
 */
final class ConfigReloader<T> {
    private static final Logger log = LoggerFactory.getLogger(ConfigReloader.class);

    /** Reads what a reload installs (the configuration file and what it names); a {@link Failure} says why not. */
    @FunctionalInterface
    interface Loader<T> {
        T load() throws Failure;
    }

    /** What the daemon's reload reads: the configuration and the user database its policy names users from. */
    record Loaded(BusConfig config, org.capbus.config.UserDatabase users) {
    }

    /** Why a configuration could not be loaded, in words for the log and the D-Bus error. */
    static final class Failure extends Exception {
        Failure(String message) {
            super(message, null, false, false);
        }
    }

    private final Loader<T> loader;
    private final Executor loop;
    private final Consumer<T> apply;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(
            r -> Thread.ofPlatform().name("capbus-reload").daemon().unstarted(r));
    private List<Consumer<String>> pending = new ArrayList<>();
    private boolean scheduled;

    /**
     * @param loader reads the file, on the worker
     * @param loop   where {@code apply} and the answers run
     * @param apply  installs what loaded
     */
    ConfigReloader(Loader<T> loader, Executor loop, Consumer<T> apply) {
        this.loader = loader;
        this.loop = loop;
        this.apply = apply;
    }

    /** Asks for a reload; {@code done} gets null after it, or why the file was not loaded (the old one stays). */
    synchronized void request(Consumer<String> done) {
        pending.add(done);
        if (!scheduled) {
            scheduled = true;
            worker.execute(this::reload);
        }
    }

    private void reload() {
        List<Consumer<String>> batch;
        synchronized (this) {
            batch = pending;
            pending = new ArrayList<>();
            scheduled = false;
        }
        T fresh = null;
        String failure = null;
        try {
            fresh = loader.load();
        } catch (Failure e) {
            failure = e.getMessage();
            log.error("configuration not reloaded, keeping the running one: {}", failure);
        }
        T loaded = fresh;
        String reason = failure;
        loop.execute(() -> {
            if (loaded != null) {
                apply.accept(loaded);
            }
            for (Consumer<String> done : batch) {
                done.accept(reason);
            }
        });
    }

    /** Stops the worker; a load in progress finishes, pending requests are not answered. */
    void shutdown() {
        worker.shutdownNow();
    }
}
