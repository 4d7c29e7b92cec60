package org.capbus.dbus.broker.state;

import org.capbus.dbus.bus.MatchableMessage;
import org.capbus.dbus.wire.DBusMessage;
import org.capbus.dbus.wire.TypeCode;

/**
 * A parsed message as match rules see it, with the sender the bus set (not the one the client wrote). One
 * reusable instance per bus: {@link #of} re-points it. Event-loop thread only.
 */
public final class MatchView implements MatchableMessage {
    private DBusMessage message;
    private String sender;

    public MatchView of(DBusMessage m, String senderName) {
        this.message = m;
        this.sender = senderName;
        return this;
    }

    @Override
    public int type() {
        return message.type();
    }

    @Override
    public String sender() {
        return sender;
    }

    @Override
    public String interfaceName() {
        return message.interfaceName();
    }

    @Override
    public String member() {
        return message.member();
    }

    @Override
    public String path() {
        return message.path();
    }

    @Override
    public String destination() {
        return message.destination();
    }

    @Override
    public String stringArg(int n) {
        return message.stringArg(n);
    }

    @Override
    public boolean isObjectPathArg(int n) {
        return message.argType(n) == TypeCode.OBJECT_PATH;
    }
}
