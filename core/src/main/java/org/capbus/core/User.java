package org.capbus.core;

/** The accounting principal (a uid): queued resources of its peers are charged to it. */
public final class User {
    public long uid() { throw new UnsupportedOperationException("skeleton"); }
}
