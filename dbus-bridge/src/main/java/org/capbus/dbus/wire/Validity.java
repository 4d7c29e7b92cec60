package org.capbus.dbus.wire;

/**
 * The outcome of validating a message or a frame: {@link #VALID}, {@link #UNKNOWN_MESSAGE_TYPE} (well-formed
 * but to be ignored), or the first rule the input broke. Every error is a protocol violation that closes the
 * sending connection; {@link #reason()} is a short constant text for the one log line that records it.
 */
public enum Validity {
    VALID("valid"),
    /**
     * A well-formed message whose type is not one of the four known ones. The specification says such
     * messages "must be ignored": the bridge drops it (closing its fds) and keeps the connection.
     */
    UNKNOWN_MESSAGE_TYPE("unknown message type, ignored"),

    TRUNCATED("message shorter than the fixed header"),
    BAD_ENDIANNESS("endianness byte is neither 'l' nor 'B'"),
    BAD_VERSION("protocol version is not 1"),
    BAD_MESSAGE_TYPE("message type 0 (INVALID)"),
    BAD_SERIAL("serial is 0"),
    TOO_LARGE("message length exceeds the limit"),
    LENGTH_MISMATCH("buffer length differs from the length the fixed header declares"),
    BAD_HEADER_FIELD_CODE("header field code 0 (INVALID)"),
    BAD_HEADER_FIELD_SIGNATURE("header field variant has the wrong signature for its code"),
    DUPLICATE_HEADER_FIELD("header field appears twice"),
    MISSING_PATH("PATH header field required"),
    MISSING_INTERFACE("INTERFACE header field required"),
    MISSING_MEMBER("MEMBER header field required"),
    MISSING_ERROR_NAME("ERROR_NAME header field required"),
    MISSING_REPLY_SERIAL("REPLY_SERIAL header field required"),
    BAD_REPLY_SERIAL("REPLY_SERIAL is 0"),
    BAD_INTERFACE("invalid interface name"),
    BAD_MEMBER("invalid member name"),
    BAD_ERROR_NAME("invalid error name"),
    BAD_DESTINATION("invalid destination bus name"),
    BAD_SENDER("invalid sender bus name"),
    LOCAL_PATH("path /org/freedesktop/DBus/Local is reserved"),
    LOCAL_INTERFACE("interface org.freedesktop.DBus.Local is reserved"),
    BODY_WITHOUT_SIGNATURE("non-empty body without SIGNATURE header field"),
    BAD_PADDING("non-zero alignment padding"),
    NOT_ENOUGH_DATA("value extends past the end of its container"),
    TRAILING_BYTES("bytes left after the last value"),
    BAD_UTF8("string is not valid UTF-8"),
    STRING_HAS_NUL("string contains a NUL byte"),
    MISSING_NUL("string is not NUL-terminated"),
    BAD_OBJECT_PATH("invalid object path"),
    BAD_SIGNATURE("invalid signature"),
    BAD_VARIANT_SIGNATURE("variant signature is not one single complete type"),
    BAD_BOOLEAN("boolean is neither 0 nor 1"),
    BAD_UNIX_FD_INDEX("unix fd index not below the UNIX_FDS count"),
    ARRAY_TOO_LONG("array length exceeds 64 MiB"),
    ARRAY_LENGTH_MISMATCH("array elements do not end exactly at the array length"),
    NESTED_TOO_DEEPLY("containers nested too deeply"),
    MISSING_UNIX_FDS("message claims more unix fds than were received"),
    TOO_MANY_UNIX_FDS("too many unix fds queued on the connection"),
    UNIX_FDS_OVER_LIMIT("message carries more unix fds than max_message_unix_fds");

    private final String reason;

    Validity(String reason) {
        this.reason = reason;
    }

    /** A short constant description, for logging. */
    public String reason() {
        return reason;
    }

    /** Whether this outcome is a protocol violation (every value except VALID and UNKNOWN_MESSAGE_TYPE). */
    public boolean isError() {
        return this != VALID && this != UNKNOWN_MESSAGE_TYPE;
    }

    private static final Validity[] VALUES = values();

    /** The negative int code the allocation-free helpers return for this outcome. */
    int code() {
        return -ordinal();
    }

    /** Maps a negative code of {@link #code()} back. */
    static Validity ofCode(int code) {
        return VALUES[-code];
    }
}
