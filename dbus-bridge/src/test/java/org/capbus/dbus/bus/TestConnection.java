package org.capbus.dbus.bus;

/** A stand-in for the bridge's connection: an identity-compared owner with a unique name. */
final class TestConnection implements NameOwner {
    private final String uniqueName;

    TestConnection(String uniqueName) {
        this.uniqueName = uniqueName;
    }

    @Override
    public String uniqueName() {
        return uniqueName;
    }

    @Override
    public String toString() {
        return uniqueName;
    }
}
