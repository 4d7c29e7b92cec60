package org.capbus.dbus.broker;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.capbus.config.ClientPolicy;
import org.capbus.config.PeerNames;
import org.capbus.core.Handle;
import org.capbus.core.Message;
import org.capbus.core.Peer;
import org.capbus.core.QueueListener;
import org.capbus.core.Receiver;
import org.capbus.dbus.bus.NameOwner;
import org.capbus.dbus.bus.ReplyEndpoint;
import org.capbus.dbus.io.ConnectionHandler;
import org.capbus.dbus.io.PeerCredentials;
import org.capbus.dbus.io.TransportConnection;
import org.capbus.dbus.sasl.SaslIdentity;
import org.capbus.dbus.sasl.SaslServer;
import org.capbus.dbus.sasl.SaslState;
import org.capbus.dbus.wire.DBusMessage;
import org.capbus.dbus.wire.MessageFramer;
import org.capbus.dbus.wire.Validity;

/**
 * One D-Bus connection: the socket's state machine (authentication, then {@code Hello}, then messages) and its
 * peer in the core. Incoming bytes go through the SASL server, then the framer; each whole message is validated and
 * handed to the {@link Bus}. Outgoing messages wait in the peer's core queue and are drained into the socket only
 * while the transport is below its high-water mark, so a slow reader's backlog stays in the core, where its user's
 * budget bounds it.
 *
 * <p>Owned by the {@link Bus}; event-loop thread only.
 */
