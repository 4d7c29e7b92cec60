package org.capbus.dbus.broker.state;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.capbus.config.ServiceCatalog;
import org.capbus.core.Core;
import org.capbus.core.Handle;
import org.capbus.core.Message;
import org.capbus.core.Peer;
import org.capbus.core.Receiver;
import org.capbus.core.SendResult;
import org.capbus.dbus.activation.ActivationEnvironment;
import org.capbus.dbus.broker.connection.BusConnection;
import org.capbus.dbus.broker.connection.BusMessage;
import org.capbus.dbus.wire.DBusMessage;
import org.capbus.dbus.wire.MessageBuilder;

/**
 * The activation side of the bus state: the catalog of activatable services, the environment children get, and the
 * {@link PendingActivation}s with everything waiting in them. Like the rest of the state it sends nothing and
 * starts nothing: adding a waiter says whether that made a new activation (which the caller then starts), and the
 * end of an activation hands back what waited, for the outbox to answer or routing to deliver.
 *
 * <p>Waiting messages are core messages queued to a peer of the bus's user, one peer per activation, sent by the
 * waiting client's own peer: the core charges each to its sender's share of that budget, with its descriptors, so a
 * client flooding a slow activation hits its quota and not everyone's; and whatever happens, draining the peer and
 * disconnecting it returns every charge.
 *
 * <p>Owned by the bus state; event-loop thread only.
 */
public final class Activations {
    /** What adding a waiter did. */
    public enum Added {
        /** It waits in an activation already under way. */
        WAITING,
        /** It waits in a new activation, which the caller must now start. */
        NEW,
        /** max_pending_service_starts callers wait already: refused. */
        TOO_MANY,
        /** The core refused to queue it (its sender's share of the quota is used up): refused. */
        QUOTA
    }

    private final Core core;
    private final long busUid;
    private final ActivationEnvironment environment = new ActivationEnvironment(servicesEnvironment());
    private final Map<String, PendingActivation> pending = new LinkedHashMap<>();
    private final ArrayDeque<PendingActivation> succeeded = new ArrayDeque<>();
    private ServiceCatalog catalog = ServiceCatalog.empty();
    private int waiting;

    /**
     * The bus's environment, which activated services inherit (as dbus-daemon's do), less the JVM setting its launcher
     * adds ({@code _JAVA_SR_SIGNUM}, which moves the JVM's thread-suspension signal off the bus's upgrade signal): a
     * setting of this process, not of the user's session.
     */
    private static Map<String, String> servicesEnvironment() {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.remove("_JAVA_SR_SIGNUM");
        return env;
    }

    /** Activations whose queues are peers of user {@code busUid} in {@code core}. */
    public Activations(Core core, long busUid) {
        this.core = core;
        this.busUid = busUid;
    }

    // ---- catalog and environment ----

    public ServiceCatalog catalog() {
        return catalog;
    }

    /** A freshly read catalog replaces the old one (activations under way keep the file they started). */
    public void setCatalog(ServiceCatalog catalog) {
        this.catalog = catalog;
    }

    /** The names the service files provide, in search order (ListActivatableNames). */
    public List<String> activatableNames() {
        return new ArrayList<>(catalog.services().keySet());
    }

    /** The environment of later children; UpdateActivationEnvironment changes it. */
    public ActivationEnvironment environment() {
        return environment;
    }

    // ---- waiting ----

    /**
     * Lets client message {@code m} ({@code out} as it will be forwarded; the activation takes over the caller's
     * reference unless refused) from {@code sender} wait for {@code name}'s service.
     */
    public Added addMessage(String name, BusConnection sender, DBusMessage m, BusMessage out, long limit) {
        return add(name, sender.peer(), new ActivationWaiter(sender, m, out, null), out.size(), out.fdCount(), limit);
    }

    /** Lets {@code message}, which the bus itself sends from {@code busPeer}, wait for {@code name}'s service. */
    public Added addBusMessage(String name, Peer busPeer, MessageBuilder message, long limit) {
        // What the bus sends is small and not the clients' to pay for; a nominal size keeps it in the count.
        return add(name, busPeer, new ActivationWaiter(null, null, null, message), 256, 0, limit);
    }

