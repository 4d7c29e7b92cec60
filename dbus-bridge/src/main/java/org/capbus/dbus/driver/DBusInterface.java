package org.capbus.dbus.driver;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.capbus.config.BusLimit;
import org.capbus.dbus.DBusErrors;
import org.capbus.dbus.broker.connection.BusConnection;
import org.capbus.dbus.broker.outbox.BusError;
import org.capbus.dbus.broker.outbox.Outbox;
import org.capbus.dbus.broker.state.Activations;
import org.capbus.dbus.broker.state.BusState;
import org.capbus.dbus.broker.stats.BusStats;
import org.capbus.dbus.broker.stats.PolicyDenial;
import org.capbus.dbus.broker.stats.QuotaResource;
import org.capbus.dbus.bus.MatchRule;
import org.capbus.dbus.bus.MatchRuleParseResult;
import org.capbus.dbus.bus.ReleaseNameResult;
import org.capbus.dbus.bus.RequestNameResult;
import org.capbus.dbus.io.PeerCredentials;
import org.capbus.dbus.wire.BodyReader;
import org.capbus.dbus.wire.DBusNames;
import org.capbus.dbus.wire.MessageBuilder;

/**
 * {@code org.freedesktop.DBus}: Hello, names, match rules, connection credentials and the bus's identity, with
 * dbus-daemon's replies and error texts.
 */
final class DBusInterface extends DriverInterface {
    /** StartServiceByName reply: the service was already running. */
    private static final int START_REPLY_ALREADY_RUNNING = 2;

    private final BusState state;
    private final Outbox outbox;
    private final BusStats stats;
    private final DriverHost host;
    private final List<DriverMethod> methods;
    /** What clients added through UpdateActivationEnvironment, counted against its bound (the values themselves go to
     * the activation state's environment). */
    private final EnvironmentUpdates activationEnvironment = new EnvironmentUpdates();

    DBusInterface(BusState state, Outbox outbox, BusStats stats, DriverHost host) {
        this.state = state;
        this.outbox = outbox;
        this.stats = stats;
        this.host = host;
        this.methods = List.of(
                new DriverMethod("Hello", "", "s", this::hello),
                new DriverMethod("RequestName", "su", "u", this::requestName),
                new DriverMethod("ReleaseName", "s", "u", this::releaseName),
                new DriverMethod("StartServiceByName", "su", "u", this::startServiceByName),
                new DriverMethod("UpdateActivationEnvironment", "a{ss}", "", this::updateActivationEnvironment),
                new DriverMethod("NameHasOwner", "s", "b", this::nameHasOwner),
                new DriverMethod("ListNames", "", "as", this::listNames),
                new DriverMethod("ListActivatableNames", "", "as", this::listActivatableNames),
                new DriverMethod("AddMatch", "s", "", this::addMatch),
                new DriverMethod("RemoveMatch", "s", "", this::removeMatch),
                new DriverMethod("GetNameOwner", "s", "s", this::getNameOwner),
                new DriverMethod("ListQueuedOwners", "s", "as", this::listQueuedOwners),
                new DriverMethod("GetConnectionUnixUser", "s", "u", this::getConnectionUnixUser),
                new DriverMethod("GetConnectionUnixProcessID", "s", "u", this::getConnectionUnixProcessId),
                new DriverMethod("GetAdtAuditSessionData", "s", "ay", this::getAdtAuditSessionData),
                new DriverMethod("GetConnectionSELinuxSecurityContext", "s", "ay", this::getSELinuxContext),
                new DriverMethod("ReloadConfig", "", "", this::reloadConfig),
                new DriverMethod("GetId", "", "s", this::getId),
                new DriverMethod("GetConnectionCredentials", "s", "a{sv}", this::getConnectionCredentials));
    }

    @Override
    String name() {
        return DBusNames.DRIVER_NAME;
    }

    @Override
    List<DriverMethod> methods() {
        return methods;
    }

    @Override
    String extraIntrospection() {
        return """
                    <property name="Features" type="as" access="read">
                      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="const"/>
                    </property>
                    <property name="Interfaces" type="as" access="read">
                      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="const"/>
                    </property>
                    <signal name="NameOwnerChanged">
                      <arg type="s"/>
                      <arg type="s"/>
                      <arg type="s"/>
                    </signal>
                    <signal name="NameLost">
                      <arg type="s"/>
                    </signal>
                    <signal name="NameAcquired">
                      <arg type="s"/>
                    </signal>
                    <signal name="ActivatableServicesChanged">
                    </signal>
                """;
    }

