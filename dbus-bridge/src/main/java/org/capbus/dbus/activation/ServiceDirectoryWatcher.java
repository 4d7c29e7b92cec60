package org.capbus.dbus.activation;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

import org.capbus.config.ConfigProblem;
import org.capbus.config.ServiceCatalog;
import org.capbus.config.ServiceDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the service directories and keeps the bus's {@link ServiceCatalog} current; every read runs on the bus's
 * executor for blocking work, one at a time (file reading never runs on the event loop). It reads them when
 * configured (at start and at every configuration reload), when the kernel reports a change in a watched directory
 * (the JDK's {@link WatchService}, which is inotify on Linux, waited for on a thread of its own; the transient
 * directory is not watched, as in dbus-daemon), and when the bus asks after a lookup missed ({@link #rescan}, as
 * dbus-daemon re-reads its directories when a name is not in its cache; then only if a directory changed since the
 * last read). Each read hands a whole new catalog to the sink, and logs every skipped file once, with its file, line
 * and reason.
 *
 * <p>Thread-safe: {@link #configure}, {@link #rescan} and {@link #close} may be called from any thread; the sink
 * and the rescan callbacks run on the blocking executor (the bus moves them onto its loop).
 */
public final class ServiceDirectoryWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ServiceDirectoryWatcher.class);

    private final Executor blocking;
    private final Consumer<ServiceCatalog> sink;
    private final WatchService watchService;
    // Guarded by this: what the next read must do.
    private List<ServiceDir> dirs = List.of();
    private boolean strict;
    private boolean rewatch;
    private boolean fullRead;
    private final List<Runnable> afterRead = new ArrayList<>();
    private boolean scheduled;
    private boolean closed;
    // Touched only by the read in progress (reads never overlap).
    private final List<WatchKey> keys = new ArrayList<>();
    private final Map<Path, FileTime> stamps = new HashMap<>();
    private final Set<String> logged = new HashSet<>();

    /** A watcher that reads on {@code blocking}; nothing is read until {@link #configure}. */
    public ServiceDirectoryWatcher(Executor blocking, Consumer<ServiceCatalog> sink) {
        this.blocking = blocking;
        this.sink = sink;
        WatchService ws;
        try {
            ws = FileSystems.getDefault().newWatchService();
        } catch (IOException e) {
            log.warn("cannot watch service directories ({}); new services need a reload or a lookup", e.toString());
            ws = null;
        }
        this.watchService = ws;
        if (ws != null) {
            Thread.ofPlatform().name("capbus-service-watch").daemon().start(this::watch);
        }
    }

    /** Sets the directories ({@code strict}: every file must be named after its bus name) and reads them. */
    public synchronized void configure(List<ServiceDir> newDirs, boolean strictNaming) {
        dirs = List.copyOf(newDirs);
        strict = strictNaming;
        rewatch = true;
        fullRead = true;
        schedule();
    }

    /**
     * Reads the directories again if any of them changed since the last read, publishes the result if so, and then
     * runs {@code done}.
     */
    public synchronized void rescan(Runnable done) {
        afterRead.add(done);
        schedule();
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (watchService != null) {
            try {
                watchService.close();
            } catch (IOException e) {
                log.debug("closing the watch service: {}", e.toString());
            }
        }
    }

    private synchronized void changed() {
        fullRead = true;
        schedule();
    }

    private void schedule() {
        if (!scheduled && !closed) {
            scheduled = true;
            blocking.execute(this::read);
        }
    }

    private void watch() {
        try {
            while (true) {
                WatchKey key = watchService.take();
                key.pollEvents();
                key.reset();
                changed();
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closed
        }
    }

    /** One read, with what was asked for until it started; what is asked for meanwhile schedules the next. */
    private void read() {
        List<ServiceDir> d;
        boolean strictNaming;
        boolean watchAgain;
        boolean full;
        List<Runnable> done;
        synchronized (this) {
            d = dirs;
            strictNaming = strict;
            watchAgain = rewatch;
            full = fullRead;
            done = new ArrayList<>(afterRead);
            rewatch = false;
            fullRead = false;
            afterRead.clear();
        }
        try {
            if (watchAgain) {
                rewatch(d);
            }
            if (full || !Objects.equals(currentStamps(d), stamps)) {
                publish(d, strictNaming);
            }
        } catch (RuntimeException e) {
            log.error("reading the service directories failed", e);
        } finally {
            done.forEach(Runnable::run);
            synchronized (this) {
                scheduled = false;
                if (rewatch || fullRead || !afterRead.isEmpty()) {
                    schedule();
                }
            }
        }
    }

    private void publish(List<ServiceDir> d, boolean strictNaming) {
        Map<Path, FileTime> now = currentStamps(d);
        ServiceCatalog catalog = ServiceCatalog.read(d, strictNaming);
        stamps.clear();
        stamps.putAll(now);
        for (ConfigProblem p : catalog.problems()) {
            if (logged.add(p.toString())) {
                log.warn("skipping service file {}", p);
            }
        }
        sink.accept(catalog);
    }

    private static Map<Path, FileTime> currentStamps(List<ServiceDir> d) {
        Map<Path, FileTime> m = new HashMap<>();
        for (ServiceDir dir : d) {
            try {
                m.put(dir.path(), Files.getLastModifiedTime(dir.path()));
            } catch (IOException e) {
                // absent: no stamp
            }
        }
        return m;
    }

    private void rewatch(List<ServiceDir> d) {
        keys.forEach(WatchKey::cancel);
        keys.clear();
        if (watchService == null) {
            return;
        }
        for (ServiceDir dir : d) {
            if (!dir.watched() || !Files.isDirectory(dir.path())) {
                continue;
            }
            try {
                keys.add(dir.path().register(watchService, StandardWatchEventKinds.ENTRY_CREATE,
                        StandardWatchEventKinds.ENTRY_DELETE, StandardWatchEventKinds.ENTRY_MODIFY));
            } catch (IOException | ClosedWatchServiceException e) {
                log.debug("cannot watch {}: {}", dir.path(), e.toString());
            }
        }
    }
}
