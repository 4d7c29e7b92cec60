package org.capbus.deploy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.capbus.adapters.transport.TransportImage;
import org.capbus.adapters.transport.UnixTransport;
import org.capbus.dbus.broker.Bus;
import org.capbus.dbus.broker.BusHost;
import org.capbus.dbus.broker.handover.BusImage;
import org.capbus.dbus.io.ConnectionHandler;
import org.capbus.dbus.io.TransportConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The new process's dress rehearsal of a takeover (docs/live-upgrade.md, "Pause"): before it tells the old process
 * PREPARED, it decodes, adopts, restores and starts a made-up bus of {@link #CONNECTIONS} connections over socket
 * pairs of its own, into a bus that is then thrown away. The real takeover runs inside the pause every client sees,
 * in a JVM that has run none of that code: interpreted, with classes still to load. Rehearsed, the same code is
 * loaded and mostly compiled by the time the old process stops serving. Measured with 1000 connections, the new
 * process's decode, adoption and restore fell from 150-200 ms to about 80 ms, and the pause clients see from 275 to
 * 138 ms (median of five; docs/live-upgrade.md, "Pause").
 *
 * <p>Nothing of it is visible: the throwaway bus has a host of its own whose timers never run (shut down afterwards)
 * and whose blocking work is dropped (it reads no service directory), its connections are closed in the loop task
 * that registered them with epoll (so no event reaches them), and every descriptor it made is closed. A rehearsal
 * that fails is logged and the takeover goes on: it only costs speed. Runs on the new process's main thread; the bus
 * parts on its loop.
 */
final class TakeoverRehearsal {
    private static final Logger log = LoggerFactory.getLogger(TakeoverRehearsal.class);
    /** Enough calls for the JIT's first tier (a few hundred invocations) on the per-connection code. */
    static final int CONNECTIONS = 600;
    private static final String RULE = "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
            + "member='NameOwnerChanged',arg0='org.capbus.Rehearsal'";

    private TakeoverRehearsal() {
    }

    /** Rehearses the takeover on {@code daemon}'s loop; returns how long it took, in milliseconds. */
    static long run(Daemon daemon) {
        long start = System.nanoTime();
        UnixTransport transport = daemon.transport();
        List<int[]> pairs = new ArrayList<>();
        // How many of the pairs' first descriptors a started connection closed already (the first ones, in order).
        int[] closedByConnections = new int[1];
        ThrowawayHost host = new ThrowawayHost(daemon);
        try {
            daemon.onLoop(() -> {
                for (int i = 0; i < CONNECTIONS; i++) {
                    pairs.add(transport.socketPair());
                }
                List<TransportConnection> first = new ArrayList<>();
                for (int[] pair : pairs) {
                    first.add(transport.adoptConnection(pair[0]));
                }
                BusImage image = image(daemon.bus().guid(), first);
                Map<TransportConnection, TransportImage.Socket> sockets = new IdentityHashMap<>();
                for (int i = 0; i < first.size(); i++) {
                    sockets.put(first.get(i), new TransportImage.Socket(pairs.get(i)[0], TransportImage.Pending.NONE));
                }
                HandoverFormat.Encoded encoded = HandoverFormat.encode(image, new TransportImage(List.of(), sockets),
                        Map.of());
                HandoverFormat.Decoded decoded;
                try {
                    decoded = HandoverFormat.decode(encoded.bytes(), encoded.fds(), HandoverFormat.MAX_READ_VERSION);
                } catch (HandoverFormat.UnreadableException e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
                List<TransportConnection> adopted = new ArrayList<>();
                for (TransportImage.Socket s : decoded.sockets()) {
                    adopted.add(transport.adoptConnection(s.fd()));
                }
                Bus throwaway = new Bus(daemon.bus().config(), Daemon.loadUsers(), host,
                        daemon.bus().ownCredentials(), daemon.bus().guid());
                List<ConnectionHandler> handlers = throwaway.restoreImage(decoded.bus().overTransports(adopted));
                // What follows GO: registered with epoll and reading; then closed, which deregisters them, closes
                // their descriptor and makes the transport forget them. All in this one loop task: no event arrives.
                for (int i = 0; i < adopted.size(); i++) {
                    transport.startAdopted(adopted.get(i), handlers.get(i), TransportImage.Pending.NONE);
                    adopted.get(i).close();
                    closedByConnections[0] = i + 1;
                }
                throwaway.discard();
                return null;
            });
        } catch (IOException | RuntimeException e) {
            log.warn("live upgrade: the rehearsal failed ({}); taking over without it", e.toString());
        } finally {
            host.stop();
            for (int i = 0; i < pairs.size(); i++) {
                if (i >= closedByConnections[0]) {
                    transport.closeFd(pairs.get(i)[0]);
                }
                transport.closeFd(pairs.get(i)[1]);
            }
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    /**
     * A bus like the ones taken over: registered connections with a match rule each, some owning a name with
     * another queued behind, a few reply slots and a monitor.
     */
    private static BusImage image(String guid, List<TransportConnection> transports) {
        List<BusImage.Connection> connections = new ArrayList<>();
        List<BusImage.Name> names = new ArrayList<>();
        List<BusImage.Rule> rules = new ArrayList<>();
        List<BusImage.Reply> replies = new ArrayList<>();
        for (int i = 0; i < transports.size(); i++) {
            boolean monitor = i == transports.size() - 1;
            connections.add(new BusImage.Connection(transports.get(i),
                    monitor ? BusImage.Phase.MONITOR : BusImage.Phase.ACTIVE, ":1." + (i + 1), "EXTERNAL", true,
                    new byte[0], new byte[0], new int[0]));
            if (monitor) {
                continue;
            }
            rules.add(new BusImage.Rule(i, RULE));
            if (i % 4 == 0 && i + 1 < transports.size() - 1) {
                names.add(new BusImage.Name("org.capbus.Rehearsal.N" + i, new int[] {i, i + 1}, new int[] {0, 0}));
            }
            if (i % 16 == 1) {
                replies.add(new BusImage.Reply(i, i, i - 1));
            }
        }
        List<BusImage.Monitor> monitors = List.of(new BusImage.Monitor(transports.size() - 1, List.of()));
        return new BusImage(guid, transports.size() + 1, 1, connections, names, rules, replies, monitors);
    }

    /**
     * The throwaway bus's host: its timers and tasks never run (they are scheduled as empty tasks on an executor of
     * its own, shut down after the rehearsal), blocking work is dropped, descriptors are closed by the real transport,
     * and there is no reload.
     */
    private static final class ThrowawayHost implements BusHost {
        private final Daemon daemon;
        private final ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "capbus-rehearsal");
            t.setDaemon(true);
            return t;
        }) {
            @Override
            public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
                return super.schedule(() -> { }, delay, unit);
            }

            @Override
            public void execute(Runnable command) {
            }
        };

        ThrowawayHost(Daemon daemon) {
            this.daemon = daemon;
            timers.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        }

        void stop() {
            timers.shutdownNow();
        }

        @Override
        public ScheduledExecutorService loop() {
            return timers;
        }

        @Override
        public Executor blocking() {
            return task -> { };
        }

        @Override
        public void closeFd(int fd) {
            daemon.transport().closeFd(fd);
        }

        @Override
        public void reloadConfig(Consumer<String> done) {
            done.accept("not in a rehearsal");
        }
    }
}
