package org.capbus.dbus.bus;

import java.util.List;

/**
 * Read-only view of who currently owns which well-known name, as match rules need it: a rule's
 * {@code sender} or {@code destination} may be a well-known name, and dbus-daemon matches it when the
 * connection in question is the <em>current</em> primary owner of that name. Implemented by
 * {@link NameRegistry}; called on the event-loop thread.
 */
public interface NameOwnership {

    /** No names at all; for tests and for buses without a registry. */
    NameOwnership NONE = new NameOwnership() {
        @Override
        public String primaryOwnerOf(String wellKnownName) {
            return null;
        }

        @Override
        public List<String> primaryNamesOf(String uniqueName) {
            return List.of();
        }
    };

    /** The unique name of the primary owner of {@code wellKnownName}, or null if it has none. */
    String primaryOwnerOf(String wellKnownName);

    /**
     * The well-known names whose primary owner is the connection with this unique name, in no particular
     * order; empty if none. A live read-only view: do not keep it across registry changes.
     */
    List<String> primaryNamesOf(String uniqueName);
}
