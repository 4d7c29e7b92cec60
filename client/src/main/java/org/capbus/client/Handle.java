package org.capbus.client;

/**
 * A capability: this connection's handle to a node, by its id (unique within the connection, never reused). A
 * handle counts references; {@link CapbusClient#release} drops one. Immutable; any thread.
 */
public final class Handle {
    private final long id;

    Handle(long id) {
        this.id = id;
    }

    /** The handle's id on this connection (0 never names a handle). */
    public long id() {
        return id;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Handle h && h.id == id;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(id);
    }

    @Override
    public String toString() {
        return "Handle[" + id + "]";
    }
}
