package org.capbus.dbus.broker.connection;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.capbus.config.ClientPolicy;
import org.capbus.config.PeerNames;
import org.capbus.core.Handle;
import org.capbus.core.Message;
import org.capbus.core.Peer;
import org.capbus.core.QueueListener;
import org.capbus.core.Receiver;
import org.capbus.dbus.broker.stats.DisconnectReason;
import org.capbus.dbus.bus.NameOwner;
import org.capbus.dbus.bus.NameRegistry;
import org.capbus.dbus.bus.ReplyEndpoint;
import org.capbus.dbus.io.ConnectionHandler;
import org.capbus.dbus.io.PeerCredentials;
import org.capbus.dbus.io.TransportConnection;
import org.capbus.dbus.log.BusLog;
import org.capbus.dbus.sasl.CookieKeyring;
import org.capbus.dbus.sasl.SaslIdentity;
import org.capbus.dbus.sasl.SaslServer;
import org.capbus.dbus.sasl.SaslState;
import org.capbus.dbus.wire.DBusMessage;
import org.capbus.dbus.wire.IncomingBudget;
import org.capbus.dbus.wire.LargeBufferPool;
import org.capbus.dbus.wire.MessageFramer;
import org.capbus.dbus.wire.Validity;

/**
 * One D-Bus connection: the socket's state machine (authentication, then {@code Hello}, then messages) and its
 * peer in the core. Incoming bytes go through the SASL server, then the framer; each whole message is validated and
 * reported to the bus ({@link ConnectionEvents#dispatch}). Outgoing messages wait in the peer's core queue and are
 * drained into the socket only while the transport is below its high-water mark, so a slow reader's backlog stays
 * in the core, where its user's budget bounds it.
 *
 * <p>Descriptors, as dbus-daemon bounds them: those received ahead of the rest of their message may wait
 * {@code pending_fd_timeout} at most (then the connection is closed); those of its messages the bus still holds (not
 * yet written to every receiver) count against {@code max_incoming_unix_fds}, and while they reach it the connection is
 * not read from: its client waits, nothing is lost, and nobody else notices.
 *
 * <p>Created by the composition root, which hands it everything it needs; registered in the bus state
 * ({@code BusState}), which alone changes its names and state from {@code AWAITING_HELLO} on. Event-loop thread
 * only.
 */