    /** The Features property. */
    static List<String> features(DriverHost host) {
        // dbus-daemon's order (features_getter); it also lists ActivatableServicesChanged, a signal capbus does not
        // emit, and AppArmor/SELinux when it mediates with them, which capbus does not.
        return host.systemdActivation() ? List.of("HeaderFiltering", "SystemdActivation")
                : List.of("HeaderFiltering");
    }

    /** The process around the bus, for the Features property. */
    DriverHost host() {
        return host;
    }

    /** The Interfaces property: the optional interfaces the driver implements. */
    static List<String> optionalInterfaces() {
        return List.of("org.freedesktop.DBus.Monitoring", "org.freedesktop.DBus.Debug.Stats");
    }

    private void hello(DriverRequest r) {
        BusConnection c = r.caller;
        if (c.hasUniqueName()) {
            r.error(DBusErrors.FAILED, "Already handled an Hello message");
            return;
        }
        // dbus-daemon (bus_connections_check_limits) answers LimitsExceeded and leaves the connection open: it may
        // try Hello again later, and max_incomplete_connections and auth_timeout bound how many wait like this.
        if (state.activeConnectionCount() >= host.config().limits().get(BusLimit.MAX_COMPLETED_CONNECTIONS)) {
            stats.quotaRejected(QuotaResource.CONNECTIONS);
            r.error(BusError.COMPLETED_CONNECTIONS);
            return;
        }
        if (state.registeredConnections(c.credentials().uid())
                >= host.config().limits().get(BusLimit.MAX_CONNECTIONS_PER_USER)) {
            stats.quotaRejected(QuotaResource.CONNECTIONS_PER_USER);
            r.error(BusError.CONNECTIONS_PER_USER, c.credentials().uid());
            return;
        }
        String name = state.register(c);
        outbox.monitorCopy(c, r.call);
        // dbus-daemon's order: the reply, then NameOwnerChanged for the new unique name, then NameAcquired.
        r.send(r.reply().string(name));
        outbox.nameOwnerChanged(name, "", name);
        outbox.nameAcquired(c, name);
    }

    private void requestName(DriverRequest r) {
        BodyReader a = r.args();
        String name = a.readString();
        long flags = a.readUInt32();
        BusConnection c = r.caller;
        if (!checkOwnable(r, name, "acquire")) {
            return;
        }
        if (!c.policy().canOwn(name)) {
            stats.policyDenied(PolicyDenial.OWN);
            r.error(BusError.OWN_DENIED, c.uniqueName(), name);
            return;
        }
        long limit = host.config().limits().get(BusLimit.MAX_NAMES_PER_CONNECTION);
        if (state.names().primaryOwner(name) != c && state.names().ownedNameCount(c) >= limit) {
            stats.quotaRejected(QuotaResource.NAMES);
            r.error(BusError.NAMES_PER_CONNECTION, c.uniqueName(), limit);
            return;
        }
        RequestNameResult<BusConnection> result = state.names().requestName(name, c, (int) (flags & 0x7));
        state.busNamesGrew(c);
        // dbus-daemon queues the ownership signals in the same transaction ahead of the reply.
        outbox.announce(result.changes(), null);
        r.send(r.reply().uint32(result.reply().code()));
    }

    private void releaseName(DriverRequest r) {
        String name = r.args().readString();
        if (!checkOwnable(r, name, "release")) {
            return;
        }
        ReleaseNameResult<BusConnection> result = state.names().releaseName(name, r.caller);
        outbox.announce(result.changes(), null);
        r.send(r.reply().uint32(result.reply().code()));
    }

    /** The checks RequestName and ReleaseName share, with dbus-daemon's texts. */
    private static boolean checkOwnable(DriverRequest r, String name, String verb) {
        if (!DBusNames.isValidBusName(name)) {
            r.error(DBusErrors.INVALID_ARGS, "Requested bus name \"" + name + "\" is not valid");
            return false;
        }
        if (name.charAt(0) == ':') {
            r.error(DBusErrors.INVALID_ARGS, "Cannot " + verb + " a service starting with ':' such as \"" + name + "\"");
            return false;
        }
        if (name.equals(DBusNames.DRIVER_NAME)) {
            r.error(DBusErrors.INVALID_ARGS, "Connection \"" + r.caller.uniqueName() + "\" is not allowed to "
                    + (verb.equals("acquire") ? "own" : "release") + " the service \"" + name
                    + "\"because it is reserved for D-Bus' use only");
            return false;
        }
        return true;
    }

