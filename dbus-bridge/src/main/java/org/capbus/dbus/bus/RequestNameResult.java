package org.capbus.dbus.bus;

import java.util.List;

/**
 * The outcome of {@link NameRegistry#requestName}: the reply code, and the ownership changes to announce, in
 * order (at most one, since a request changes only one name).
 *
 * @param reply   the RequestName reply code
 * @param changes the changes of primary owner, empty if none
 * @param <O>     the owner type
 */
public record RequestNameResult<O extends NameOwner>(RequestNameReply reply, List<NameOwnerChange<O>> changes) {
}
