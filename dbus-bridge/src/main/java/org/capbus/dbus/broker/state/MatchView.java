package org.capbus.dbus.broker.state;

import org.capbus.dbus.bus.MatchableMessage;
import org.capbus.dbus.wire.RoutingFields;
import org.capbus.dbus.wire.TypeCode;

/**
 * A message as match rules see it, with the sender the bus set (not the one a client wrote): a client's parsed
 * message or one the bus built and never parsed (both are {@link RoutingFields}). One reusable instance per user:
 * {@link #of} re-points it. Event-loop thread only.
 */
public final class MatchView implements MatchableMessage {
    private RoutingFields message;
    private String sender;

    /** Views {@code m} as sent by {@code senderName}. */
    public MatchView of(RoutingFields m, String senderName) {
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