public final class BusConnection implements ConnectionHandler, QueueListener, Receiver, NameOwner,
        MessageFramer.Listener, PeerNames, BusMessage.FdCharge {

    private final ConnectionEvents events;
    private final NameRegistry<BusConnection> names;
    final TransportConnection transport;
    private final Peer peer;
    private final SaslServer sasl;
    /** The configuration's policy for this connection's user. */
    private ClientPolicy policy;
    private final MessageFramer framer;
    private final IncomingBudget incoming;
    private final long connectedAtNanos = System.nanoTime();
    private ConnectionState state = ConnectionState.AUTHENTICATING;
    private String uniqueName;
    private byte[] uniqueNameBytes;
    /** This connection's own handle to its root node (its unique name); null before authentication. */
    Handle root;
    /** Its membership in the bus's reply tracker, from Hello until it leaves. */
    private ReplyEndpoint<BusConnection> replyEndpoint;
    /** The driver's handle to the root node. */
    Handle driverHandle;
    private boolean fdsEnabled;
    private String authMechanism;
    /** Whether the connection is queued in the bus's ready list. */
    private boolean ready;
    /** The timer that closes the connection if it has not completed Hello within auth_timeout; null once done. */
    private java.util.concurrent.ScheduledFuture<?> authTimeout;
    /**
     * The timer that closes the connection once descriptors have waited pending_fd_timeout for the rest of their
     * message; armed while any wait, null otherwise.
     */
    private java.util.concurrent.ScheduledFuture<?> pendingFdsTimeout;
    /** dbus-daemon's max_incoming_unix_fds for this connection, as it was when the connection was accepted. */
    private final long maxIncomingFds;
    /** Descriptors of this connection's messages that the bus still holds (see {@link BusMessage#chargeFdsTo}). */
    private long heldIncomingFds;
    /** Whether reading is paused because {@link #heldIncomingFds} reached {@link #maxIncomingFds}. */
    private boolean readingPaused;
    /** The native protocol on this connection, if it negotiated it (docs/native-protocol.md); else null. */
    private NativeEndpoint nativeEndpoint;
    /** Bytes that arrived while authentication waited for the cookie keyring, to feed once it answered. */
    private byte[] heldInput;
    private int heldLength;
    /** Whether the queue is waiting for the socket to drain. */
    private boolean blocked;
    /**
     * What the client sent during authentication, kept until it ends (bounded by {@link #MAX_TRANSCRIPT}): a live
     * upgrade replays it into the next process's SASL server, which then stands where this one stands.
     */
    private byte[] transcript;
    private int transcriptLength;
    /** Set while a live upgrade moves the whole core queue into the socket buffer, above the high-water mark. */
    private boolean draining;
    /** Counters for Debug.Stats and metrics. */
    private long messagesIn;
    private long bytesIn;
    private long messagesOut;
    private long bytesOut;
    /** Messages dropped at the socket because their descriptors could not be attached. */
    private long undeliverable;
    /**
     * High-water marks for Debug.Stats (dbus-daemon's per-connection peaks): the largest message and descriptor
     * count received, the most bytes and descriptors queued towards the connection (sampled when its queue is
     * drained, where a backlog is largest), and the most match rules and bus names it held.
     */
    private long peakIncomingBytes;
    private int peakIncomingFds;
    private long peakOutgoingBytes;
    private long peakOutgoingFds;
    private int peakMatchRules;
    private int peakBusNames;
    /** See {@link #loginfo()}; null until first asked for. */
    private String loginfo;

    /**
     * A connection over {@code transport}, with a new peer of its user in the core.
     *
     * @param events          the bus it reports to
     * @param transport       its socket
     * @param mapping         the core mapping that gives it its peer
     * @param sasl            the SASL server for its authentication
     * @param policy          the configuration's policy for its user
     * @param names           the bus's name registry (for the names policy rules ask about)
     * @param maxMessageSize  the largest message it may send, header included
     * @param maxMessageFds   the most descriptors one message may carry
     * @param buffers         where large message buffers come from
     * @param incoming        what the bytes of its messages may take while they arrive (max_incoming_bytes)
     * @param maxIncomingFds  the most descriptors of its messages the bus holds before it stops reading from it
     *                        (max_incoming_unix_fds)
     */
    public BusConnection(ConnectionEvents events, TransportConnection transport, CoreMapping mapping,
                         SaslServer sasl, ClientPolicy policy, NameRegistry<BusConnection> names, int maxMessageSize,
                         int maxMessageFds, LargeBufferPool buffers, IncomingBudget incoming, long maxIncomingFds) {
        this(events, transport, mapping, sasl, policy, names, maxMessageSize, maxMessageFds, buffers, incoming,
                maxIncomingFds, false);
    }

    /**
     * As above; with {@code carriedPeer}, its peer starts with no handle at all (not even to the driver): a native
     * connection taken over in a live upgrade, whose handles come from the hand-over with the ids its client knows.
     */
    public BusConnection(ConnectionEvents events, TransportConnection transport, CoreMapping mapping,
                         SaslServer sasl, ClientPolicy policy, NameRegistry<BusConnection> names, int maxMessageSize,
                         int maxMessageFds, LargeBufferPool buffers, IncomingBudget incoming, long maxIncomingFds,
                         boolean carriedPeer) {
        this.events = events;
        this.maxIncomingFds = maxIncomingFds;
        this.transport = transport;
        this.names = names;
        long uid = transport.credentials().uid();
        this.peer = carriedPeer ? mapping.attachBare(uid, this) : mapping.attach(uid, this);
        this.sasl = sasl;
        this.policy = policy;
        this.incoming = incoming;
        this.framer = new MessageFramer(this, maxMessageSize, maxMessageFds, buffers, incoming);
    }

    /** The most bytes of an authentication transcript kept; past it the connection cannot be handed over. */
    public static final int MAX_TRANSCRIPT = 64 * 1024;

    /** Its peer in the core. */
    public Peer peer() {
        return peer;
    }

    public ConnectionState state() {
        return state;
    }

    /** The unique name's ASCII bytes, as the sender field stitched into forwarded messages; null before Hello. */
    public byte[] uniqueNameBytes() {
        return uniqueNameBytes;
    }

    /** Whether it has its root node (from authentication on), so that the driver can send to it. */
    public boolean hasRoot() {
        return driverHandle != null;
    }

    /** The configuration's policy for this connection's user. */
    public ClientPolicy policy() {
        return policy;
    }

    /** Replaces the policy (a configuration reload). */
    public void setPolicy(ClientPolicy policy) {
        this.policy = policy;
    }

    /** Its membership in the bus's reply tracker, from Hello until it leaves; null otherwise. */
    public ReplyEndpoint<BusConnection> replyEndpoint() {
        return replyEndpoint;
    }

    public void setReplyEndpoint(ReplyEndpoint<BusConnection> endpoint) {
        this.replyEndpoint = endpoint;
    }

    /** When the connection was accepted ({@link System#nanoTime()}). */
    public long connectedAtNanos() {
        return connectedAtNanos;
    }

    /** Marks it queued in the bus's ready list; false if it already was. */
    public boolean markReady() {
        if (ready) {
            return false;
        }
        ready = true;
        return true;
    }

    /** Takes it off the bus's ready list. */
    public void clearReady() {
        ready = false;
    }

    /** Arms the timer that closes the connection if authentication takes too long. */
    public void setAuthTimeout(java.util.concurrent.ScheduledFuture<?> timer) {
        this.authTimeout = timer;
    }

    /** Records that it now holds {@code n} match rules (for its high-water mark). */
    public void matchRulesNow(int n) {
        if (n > peakMatchRules) {
            peakMatchRules = n;
        }
    }

    /** Records that it now holds {@code n} bus names (for its high-water mark). */
    public void busNamesNow(int n) {
        if (n > peakBusNames) {
            peakBusNames = n;
        }
    }

    public PeerCredentials credentials() {
        return transport.credentials();
    }

    /**
     * dbus-daemon's description of this connection in log lines and denials ({@code uid=U pid=P comm="..."}), read
     * once, when first needed (it reads {@code /proc}), then kept: a flood of denials costs no more reads.
     */
    public String loginfo() {
        if (loginfo == null) {
            loginfo = BusLog.loginfo(credentials());
        }
        return loginfo;
    }

    @Override
    public String uniqueName() {
        return uniqueName;
    }

    /** Whether it completed Hello and is still open (a monitor included). */
    public boolean isActive() {
        return state == ConnectionState.ACTIVE || state == ConnectionState.MONITOR;
    }

    // ---- policy: the names this connection holds (owns or waits for), as send_destination and receive_sender see them

    @Override
    public boolean hasName(String name) {
        if (name.equals(uniqueName)) {
            return true;
        }
        return !name.isEmpty() && name.charAt(0) != ':' && names.flagsOf(name, this) >= 0;
    }

    @Override
    public boolean hasNameUnder(String prefix) {
        for (String name : names.primaryNames(this)) {
            if (PeerNames.isNameUnder(name, prefix)) {
                return true;
            }
        }
        return false;
    }

    /** Drops the authentication timer (Hello completed, or closed): a churn of connections leaves no timers behind. */
    public void cancelAuthTimeout() {
        if (authTimeout != null) {
            authTimeout.cancel(false);
            authTimeout = null;
        }
    }

    /** Whether the connection was closed. */
    public boolean isClosed() {
        return state == ConnectionState.CLOSED;
    }

    /** Whether the connection completed Hello and is not a monitor or closed. */
    public boolean isRegistered() {
        return state == ConnectionState.ACTIVE;
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

    /** Messages queued to this connection that could not be written because their descriptors could not be passed. */
    public long undeliverable() {
        return undeliverable;
    }

    /** The largest message received from this connection, in bytes: all of it is held before it is routed. */
    public long peakIncomingBytes() {
        return peakIncomingBytes;
    }

    /** The most descriptors one message from this connection carried. */
    public int peakIncomingFds() {
        return peakIncomingFds;
    }

    /**
     * Descriptors received from this connection that the bus holds: those of its messages not yet written to every
     * receiver (dbus-daemon's IncomingFDs), plus any that arrived ahead of their message.
     */
    public long incomingFds() {
        return heldIncomingFds + framer.queuedFds();
    }

    /**
     * Charges {@code m}'s descriptors to this connection, its sender, until the message lets them go: from then on
     * they count against max_incoming_unix_fds.
     */
    public void chargeIncomingFds(BusMessage m) {
        heldIncomingFds += m.fdCount();
        m.chargeFdsTo(this);
    }

    @Override
    public void fdsReleased(int count) {
        heldIncomingFds -= count;
        // dbus-daemon's live_messages_notify: the read watch comes back as soon as the count is below the limit.
        if (readingPaused && heldIncomingFds < maxIncomingFds) {
            readingPaused = false;
            transport.resumeReading();
        }
    }

    /**
     * After a message was routed: stops reading while the bus holds max_incoming_unix_fds of this connection's
     * descriptors (dbus-daemon's check_read_watch; it checks before each read, so like it this one lets the rest of
     * the read in progress through).
     */
    private void throttleIncomingFds() {
        if (!readingPaused && heldIncomingFds > 0 && heldIncomingFds >= maxIncomingFds
                && state != ConnectionState.CLOSED) {
            readingPaused = true;
            transport.pauseReading();
        }
    }

    /**
     * Arms the pending_fd_timeout timer when descriptors wait for the rest of their message, and drops it when none
     * do (dbus-daemon's check_pending_fds_cb: armed when the count leaves zero, not pushed back while it grows).
     */
    private void checkPendingFds() {
        boolean pending = state != ConnectionState.CLOSED
                && (nativeEndpoint != null ? nativeEndpoint.queuedFds() : framer.queuedFds()) > 0;
        if (pending && pendingFdsTimeout == null) {
            pendingFdsTimeout = events.armPendingFdsTimeout(this);
        } else if (!pending && pendingFdsTimeout != null) {
            pendingFdsTimeout.cancel(false);
            pendingFdsTimeout = null;
        }
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

    /** The native protocol's endpoint of this connection, or null for a D-Bus connection. */
    public NativeEndpoint nativeEndpoint() {
        return nativeEndpoint;
    }

    /** Whether the connection speaks the native protocol instead of D-Bus. */
    public boolean isNative() {
        return nativeEndpoint != null;
    }

    /** Its own handle to its root node (its unique name); null before authentication. */
    public Handle root() {
        return root;
    }

    /** The driver's handle to its root node (what grants of it are made from); null before authentication. */
    public Handle driverHandle() {
        return driverHandle;
    }

    /** Its socket (for the native protocol, which writes its own frames). */
    public TransportConnection transport() {
        return transport;
    }

    /** Counts a native frame received. */
    public void countIn(long bytes) {
        messagesIn++;
        bytesIn += bytes;
    }

    /** Counts a native frame sent. */
    public void countOut(long bytes) {
        messagesOut++;
        bytesOut += bytes;
    }

    /** Completes Hello: it has its unique name and is active from now on. Called by the bus state. */
    public void assignUniqueName(String name) {
        // Complete: auth_timeout no longer applies (it ran from accept until now, as in dbus-daemon).
        cancelAuthTimeout();
        this.uniqueName = name;
        this.uniqueNameBytes = name.getBytes(StandardCharsets.US_ASCII);
        this.state = ConnectionState.ACTIVE;
    }

    // ---- transport events ----

    @Override
    public void onFds(int[] fds, int count) {
        if (state == ConnectionState.CLOSED) {
            events.closeFds(fds, count);
            return;
        }
        if (nativeEndpoint != null) {
            nativeEndpoint.onFds(fds, count);
            return;
        }
        framer.onFds(fds, count);
    }

    @Override
    public void onData(ByteBuffer data) {
        receive(data);
        checkPendingFds();
    }

    @Override
    public int directReadLength() {
        // Past authentication only (held input, if any, went through onData first), and for D-Bus messages: the
        // framer decides (MessageFramer#directLength).
        return state != ConnectionState.AUTHENTICATING && state != ConnectionState.CLOSED && nativeEndpoint == null
                ? framer.directLength() : 0;
    }

    @Override
    public byte[] directReadArray() {
        return framer.directArray();
    }

    @Override
    public int directReadOffset() {
        return framer.directOffset();
    }

    @Override
    public void onDirectData(int n) {
        framer.directFilled(n);
        events.flush();
        checkPendingFds();
    }

    private void receive(ByteBuffer data) {
        if (state == ConnectionState.AUTHENTICATING) {
            if (sasl.state() == SaslState.WAITING_FOR_KEYRING) {
                hold(data);
                return;
            }
            if (!authenticate(data)) {
                events.flush();
                return;
            }
        }
        if (data.hasRemaining() && state != ConnectionState.CLOSED) {
            if (nativeEndpoint != null) {
                nativeEndpoint.onData(data);
            } else {
                framer.onData(data);
            }
        }
        events.flush();
    }

    /** Feeds the SASL server; returns true once authentication is done and {@code data} holds message bytes. */
    private boolean authenticate(ByteBuffer data) {
        // Authentication is a few short lines: a copy to the heap costs nothing that matters.
        int n = data.remaining();
        byte[] chunk = new byte[n];
        data.get(data.position(), chunk);
        int consumed = sasl.feed(chunk, 0, n);
        data.position(data.position() + consumed);
        record(chunk, consumed);
        if (sasl.hasOutput()) {
            byte[] out = sasl.takeOutput();
            transport.write(out, 0, out.length);
            // As dbus-daemon: no more input until the answers are read, so a client that sends lines and never
            // reads holds one read's worth of answers at most.
            transport.suspendReadingUntilWritten();
        }
        if (sasl.state() == SaslState.WAITING_FOR_KEYRING) {
            // File I/O: the bus reads the keyring off the loop; what the client sends meanwhile waits here.
            hold(data);
            events.fetchCookie(this, sasl.keyring());
            return false;
        }
        if (sasl.state() == SaslState.AUTHENTICATED) {
            SaslIdentity id = sasl.identity();
            authMechanism = id.mechanism().wireName();
            if (id.unixFdsNegotiated() || id.nativeNegotiated()) {
                fdsEnabled = true;
                transport.enableFdPassing();
            }
            state = ConnectionState.AWAITING_HELLO;
            transcript = null;
            transcriptLength = 0;
            if (!events.authenticated(this)) {
                return false;
            }
            if (id.nativeNegotiated()) {
                // No Hello in the native protocol: the unique name is given now, with the WELCOME frame.
                nativeEndpoint = events.nativeNegotiated(this);
                return nativeEndpoint != null;
            }
            return true;
        }
        if (sasl.state() == SaslState.FAILED) {
            events.disconnect(this, DisconnectReason.AUTH_FAILED, "authentication failed: " + sasl.violation());
        }
        return false;
    }

    private void record(byte[] chunk, int n) {
        if (transcriptLength > MAX_TRANSCRIPT) {
            return;
        }
        if (transcriptLength + n > MAX_TRANSCRIPT) {
            transcriptLength = MAX_TRANSCRIPT + 1; // marks it lost
            transcript = null;
            return;
        }
        if (transcript == null || transcript.length < transcriptLength + n) {
            transcript = java.util.Arrays.copyOf(transcript == null ? new byte[0] : transcript,
                    Math.max(transcriptLength + n, 128));
        }
        System.arraycopy(chunk, 0, transcript, transcriptLength, n);
        transcriptLength += n;
    }

    // ---- live upgrade: what the next process needs, and how it resumes ----

    /** The authentication transcript so far (while AUTHENTICATING), or null if it grew past {@link #MAX_TRANSCRIPT}. */
    public byte[] authTranscript() {
        if (transcriptLength > MAX_TRANSCRIPT) {
            return null;
        }
        return transcript == null ? new byte[0] : java.util.Arrays.copyOf(transcript, transcriptLength);
    }

    /** Whether authentication waits for the cookie keyring (a hand-over cannot carry that wait). */
    public boolean waitsForKeyring() {
        return state == ConnectionState.AUTHENTICATING && sasl.state() == SaslState.WAITING_FOR_KEYRING;
    }

    /** Bytes of a message (or native frame) received in part; empty if none. */
    public byte[] partialInput() {
        return nativeEndpoint != null ? nativeEndpoint.partialInput() : framer.partialBytes();
    }

    /** Descriptors received and not yet claimed by a message (or native frame), left in place. */
    public int[] unclaimedFds() {
        return nativeEndpoint != null ? nativeEndpoint.peekFds() : framer.peekFds();
    }

    /**
     * Moves every queued delivery into the socket buffer, past the high-water mark: before a hand-over, so that
     * what waits for this connection is bytes the next process sends, not core messages it would rebuild.
     */
    public void drainForHandOver() {
        draining = true;
        try {
            while (peer.hasQueued()) {
                peer.drain(this);
            }
        } finally {
            draining = false;
        }
    }

    /** The DBUS_COOKIE_SHA1 challenge sent in the authentication under way, or null (for a hand-over). */
    public SaslServer.CookieChallenge cookieChallenge() {
        return state == ConnectionState.AUTHENTICATING ? sasl.cookieChallenge() : null;
    }

    /**
     * Resumes in the next process a connection that was mid-authentication: the transcript is fed to the new SASL
     * server, whose answers the client already had, so they are dropped. Where the previous process had read the
     * cookie keyring, {@code challenge} (null if none came with the hand-over) is the challenge it sent: the client's
     * answer is checked against it. Without it a new one is drawn, which the client's answer cannot match: it is
     * rejected once and may try again, as after any failed attempt.
     */
    public void resumeAuthentication(byte[] replay, SaslServer.CookieChallenge challenge) {
        record(replay, replay.length);
        int at = 0;
        while (at < replay.length) {
            at += sasl.feed(replay, at, replay.length - at);
            if (sasl.state() != SaslState.WAITING_FOR_KEYRING) {
                break;
            }
            if (challenge != null) {
                sasl.replayChallenge(challenge);
            } else {
                sasl.cookieReady(new CookieKeyring.Cookie(-1, ""));
            }
        }
        if (sasl.hasOutput()) {
            sasl.takeOutput();
        }
    }

    /** Resumes in the next process a connection that had authenticated with {@code mechanism}. */
    public void resumeAuthenticated(String mechanism, boolean unixFds) {
        authMechanism = mechanism;
        fdsEnabled = unixFds;
        transcript = null;
        transcriptLength = 0;
        cancelAuthTimeout();
        state = ConnectionState.AWAITING_HELLO;
    }

    /**
     * Resumes in the next process a connection that spoke the native protocol, through {@code endpoint} (restored
     * with its handles by the caller); its input goes there from now on.
     */
    public void resumeNative(NativeEndpoint endpoint) {
        this.nativeEndpoint = endpoint;
    }

    /**
     * Gives the framer (or the native endpoint) what the previous process had received of the next message,
     * descriptors first.
     */
    public void resumeInput(byte[] partial, int[] fds) {
        if (nativeEndpoint != null) {
            if (fds.length > 0) {
                nativeEndpoint.onFds(fds, fds.length);
            }
            if (partial.length > 0) {
                nativeEndpoint.onData(ByteBuffer.wrap(partial));
            }
        } else {
            if (fds.length > 0) {
                framer.onFds(fds, fds.length);
            }
            if (partial.length > 0) {
                framer.onData(ByteBuffer.wrap(partial));
            }
        }
        checkPendingFds();
    }

    /** Keeps what arrived while the keyring is read; a client that sends much before the challenge is closed. */
    private void hold(ByteBuffer data) {
        int n = data.remaining();
        if (n == 0 || state == ConnectionState.CLOSED) {
            return;
        }
        if (heldLength + n > SaslServer.MAX_LINE_LENGTH) {
            events.disconnect(this, DisconnectReason.AUTH_FAILED, "too much input while the cookie keyring is read");
            return;
        }
        if (heldInput == null || heldInput.length < heldLength + n) {
            heldInput = java.util.Arrays.copyOf(heldInput == null ? new byte[0] : heldInput,
                    Math.max(heldLength + n, 256));
        }
        data.get(heldInput, heldLength, n);
        heldLength += n;
    }

    /**
     * The keyring answered ({@code cookie}, or null and why it failed): authentication goes on with what arrived
     * meanwhile. Called on the loop by the bus; nothing happens if the connection closed since.
     */
    public void keyringAnswered(CookieKeyring.Cookie cookie, String failure) {
        if (state != ConnectionState.AUTHENTICATING || sasl.state() != SaslState.WAITING_FOR_KEYRING) {
            return;
        }
        if (cookie != null) {
            sasl.cookieReady(cookie);
        } else {
            sasl.cookieFailed(failure);
        }
        ByteBuffer held = ByteBuffer.wrap(heldInput == null ? new byte[0] : heldInput, 0, heldLength);
        heldInput = null;
        heldLength = 0;
        onData(held);
    }

    @Override
    public void onMessage(DBusMessage message, int[] fds) {
        if (state == ConnectionState.CLOSED) {
            events.closeFds(fds, fds.length);
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
        events.dispatch(this, message, fds);
        if (fds.length > 0) {
            throttleIncomingFds();
        }
    }

    @Override
    public void onUnknownMessage(DBusMessage message, int[] fds) {
        // The specification: "messages of unknown type must be ignored".
        events.closeFds(fds, fds.length);
    }

    @Override
    public void onProtocolViolation(Validity reason, DBusMessage message) {
        events.disconnect(this, DisconnectReason.PROTOCOL_VIOLATION,
                message != null ? reason.reason() + " at byte " + message.errorOffset() : reason.reason());
    }

    @Override
    public void onIncomingQuotaExceeded(int announcedLength) {
        events.incomingQuotaExceeded(this, announcedLength);
    }

    /**
     * Closes it for good: the state is CLOSED, the auth timer and the socket are gone, the message being received is
     * dropped (its incoming charge goes), and descriptors received but not claimed by a message are handed to
     * {@code closer}. The bus's goodbye does the rest.
     */
    public void close(ConnectionEvents closer) {
        state = ConnectionState.CLOSED;
        cancelAuthTimeout();
        checkPendingFds();
        transport.close();
        framer.close();
        if (nativeEndpoint != null) {
            nativeEndpoint.close();
        }
        int[] unclaimed = nativeEndpoint != null ? nativeEndpoint.unclaimedFds() : framer.drainFds();
        closer.closeFds(unclaimed, unclaimed.length);
    }

    /**
     * What the bytes of this connection's messages may take while they arrive (max_incoming_bytes, four times that per
     * user): the native protocol's frames are charged to it too.
     */
    public IncomingBudget incomingBudget() {
        return incoming;
    }

    /** Turns it into a monitor (BecomeMonitor): from now on it only receives. Called by the bus state. */
    public void becomeMonitor() {
        state = ConnectionState.MONITOR;
    }

    /** Refused before it was registered (too many connections): closed at once, never part of the bus. */
    public void refuse() {
        state = ConnectionState.CLOSED;
        transport.close();
    }

    @Override
    public void onWritable() {
        if (blocked) {
            blocked = false;
            drain();
            events.flush();
        }
    }

    @Override
    public void onClosed() {
        events.disconnect(this, DisconnectReason.CLIENT_CLOSED, null);
        // The signals that announce its departure go out now, not with the next input.
        events.flush();
    }

    // ---- core queue ----

    @Override
    public void onQueueReady(Peer p) {
        events.queueReady(this);
    }

    /** Moves queued messages into the socket while it takes them. */
    public void drain() {
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
        if (nativeEndpoint != null) {
            if (state == ConnectionState.CLOSED) {
                NativePayload.drop(message);
                return true;
            }
            return nativeEndpoint.onMessage(sequence, destination, message, transferred);
        }
        BusMessage m = (BusMessage) message.payload();
        if (state != ConnectionState.CLOSED) {
            if (m.fds.length > 0 && !transport.attachFds(m.fds, 0, m.fds.length)) {
                // The transport could not duplicate them (EMFILE; routing never sends more than one write passes).
                // Without them the receiver would misread the message (its UNIX_FDS promises descriptors): it
                // does not get it at all.
                undeliverable++;
                m.release();
                return draining || transport.isWritable();
            }
            transport.write(m.head, 0, m.head.length);
            // A message with descriptors is lent however short: it then lives until the kernel took it, and so does
            // its sender's charge for them (max_incoming_unix_fds), as dbus-daemon's message does until written.
            if (m.tailLength >= BusMessage.LENT_TAIL_MIN || (m.fds.length > 0 && m.tailLength > 0)) {
                m.expect(1); // the lending's reference, given back by m.written()
                transport.writeLent(m.tail, m.tailOffset, m.tailLength, m);
            } else if (m.tailLength > 0) {
                transport.write(m.tail, m.tailOffset, m.tailLength);
            }
            messagesOut++;
            bytesOut += m.size();
        }
        m.release();
        return draining || transport.isWritable();
    }

    @Override
    public boolean onNodeDestroyed(long sequence, Handle handle) {
        if (nativeEndpoint != null && state != ConnectionState.CLOSED) {
            return nativeEndpoint.onNodeDestroyed(sequence, handle);
        }
        // A connection we had sent to went away: drop our handle to its root node.
        if (handle.holder() == peer && handle.isValid() && handle != root) {
            peer.releaseAll(handle);
        }
        return true;
    }

    @Override
    public boolean onNodeReleased(long sequence, Handle ownerHandle) {
        if (nativeEndpoint != null && state != ConnectionState.CLOSED) {
            return nativeEndpoint.onNodeReleased(sequence, ownerHandle);
        }
        return true;
    }

    @Override
    public String toString() {
        return uniqueName != null ? uniqueName : "connection(uid=" + transport.credentials().uid() + ")";
    }
}