    /**
     * Lets the StartServiceByName call {@code serial} from {@code caller} ({@code expectsReply}: without
     * NO_REPLY_EXPECTED) wait for {@code name}'s service.
     */
    public Added addStartCall(String name, BusConnection caller, long serial, boolean expectsReply, long limit) {
        if (waiting >= limit) {
            return Added.TOO_MANY;
        }
        PendingActivation p = pending.get(name);
        boolean fresh = p == null;
        if (fresh) {
            p = create(name);
        }
        p.startCalls().add(new PendingActivation.StartCall(caller, serial, expectsReply));
        p.addEntry();
        waiting++;
        return fresh ? Added.NEW : Added.WAITING;
    }

    private Added add(String name, Peer from, ActivationWaiter w, long size, int fds, long limit) {
        if (waiting >= limit) {
            return Added.TOO_MANY;
        }
        PendingActivation p = pending.get(name);
        boolean fresh = p == null;
        if (fresh) {
            p = create(name);
        }
        Handle h = from.handleTo(p.node().node());
        if (h == null) {
            h = p.queue().grant(p.node(), from);
        }
        if (from.send(h, new Message(w, size, null, fds)) != SendResult.OK) {
            if (fresh) {
                pending.remove(name);
                p.queue().disconnect();
            }
            return Added.QUOTA;
        }
        p.addEntry();
        waiting++;
        return fresh ? Added.NEW : Added.WAITING;
    }

    private PendingActivation create(String name) {
        PendingActivation p = new PendingActivation(name, core.createPeer(core.user(busUid), null));
        pending.put(name, p);
        return p;
    }

    /** The activation of {@code name} under way, or null. */
    public PendingActivation pending(String name) {
        return pending.get(name);
    }

    /** Every activation under way, in the order they began (a copy: callers end some while iterating). */
    public List<PendingActivation> all() {
        return new ArrayList<>(pending.values());
    }

    // ---- ends ----

    /**
     * {@code name} got a primary owner: its activation (if any) succeeded. It is kept for {@link #pollSucceeded}
     * (the bus delivers its waiters after the step that gave the name its owner); returns it, or null.
     */
    public PendingActivation nameOwned(String name) {
        PendingActivation p = pending.remove(name);
        if (p != null) {
            p.stop(false);
            waiting -= p.entries();
            succeeded.add(p);
        }
        return p;
    }

    /** Whether succeeded activations wait to be delivered. */
    public boolean hasSucceeded() {
        return !succeeded.isEmpty();
    }

    /** The next succeeded activation whose waiters are to be delivered, or null. */
    public PendingActivation pollSucceeded() {
        return succeeded.poll();
    }

    /** Ends {@code p} as failed; false if it had ended already. Its waiters are then handed out by {@link #drain}. */
    public boolean remove(PendingActivation p) {
        if (pending.get(p.name()) != p) {
            return false;
        }
        pending.remove(p.name());
        waiting -= p.entries();
        return true;
    }

    /**
     * Hands every message waiting in an ended activation to {@code sink}, in order (their charges are returned as
     * each is handed out), then disconnects its peer.
     */
    public static void drain(PendingActivation p, java.util.function.Consumer<ActivationWaiter> sink) {
        p.queue().drain(new Receiver() {
            @Override
            public boolean onMessage(long sequence, Handle destination, Message message, Handle[] transferred) {
                sink.accept((ActivationWaiter) message.payload());
                return true;
            }

            @Override
            public boolean onNodeDestroyed(long sequence, Handle handle) {
                return true;
            }

            @Override
            public boolean onNodeReleased(long sequence, Handle ownerHandle) {
                return true;
            }
        });
        p.queue().disconnect();
    }

    // ---- counts for Debug.Stats ----

    /** Activations not yet succeeded or failed. */
    public int pendingCount() {
        return pending.size();
    }

    /** Messages and StartServiceByName calls waiting for activations. */
    public int waitingCount() {
        return waiting;
    }

    /** Bytes of the messages waiting for activations, as the core charged them. */
    public long waitingBytes() {
        long n = 0;
        for (PendingActivation p : pending.values()) {
            n += p.queue().chargedBytes();
        }
        return n;
    }

    /** Descriptors carried by messages waiting for activations. */
    public long waitingFds() {
        long n = 0;
        for (PendingActivation p : pending.values()) {
            n += p.queue().chargedFds();
        }
        return n;
    }
}
