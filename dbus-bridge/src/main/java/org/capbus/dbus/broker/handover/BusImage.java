package org.capbus.dbus.broker.handover;

import java.util.List;

import org.capbus.dbus.io.TransportConnection;
import org.capbus.dbus.sasl.SaslServer;

/**
 * A bus as a live upgrade hands it over (docs/live-upgrade.md): the bus id, the counters that must continue, every
 * connection with where it stands, the well-known names with their queues, the match rules, the reply slots, the
 * monitors, service activation ({@link ActivationImage}) and the native connections' part of the core
 * ({@link NativeImage}). Connections are numbered by their place in {@link #connections()}; the other parts refer to
 * them by that number. Taken by {@code Bus.exportImage} on the old process's loop after every queued delivery moved
 * into the socket buffers (so no core queue of a connection needs to travel), and given to {@code Bus.restoreImage}
 * on the new one's. Immutable once built; any thread.
 *
 * @param guid          the bus id clients saw in the address and in {@code GetId}
 * @param nextUniqueId  the N of the next unique name {@code :1.N}
 * @param nextSerial    the serial of the bus's next own message
 * @param activations   service activation: the environment changes and the activations in progress
 * @param natives       the native protocol's connections and the core graph they hold; null when none is open
 */
public record BusImage(String guid, long nextUniqueId, long nextSerial, List<Connection> connections,
                       List<Name> names, List<Rule> matchRules, List<Reply> replies, List<Monitor> monitors,
                       ActivationImage activations, NativeImage natives) {

    /** A bus without activation state or native connections to carry. */
    public BusImage(String guid, long nextUniqueId, long nextSerial, List<Connection> connections, List<Name> names,
                    List<Rule> matchRules, List<Reply> replies, List<Monitor> monitors) {
        this(guid, nextUniqueId, nextSerial, connections, names, matchRules, replies, monitors, ActivationImage.NONE);
    }

    /** A bus without native connections. */
    public BusImage(String guid, long nextUniqueId, long nextSerial, List<Connection> connections, List<Name> names,
                    List<Rule> matchRules, List<Reply> replies, List<Monitor> monitors, ActivationImage activations) {
        this(guid, nextUniqueId, nextSerial, connections, names, matchRules, replies, monitors, activations, null);
    }

    /**
     * The same image over the new process's sockets: {@code transports.get(i)} replaces connection i's (the decoder
     * knows only descriptors; the transport adopts them).
     */
    public BusImage overTransports(List<TransportConnection> transports) {
        if (transports.size() != connections.size()) {
            throw new IllegalArgumentException(transports.size() + " sockets for " + connections.size()
                    + " connections");
        }
        List<Connection> moved = new java.util.ArrayList<>(connections.size());
        for (int i = 0; i < connections.size(); i++) {
            Connection c = connections.get(i);
            moved.add(new Connection(transports.get(i), c.phase(), c.uniqueName(), c.authMechanism(), c.unixFds(),
                    c.authTranscript(), c.partialInput(), c.unclaimedFds(), c.cookieChallenge()));
        }
        return new BusImage(guid, nextUniqueId, nextSerial, moved, names, matchRules, replies, monitors, activations,
                natives);
    }

    /** Where a connection stands. */
    public enum Phase {
        AUTHENTICATING, AWAITING_HELLO, ACTIVE, MONITOR
    }

    /**
     * One connection.
     *
     * @param transport      its socket: the old process's on export, the new process's on restore
     * @param uniqueName     null before Hello
     * @param authMechanism  null while authenticating
     * @param authTranscript what the client sent so far while authenticating (replayed), else empty
     * @param partialInput   bytes of a message received in part
     * @param unclaimedFds   descriptors received and not yet claimed by a message (the old process's numbers on
     *                       export, the new process's on restore)
     * @param cookieChallenge while authenticating with DBUS_COOKIE_SHA1, the challenge sent (the replay sends the
     *                       same), else null
     */
    public record Connection(TransportConnection transport, Phase phase, String uniqueName, String authMechanism,
                             boolean unixFds, byte[] authTranscript, byte[] partialInput, int[] unclaimedFds,
                             SaslServer.CookieChallenge cookieChallenge) {

        /** A connection without a cookie challenge in flight. */
        public Connection(TransportConnection transport, Phase phase, String uniqueName, String authMechanism,
                          boolean unixFds, byte[] authTranscript, byte[] partialInput, int[] unclaimedFds) {
            this(transport, phase, uniqueName, authMechanism, unixFds, authTranscript, partialInput, unclaimedFds,
                    null);
        }

        /** The same connection with the DBUS_COOKIE_SHA1 challenge its authentication sent. */
        public Connection withCookieChallenge(SaslServer.CookieChallenge challenge) {
            return new Connection(transport, phase, uniqueName, authMechanism, unixFds, authTranscript, partialInput,
                    unclaimedFds, challenge);
        }
    }

    /** A well-known name and its queue, primary owner first, with the flags of each owner's request. */
    public record Name(String name, int[] owners, int[] flags) {
    }

    /** A match rule of a registered connection, in canonical text form. */
    public record Rule(int connection, String text) {
    }

    /**
     * A reply slot: {@code caller} awaits the reply to its call {@code serial} from {@code callee}, for
     * {@code remainingMillis} more (-1: no reply_timeout, or not known).
     */
    public record Reply(int caller, int serial, int callee, long remainingMillis) {

        /** A slot without a deadline to carry. */
        public Reply(int caller, int serial, int callee) {
            this(caller, serial, callee, -1);
        }
    }

    /** A monitor's (eavesdropping) match rules; empty means every message. */
    public record Monitor(int connection, List<String> rules) {
    }
}