    private void startServiceByName(DriverRequest r) {
        String name = r.args().readString();
        r.args().readUInt32();
        if (name.equals(DBusNames.DRIVER_NAME) || state.resolveRegistered(name) != null) {
            r.send(r.reply().uint32(START_REPLY_ALREADY_RUNNING));
            return;
        }
        // Answered 1 once the name is owned, or with why the service did not start (the Activator).
        Activations activations = state.activations();
        long limit = host.maxPendingStarts();
        switch (activations.addStartCall(name, r.caller, r.call.serial(), r.call.expectsReply(), limit)) {
            case WAITING -> r.defer();
            case NEW -> {
                r.defer();
                host.startActivation(activations.pending(name), r.caller);
            }
            case TOO_MANY, QUOTA -> {
                stats.quotaRejected(BusError.ACTIVATION_LIMIT.resource());
                r.error(BusError.ACTIVATION_LIMIT, name, limit);
            }
        }
    }

    private void updateActivationEnvironment(DriverRequest r) {
        if (!PrivilegedMethods.callerIsPrivileged(r, host) || !PrivilegedMethods.atCanonicalPath(r)) {
            return;
        }
        if (host.config().servicehelper() != null) {
            // dbus-daemon: activated system services would inherit the caller's variables through the setuid helper.
            r.error(BusError.ACTIVATION_ENVIRONMENT_REFUSED);
            return;
        }
        BodyReader a = r.args();
        Map<String, String> vars = new HashMap<>();
        if (a.enterArray()) {
            while (a.hasNextElement()) {
                a.enterDictEntry();
                String key = a.readString();
                String value = a.readString();
                a.exitDictEntry();
                vars.put(key, value);
            }
            a.exitArray();
        }
        if (!activationEnvironment.apply(vars)) {
            r.error(DBusErrors.LIMITS_EXCEEDED, "The activation environment would exceed "
                    + EnvironmentUpdates.MAX_VARIABLES + " variables or " + EnvironmentUpdates.MAX_BYTES + " bytes");
            return;
        }
        state.activations().environment().update(vars);
        r.sendEmpty();
    }

    private void nameHasOwner(DriverRequest r) {
        String name = r.args().readString();
        boolean has = name.equals(DBusNames.DRIVER_NAME) || state.resolveRegistered(name) != null;
        r.send(r.reply().bool(has));
    }

    private void listNames(DriverRequest r) {
        List<String> all = new ArrayList<>();
        all.add(DBusNames.DRIVER_NAME);
        all.addAll(state.connectionsByUniqueName().keySet());
        all.addAll(state.names().names());
        r.send(r.reply().stringArray(all));
    }

    private void listActivatableNames(DriverRequest r) {
        List<String> all = new ArrayList<>();
        all.add(DBusNames.DRIVER_NAME);
        all.addAll(state.activations().activatableNames());
        r.send(r.reply().stringArray(all));
    }

    private void addMatch(DriverRequest r) {
        String text = r.args().readString();
        MatchRuleParseResult parsed = MatchRule.parse(text);
        if (!parsed.isValid()) {
            if (parsed.failure() == MatchRuleParseResult.Failure.TOO_LONG) {
                stats.quotaRejected(QuotaResource.MATCH_RULES);
                r.error(DBusErrors.LIMITS_EXCEEDED, parsed.message());
            } else {
                r.error(DBusErrors.MATCH_RULE_INVALID, parsed.message());
            }
            return;
        }
        long limit = host.config().limits().get(BusLimit.MAX_MATCH_RULES_PER_CONNECTION);
        if (state.matches().ruleCount(r.caller) >= limit) {
            stats.quotaRejected(QuotaResource.MATCH_RULES);
            r.error(BusError.MATCH_RULES_PER_CONNECTION, r.caller.uniqueName(), limit);
            return;
        }
        state.addMatch(r.caller, parsed.rule());
        r.sendEmpty();
    }

    private void removeMatch(DriverRequest r) {
        String text = r.args().readString();
        MatchRuleParseResult parsed = MatchRule.parse(text);
        if (!parsed.isValid()) {
            r.error(DBusErrors.MATCH_RULE_INVALID, parsed.message());
            return;
        }
        if (!state.removeMatch(r.caller, parsed.rule())) {
            r.error(DBusErrors.MATCH_RULE_NOT_FOUND, "The given match rule wasn't found and can't be removed");
            return;
        }
        r.sendEmpty();
    }

