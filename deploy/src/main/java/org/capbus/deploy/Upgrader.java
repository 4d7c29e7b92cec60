package org.capbus.deploy;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.capbus.adapters.transport.HandoverChannel;
import org.capbus.adapters.transport.SystemdNotifier;
import org.capbus.adapters.transport.TransportImage;
import org.capbus.dbus.broker.handover.BusImage;
import org.capbus.dbus.broker.handover.NotNowException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The old process's side of a live upgrade (SIGUSR2; docs/live-upgrade.md). On a thread of its own it starts the
 * launcher anew from the path the bus was started from ({@code $CAPBUS_LAUNCHER}, which the launchers set), with the
 * same command line and {@link #HANDOVER_ENV} naming a private socket, and waits for the new process to connect and
 * say which hand-over versions it reads. Then, as one task on the event loop (so nothing is read, written or
 * changed meanwhile), it quiesces the bus, sends the state and every socket, and waits for READY; only then does it
 * answer GO and exit without touching a socket again. At any failure before GO the task returns and the bus goes on
 * serving as if nothing happened; the reason is logged and written where {@code --upgrade=PID} reads it.
 *
 * <p>Threads: the upgrade thread until the offer, then the loop thread.
 */
final class Upgrader {
    private static final Logger log = LoggerFactory.getLogger(Upgrader.class);
    /** Set in the new process's environment: the path of the hand-over socket. */
    static final String HANDOVER_ENV = "CAPBUS_HANDOVER";
    /** Set by the launchers: the path the bus was started from, which an upgrade starts again. */
    static final String LAUNCHER_ENV = "CAPBUS_LAUNCHER";

    static final int FRAME_OFFER = 1;
    static final int FRAME_FDS = 2;
    static final int FRAME_STATE = 3;
    static final int FRAME_READY = 4;
    static final int FRAME_FAILED = 5;
    static final int FRAME_GO = 6;
    static final int FRAME_REFUSED = 7;
    static final int FRAME_BUS_ID = 8;
    static final int FRAME_PREPARED = 9;

    /** Prefix of the bus's counters in the hand-over's counters section. */
    static final String COUNTERS_BUS = "bus.";
    /** Prefix of the transport's counters in the hand-over's counters section. */
    static final String COUNTERS_TRANSPORT = "transport.";

    /** How long the new process may take to start and connect (a JVM, perhaps an AOT training run first). */
    private static final long START_TIMEOUT_MILLIS = 60_000;
    /** How long the new process may take to restore the state and say READY. */
    static final long TRANSFER_TIMEOUT_MILLIS = 20_000;
    /**
     * How long the snapshot is tried again while the bus is at a moment it cannot carry ({@link NotNowException}),
     * and how often: such moments last milliseconds; the new process waits for the state meanwhile (well within
     * {@link #TRANSFER_TIMEOUT_MILLIS}).
     */
    private static final long NOT_NOW_PATIENCE_MILLIS = 5_000;
    private static final long NOT_NOW_RETRY_MILLIS = 20;

    private final Daemon daemon;
    private volatile boolean running;

    Upgrader(Daemon daemon) {
        this.daemon = daemon;
    }

    boolean isRunning() {
        return running;
    }

    void start() {
        running = true;
        Thread.ofPlatform().name("capbus-upgrade").daemon().start(() -> {
            try {
                run();
            } finally {
                running = false;
            }
        });
    }

    private void run() {
        long self = ProcessHandle.current().pid();
        Path dir;
        try {
            dir = UpgradeOutcome.privateDirectory();
        } catch (IOException e) {
            failed(null, "cannot make a private directory for the hand-over socket: " + e.getMessage());
            return;
        }
        Path socket = dir.resolve("handover-" + self + ".sock");
        try {
            // The name carries this process's pid and one upgrade runs at a time, so a file there is stale: left by
            // an earlier process with the same pid that died before removing it. Kept, it made bind fail
            // (EADDRINUSE) and refused every upgrade of this process.
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            failed(null, "cannot remove the stale hand-over socket " + socket + ": " + e.getMessage());
            return;
        }
        Process child = null;
        try (HandoverChannel.Server server = HandoverChannel.listen(socket)) {
            List<String> command = command();
            log.info("live upgrade: starting {}", String.join(" ", command));
            ProcessBuilder pb = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                    .redirectError(ProcessBuilder.Redirect.INHERIT);
            pb.environment().put(HANDOVER_ENV, socket.toString());
            pb.environment().remove(Forker.CHILD_MARKER);
            child = pb.start();
            HandoverChannel channel = acceptFrom(server, child);
            try (channel) {
                channel.timeout(START_TIMEOUT_MILLIS);
                HandoverChannel.Frame offer = channel.receive();
                closeAll(channel, offer.fds());
                String refusal = checkOffer(offer);
                if (refusal != null) {
                    send(channel, FRAME_REFUSED, refusal);
                    failed(child, refusal);
                    return;
                }
                // The bus id first, so that the new process builds its bus (loads and links its classes) before
                // this one stops serving: the pause clients see is the transfer alone, not a JVM's warm-up.
                send(channel, FRAME_BUS_ID, daemon.bus().guid());
                HandoverChannel.Frame prepared = channel.receive();
                closeAll(channel, prepared.fds());
                if (prepared.type() != FRAME_PREPARED) {
                    failed(child, "the new process could not prepare: "
                            + new String(prepared.payload(), StandardCharsets.UTF_8));
                    return;
                }
                channel.timeout(TRANSFER_TIMEOUT_MILLIS);
                Process started = child;
                String failure;
                long patience = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(NOT_NOW_PATIENCE_MILLIS);
                while (true) {
                    try {
                        failure = daemon.onLoop(() -> handOver(channel, started));
                        break;
                    } catch (NotNowException e) {
                        // A moment that passes by itself (a keyring read, a child being spawned): the bus served
                        // on meanwhile; the snapshot is taken again a little later.
                        if (System.nanoTime() > patience) {
                            send(channel, FRAME_REFUSED, e.getMessage());
                            failure = "cannot hand over now: " + e.getMessage();
                            break;
                        }
                        try {
                            Thread.sleep(NOT_NOW_RETRY_MILLIS);
                        } catch (InterruptedException interrupted) {
                            Thread.currentThread().interrupt();
                            send(channel, FRAME_REFUSED, "interrupted");
                            failure = "interrupted";
                            break;
                        }
                    }
                }
                // Only a failure comes back: a hand-over that succeeded ended this process on the loop.
                failed(child, failure);
            }
        } catch (IOException | RuntimeException e) {
            failed(child, e.getMessage() != null ? e.getMessage() : e.toString());
        }
    }

    /** The launcher and the command line of this process, without what printed its address, in the foreground. */
    private List<String> command() {
        List<String> command = new ArrayList<>();
        String launcher = System.getenv(LAUNCHER_ENV);
        if (launcher != null && !launcher.isEmpty()) {
            command.add(launcher);
        } else {
            // Started without a launcher (java -jar): the same JVM and class path.
            command.add(ProcessHandle.current().info().command().orElse("java"));
            command.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add(Main.class.getName());
        }
        command.addAll(Main.withoutPrintAndFork(daemon.commandLine()));
        command.add("--nofork");
        return command;
    }

    /** Accepts the child's connection; fails early if the child exits first, and if the peer is anyone else. */
    private static HandoverChannel acceptFrom(HandoverChannel.Server server, Process child) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MILLIS);
        while (true) {
            if (!child.isAlive()) {
                throw new IOException("the new process exited with status " + child.exitValue()
                        + " before taking over (its own messages are in the log above)");
            }
            HandoverChannel channel;
            try {
                channel = server.accept(250);
            } catch (java.net.SocketTimeoutException e) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("the new process did not connect within " + START_TIMEOUT_MILLIS + " ms");
                }
                continue;
            }
            long peer = channel.peer().pid();
            boolean ours = peer == child.pid() || child.descendants().anyMatch(p -> p.pid() == peer);
            if (!ours) {
                channel.close();
                log.warn("live upgrade: pid {} connected to the hand-over socket, which is not the new process", peer);
                continue;
            }
            return channel;
        }
    }

    /** Null if the offer says the new process reads the version this one writes; else why not. */
    private static String checkOffer(HandoverChannel.Frame offer) {
        if (offer.type() != FRAME_OFFER || offer.payload().length < 16
                || !Arrays.equals(offer.payload(), 0, 8, HandoverFormat.MAGIC, 0, 8)) {
            return "the new process did not offer to take over (not a capbus of this lineage?)";
        }
        ByteBuffer b = ByteBuffer.wrap(offer.payload(), 8, 8).order(ByteOrder.BIG_ENDIAN);
        int min = b.getInt();
        int max = b.getInt();
        if (HandoverFormat.VERSION < min || HandoverFormat.VERSION > max) {
            return "the new process reads hand-over format versions " + min + " to " + max + ", this one writes "
                    + HandoverFormat.VERSION;
        }
        return null;
    }

    /** The metrics counters by name, for the new process to continue from (on the loop, where they are written). */
    private Map<String, long[]> counters() {
        Map<String, long[]> all = new LinkedHashMap<>();
        daemon.bus().stats().counters().forEach((name, values) -> all.put(COUNTERS_BUS + name, values));
        daemon.transport().counters().values().forEach((name, v) -> all.put(COUNTERS_TRANSPORT + name, new long[] {v}));
        return all;
    }

    /**
     * On the loop: quiesce, send everything, wait for READY. Returns why it failed; on success it does not return
     * (the process ends here, so nothing touches the sockets after the new process took them).
     */
    private String handOver(HandoverChannel channel, Process child) {
        long start = System.nanoTime();
        BusImage bus;
        try {
            bus = daemon.bus().exportImage();
        } catch (NotNowException e) {
            throw e; // tried again by the caller
        } catch (IllegalStateException e) {
            send(channel, FRAME_REFUSED, e.getMessage());
            return "cannot hand over now: " + e.getMessage();
        }
        TransportImage transport = daemon.transport().exportImage();
        long exported = System.nanoTime();
        long sent;
        try {
            HandoverFormat.Encoded encoded = HandoverFormat.encode(bus, transport, counters());
            int[] fds = encoded.fds();
            for (int i = 0; i < fds.length; i += HandoverChannel.MAX_FDS) {
                int[] chunk = Arrays.copyOfRange(fds, i, Math.min(fds.length, i + HandoverChannel.MAX_FDS));
                channel.send(FRAME_FDS, new byte[0], chunk);
            }
            channel.send(FRAME_STATE, encoded.bytes(), new int[0]);
            sent = System.nanoTime();
            HandoverChannel.Frame answer = channel.receive();
            closeAll(channel, answer.fds());
            if (answer.type() != FRAME_READY) {
                return "the new process could not take over: " + new String(answer.payload(), StandardCharsets.UTF_8);
            }
            channel.send(FRAME_GO, new byte[0], new int[0]);
        } catch (IOException e) {
            return "hand-over failed: " + (e.getMessage() != null ? e.getMessage() : e.toString());
        } finally {
            for (TransportImage.Socket socket : transport.sockets().values()) {
                for (int[] set : socket.pending().attachedFds()) {
                    closeAll(channel, set);
                }
            }
        }
        long pauseMicros = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start);
        long newPid = child.pid();
        String outcome = "upgraded: pid " + newPid + " took over " + bus.connections().size() + " connections"
                + (bus.natives() == null ? "" : " (" + bus.natives().connections().size() + " native)") + ", "
                + bus.names().size() + " names, " + bus.matchRules().size() + " match rules, "
                + bus.replies().size() + " reply slots; the bus paused " + (pauseMicros / 1000) + "."
                + String.format("%03d", pauseMicros % 1000) + " ms";
        log.info("live upgrade: {} (quiesce and snapshot {} ms, encode and send {} ms, restore until READY {} ms)",
                outcome, TimeUnit.NANOSECONDS.toMillis(exported - start), TimeUnit.NANOSECONDS.toMillis(sent - exported),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent));
        UpgradeOutcome.write(ProcessHandle.current().pid(), outcome, true);
        // Type=notify units track the new main process from now on (NotifyAccess=main allows this message).
        SystemdNotifier.notify("MAINPID=" + newPid);
        System.err.flush();
        // No shutdown hook: it would close the connections and remove the socket files the new process now serves.
        Runtime.getRuntime().halt(0);
        return null;
    }

    private static void send(HandoverChannel channel, int type, String text) {
        try {
            channel.send(type, text.getBytes(StandardCharsets.UTF_8), new int[0]);
        } catch (IOException e) {
            // The other side is gone already; the failure is reported anyway.
        }
    }

    private static void closeAll(HandoverChannel channel, int[] fds) {
        for (int fd : fds) {
            channel.closeFd(fd);
        }
    }

    private void failed(Process child, String reason) {
        log.error("live upgrade failed, this process goes on serving: {}", reason);
        if (child != null && child.isAlive()) {
            child.destroy();
            try {
                if (!child.waitFor(5, TimeUnit.SECONDS)) {
                    child.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        UpgradeOutcome.write(ProcessHandle.current().pid(), "failed: " + reason + "; pid "
                + ProcessHandle.current().pid() + " goes on serving", false);
    }
}
