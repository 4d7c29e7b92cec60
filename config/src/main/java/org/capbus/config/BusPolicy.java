package org.capbus.config;

import java.util.ArrayList;
import java.util.List;

/**
 * The whole {@code <policy>} configuration of a bus: every policy element in file order (includes
 * expanded where they appear). Immutable.
 *
 * <p>{@link #forPeer} compiles the rules that apply to one connection into a {@link ClientPolicy},
 * once, when the connection has authenticated (and again after a reload);
 * {@link #canConnect} decides whether a uid may connect at all.
 *
 * @param sections every {@code <policy>} element, in file order
 */
public record BusPolicy(List<PolicySection> sections) {

    public BusPolicy {
        sections = List.copyOf(sections);
    }

    /**
     * Whether a connection of {@code uid} may connect, as dbus-daemon's
     * {@code bus_policy_allow_unix_user}: the bus owner may by default, then the {@code user}/
     * {@code group} rules of default policies and then of mandatory ones apply, the last matching
     * one winning.
     *
     * @param uid      the peer's uid
     * @param gids     the peer's groups (primary and supplementary)
     * @param busOwner the uid the bus runs as
     * @param users    resolves names in rules
     */
    public boolean canConnect(long uid, long[] gids, long busOwner, UserDatabase users) {
        boolean allowed = uid == busOwner;
        allowed = connectRules(PolicyContext.DEFAULT, allowed, uid, gids, users);
        return connectRules(PolicyContext.MANDATORY, allowed, uid, gids, users);
    }

    private boolean connectRules(PolicyContext context, boolean allowed, long uid, long[] gids, UserDatabase users) {
        for (PolicySection section : sections) {
            if (section.context() != context) {
                continue;
            }
            for (PolicyRule rule : section.rules()) {
                if (!(rule instanceof ConnectRule c)) {
                    continue;
                }
                if (c.name() != null) {
                    if (c.group()) {
                        long gid = users.gid(c.name());
                        if (gid < 0 || !contains(gids, gid)) {
                            continue;
                        }
                    } else {
                        long ruleUid = users.uid(c.name());
                        if (ruleUid < 0 || ruleUid != uid) {
                            continue;
                        }
                    }
                }
                allowed = c.allow();
            }
        }
        return allowed;
    }

    /**
     * The rules that apply to one connection, in dbus-daemon's order: default policies, then the
     * policies of each of the peer's groups (in the order of {@code gids}), then the peer's user
     * policies, then the at_console policies matching {@code atConsole}, then mandatory ones.
     * Within each, file order. User and group (connect) rules are left out: they are bus-global.
     */
    public ClientPolicy forPeer(long uid, long[] gids, boolean atConsole, UserDatabase users) {
        List<PolicyRule> rules = new ArrayList<>();
        add(rules, PolicyContext.DEFAULT);
        for (long gid : gids) {
            for (PolicySection s : sections) {
                if (s.context() == PolicyContext.GROUP && users.gid(s.principal()) == gid) {
                    addRules(rules, s);
                }
            }
        }
        for (PolicySection s : sections) {
            if (s.context() == PolicyContext.USER && users.uid(s.principal()) == uid) {
                addRules(rules, s);
            }
        }
        for (PolicySection s : sections) {
            if (s.context() == PolicyContext.AT_CONSOLE && s.atConsole() == atConsole) {
                addRules(rules, s);
            }
        }
        add(rules, PolicyContext.MANDATORY);
        return new ClientPolicy(rules);
    }

    private void add(List<PolicyRule> rules, PolicyContext context) {
        for (PolicySection s : sections) {
            if (s.context() == context) {
                addRules(rules, s);
            }
        }
    }

    private static void addRules(List<PolicyRule> rules, PolicySection section) {
        for (PolicyRule r : section.rules()) {
            if (!(r instanceof ConnectRule)) {
                rules.add(r);
            }
        }
    }

    private static boolean contains(long[] a, long v) {
        for (long x : a) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }
}
