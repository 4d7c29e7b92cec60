package org.capbus.dbus.bus;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The well-known names of the bus: for each name, its queue of owners, the first of which is the primary
 * owner. Implements {@code RequestName}, {@code ReleaseName}, the release of everything a connection held
 * when it disconnects, and the queries behind {@code GetNameOwner}, {@code ListNames},
 * {@code ListQueuedOwners} and match-rule name resolution.
 *
 * <p>The semantics are dbus-daemon's ({@code bus/services.c}), including its quirks, which are part of what
 * clients observe:
 * <ul>
 *   <li>a request with {@code REPLACE_EXISTING} that ends up queued (because the primary owner did not allow
 *       replacement) is queued right behind the primary owner, not at the tail, and a queued owner that asks
 *       again with {@code REPLACE_EXISTING} moves there too;</li>
 *   <li>a replaced primary owner that had not set {@code DO_NOT_QUEUE} goes to the second place of the queue,
 *       right behind its replacement; with {@code DO_NOT_QUEUE} it loses the name altogether;</li>
 *   <li>a request answered {@code EXISTS} removes the caller from the queue if it was queued;</li>
 *   <li>a request by the primary owner ({@code ALREADY_OWNER}) replaces its flags;</li>
 *   <li>on disconnect, names are released in the reverse order in which the connection entered their queues.</li>
 * </ul>
 * Validating the name (a well-known name, not {@code org.freedesktop.DBus}), policy and the
 * {@code max_names_per_connection} limit ({@link #ownedNameCount}, which like dbus-daemon counts queue
 * entries too) are the driver's job, before calling.
 *
 * <p>Owned by the bus event-loop thread; not thread-safe.
 *
 * @param <O> the owner type, compared by identity
 */
public final class NameRegistry<O extends NameOwner> implements NameOwnership {

    /** RequestName flag: the caller allows another connection to take the name over with REPLACE_EXISTING. */
    public static final int ALLOW_REPLACEMENT = 0x1;
    /** RequestName flag: take the name from its primary owner if that one allowed replacement. */
    public static final int REPLACE_EXISTING = 0x2;
    /** RequestName flag: do not wait in the queue if the name cannot be had now. */
    public static final int DO_NOT_QUEUE = 0x4;

    private final Map<String, Name<O>> names = new HashMap<>();
    private final Map<O, OwnerState<O>> owners = new HashMap<>();
    private final Map<String, OwnerState<O>> ownersByUniqueName = new HashMap<>();
    private final Set<String> namesView = Collections.unmodifiableSet(names.keySet());
    /** Queue entries of every name, primary owners included: the sum of every owner's {@link #ownedNameCount}. */
    private int entryCount;

    /**
     * Requests {@code name} for {@code owner}, as {@code org.freedesktop.DBus.RequestName} with {@code flags}
     * (bits other than the three flags are ignored, as by dbus-daemon).
     */
    public RequestNameResult<O> requestName(String name, O owner, int flags) {
        Name<O> entry = names.get(name);
        if (entry == null) {
            entry = new Name<>(name);
            names.put(name, entry);
            entry.queue.add(new Slot<>(owner, flags));
            stateOf(owner).enter(entry);
            setPrimary(entry, null);
            return new RequestNameResult<>(RequestNameReply.PRIMARY_OWNER,
                    List.of(new NameOwnerChange<>(name, null, owner)));
        }
        Slot<O> primary = entry.queue.getFirst();
        if (primary.owner == owner) {
            primary.flags = flags;
            return new RequestNameResult<>(RequestNameReply.ALREADY_OWNER, List.of());
        }
        boolean doNotQueue = (flags & DO_NOT_QUEUE) != 0;
        boolean replace = (flags & REPLACE_EXISTING) != 0;
        boolean allowed = (primary.flags & ALLOW_REPLACEMENT) != 0;
        if (doNotQueue && !(replace && allowed)) {
            // The specification: the caller "is not queued"; dbus-daemon also drops an earlier queue entry.
            int index = indexOf(entry, owner);
            if (index > 0) {
                removeQueued(entry, index);
            }
            return new RequestNameResult<>(RequestNameReply.EXISTS, List.of());
        }
        enqueue(entry, owner, flags, replace);
        if (!(replace && allowed)) {
            return new RequestNameResult<>(RequestNameReply.IN_QUEUE, List.of());
        }
        // Replacement: enqueue() put the caller second; the old primary owner either leaves or swaps with it.
        O old = primary.owner;
        entry.queue.removeFirst();
        if ((primary.flags & DO_NOT_QUEUE) != 0) {
            stateOf(old).leave(entry);
        } else {
            entry.queue.add(1, primary);
        }
        setPrimary(entry, old);
        return new RequestNameResult<>(RequestNameReply.PRIMARY_OWNER, List.of(new NameOwnerChange<>(name, old, owner)));
    }

    /** Releases {@code name} for {@code owner}, as {@code org.freedesktop.DBus.ReleaseName}. */
    public ReleaseNameResult<O> releaseName(String name, O owner) {
        Name<O> entry = names.get(name);
        if (entry == null) {
            return new ReleaseNameResult<>(ReleaseNameReply.NON_EXISTENT, List.of());
        }
        int index = indexOf(entry, owner);
        if (index < 0) {
            return new ReleaseNameResult<>(ReleaseNameReply.NOT_OWNER, List.of());
        }
        if (index > 0) {
            removeQueued(entry, index);
            return new ReleaseNameResult<>(ReleaseNameReply.RELEASED, List.of());
        }
        return new ReleaseNameResult<>(ReleaseNameReply.RELEASED, List.of(removePrimary(entry)));
    }

    /**
     * Removes {@code owner} from every name and queue, as when its connection goes away, and returns the
     * changes of primary owner in the order dbus-daemon announces them: names in the reverse order in which
     * the owner entered their queues. Leaving a queue where it was not primary announces nothing.
     */
    public List<NameOwnerChange<O>> removeOwner(O owner) {
        OwnerState<O> state = owners.get(owner);
        if (state == null) {
            return List.of();
        }
        List<Name<O>> held = new ArrayList<>(state.entered.reversed());
        List<NameOwnerChange<O>> changes = new ArrayList<>();
        for (Name<O> entry : held) {
            int index = indexOf(entry, owner);
            if (index == 0) {
                changes.add(removePrimary(entry));
            } else {
                removeQueued(entry, index);
            }
        }
        return changes;
    }

    /** The primary owner of {@code name}, or null if the name has no owner. */
    public O primaryOwner(String name) {
        Name<O> entry = names.get(name);
        return entry == null ? null : entry.queue.getFirst().owner;
    }

    /** The owners of {@code name}, primary owner first, as {@code ListQueuedOwners}; empty if it has none. */
    public List<O> queuedOwners(String name) {
        Name<O> entry = names.get(name);
        if (entry == null) {
            return List.of();
        }
        List<O> result = new ArrayList<>(entry.queue.size());
        for (Slot<O> slot : entry.queue) {
            result.add(slot.owner);
        }
        return result;
    }

    /** The flags the owner gave in its latest request for {@code name}, or -1 if it is not in the name's queue. */
    public int flagsOf(String name, O owner) {
        Name<O> entry = names.get(name);
        int index = entry == null ? -1 : indexOf(entry, owner);
        return index < 0 ? -1 : entry.queue.get(index).flags;
    }

    /** Every well-known name that has an owner, in no particular order (a read-only live view). */
    public Set<String> names() {
        return namesView;
    }

    /** True if {@code name} has an owner ({@code NameHasOwner}). */
    public boolean hasOwner(String name) {
        return names.containsKey(name);
    }

    /**
     * The number of names {@code owner} is primary owner of or queued for; dbus-daemon counts both against
     * {@code max_names_per_connection}.
     */
    public int ownedNameCount(O owner) {
        OwnerState<O> state = owners.get(owner);
        return state == null ? 0 : state.entered.size();
    }

    /**
     * The queue entries of every name, primary owners and queued owners alike: the sum of {@link #ownedNameCount}
     * over all owners, which is what dbus-daemon reports as the bus's well-known names in Debug.Stats.
     */
    public int entryCount() {
        return entryCount;
    }

    /** The names {@code owner} is primary owner of, in no particular order (a read-only live view). */
    public List<String> primaryNames(O owner) {
        OwnerState<O> state = owners.get(owner);
        return state == null ? List.of() : state.primaryView;
    }

    @Override
    public String primaryOwnerOf(String wellKnownName) {
        Name<O> entry = names.get(wellKnownName);
        return entry == null ? null : entry.queue.getFirst().owner.uniqueName();
    }

    @Override
    public List<String> primaryNamesOf(String uniqueName) {
        OwnerState<O> state = ownersByUniqueName.get(uniqueName);
        return state == null ? List.of() : state.primaryView;
    }

    /** Adds {@code owner} to the queue (or updates its entry), as dbus-daemon's {@code bus_service_add_owner}. */
    private void enqueue(Name<O> entry, O owner, int flags, boolean replace) {
        int index = indexOf(entry, owner);
        if (index < 0) {
            Slot<O> slot = new Slot<>(owner, flags);
            if (replace) {
                entry.queue.add(1, slot);
            } else {
                entry.queue.add(slot);
            }
            stateOf(owner).enter(entry);
        } else {
            Slot<O> slot = entry.queue.get(index);
            slot.flags = flags;
            if (replace && index != 1) {
                entry.queue.remove(index);
                entry.queue.add(1, slot);
            }
        }
    }

    private void removeQueued(Name<O> entry, int index) {
        Slot<O> slot = entry.queue.remove(index);
        stateOf(slot.owner).leave(entry);
    }

    private NameOwnerChange<O> removePrimary(Name<O> entry) {
        O old = entry.queue.removeFirst().owner;
        stateOf(old).leave(entry);
        if (entry.queue.isEmpty()) {
            names.remove(entry.name);
            OwnerState<O> state = owners.get(old);
            if (state != null) {
                state.primary.remove(entry.name);
            }
            return new NameOwnerChange<>(entry.name, old, null);
        }
        setPrimary(entry, old);
        return new NameOwnerChange<>(entry.name, old, entry.queue.getFirst().owner);
    }

    /** Moves the name from {@code old}'s primary names (if any) to those of the new head of the queue. */
    private void setPrimary(Name<O> entry, O old) {
        if (old != null) {
            OwnerState<O> state = owners.get(old);
            if (state != null) {
                state.primary.remove(entry.name);
            }
        }
        stateOf(entry.queue.getFirst().owner).primary.add(entry.name);
    }

    private static <O extends NameOwner> int indexOf(Name<O> entry, O owner) {
        List<Slot<O>> queue = entry.queue;
        for (int i = 0, n = queue.size(); i < n; i++) {
            if (queue.get(i).owner == owner) {
                return i;
            }
        }
        return -1;
    }

    private OwnerState<O> stateOf(O owner) {
        OwnerState<O> state = owners.get(owner);
        if (state == null) {
            state = new OwnerState<>(this, owner);
            owners.put(owner, state);
            ownersByUniqueName.put(owner.uniqueName(), state);
        }
        return state;
    }

    private void forget(OwnerState<O> state) {
        owners.remove(state.owner);
        ownersByUniqueName.remove(state.owner.uniqueName());
    }

    /** A well-known name with at least one owner; {@code queue.get(0)} is the primary owner. */
    private static final class Name<O extends NameOwner> {
        final String name;
        final ArrayList<Slot<O>> queue = new ArrayList<>(2);

        Name(String name) {
            this.name = name;
        }
    }

    /** One owner's place in a name's queue, with the flags of its latest request. */
    private static final class Slot<O extends NameOwner> {
        final O owner;
        int flags;

        Slot(O owner, int flags) {
            this.owner = owner;
            this.flags = flags;
        }
    }

    /** What one owner holds: queue entries in the order it entered them, and names it is primary owner of. */
    private static final class OwnerState<O extends NameOwner> {
        final NameRegistry<O> registry;
        final O owner;
        final LinkedHashSet<Name<O>> entered = new LinkedHashSet<>();
        final ArrayList<String> primary = new ArrayList<>(2);
        final List<String> primaryView = Collections.unmodifiableList(primary);

        OwnerState(NameRegistry<O> registry, O owner) {
            this.registry = registry;
            this.owner = owner;
        }

        void enter(Name<O> entry) {
            if (entered.add(entry)) {
                registry.entryCount++;
            }
        }

        void leave(Name<O> entry) {
            if (entered.remove(entry)) {
                registry.entryCount--;
            }
            if (entered.isEmpty()) {
                registry.forget(this);
            }
        }
    }
}
