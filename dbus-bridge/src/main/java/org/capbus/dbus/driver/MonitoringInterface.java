package org.capbus.dbus.driver;

import java.util.ArrayList;
import java.util.List;

import org.capbus.dbus.DBusErrors;
import org.capbus.dbus.broker.outbox.Outbox;
import org.capbus.dbus.broker.state.BusState;
import org.capbus.dbus.bus.MatchRule;
import org.capbus.dbus.bus.MatchRuleParseResult;
import org.capbus.dbus.wire.BodyReader;

/** {@code org.freedesktop.DBus.Monitoring}: BecomeMonitor, as dbus-monitor and busctl monitor use it. */
final class MonitoringInterface extends DriverInterface {
    private final BusState state;
    private final Outbox outbox;
    private final DriverHost host;
    private final List<DriverMethod> methods;

    MonitoringInterface(BusState state, Outbox outbox, DriverHost host) {
        this.state = state;
        this.outbox = outbox;
        this.host = host;
        this.methods = List.of(new DriverMethod("BecomeMonitor", "asu", "", this::becomeMonitor));
    }

    @Override
    String name() {
        return "org.freedesktop.DBus.Monitoring";
    }

    @Override
    List<DriverMethod> methods() {
        return methods;
    }

    @Override
    boolean canonicalPathOnly() {
        return true;
    }

    private void becomeMonitor(DriverRequest r) {
        BodyReader a = r.args();
        List<String> texts = a.readStringList();
        long flags = a.readUInt32();
        if (flags != 0) {
            r.error(DBusErrors.INVALID_ARGS, "BecomeMonitor does not support any flags yet");
            return;
        }
        if (r.caller.credentials().uid() != host.ownCredentials().uid() && r.caller.credentials().uid() != 0) {
            // dbus-daemon: only root or the bus's own user may monitor.
            r.error(DBusErrors.ACCESS_DENIED, "Only the bus owner or root may become a monitor");
            return;
        }
        List<MatchRule> rules = new ArrayList<>(texts.size());
        for (String text : texts) {
            MatchRuleParseResult parsed = MatchRule.parse(text);
            if (!parsed.isValid()) {
                r.error(DBusErrors.MATCH_RULE_INVALID, parsed.message());
                return;
            }
            rules.add(parsed.rule());
        }
        r.sendEmpty();
        String unique = r.caller.uniqueName();
        // Its names, rules and reply slots go as at a disconnect; others hear of it the same way.
        outbox.goodbye(state.becomeMonitor(r.caller, rules));
        // dbus-daemon tells the new monitor that its unique name is gone.
        outbox.nameLost(r.caller, unique);
    }
}
