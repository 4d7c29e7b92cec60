package org.capbus.dbus.bus;

/**
 * One change of a well-known name's primary owner, produced by {@link NameRegistry}. The driver turns it into
 * signals in dbus-daemon's order ({@code bus/services.c}): {@code NameLost} to {@code oldOwner} if it is not
 * null, then the {@code NameOwnerChanged} broadcast, then {@code NameAcquired} to {@code newOwner} if it is
 * not null. A name that is created has only {@code NameOwnerChanged} then {@code NameAcquired}; a name whose
 * last owner leaves has {@code NameLost} then {@code NameOwnerChanged} with an empty new owner. The driver
 * skips signals addressed to a connection that is disconnecting.
 *
 * @param name     the well-known name
 * @param oldOwner the previous primary owner, or null if the name did not exist
 * @param newOwner the new primary owner, or null if the name no longer exists
 * @param <O>      the owner type
 */
public record NameOwnerChange<O extends NameOwner>(String name, O oldOwner, O newOwner) {
}
