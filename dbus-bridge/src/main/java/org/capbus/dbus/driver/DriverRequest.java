package org.capbus.dbus.driver;

import org.capbus.dbus.broker.connection.BusConnection;
import org.capbus.dbus.broker.outbox.BusError;
import org.capbus.dbus.broker.outbox.Outbox;
import org.capbus.dbus.wire.BodyReader;
import org.capbus.dbus.wire.DBusMessage;
import org.capbus.dbus.wire.DBusNames;
import org.capbus.dbus.wire.MessageBuilder;

/**
 * One call to the driver being handled: the caller, the call, a reader over its arguments, and the means to
 * answer. A call flagged NO_REPLY_EXPECTED is still carried out, but gets no reply or error.
 */
final class DriverRequest {
    private final Outbox outbox;
    final BusConnection caller;
    final DBusMessage call;
    private BodyReader args;
    private boolean answered;

    DriverRequest(Outbox outbox, BusConnection caller, DBusMessage call) {
        this.outbox = outbox;
        this.caller = caller;
        this.call = call;
    }

    /** The call's arguments, read in order. */
    BodyReader args() {
        if (args == null) {
            args = new BodyReader(call);
        }
        return args;
    }

    /** A method return to the call, to which the handler appends the reply's values and passes to {@link #send}. */
    MessageBuilder reply() {
        return MessageBuilder.methodReturn(call.serial(), caller.uniqueName()).sender(DBusNames.DRIVER_NAME);
    }

    /** Sends the reply built with {@link #reply()}. */
    void send(MessageBuilder reply) {
        answered = true;
        if (call.expectsReply()) {
            outbox.send(caller, reply);
        }
    }

    /** Sends an empty method return. */
    void sendEmpty() {
        send(reply());
    }

    /** Answers with an error. */
    void error(String errorName, String text) {
        answered = true;
        if (call.expectsReply()) {
            outbox.error(caller, call.serial(), errorName, text);
        }
    }

    /** Answers with the error of outcome {@code error} (see its constant for {@code args}). */
    void error(BusError error, Object... args) {
        error(error.errorName(), error.text(args));
    }

    /** The handler will answer later, from the loop (ReloadConfig waits for the file to be read). */
    void defer() {
        answered = true;
    }

    boolean answered() {
        return answered;
    }
}
