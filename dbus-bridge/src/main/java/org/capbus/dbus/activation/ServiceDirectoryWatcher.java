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
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;

import org.capbus.config.ConfigProblem;
import org.capbus.config.ServiceCatalog;
import org.capbus.config.ServiceDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the service directories and keeps the bus's {@link ServiceCatalog} current, on a thread of its own (file
 * reading never runs on the event loop). It reads them when configured (at start and at every configuration
 * reload), when the kernel reports a change in a watched directory (the JDK's {@link WatchService}, which is
 * inotify on Linux; the transient directory is not watched, as in dbus-daemon), and when the bus asks after a
 * lookup missed ({@link #rescan}, as dbus-daemon re-reads its directories when a name is not in its cache; then
 * only if some directory changed since the last read). Each read hands a whole new catalog to the sink, and logs
 * every skipped file once, with its file, line and reason.
 *
 * <p>Thread-safe: {@link #configure}, {@link #rescan} and {@link #close} may be called from any thread; the sink
 * and the rescan callbacks run on the watcher's thread (the bus moves them onto its loop).
 */
public final class ServiceDirectoryWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ServiceDirectoryWatcher.class);

    private sealed interface Command permits Configure, Rescan, Changed, Stop {
    }

    private record Configure(List<ServiceDir> dirs, boolean strict) implements Command {
    }

    private record Rescan(Runnable done) implements Command {
    }

    private record Changed() implements Command {
    }

    private record Stop() implements Command {
    }

    private final Consumer<ServiceCatalog> sink;
    private final LinkedBlockingQueue<Command> commands = new LinkedBlockingQueue<>();
    private final WatchService watchService;
    private final Thread worker;
    private final Thread watcher;
    // Worker-thread state.
    private List<ServiceDir> dirs = List.of();
    private boolean strict;
    private final List<WatchKey> keys = new ArrayList<>();
    private final Map<Path, FileTime> stamps = new HashMap<>();
    private final java.util.Set<String> logged = new java.util.HashSet<>();

    /** Starts the watcher's threads; nothing is read until {@link #configure}. */
    public ServiceDirectoryWatcher(Consumer<ServiceCatalog> sink) {
        this.sink = sink;
        WatchService ws;
        try {
            ws = FileSystems.getDefault().newWatchService();
        } catch (IOException e) {
            log.warn("cannot watch service directories ({}); new services need a reload or a lookup", e.toString());
            ws = null;
        }
        this.watchService = ws;
        this.worker = Thread.ofPlatform().name("capbus-service-dirs").daemon().start(this::work);
        this.watcher = ws == null ? null : Thread.ofPlatform().name("capbus-service-watch").daemon().start(this::watch);
    }

    /** Sets the directories ({@code strict}: every file must be named after its bus name) and reads them. */
    public void configure(List<ServiceDir> dirs, boolean strict) {
        commands.add(new Configure(List.copyOf(dirs), strict));
    }

    /**
     * Reads the directories again if any of them changed since the last read, publishes the result if so, and then
     * runs {@code done}.
     */
    public void rescan(Runnable done) {
        commands.add(new Rescan(done));
    }

    @Override
    public void close() {
        commands.add(new Stop());
        if (watchService != null) {
            try {
                watchService.close();
            } catch (IOException e) {
                log.debug("closing the watch service: {}", e.toString());
            }
        }
    }

    private void watch() {
        try {
            while (true) {
                WatchKey key = watchService.take();
                key.pollEvents();
                key.reset();
                commands.add(new Changed());
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closed
        }
    }

    private void work() {
        List<Command> batch = new ArrayList<>();
        try {
            while (true) {
                batch.add(commands.take());
                commands.drainTo(batch);
                boolean read = false;
                boolean checkStamps = false;
                List<Runnable> done = new ArrayList<>();
                for (Command c : batch) {
                    switch (c) {
                        case Stop s -> {
                            return;
                        }
                        case Configure conf -> {
                            dirs = conf.dirs();
                            strict = conf.strict();
                            rewatch();
                            read = true;
                        }
                        case Changed ch -> read = true;
                        case Rescan r -> {
                            checkStamps = true;
                            done.add(r.done());
                        }
                    }
                }
                batch.clear();
                if (read || (checkStamps && stampsChanged())) {
                    publish();
                }
                done.forEach(Runnable::run);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("service directory watcher stopped", e);
        }
    }

    private void publish() {
        Map<Path, FileTime> now = currentStamps();
        ServiceCatalog catalog = ServiceCatalog.read(dirs, strict);
        stamps.clear();
        stamps.putAll(now);
        for (ConfigProblem p : catalog.problems()) {
            if (logged.add(p.toString())) {
                log.warn("skipping service file {}", p);
            }
        }
        sink.accept(catalog);
    }

    private boolean stampsChanged() {
        return !Objects.equals(currentStamps(), stamps);
    }

    private Map<Path, FileTime> currentStamps() {
        Map<Path, FileTime> m = new HashMap<>();
        for (ServiceDir d : dirs) {
            try {
                m.put(d.path(), Files.getLastModifiedTime(d.path()));
            } catch (IOException e) {
                // absent: no stamp
            }
        }
        return m;
    }

    private void rewatch() {
        keys.forEach(WatchKey::cancel);
        keys.clear();
        if (watchService == null) {
            return;
        }
        for (ServiceDir d : dirs) {
            if (!d.watched() || !Files.isDirectory(d.path())) {
                continue;
            }
            try {
                keys.add(d.path().register(watchService, StandardWatchEventKinds.ENTRY_CREATE,
                        StandardWatchEventKinds.ENTRY_DELETE, StandardWatchEventKinds.ENTRY_MODIFY));
            } catch (IOException | ClosedWatchServiceException e) {
                log.debug("cannot watch {}: {}", d.path(), e.toString());
            }
        }
    }
}
