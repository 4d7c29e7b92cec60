package org.capbus.config;

/**
 * The D-Bus message types as the configuration names them ({@code send_type="method_call"}).
 * config/ knows no D-Bus classes, so the bridge maps its own message type onto this one.
 */
public enum MessageType {
    METHOD_CALL("method_call"),
    METHOD_RETURN("method_return"),
    ERROR("error"),
    SIGNAL("signal");

    private final String configName;

    MessageType(String configName) {
        this.configName = configName;
    }

    public String configName() {
        return configName;
    }

    /** The type called {@code name} in a configuration file, or null if there is none. */
    static MessageType byConfigName(String name) {
        for (MessageType t : values()) {
            if (t.configName.equals(name)) {
                return t;
            }
        }
        return null;
    }
}
