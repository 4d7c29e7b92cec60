package org.capbus.dbus.wire;

/**
 * What the bytes of a message still being received may take: the framer charges each growth of its buffer here
 * before allocating it, and refunds the whole charge when the message is delivered or dropped. The bus implements it
 * per connection with dbus-daemon's {@code max_incoming_bytes} and a per-user total, so that a client announcing a
 * large message holds memory only as its bytes arrive, and only within its user's budget.
 *
 * <p>Called on the thread of the framer (the event loop).
 */
public interface IncomingBudget {

    /** No limit beyond the framer's maximum message length. */
    IncomingBudget UNLIMITED = new IncomingBudget() {
        @Override
        public boolean charge(int bytes) {
            return true;
        }

        @Override
        public void refund(int bytes) {
        }
    };

    /** Takes {@code bytes} more; false (and nothing taken) if they do not fit. */
    boolean charge(int bytes);

    /** Gives back {@code bytes} taken earlier. */
    void refund(int bytes);
}
