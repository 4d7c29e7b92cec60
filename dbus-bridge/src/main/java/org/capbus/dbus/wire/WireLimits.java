package org.capbus.dbus.wire;

/** The limits the D-Bus specification puts on messages, signatures, names and nesting. */
public final class WireLimits {

    /** Largest message, header and body together: 2^27 bytes ("Message Format"). */
    public static final int MAX_MESSAGE_LENGTH = 134_217_728;
    /** Largest array payload, padding after the length excluded: 2^26 bytes. */
    public static final int MAX_ARRAY_LENGTH = 67_108_864;
    /** Longest signature, in bytes. */
    public static final int MAX_SIGNATURE_LENGTH = 255;
    /** Longest bus name, interface, member or error name, in bytes. */
    public static final int MAX_NAME_LENGTH = 255;
    /** Arrays nested in one signature. */
    public static final int MAX_ARRAY_DEPTH = 32;
    /** Structs and dict entries nested in one signature. */
    public static final int MAX_STRUCT_DEPTH = 32;
    /**
     * Containers around any value, variants included. The specification only bounds signatures; libdbus and
     * dbus-broker apply the same 64 to the dynamic nesting variants add, and so do we.
     */
    public static final int MAX_TOTAL_DEPTH = 64;
    /** Size of the fixed part of the header: endianness, type, flags, version, body length, serial, field array length. */
    public static final int FIXED_HEADER_LENGTH = 16;

    private WireLimits() {
    }
}
