package org.capbus.dbus.broker.outbox;

import org.capbus.dbus.bus.MatchableMessage;
import org.capbus.dbus.wire.MessageBuilder;
import org.capbus.dbus.wire.TypeCode;

/**
 * A message the bus built, as match rules see it, read from its {@link MessageBuilder} (which remembers its header
 * fields and top-level arguments): the bus's own messages reach subscribers and monitors without being parsed
 * again. One reusable instance per outbox: {@link #of} re-points it. Event-loop thread only.
 */
final class BuiltView implements MatchableMessage {
    private MessageBuilder message;

    BuiltView of(MessageBuilder m) {
        this.message = m;
        return this;
    }

    @Override
    public int type() {
        return message.type();
    }

    @Override
    public String sender() {
        return message.sender();
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