    private void getNameOwner(DriverRequest r) {
        String name = r.args().readString();
        if (name.equals(DBusNames.DRIVER_NAME)) {
            r.send(r.reply().string(DBusNames.DRIVER_NAME));
            return;
        }
        BusConnection owner = state.resolveRegistered(name);
        if (owner == null) {
            r.error(BusError.NO_SUCH_NAME, "owner", name);
            return;
        }
        r.send(r.reply().string(owner.uniqueName()));
    }

    private void listQueuedOwners(DriverRequest r) {
        String name = r.args().readString();
        List<String> owners = new ArrayList<>();
        if (name.equals(DBusNames.DRIVER_NAME)) {
            owners.add(DBusNames.DRIVER_NAME);
        } else if (!name.isEmpty() && name.charAt(0) == ':') {
            if (state.resolveRegistered(name) != null) {
                owners.add(name);
            }
        } else {
            for (BusConnection c : state.names().queuedOwners(name)) {
                owners.add(c.uniqueName());
            }
        }
        if (owners.isEmpty()) {
            r.error(BusError.NO_SUCH_NAME, "owners", name);
            return;
        }
        r.send(r.reply().stringArray(owners));
    }

    /** The credentials of the connection {@code name} names; the bus's own for org.freedesktop.DBus. */
    private PeerCredentials credentialsOf(DriverRequest r, String name, String what) {
        if (name.equals(DBusNames.DRIVER_NAME)) {
            return host.ownCredentials();
        }
        BusConnection c = state.resolveRegistered(name);
        if (c == null) {
            r.error(BusError.NO_SUCH_NAME, what, name);
            return null;
        }
        return c.credentials();
    }

    private void getConnectionUnixUser(DriverRequest r) {
        PeerCredentials creds = credentialsOf(r, r.args().readString(), "UID");
        if (creds != null) {
            r.send(r.reply().uint32(creds.uid()));
        }
    }

    private void getConnectionUnixProcessId(DriverRequest r) {
        String name = r.args().readString();
        PeerCredentials creds = credentialsOf(r, name, "PID");
        if (creds == null) {
            return;
        }
        if (creds.pid() <= 0) {
            r.error(DBusErrors.UNIX_PROCESS_ID_UNKNOWN, "Could not determine PID for '" + name + "'");
            return;
        }
        r.send(r.reply().uint32(creds.pid()));
    }

    private void getAdtAuditSessionData(DriverRequest r) {
        String name = r.args().readString();
        if (credentialsOf(r, name, "audit session data") != null) {
            r.error(DBusErrors.ADT_AUDIT_DATA_UNKNOWN, "Could not determine audit session data for '" + name + "'");
        }
    }

    private void getSELinuxContext(DriverRequest r) {
        String name = r.args().readString();
        PeerCredentials creds = credentialsOf(r, name, "security context");
        if (creds == null) {
            return;
        }
        r.error(DBusErrors.SELINUX_SECURITY_CONTEXT_UNKNOWN, "Could not determine security context for '" + name + "'");
    }

    private void reloadConfig(DriverRequest r) {
        // As dbus-daemon: the reply waits for the file, and a file that does not parse is an error (the running
        // configuration stays).
        r.defer();
        host.reloadConfig(failure -> {
            if (failure == null) {
                r.sendEmpty();
            } else {
                r.error(DBusErrors.FAILED, failure);
            }
        });
    }

    private void getId(DriverRequest r) {
        r.send(r.reply().string(host.guid()));
    }

    private void getConnectionCredentials(DriverRequest r) {
        PeerCredentials creds = credentialsOf(r, r.args().readString(), "credentials");
        if (creds == null) {
            return;
        }
        MessageBuilder b = r.reply().beginArray("{sv}");
        if (creds.pid() > 0) {
            b.beginDictEntry().string("ProcessID").variantUInt32(creds.pid()).endDictEntry();
        }
        b.beginDictEntry().string("UnixUserID").variantUInt32(creds.uid()).endDictEntry();
        if (creds.groups() != null && creds.groups().length > 0) {
            b.beginDictEntry().string("UnixGroupIDs").beginVariant("au").beginArray("u");
            for (long g : creds.groups()) {
                b.uint32(g);
            }
            b.endArray().endVariant().endDictEntry();
        }
        if (creds.securityLabel() != null && creds.securityLabel().length > 0) {
            b.beginDictEntry().string("LinuxSecurityLabel").variantByteArray(creds.securityLabel()).endDictEntry();
        }
        r.send(b.endArray());
    }
}
