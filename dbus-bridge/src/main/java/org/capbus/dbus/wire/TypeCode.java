package org.capbus.dbus.wire;

/**
 * The ASCII type codes of D-Bus signatures and their marshalling alignment ("Summary of types"). Table-driven
 * so the validator's per-value dispatch is one array load.
 */
public final class TypeCode {

    public static final byte BYTE = 'y';
    public static final byte BOOLEAN = 'b';
    public static final byte INT16 = 'n';
    public static final byte UINT16 = 'q';
    public static final byte INT32 = 'i';
    public static final byte UINT32 = 'u';
    public static final byte INT64 = 'x';
    public static final byte UINT64 = 't';
    public static final byte DOUBLE = 'd';
    public static final byte STRING = 's';
    public static final byte OBJECT_PATH = 'o';
    public static final byte SIGNATURE = 'g';
    public static final byte UNIX_FD = 'h';
    public static final byte ARRAY = 'a';
    public static final byte VARIANT = 'v';
    public static final byte STRUCT_BEGIN = '(';
    public static final byte STRUCT_END = ')';
    public static final byte DICT_ENTRY_BEGIN = '{';
    public static final byte DICT_ENTRY_END = '}';

    /** Alignment of the type that starts with a code; 0 if the code cannot start a type. */
    private static final byte[] ALIGNMENT = new byte[128];
    /** Size of fixed-size basic types (y b n q i u x t d h), 0 for the others. */
    private static final byte[] FIXED_SIZE = new byte[128];

    static {
        set(BYTE, 1, 1);
        set(BOOLEAN, 4, 4);
        set(INT16, 2, 2);
        set(UINT16, 2, 2);
        set(INT32, 4, 4);
        set(UINT32, 4, 4);
        set(INT64, 8, 8);
        set(UINT64, 8, 8);
        set(DOUBLE, 8, 8);
        set(UNIX_FD, 4, 4);
        set(STRING, 4, 0);
        set(OBJECT_PATH, 4, 0);
        set(SIGNATURE, 1, 0);
        set(ARRAY, 4, 0);
        set(VARIANT, 1, 0);
        set(STRUCT_BEGIN, 8, 0);
        set(DICT_ENTRY_BEGIN, 8, 0);
    }

    private static void set(byte code, int alignment, int fixedSize) {
        ALIGNMENT[code] = (byte) alignment;
        FIXED_SIZE[code] = (byte) fixedSize;
    }

    private TypeCode() {
    }

    /** Alignment in bytes of values of the type starting with {@code code}; 0 if no type starts so. */
    public static int alignment(int code) {
        return code >= 0 && code < 128 ? ALIGNMENT[code] : 0;
    }

    /** Size of a fixed-size basic type, or 0 for strings, containers and invalid codes. */
    public static int fixedSize(int code) {
        return code >= 0 && code < 128 ? FIXED_SIZE[code] : 0;
    }

    /** Whether {@code code} is a basic type: the only kind allowed as a dict-entry key. */
    public static boolean isBasic(int code) {
        return fixedSize(code) != 0 || code == STRING || code == OBJECT_PATH || code == SIGNATURE;
    }
}
