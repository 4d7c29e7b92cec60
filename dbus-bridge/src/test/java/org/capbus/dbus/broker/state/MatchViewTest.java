package org.capbus.dbus.broker.state;

import static org.assertj.core.api.Assertions.assertThat;

import org.capbus.dbus.bus.MatchRule;
import org.capbus.dbus.bus.NameOwnership;
import org.capbus.dbus.wire.DBusMessage;
import org.capbus.dbus.wire.DBusNames;
import org.capbus.dbus.wire.MessageBuilder;
import org.capbus.dbus.wire.Validity;
import org.junit.jupiter.api.Test;

class MatchViewTest {

    private static DBusMessage nameOwnerChanged(String name) {
        byte[] bytes = MessageBuilder.signal(DBusNames.DRIVER_PATH, DBusNames.DRIVER_NAME, "NameOwnerChanged")
                .sender(DBusNames.DRIVER_NAME).string(name).string("").string(":1.3").build(7);
        DBusMessage m = new DBusMessage();
        assertThat(m.parse(bytes, bytes.length)).isEqualTo(Validity.VALID);
        return m;
    }

    @Test
    void shouldMatchTheDriversSignalsByWellKnownSenderAndArg0() {
        MatchRule rule = MatchRule.parse("type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
                + "member='NameOwnerChanged',path='/org/freedesktop/DBus',arg0='org.capbus.Watched'").rule();
        MatchView view = new MatchView().of(nameOwnerChanged("org.capbus.Watched"), DBusNames.DRIVER_NAME);
        assertThat(view.stringArg(0)).isEqualTo("org.capbus.Watched");
        assertThat(rule.matches(view, null, NameOwnership.NONE)).isTrue();
        MatchView other = new MatchView().of(nameOwnerChanged("org.capbus.Other"), DBusNames.DRIVER_NAME);
        assertThat(rule.matches(other, null, NameOwnership.NONE)).isFalse();
    }

    @Test
    void shouldReportTheSenderTheBusSetNotTheClients() {
        MatchView view = new MatchView().of(nameOwnerChanged("a.b"), ":1.9");
        assertThat(view.sender()).isEqualTo(":1.9");
        assertThat(view.isObjectPathArg(0)).isFalse();
    }
}
