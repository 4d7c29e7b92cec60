package org.capbus.dbus.bus;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The match rules of all connections, indexed so that routing a message visits only the rules that could match
 * it rather than every rule on the bus. Each rule is filed under exactly one key, the most selective it has: its
 * {@code member} and exact string {@code arg0} together, else its {@code member}, else its {@code interface}, else
 * its {@code path}, else its {@code sender} (a unique or well-known name), else a list of rules with none of those.
 * A message probes the bucket of its member and arg0, of its member, of its interface, of its path, of its
 * sender's unique name and of every well-known name its sender is primary owner of (as dbus-broker walks the
 * sender's names), and the catch-all list; each visited rule is then checked in full with
 * {@link MatchRule#matches}.
 *
 * <p>The addressed recipient of a unicast message is never reported: it receives the message anyway (dbus-daemon
 * marks it before matching). Each other subscriber is reported at most once per message, however many of its
 * rules match, using a per-message generation stamp on the subscriber's record, so a query allocates nothing.
 *
 * <p>Monitors ({@code BecomeMonitor}) belong in an index of their own, with their rules forced to eavesdrop
 * ({@link MatchRule#withEavesdrop}); an empty monitor rule list is the empty rule, which matches everything.
 *
 * <p>Owned by the bus event-loop thread; not thread-safe. Queries must not be nested or interleaved with changes
 * from inside the sink.
 *
 * @param <S> the subscriber type (a connection), compared by identity
 */
public final class MatchIndex<S extends NameOwner> {

    /** Receives the subscribers one query selects. */
    @FunctionalInterface
    public interface RecipientSink<S> {
        /** Called once per matching subscriber, during {@link MatchIndex#collectRecipients}. */
        void accept(S subscriber);
    }

    private final Map<S, Subscriber<S>> subscribers = new HashMap<>();
    private final Map<String, Bucket<S>> byMember = new HashMap<>();
    /**
     * Rules with a member and an exact {@code arg0}, by member then arg0: the thousands of
     * {@code member='NameOwnerChanged',arg0='name'} rules of a desktop (one per watched name) cost one lookup per
     * broadcast, not a scan.
     */
    private final Map<String, Map<String, Bucket<S>>> byMemberArg0 = new HashMap<>();
    private final Map<String, Bucket<S>> byInterface = new HashMap<>();
    private final Map<String, Bucket<S>> byPath = new HashMap<>();
    private final Map<String, Bucket<S>> bySender = new HashMap<>();
    private final Bucket<S> unkeyed = new Bucket<>(null, null);
    private long generation;
    private int totalRules;
    private int rulesWithoutSender;

    /**
     * Adds a rule for {@code subscriber}. The same rule may be added several times and must then be removed as
     * many times, as in dbus-daemon. The {@code max_match_rules_per_connection} limit is the caller's to check
     * with {@link #ruleCount}.
     */
    public void add(S subscriber, MatchRule rule) {
        Subscriber<S> sub = subscribers.get(subscriber);
        if (sub == null) {
            sub = new Subscriber<>(subscriber);
            subscribers.put(subscriber, sub);
        }
        Entry<S> entry = new Entry<>(rule, sub);
        sub.rules.add(entry);
        bucketFor(rule).add(entry);
        totalRules++;
        if (rule.sender() == null) {
            rulesWithoutSender++;
        }
    }

    /**
     * Removes the first of {@code subscriber}'s rules equal to {@code rule} ({@code RemoveMatch}); returns false
     * if it has none ({@code org.freedesktop.DBus.Error.MatchRuleNotFound}).
     */
    public boolean remove(S subscriber, MatchRule rule) {
        Subscriber<S> sub = subscribers.get(subscriber);
        if (sub == null) {
            return false;
        }
        ArrayList<Entry<S>> rules = sub.rules;
        for (int i = 0, n = rules.size(); i < n; i++) {
            Entry<S> entry = rules.get(i);
            if (entry.rule.equals(rule)) {
                rules.remove(i);
                unfile(entry);
                if (rules.isEmpty()) {
                    subscribers.remove(subscriber);
                }
                return true;
            }
        }
        return false;
    }

    /** Removes every rule of {@code subscriber}, as when it disconnects; returns how many there were. */
    public int removeAll(S subscriber) {
        Subscriber<S> sub = subscribers.remove(subscriber);
        if (sub == null) {
            return 0;
        }
        for (Entry<S> entry : sub.rules) {
            unfile(entry);
        }
        int n = sub.rules.size();
        sub.rules.clear();
        return n;
    }

    /** The number of rules {@code subscriber} has. */
    public int ruleCount(S subscriber) {
        Subscriber<S> sub = subscribers.get(subscriber);
        return sub == null ? 0 : sub.rules.size();
    }

    /** The rules of {@code subscriber} in the order they were added (a copy). */
    public List<MatchRule> rulesOf(S subscriber) {
        Subscriber<S> sub = subscribers.get(subscriber);
        if (sub == null) {
            return List.of();
        }
        List<MatchRule> result = new ArrayList<>(sub.rules.size());
        for (Entry<S> entry : sub.rules) {
            result.add(entry.rule);
        }
        return result;
    }

    /** The number of rules of all subscribers. */
    public int totalRules() {
        return totalRules;
    }

    /** The number of rules without a {@code sender}: the ones every sender's broadcasts are checked against. */
    public int rulesWithoutSender() {
        return rulesWithoutSender;
    }

    /** The number of subscribers with at least one rule. */
    public int subscriberCount() {
        return subscribers.size();
    }

    /**
     * Reports to {@code sink}, once each, every subscriber other than {@code addressedRecipient} that has a rule
     * matching {@code message}; returns how many were reported.
     *
     * @param message            the message being routed
     * @param addressedRecipient the connection a unicast message is addressed to, or null for a broadcast, a
     *                           message to the driver, or a destination not yet known
     * @param names              current name ownership, to resolve well-known names in rules
     * @param sink               receives each selected subscriber
     */
    public int collectRecipients(MatchableMessage message, S addressedRecipient, NameOwnership names,
                                 RecipientSink<? super S> sink) {
        long stamp = ++generation;
        String recipientName = null;
        if (addressedRecipient != null) {
            recipientName = addressedRecipient.uniqueName();
            Subscriber<S> recipient = subscribers.get(addressedRecipient);
            if (recipient != null) {
                recipient.stamp = stamp;
            }
        }
        int count = 0;
        String member = message.member();
        count += probe(byMember, member, message, recipientName, names, sink, stamp);
        if (member != null && !byMemberArg0.isEmpty()) {
            Map<String, Bucket<S>> byArg0 = byMemberArg0.get(member);
            // argN matches STRING arguments only, so an OBJECT_PATH arg0 can match none of these rules.
            if (byArg0 != null && !message.isObjectPathArg(0)) {
                count += probe(byArg0, message.stringArg(0), message, recipientName, names, sink, stamp);
            }
        }
        count += probe(byInterface, message.interfaceName(), message, recipientName, names, sink, stamp);
        count += probe(byPath, message.path(), message, recipientName, names, sink, stamp);
        String sender = message.sender();
        if (sender != null && !bySender.isEmpty()) {
            count += probe(bySender, sender, message, recipientName, names, sink, stamp);
            List<String> owned = names.primaryNamesOf(sender);
            for (int i = 0, n = owned.size(); i < n; i++) {
                count += probe(bySender, owned.get(i), message, recipientName, names, sink, stamp);
            }
        }
        count += scan(unkeyed, message, recipientName, names, sink, stamp);
        return count;
    }

    private int probe(Map<String, Bucket<S>> map, String key, MatchableMessage message, String recipientName,
                      NameOwnership names, RecipientSink<? super S> sink, long stamp) {
        if (key == null) {
            return 0;
        }
        Bucket<S> bucket = map.get(key);
        return bucket == null ? 0 : scan(bucket, message, recipientName, names, sink, stamp);
    }

    private static <S extends NameOwner> int scan(Bucket<S> bucket, MatchableMessage message, String recipientName,
                                                  NameOwnership names, RecipientSink<? super S> sink, long stamp) {
        int count = 0;
        Entry<S>[] entries = bucket.entries;
        for (int i = 0, n = bucket.size; i < n; i++) {
            Entry<S> entry = entries[i];
            Subscriber<S> sub = entry.subscriber;
            if (sub.stamp != stamp && entry.rule.matches(message, recipientName, names)) {
                sub.stamp = stamp;
                sink.accept(sub.subscriber);
                count++;
            }
        }
        return count;
    }

    private Bucket<S> bucketFor(MatchRule rule) {
        if (rule.member() != null && rule.argCount() > 0 && rule.arg(0) != null
                && rule.argMatch(0) == MatchRule.ArgMatch.STRING) {
            Map<String, Bucket<S>> byArg0 = byMemberArg0.computeIfAbsent(rule.member(), k -> new HashMap<>());
            return byArg0.computeIfAbsent(rule.arg(0), k -> new Bucket<>(byArg0, k));
        }
        if (rule.member() != null) {
            return byMember.computeIfAbsent(rule.member(), k -> new Bucket<>(byMember, k));
        }
        if (rule.interfaceName() != null) {
            return byInterface.computeIfAbsent(rule.interfaceName(), k -> new Bucket<>(byInterface, k));
        }
        if (rule.path() != null) {
            return byPath.computeIfAbsent(rule.path(), k -> new Bucket<>(byPath, k));
        }
        if (rule.sender() != null) {
            return bySender.computeIfAbsent(rule.sender(), k -> new Bucket<>(bySender, k));
        }
        return unkeyed;
    }

    private void unfile(Entry<S> entry) {
        entry.bucket.remove(entry);
        totalRules--;
        if (entry.rule.sender() == null) {
            rulesWithoutSender--;
        }
    }

    /** A subscriber's rules, and the stamp of the last query that reported it. */
    private static final class Subscriber<S> {
        final S subscriber;
        final ArrayList<Entry<S>> rules = new ArrayList<>(4);
        long stamp;

        Subscriber(S subscriber) {
            this.subscriber = subscriber;
        }
    }

    /** One added rule: filed in one bucket at {@code index}. */
    private static final class Entry<S> {
        final MatchRule rule;
        final Subscriber<S> subscriber;
        Bucket<S> bucket;
        int index;

        Entry(MatchRule rule, Subscriber<S> subscriber) {
            this.rule = rule;
            this.subscriber = subscriber;
        }
    }

    /** An unordered array of entries with O(1) removal by swapping in the last one; drops itself when empty. */
    private static final class Bucket<S> {
        private final Map<String, Bucket<S>> owner;
        private final String key;
        @SuppressWarnings("unchecked")
        Entry<S>[] entries = new Entry[2];
        int size;

        Bucket(Map<String, Bucket<S>> owner, String key) {
            this.owner = owner;
            this.key = key;
        }

        void add(Entry<S> entry) {
            if (size == entries.length) {
                entries = Arrays.copyOf(entries, size * 2);
            }
            entry.bucket = this;
            entry.index = size;
            entries[size++] = entry;
        }

        void remove(Entry<S> entry) {
            int last = --size;
            Entry<S> moved = entries[last];
            entries[entry.index] = moved;
            moved.index = entry.index;
            entries[last] = null;
            entry.bucket = null;
            if (size == 0 && owner != null) {
                owner.remove(key);
            }
        }
    }
}