public final class BusConnection implements ConnectionHandler, QueueListener, Receiver, NameOwner,
        MessageFramer.Listener, PeerNames {

    /** Where the connection is in its life. */
    enum State { AUTHENTICATING, AWAITING_HELLO, ACTIVE, MONITOR, CLOSED }

    private final Bus bus;
    final TransportConnection transport;
    private final Peer peer;
    private final SaslServer sasl;
    /** The configuration's policy for this connection's user. */
    ClientPolicy policy;
    private final MessageFramer framer;
    final long connectedAtNanos = System.nanoTime();
    State state = State.AUTHENTICATING;
    String uniqueName;
    byte[] uniqueNameBytes;
    /** This connection's own handle to its root node (its unique name); null before authentication. */
    Handle root;
    /** Its membership in the bus's reply tracker, from Hello until it leaves. */
    ReplyEndpoint<BusConnection> replyEndpoint;
    /** The driver's handle to the root node. */
    Handle driverHandle;
    boolean fdsEnabled;
    String authMechanism;
    /** Whether the connection is queued in the bus's ready list. */
    boolean ready;
    /** The timer that closes the connection if it has not completed Hello within auth_timeout; null once done. */
    java.util.concurrent.ScheduledFuture<?> authTimeout;
    /** Whether the queue is waiting for the socket to drain. */
    private boolean blocked;
    /** Counters for Debug.Stats and metrics. */
    long messagesIn;
    long bytesIn;
    long messagesOut;
    long bytesOut;
    int pendingReplies;
    /**
     * High-water marks for Debug.Stats (dbus-daemon's per-connection peaks): the largest message and descriptor
     * count received, the most bytes and descriptors queued towards the connection (sampled when its queue is
     * drained, where a backlog is largest), and the most match rules and bus names it held.
     */
    long peakIncomingBytes;
    int peakIncomingFds;
    long peakOutgoingBytes;
    long peakOutgoingFds;
    int peakMatchRules;
    int peakBusNames;

    BusConnection(Bus bus, TransportConnection transport, long uid) {
        this.bus = bus;
        this.transport = transport;
        this.peer = bus.mapping().attach(uid, this);
        this.sasl = bus.newSaslServer(transport.credentials());
        this.policy = bus.policyFor(transport.credentials());
        this.framer = new MessageFramer(this, bus.maxMessageSize(), bus.maxMessageUnixFds(), bus.buffers(),
                bus.incoming().budgetFor(uid));
    }

    Peer peer() {
        return peer;
    }

    public PeerCredentials credentials() {
        return transport.credentials();
    }

    @Override
    public String uniqueName() {
        return uniqueName;
    }

    boolean isActive() {
        return state == State.ACTIVE || state == State.MONITOR;
    }

    // ---- policy: the names this connection holds (owns or waits for), as send_destination and receive_sender see them

    @Override
    public boolean hasName(String name) {
        if (name.equals(uniqueName)) {
            return true;
        }
        return !name.isEmpty() && name.charAt(0) != ':' && bus.names().flagsOf(name, this) >= 0;
    }

    @Override
    public boolean hasNameUnder(String prefix) {
        for (String name : bus.names().primaryNames(this)) {
            if (PeerNames.isNameUnder(name, prefix)) {
                return true;
            }
        }
        return false;
    }

    /** Drops the authentication timer (Hello completed, or closed): a churn of connections leaves no timers behind. */
    void cancelAuthTimeout() {
        if (authTimeout != null) {
            authTimeout.cancel(false);
            authTimeout = null;
        }
    }

    /** Whether the connection was closed. */
    public boolean isClosed() {
        return state == State.CLOSED;
    }

    /** Whether the connection completed Hello and is not a monitor or closed. */
    public boolean isRegistered() {
        return state == State.ACTIVE;
    }

    /** Whether the connection sent Hello already (it may since have become a monitor or closed). */
    public boolean hasUniqueName() {
        return uniqueName != null;
    }

    /** Whether unix fd passing was negotiated (NEGOTIATE_UNIX_FD). */
    public boolean isFdPassingEnabled() {
        return fdsEnabled;
    }

    /** The SASL mechanism it authenticated with, or null before authentication. */
    public String authMechanism() {
        return authMechanism;
    }

    public long messagesIn() {
        return messagesIn;
    }

    public long bytesIn() {
        return bytesIn;
    }

    public long messagesOut() {
        return messagesOut;
    }

    public long bytesOut() {
        return bytesOut;
    }

    /** The largest message received from this connection, in bytes: all of it is held before it is routed. */
    public long peakIncomingBytes() {
        return peakIncomingBytes;
    }

    /** The most descriptors one message from this connection carried. */
    public int peakIncomingFds() {
        return peakIncomingFds;
    }

    /** Descriptors received from this connection and not yet claimed by a whole message. */
    public int incomingFds() {
        return framer.queuedFds();
    }

    /** The most bytes ever waiting for this connection ({@link #queuedBytes()}), now included. */
    public long peakOutgoingBytes() {
        return Math.max(peakOutgoingBytes, queuedBytes());
    }

    /** Bytes handed to the socket's outbound buffer and not yet taken by the kernel. */
    public long socketBufferedBytes() {
        return transport.pendingOutboundBytes();
    }

    /** Descriptors attached to messages waiting for this connection. */
    public long queuedFds() {
        return peer.chargedFds();
    }

    /** The most descriptors ever waiting for this connection, now included. */
    public long peakOutgoingFds() {
        return Math.max(peakOutgoingFds, queuedFds());
    }

    /** The most match rules this connection held at once. */
    public int peakMatchRules() {
        return peakMatchRules;
    }

    /** The most bus names (its unique name and well-known name queue entries) this connection held at once. */
    public int peakBusNames() {
        return peakBusNames;
    }

    /** Bytes and messages waiting for this connection in the core and in its socket buffer. */
    public long queuedBytes() {
        return peer.chargedBytes() + transport.pendingOutboundBytes();
    }

    public long queuedMessages() {
        return peer.chargedMessages();
    }

    void assignUniqueName(String name) {
        this.uniqueName = name;
        this.uniqueNameBytes = name.getBytes(StandardCharsets.US_ASCII);
        this.state = State.ACTIVE;
    }

    // ---- transport events ----

    @Override
    public void onFds(int[] fds, int count) {
        if (state == State.CLOSED) {
            bus.closeFds(fds, count);
            return;
        }
        framer.onFds(fds, count);
    }

    @Override
    public void onData(ByteBuffer data) {
        if (state == State.AUTHENTICATING) {
            if (!authenticate(data)) {
                bus.flushReady();
                return;
            }
        }
        if (data.hasRemaining() && state != State.CLOSED) {
            framer.onData(data);
        }
        bus.flushReady();
    }

    /** Feeds the SASL server; returns true once authentication is done and {@code data} holds message bytes. */
    private boolean authenticate(ByteBuffer data) {
        // Authentication is a few short lines: a copy to the heap costs nothing that matters.
        int n = data.remaining();
        byte[] chunk = new byte[n];
        data.get(data.position(), chunk);
        int consumed = sasl.feed(chunk, 0, n);
        data.position(data.position() + consumed);
        if (sasl.hasOutput()) {
            byte[] out = sasl.takeOutput();
            transport.write(out, 0, out.length);
            // As dbus-daemon: no more input until the answers are read, so a client that sends lines and never
            // reads holds one read's worth of answers at most.
            transport.suspendReadingUntilWritten();
        }
        if (sasl.state() == SaslState.AUTHENTICATED) {
            SaslIdentity id = sasl.identity();
            authMechanism = id.mechanism().wireName();
            if (id.unixFdsNegotiated()) {
                fdsEnabled = true;
                transport.enableFdPassing();
            }
            state = State.AWAITING_HELLO;
            return bus.onAuthenticated(this);
        }
        if (sasl.state() == SaslState.FAILED) {
            bus.disconnect(this, DisconnectReason.AUTH_FAILED, "authentication failed: " + sasl.violation());
        }
        return false;
    }

    @Override
    public void onMessage(DBusMessage message, int[] fds) {
        if (state == State.CLOSED) {
            bus.closeFds(fds, fds.length);
            return;
        }
        messagesIn++;
        int length = message.length();
        bytesIn += length;
        if (length > peakIncomingBytes) {
            peakIncomingBytes = length;
        }
        if (fds.length > peakIncomingFds) {
            peakIncomingFds = fds.length;
        }
        long sample = bus.stats.dispatchStart();
        bus.dispatch(this, message, fds);
        bus.stats.dispatchEnd(sample);
    }

    @Override
    public void onUnknownMessage(DBusMessage message, int[] fds) {
        // The specification: "messages of unknown type must be ignored".
        bus.closeFds(fds, fds.length);
    }

    @Override
    public void onProtocolViolation(Validity reason, DBusMessage message) {
        bus.disconnect(this, DisconnectReason.PROTOCOL_VIOLATION,
                message != null ? reason.reason() + " at byte " + message.errorOffset() : reason.reason());
    }

    @Override
    public void onIncomingQuotaExceeded(int announcedLength) {
        bus.stats().quotaRejected(QuotaResource.INCOMING_BYTES);
        bus.disconnect(this, DisconnectReason.QUOTA, "a message of " + announcedLength
                + " bytes does not fit in what max_incoming_bytes leaves to the connection and its user");
    }

    /**
     * At disconnect: drops the message being received (its incoming charge goes) and returns the descriptors not
     * claimed by a message, for closing.
     */
    int[] unclaimedFds() {
        framer.close();
        return framer.drainFds();
    }

    @Override
    public void onWritable() {
        if (blocked) {
            blocked = false;
            drain();
            bus.flushReady();
        }
    }

    @Override
    public void onClosed() {
        bus.disconnect(this, DisconnectReason.CLIENT_CLOSED, null);
        // The signals that announce its departure go out now, not with the next input.
        bus.flushReady();
    }

    // ---- core queue ----

    @Override
    public void onQueueReady(Peer p) {
        bus.markReady(this);
    }

    /** Moves queued messages into the socket while it takes them. */
    void drain() {
        // The backlog is largest now, before it moves into the socket: the one place its peak is sampled.
        long queued = queuedBytes();
        if (queued > peakOutgoingBytes) {
            peakOutgoingBytes = queued;
        }
        long fds = peer.chargedFds();
        if (fds > peakOutgoingFds) {
            peakOutgoingFds = fds;
        }
        while (!blocked && peer.hasQueued()) {
            if (!transport.isWritable()) {
                blocked = true;
                return;
            }
            peer.drain(this);
        }
    }

    @Override
    public boolean onMessage(long sequence, Handle destination, Message message, Handle[] transferred) {
        BusMessage m = (BusMessage) message.payload();
        if (state != State.CLOSED) {
            if (m.fds.length > 0) {
                transport.attachFds(m.fds, 0, m.fds.length);
            }
            transport.write(m.head, 0, m.head.length);
            if (m.tailLength > 0) {
                transport.write(m.tail, m.tailOffset, m.tailLength);
            }
            messagesOut++;
            bytesOut += m.size();
        }
        m.release();
        return transport.isWritable();
    }

    @Override
    public boolean onNodeDestroyed(long sequence, Handle handle) {
        // A connection we had sent to went away: drop our handle to its root node.
        if (handle.holder() == peer && handle.isValid() && handle != root) {
            while (handle.isValid()) {
                peer.release(handle);
            }
        }
        return true;
    }

    @Override
    public boolean onNodeReleased(long sequence, Handle ownerHandle) {
        return true;
    }

    @Override
    public String toString() {
        return uniqueName != null ? uniqueName : "connection(uid=" + transport.credentials().uid() + ")";
    }
}
