package org.capbus.dbus.bus;

import java.util.List;

/**
 * The outcome of {@link NameRegistry#releaseName}: the reply code, and the ownership changes to announce, in
 * order (none when a queued owner leaves the queue; one when the primary owner releases the name).
 *
 * @param reply   the ReleaseName reply code
 * @param changes the changes of primary owner, empty if none
 * @param <O>     the owner type
 */
public record ReleaseNameResult<O extends NameOwner>(ReleaseNameReply reply, List<NameOwnerChange<O>> changes) {
}
