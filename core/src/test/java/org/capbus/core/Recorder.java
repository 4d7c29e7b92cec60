package org.capbus.core;

import java.util.ArrayList;
import java.util.List;

/** A test receiver that keeps every event it is handed, with a copy of the transferred handles. */
class Recorder implements Receiver {

    enum Kind { MESSAGE, DESTROYED, RELEASED }

    record Event(Kind kind, long sequence, Handle handle, Message message, Handle[] transferred) {
        Node node() {
            return handle.node();
        }
    }

    final List<Event> events = new ArrayList<>();
    /** How many more events to accept before asking drain to stop; negative means no limit. */
    int budget = -1;

    @Override
    public boolean onMessage(long sequence, Handle destination, Message message, Handle[] transferred) {
        events.add(new Event(Kind.MESSAGE, sequence, destination, message, transferred.clone()));
        return more();
    }

    @Override
    public boolean onNodeDestroyed(long sequence, Handle handle) {
        events.add(new Event(Kind.DESTROYED, sequence, handle, null, null));
        return more();
    }

    @Override
    public boolean onNodeReleased(long sequence, Handle ownerHandle) {
        events.add(new Event(Kind.RELEASED, sequence, ownerHandle, null, null));
        return more();
    }

    private boolean more() {
        return budget < 0 || --budget > 0;
    }

    List<Event> drain(Peer peer) {
        int from = events.size();
        peer.drain(this);
        return List.copyOf(events.subList(from, events.size()));
    }

    static final Limits UNLIMITED = new Limits(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE);

    static Message message(Object payload) {
        return new Message(payload, 10, null, 0);
    }

    static Message message(Object payload, Handle... handles) {
        return new Message(payload, 10, handles, 0);
    }
}
