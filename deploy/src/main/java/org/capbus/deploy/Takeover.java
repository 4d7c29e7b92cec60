package org.capbus.deploy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.capbus.adapters.transport.HandoverChannel;
import org.capbus.adapters.transport.SystemdNotifier;
import org.capbus.adapters.transport.TransportImage;
import org.capbus.config.BusConfig;
import org.capbus.dbus.broker.handover.BusImage;
import org.capbus.dbus.io.ConnectionHandler;
import org.capbus.dbus.io.TransportConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The new process's side of a live upgrade (docs/live-upgrade.md): started by the old bus with
 * {@link Upgrader#HANDOVER_ENV}, it has read the configuration afresh (as a reload would), connects to the old
 * process, offers the hand-over versions it reads, receives the sockets and the state, restores the bus over them
 * without reading or writing a socket, and says READY. Only after the old process answered GO does it start
 * reading, writing and accepting. Any failure before GO is sent to the old process (which goes on serving) and this
 * process exits at once, without touching the sockets or running the shutdown hooks.
 *
 * <p>Runs on the main thread; the bus parts on the new loop.
 */
final class Takeover {
    private static final Logger log = LoggerFactory.getLogger(Takeover.class);
    /**
     * For tests of a binary that cannot read the hand-over: the newest format version this process claims to read,
     * below {@link HandoverFormat#MAX_READ_VERSION} (simulates an older capbus).
     */
    static final String MAX_FORMAT_ENV = "CAPBUS_HANDOVER_MAX_FORMAT";
    /**
     * For tests of a binary older than some sections: a comma-separated list of section ids this process reads as
     * unknown (it skips them if optional, refuses the hand-over if one is required), as a capbus built before them.
     */
    static final String UNKNOWN_SECTIONS_ENV = "CAPBUS_HANDOVER_UNKNOWN_SECTIONS";
    /**
     * For tests of a new process that dies at the worst moment: with this set, it ends (as if killed) right after it
     * restored the state over the adopted sockets, before READY.
     */
    static final String CRASH_ENV = "CAPBUS_HANDOVER_CRASH_AFTER_RESTORE";

    private Takeover() {
    }

    /** Takes over; returns the running daemon, or null after reporting why not (the caller exits 1). */
    static Daemon run(DaemonOptions options, BusConfig config, Path socket) {
        HandoverChannel channel;
        try {
            channel = HandoverChannel.connect(socket);
            channel.timeout(Upgrader.TRANSFER_TIMEOUT_MILLIS);
        } catch (IOException e) {
            log.error("live upgrade: {}", e.getMessage());
            return null;
        }
        try {
            long parent = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L);
            long peer = channel.peer().pid();
            if (peer != parent) {
                return fail(channel, "the hand-over socket belongs to pid " + peer + ", not to pid " + parent
                        + " that started this process");
            }
            int maxRead = maxReadVersion();
            ByteBuffer offer = ByteBuffer.allocate(24);
            offer.put(HandoverFormat.MAGIC).putInt(HandoverFormat.MIN_READ_VERSION).putInt(maxRead)
                    .putLong(ProcessHandle.current().pid());
            channel.send(Upgrader.FRAME_OFFER, offer.array(), new int[0]);
            HandoverChannel.Frame busId = channel.receive();
            if (busId.type() != Upgrader.FRAME_BUS_ID) {
                log.error("live upgrade refused by the old process: {}",
                        new String(busId.payload(), StandardCharsets.UTF_8));
                return null;
            }
            Daemon daemon;
            try {
                daemon = Daemon.forTakeover(options, config, new String(busId.payload(), StandardCharsets.UTF_8));
            } catch (IOException | RuntimeException e) {
                return fail(channel, "cannot start the bus: " + e);
            }
            // While the old process still serves: the pause clients will see is the code below, run once.
            long rehearsal = TakeoverRehearsal.run(daemon);
            channel.send(Upgrader.FRAME_PREPARED, new byte[0], new int[0]);
            long waitStart = System.nanoTime();
            long received = 0;
            List<Integer> fds = new ArrayList<>();
            HandoverChannel.Frame frame;
            while (true) {
                frame = channel.receive();
                if (received == 0) {
                    received = System.nanoTime();
                }
                for (int fd : frame.fds()) {
                    fds.add(fd);
                }
                if (frame.type() == Upgrader.FRAME_STATE) {
                    break;
                }
                if (frame.type() != Upgrader.FRAME_FDS) {
                    log.error("live upgrade refused by the old process: {}",
                            new String(frame.payload(), StandardCharsets.UTF_8));
                    return null;
                }
            }
            long transferred = System.nanoTime();
            int[] table = fds.stream().mapToInt(Integer::intValue).toArray();
            HandoverFormat.Decoded decoded;
            try {
                decoded = HandoverFormat.decode(frame.payload(), table, maxRead, unknownSections());
            } catch (HandoverFormat.UnreadableException e) {
                return fail(channel, e.getMessage());
            }
            if (!decoded.bus().guid().equals(daemon.bus().guid())) {
                return fail(channel, "the state is of bus " + decoded.bus().guid() + ", not " + daemon.bus().guid());
            }
            long decodedAt = System.nanoTime();
            // Adopt, restore, READY, wait for GO, start: one task on the loop, which waits for GO itself. So nothing the
            // restored bus schedules (an activation's or a reply's timeout, say) can run, and write to a client,
            // before this process owns the sockets; nor after a GO that never comes (the process then halts).
            long[] marks = new long[3];
            List<TransportConnection> adopted = new ArrayList<>();
            List<String> addresses = new ArrayList<>();
            daemon.onLoop(() -> {
                for (TransportImage.Socket s : decoded.sockets()) {
                    adopted.add(daemon.transport().adoptConnection(s.fd()));
                }
                marks[0] = System.nanoTime();
                List<ConnectionHandler> handlers;
                try {
                    carryOverCounters(daemon, decoded.counters());
                    handlers = daemon.bus().restoreImage(decoded.bus().overTransports(adopted));
                } catch (RuntimeException e) {
                    fail(channel, "cannot restore the state: " + e);
                    return null;
                }
                marks[1] = System.nanoTime();
                if (System.getenv(CRASH_ENV) != null) {
                    System.err.flush();
                    Runtime.getRuntime().halt(137);
                }
                channel.send(Upgrader.FRAME_READY, new byte[0], new int[0]);
                HandoverChannel.Frame go = channel.receive();
                if (go.type() != Upgrader.FRAME_GO) {
                    log.error("live upgrade: the old process did not let go; exiting");
                    System.err.flush();
                    Runtime.getRuntime().halt(1);
                }
                marks[2] = System.nanoTime();
                channel.close();
                // From here on this process owns the sockets.
                for (int i = 0; i < adopted.size(); i++) {
                    TransportImage.Pending pending = decoded.sockets().get(i).pending();
                    daemon.transport().startAdopted(adopted.get(i), handlers.get(i), pending);
                    for (int[] set : pending.attachedFds()) {
                        for (int fd : set) {
                            daemon.transport().closeFd(fd);
                        }
                    }
                }
                for (TransportImage.Listener l : decoded.listeners()) {
                    addresses.add(daemon.transport().adoptListener(l.fd(), l.address(), l.unlinkPath(), daemon.bus()));
                }
                daemon.bus().flush();
                return null;
            });
            // Where this process's part of the pause went (the old process logs the whole of it).
            log.info("live upgrade: rehearsed in {} ms; state received in {} ms after the first frame (quiesce before"
                    + " it: {} ms), decoded in {} ms, {} sockets adopted in {} ms, bus restored in {} ms", rehearsal,
                    millis(transferred - received), millis(received - waitStart), millis(decodedAt - transferred),
                    decoded.sockets().size(), millis(marks[0] - decodedAt), millis(marks[1] - marks[0]));
            long goAt = marks[2];
            long startedAt = System.nanoTime();
            daemon.tookOverAddresses(addresses, config);
            daemon.serveMetricsLater(config, peer);
            SystemdNotifier.notify("MAINPID=" + ProcessHandle.current().pid() + "\nREADY=1");
            log.info("live upgrade: took over from pid {} ({} connections, {} listeners; serving {} ms after GO)",
                    peer, adopted.size(), addresses.size(), millis(startedAt - goAt));
            return daemon;
        } catch (IOException | RuntimeException e) {
            return fail(channel, e.getMessage() != null ? e.getMessage() : e.toString());
        }
    }

    /** Continues the old process's metrics counters (on the loop, their writer). */
    private static void carryOverCounters(Daemon daemon, Map<String, long[]> counters) {
        Map<String, long[]> bus = new HashMap<>();
        Map<String, Long> transport = new HashMap<>();
        counters.forEach((name, values) -> {
            if (name.startsWith(Upgrader.COUNTERS_BUS)) {
                bus.put(name.substring(Upgrader.COUNTERS_BUS.length()), values);
            } else if (name.startsWith(Upgrader.COUNTERS_TRANSPORT) && values.length == 1) {
                transport.put(name.substring(Upgrader.COUNTERS_TRANSPORT.length()), values[0]);
            }
        });
        daemon.bus().stats().carryOver(bus);
        daemon.transport().counters().carryOver(transport);
    }

    /** The sections this process pretends not to know ({@link #UNKNOWN_SECTIONS_ENV}); normally none. */
    private static java.util.Set<Integer> unknownSections() {
        String v = System.getenv(UNKNOWN_SECTIONS_ENV);
        java.util.Set<Integer> out = new java.util.HashSet<>();
        if (v != null) {
            for (String id : v.split(",")) {
                if (id.strip().matches("[0-9]{1,5}")) {
                    out.add(Integer.parseInt(id.strip()));
                }
            }
        }
        return out;
    }

    private static String millis(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.1f", nanos / 1e6);
    }

    private static int maxReadVersion() {
        String v = System.getenv(MAX_FORMAT_ENV);
        if (v != null && v.matches("[0-9]{1,9}")) {
            return Math.min(HandoverFormat.MAX_READ_VERSION, Integer.parseInt(v));
        }
        return HandoverFormat.MAX_READ_VERSION;
    }

    /** Tells the old process why, and ends this one before it touched any socket. */
    private static Daemon fail(HandoverChannel channel, String reason) {
        log.error("live upgrade: cannot take over: {}", reason);
        try {
            channel.send(Upgrader.FRAME_FAILED, reason.getBytes(StandardCharsets.UTF_8), new int[0]);
        } catch (IOException e) {
            // the old process is gone or stopped waiting; it keeps serving either way
        }
        System.err.flush();
        Runtime.getRuntime().halt(1);
        return null;
    }
}
