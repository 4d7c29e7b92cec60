package org.capbus.dbus.wire;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A flyweight over one complete marshalled D-Bus message: {@link #parse} validates every rule of the
 * specification's "Message Protocol" (fixed header, header fields, body against its signature, in either byte
 * order) and records where each header field lies, so the bridge reads them without copying. Strings are only
 * decoded when asked, once.
 *
 * <pre>
 *  0      1      2      3      4              8              12             16
 * +------+------+------+------+--------------+--------------+--------------+--------------------------+
 * | 'l'/ | type | flags| ver 1| body length  | serial (!=0) | fields length| a(yv) header fields ...  |
 * | 'B'  |      |      |      |              |              |              | padded with 0 to 8       |
 * +------+------+------+------+--------------+--------------+--------------+--------------------------+
 * | body: values of SIGNATURE, aligned relative to byte 0, exactly "body length" bytes                 |
 * +----------------------------------------------------------------------------------------------------+
 * </pre>
 *
 * <p>Ownership: the message does not copy the buffer; whoever parsed it must not change the bytes while the
 * message is in use. A message is owned by one thread (the event loop) and may be re-used for another buffer by
 * calling {@link #parse} again, which forgets everything about the previous one.
 *
 * <p>Unknown message types: the specification says such messages "must be ignored". {@link #parse} still
 * validates them completely (a malformed message of unknown type is still a protocol violation) but returns
 * {@link Validity#UNKNOWN_MESSAGE_TYPE}, which is not an error: the bridge drops it and keeps the connection.
 */
public final class DBusMessage implements RoutingFields {

    /** Top-level arguments {@link #argType} and {@link #stringArg} look at: match rules know arg0 to arg63. */
    public static final int MAX_MATCH_ARGS = 64;

    private final BodyValidator validator = new BodyValidator();

    private byte[] buf;
    private int length;
    private boolean bigEndian;
    private int type;
    private int flags;
    private int serial;
    private int bodyLength;
    private int bodyOffset;
    private int fieldsEnd;
    private long replySerial;
    private long unixFds;
    private Validity validity = Validity.TRUNCATED;
    private int errorOffset;

    // Offset (0 = absent, since fields start at 16) and length of each string-valued header field's bytes.
    private int pathOffset, pathLength;
    private int interfaceOffset, interfaceLength;
    private int memberOffset, memberLength;
    private int errorNameOffset, errorNameLength;
    private int destinationOffset, destinationLength;
    private int senderOffset, senderLength;
    private int signatureOffset, signatureLength;
    /** The client-supplied SENDER field's element, [start, end), so stitching can leave it out. */
    private int senderFieldStart, senderFieldEnd;
    /**
     * Header-field elements the bus does not forward, as [start, valueEnd) pairs in order: a client-supplied
     * SENDER and every field the specification does not define (the bus announces HeaderFiltering). Allocated
     * only for messages that have such a field.
     */
    private int[] dropped;
    private int droppedCount;

    private String path, interfaceName, member, errorName, destination, sender, signature;

    // Lazy scan of the top-level arguments for match rules.
    private byte[] argTypes;
    private int[] argPositions;
    private String[] argStrings;
    private boolean argsStarted;
    private int argsScanned;
    private int argScanSig;
    private int argScanPos;

    /**
     * The UNIX_FDS field of the message whose first {@code available} bytes are {@code b} (a frame whose fixed
     * header {@link #frameLength} accepted): 0 when the header fields hold none, or -1 when that cannot be told yet
     * (the fields are not all there) or at all (a field that is not one of the specification's basic-typed ones: the
     * full {@link #parse} judges it). Reads the fields without validating them.
     */
    public static int announcedUnixFds(byte[] b, int available) {
        boolean bigEndian = b[0] == 'B';
        long fieldsLength = WireBytes.getUInt(b, 12, bigEndian);
        int end = WireLimits.FIXED_HEADER_LENGTH + (int) Math.min(fieldsLength, Integer.MAX_VALUE - 64);
        if (fieldsLength > WireLimits.MAX_MESSAGE_LENGTH || end > available) {
            return -1;
        }
        int pos = WireLimits.FIXED_HEADER_LENGTH;
        while (pos < end) {
            pos = WireBytes.align(pos, 8);
            if (pos + 4 > end || b[pos + 1] != 1 || b[pos + 3] != 0) {
                return pos >= end ? 0 : -1; // the fields of the specification have one-letter signatures
            }
            int code = b[pos] & 0xFF;
            int value = pos + 4;
            switch (b[pos + 2]) {
                case 'u' -> {
                    value = WireBytes.align(value, 4);
                    if (value + 4 > end) {
                        return -1;
                    }
                    if (code == HeaderField.UNIX_FDS) {
                        long n = WireBytes.getUInt(b, value, bigEndian);
                        return n > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) n;
                    }
                    pos = value + 4;
                }
                case 's', 'o' -> {
                    value = WireBytes.align(value, 4);
                    if (value + 4 > end) {
                        return -1;
                    }
                    long length = WireBytes.getUInt(b, value, bigEndian);
                    if (length > end) {
                        return -1;
                    }
                    pos = value + 4 + (int) length + 1;
                }
                case 'g' -> pos = value + 1 + (value < end ? b[value] & 0xFF : 0) + 1;
                default -> {
                    return -1;
                }
            }
        }
        return 0;
    }

    /**
     * The total length of the message whose first 16 bytes are {@code b[offset, offset + 16)}, from the fixed
     * header alone, so a framer can allocate exactly one buffer; or a negative code for a bad endianness byte,
     * a bad version, a header-field array over 64 MiB or a total over 128 MiB (see {@link #frameError}).
     */
    public static int frameLength(byte[] b, int offset) {
        byte endianness = b[offset];
        boolean be;
        if (endianness == WireBytes.LITTLE) {
            be = false;
        } else if (endianness == WireBytes.BIG) {
            be = true;
        } else {
            return Validity.BAD_ENDIANNESS.code();
        }
        return frameLength(endianness, b[offset + 3], WireBytes.getUInt(b, offset + 4, be),
                WireBytes.getUInt(b, offset + 12, be));
    }

    /**
     * {@link #frameLength(byte[], int)} over the 16 bytes at {@code b.position()}; changes neither the position
     * nor the byte order of {@code b}.
     */
    public static int frameLength(ByteBuffer b) {
        int p = b.position();
        byte endianness = b.get(p);
        boolean be;
        if (endianness == WireBytes.LITTLE) {
            be = false;
        } else if (endianness == WireBytes.BIG) {
            be = true;
        } else {
            return Validity.BAD_ENDIANNESS.code();
        }
        return frameLength(endianness, b.get(p + 3), uint32(b, p + 4, be), uint32(b, p + 12, be));
    }

    private static long uint32(ByteBuffer b, int at, boolean bigEndian) {
        int v = b.getInt(at);
        if ((b.order() == ByteOrder.BIG_ENDIAN) != bigEndian) {
            v = Integer.reverseBytes(v);
        }
        return v & 0xFFFF_FFFFL;
    }

    private static int frameLength(byte endianness, byte version, long bodyLength, long fieldsLength) {
        if (version != 1) {
            return Validity.BAD_VERSION.code();
        }
        if (fieldsLength > WireLimits.MAX_ARRAY_LENGTH) {
            return Validity.ARRAY_TOO_LONG.code();
        }
        long total = WireBytes.align(WireLimits.FIXED_HEADER_LENGTH + (int) fieldsLength, 8) + bodyLength;
        if (total > WireLimits.MAX_MESSAGE_LENGTH) {
            return Validity.TOO_LARGE.code();
        }
        return (int) total;
    }

    /** The outcome a negative {@link #frameLength} result stands for. */
    public static Validity frameError(int code) {
        return Validity.ofCode(code);
    }

    /**
     * Validates {@code buf[0, length)} as exactly one message and points this flyweight at it. Returns
     * {@link Validity#VALID}, {@link Validity#UNKNOWN_MESSAGE_TYPE}, or the first rule broken; never throws
     * for bad content. On error only {@link #validity()} and {@link #errorOffset()} are meaningful.
     */
    public Validity parse(byte[] buf, int length) {
        reset(buf, length);
        if (length < WireLimits.FIXED_HEADER_LENGTH || length > buf.length) {
            return fail(Validity.TRUNCATED.code(), 0);
        }
        int framed = frameLength(buf, 0);
        if (framed < 0) {
            return fail(framed, 0);
        }
        if (framed != length) {
            return fail(Validity.LENGTH_MISMATCH.code(), 4);
        }
        bigEndian = buf[0] == WireBytes.BIG;
        type = buf[1] & 0xFF;
        flags = buf[2] & 0xFF;
        bodyLength = WireBytes.getInt(buf, 4, bigEndian);
        serial = WireBytes.getInt(buf, 8, bigEndian);
        if (type == MessageType.INVALID) {
            return fail(Validity.BAD_MESSAGE_TYPE.code(), 1);
        }
        if (serial == 0) {
            return fail(Validity.BAD_SERIAL.code(), 8);
        }
        fieldsEnd = WireLimits.FIXED_HEADER_LENGTH + WireBytes.getInt(buf, 12, bigEndian);
        bodyOffset = WireBytes.align(fieldsEnd, 8);

        int r = parseHeaderFields();
        if (r < 0) {
            return fail(r, errorOffset);
        }
        if (!WireBytes.isZero(buf, fieldsEnd, bodyOffset)) {
            return fail(Validity.BAD_PADDING.code(), fieldsEnd);
        }
        r = checkRequiredFields();
        if (r < 0) {
            return fail(r, 0);
        }
        r = validateBody();
        if (r < 0) {
            return fail(r, validator.position());
        }
        validity = MessageType.isKnown(type) ? Validity.VALID : Validity.UNKNOWN_MESSAGE_TYPE;
        return validity;
    }

    private void reset(byte[] buf, int length) {
        this.buf = buf;
        this.length = length;
        bigEndian = false;
        type = flags = serial = bodyLength = bodyOffset = fieldsEnd = 0;
        replySerial = unixFds = 0;
        errorOffset = 0;
        pathOffset = pathLength = interfaceOffset = interfaceLength = memberOffset = memberLength = 0;
        errorNameOffset = errorNameLength = destinationOffset = destinationLength = 0;
        senderOffset = senderLength = signatureOffset = signatureLength = 0;
        senderFieldStart = senderFieldEnd = 0;
        droppedCount = 0;
        path = interfaceName = member = errorName = destination = sender = signature = null;
        if (argsStarted) {
            java.util.Arrays.fill(argStrings, 0, argsScanned, null);
        }
        argsStarted = false;
        argsScanned = 0;
    }

    private Validity fail(int code, int offset) {
        validity = Validity.ofCode(code);
        errorOffset = offset;
        return validity;
    }

    /** Walks the a(yv) header-field array; returns 0 or a negative code with {@link #errorOffset} set. */
    private int parseHeaderFields() {
        int p = WireLimits.FIXED_HEADER_LENGTH;
        int seen = 0;
        while (p < fieldsEnd) {
            int start = WireBytes.align(p, 8);
            if (start >= fieldsEnd) {
                errorOffset = p;
                return Validity.ARRAY_LENGTH_MISMATCH.code();
            }
            if (!WireBytes.isZero(buf, p, start)) {
                errorOffset = p;
                return Validity.BAD_PADDING.code();
            }
            errorOffset = start;
            int code = buf[start] & 0xFF;
            if (code == HeaderField.INVALID) {
                return Validity.BAD_HEADER_FIELD_CODE.code();
            }
            int variant = start + 1;
            int expected = HeaderField.typeOf(code);
            if (expected != 0) {
                if (variant + 1 >= fieldsEnd || buf[variant] != 1 || buf[variant + 1] != expected) {
                    return Validity.BAD_HEADER_FIELD_SIGNATURE.code();
                }
                if ((seen & (1 << code)) != 0) {
                    return Validity.DUPLICATE_HEADER_FIELD.code();
                }
                seen |= 1 << code;
            }
            // Unknown fields are ignored, but only once their variant proved well-formed; they are never forwarded.
            validator.reset(buf, bigEndian, variant, fieldsEnd);
            int r = validator.variant(BodyValidator.HEADER_VARIANT_DEPTH);
            if (r < 0) {
                errorOffset = validator.position();
                return r == Validity.NOT_ENOUGH_DATA.code() ? Validity.ARRAY_LENGTH_MISMATCH.code() : r;
            }
            int valueEnd = validator.position();
            if (expected == 0 || code == HeaderField.SENDER || code == HeaderField.CONTAINER_INSTANCE) {
                drop(start, valueEnd);
            }
            r = recordField(code, variant + 3, valueEnd, start);
            if (r < 0) {
                return r;
            }
            p = valueEnd;
        }
        return 0;
    }

    /** Records a known field whose value starts (before alignment) at {@code value} and ends at {@code valueEnd}. */
    private int recordField(int code, int value, int valueEnd, int fieldStart) {
        int stringOffset = WireBytes.align(value, 4) + 4;
        int stringLength = valueEnd - 1 - stringOffset;
        switch (code) {
            case HeaderField.PATH -> {
                pathOffset = stringOffset;
                pathLength = stringLength;
                // "/org/freedesktop/DBus/Local" is reserved; libdbus rejects any message that carries it.
                if (asciiEquals(buf, stringOffset, stringLength, "/org/freedesktop/DBus/Local")) {
                    return Validity.LOCAL_PATH.code();
                }
            }
            case HeaderField.INTERFACE -> {
                interfaceOffset = stringOffset;
                interfaceLength = stringLength;
                if (!DBusNames.isValidInterfaceName(buf, stringOffset, stringLength)) {
                    return Validity.BAD_INTERFACE.code();
                }
                if (asciiEquals(buf, stringOffset, stringLength, "org.freedesktop.DBus.Local")) {
                    return Validity.LOCAL_INTERFACE.code();
                }
            }
            case HeaderField.MEMBER -> {
                memberOffset = stringOffset;
                memberLength = stringLength;
                if (!DBusNames.isValidMemberName(buf, stringOffset, stringLength)) {
                    return Validity.BAD_MEMBER.code();
                }
            }
            case HeaderField.ERROR_NAME -> {
                errorNameOffset = stringOffset;
                errorNameLength = stringLength;
                if (!DBusNames.isValidErrorName(buf, stringOffset, stringLength)) {
                    return Validity.BAD_ERROR_NAME.code();
                }
            }
            case HeaderField.DESTINATION -> {
                destinationOffset = stringOffset;
                destinationLength = stringLength;
                if (!DBusNames.isValidBusName(buf, stringOffset, stringLength)) {
                    return Validity.BAD_DESTINATION.code();
                }
            }
            case HeaderField.SENDER -> {
                senderOffset = stringOffset;
                senderLength = stringLength;
                senderFieldStart = fieldStart;
                senderFieldEnd = valueEnd;
                if (!DBusNames.isValidBusName(buf, stringOffset, stringLength)) {
                    return Validity.BAD_SENDER.code();
                }
            }
            case HeaderField.SIGNATURE -> {
                signatureOffset = value + 1;
                signatureLength = buf[value] & 0xFF;
            }
            case HeaderField.REPLY_SERIAL -> {
                replySerial = WireBytes.getUInt(buf, WireBytes.align(value, 4), bigEndian);
                if (replySerial == 0) {
                    return Validity.BAD_REPLY_SERIAL.code();
                }
            }
            case HeaderField.UNIX_FDS -> unixFds = WireBytes.getUInt(buf, WireBytes.align(value, 4), bigEndian);
            default -> {
                // unknown field: validated, ignored
            }
        }
        return 0;
    }

    private int checkRequiredFields() {
        switch (type) {
            case MessageType.METHOD_CALL -> {
                if (pathOffset == 0) {
                    return Validity.MISSING_PATH.code();
                }
                if (memberOffset == 0) {
                    return Validity.MISSING_MEMBER.code();
                }
            }
            case MessageType.METHOD_RETURN -> {
                if (replySerial == 0) {
                    return Validity.MISSING_REPLY_SERIAL.code();
                }
            }
            case MessageType.ERROR -> {
                if (errorNameOffset == 0) {
                    return Validity.MISSING_ERROR_NAME.code();
                }
                if (replySerial == 0) {
                    return Validity.MISSING_REPLY_SERIAL.code();
                }
            }
            case MessageType.SIGNAL -> {
                if (pathOffset == 0) {
                    return Validity.MISSING_PATH.code();
                }
                if (interfaceOffset == 0) {
                    return Validity.MISSING_INTERFACE.code();
                }
                if (memberOffset == 0) {
                    return Validity.MISSING_MEMBER.code();
                }
            }
            default -> {
                // unknown type: the specification defines no required fields
            }
        }
        return 0;
    }

    private int validateBody() {
        if (signatureOffset == 0) {
            // "If omitted, it is assumed to be the empty signature, implying that the body must be 0-length."
            validator.reset(buf, bigEndian, bodyOffset, length);
            return bodyLength == 0 ? 0 : Validity.BODY_WITHOUT_SIGNATURE.code();
        }
        validator.reset(buf, bigEndian, bodyOffset, length);
        int r = validator.values(signatureOffset, signatureOffset + signatureLength, 0);
        if (r < 0) {
            return r;
        }
        return validator.position() == length ? 0 : Validity.TRAILING_BYTES.code();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Accessors: valid after parse returned VALID or UNKNOWN_MESSAGE_TYPE. None allocates unless it says so.

    /** The outcome of the last {@link #parse}. */
    public Validity validity() {
        return validity;
    }

    /** Where the last parse failed, as a byte offset into the message, for logs. */
    public int errorOffset() {
        return errorOffset;
    }

    /** The message bytes (not a copy): {@code buffer()[0, length())}. */
    public byte[] buffer() {
        return buf;
    }

    public int length() {
        return length;
    }

    public boolean isBigEndian() {
        return bigEndian;
    }

    /** One of {@link MessageType}, or an unknown value when {@link #validity()} is UNKNOWN_MESSAGE_TYPE. */
    @Override
    public int type() {
        return type;
    }

    /** Bits of {@link MessageFlag}. */
    public int flags() {
        return flags;
    }

    public boolean hasFlag(int flag) {
        return (flags & flag) != 0;
    }

    /** Whether the sender waits for a reply: a method call without NO_REPLY_EXPECTED. */
    public boolean expectsReply() {
        return type == MessageType.METHOD_CALL && (flags & MessageFlag.NO_REPLY_EXPECTED) == 0;
    }

    /** The serial, an unsigned 32-bit value. */
    public long serial() {
        return serial & 0xFFFF_FFFFL;
    }

    /** REPLY_SERIAL, or 0 if absent. */
    public long replySerial() {
        return replySerial;
    }

    /** UNIX_FDS, or 0 if absent, saturated at {@link Integer#MAX_VALUE}. */
    public int unixFds() {
        return (int) Math.min(unixFds, Integer.MAX_VALUE);
    }

    public int bodyOffset() {
        return bodyOffset;
    }

    public int bodyLength() {
        return bodyLength;
    }

    /** End of the header-field array, before the padding that aligns the body. */
    int headerFieldsEnd() {
        return fieldsEnd;
    }

    private void drop(int start, int valueEnd) {
        if (dropped == null) {
            dropped = new int[4];
        } else if (droppedCount * 2 == dropped.length) {
            dropped = java.util.Arrays.copyOf(dropped, dropped.length * 2);
        }
        dropped[droppedCount * 2] = start;
        dropped[droppedCount * 2 + 1] = valueEnd;
        droppedCount++;
    }

    /** How many header-field elements the bus leaves out when it forwards the message. */
    int droppedFieldCount() {
        return droppedCount;
    }

    /** Start of dropped element {@code i} (8-aligned). */
    int droppedFieldStart(int i) {
        return dropped[i * 2];
    }

    /** End of dropped element {@code i}'s value (not aligned). */
    int droppedFieldEnd(int i) {
        return dropped[i * 2 + 1];
    }

    int senderFieldStart() {
        return senderFieldStart;
    }

    int senderFieldEnd() {
        return senderFieldEnd;
    }

    /** Whether the header carries field {@code code}. */
    public boolean hasField(int code) {
        return switch (code) {
            case HeaderField.REPLY_SERIAL -> replySerial != 0;
            case HeaderField.UNIX_FDS -> unixFds != 0;
            default -> fieldOffset(code) != 0;
        };
    }

    /**
     * Offset in {@link #buffer()} of a string-valued field's bytes (PATH, INTERFACE, MEMBER, ERROR_NAME,
     * DESTINATION, SENDER, SIGNATURE), or 0 if the message has no such field.
     */
    public int fieldOffset(int code) {
        return switch (code) {
            case HeaderField.PATH -> pathOffset;
            case HeaderField.INTERFACE -> interfaceOffset;
            case HeaderField.MEMBER -> memberOffset;
            case HeaderField.ERROR_NAME -> errorNameOffset;
            case HeaderField.DESTINATION -> destinationOffset;
            case HeaderField.SENDER -> senderOffset;
            case HeaderField.SIGNATURE -> signatureOffset;
            default -> 0;
        };
    }

    /** Length in bytes of a string-valued field (no terminating NUL), or 0 if absent. */
    public int fieldLength(int code) {
        return switch (code) {
            case HeaderField.PATH -> pathLength;
            case HeaderField.INTERFACE -> interfaceLength;
            case HeaderField.MEMBER -> memberLength;
            case HeaderField.ERROR_NAME -> errorNameLength;
            case HeaderField.DESTINATION -> destinationLength;
            case HeaderField.SENDER -> senderLength;
            case HeaderField.SIGNATURE -> signatureLength;
            default -> 0;
        };
    }

    /** Whether the string-valued field {@code code} is present and equal to {@code value}; allocates nothing. */
    public boolean fieldEquals(int code, String value) {
        int offset = fieldOffset(code);
        return offset != 0 && asciiEquals(buf, offset, fieldLength(code), value);
    }

    /** Whether the body's signature is {@code value} (an absent SIGNATURE equals ""); allocates nothing. */
    public boolean signatureEquals(String value) {
        return asciiEquals(buf, signatureOffset, signatureLength, value);
    }

    /** PATH, or null; decoded once. */
    @Override
    public String path() {
        if (path == null && pathOffset != 0) {
            path = ascii(pathOffset, pathLength);
        }
        return path;
    }

    /** INTERFACE, or null; decoded once. */
    @Override
    public String interfaceName() {
        if (interfaceName == null && interfaceOffset != 0) {
            interfaceName = ascii(interfaceOffset, interfaceLength);
        }
        return interfaceName;
    }

    /** MEMBER, or null; decoded once. */
    @Override
    public String member() {
        if (member == null && memberOffset != 0) {
            member = ascii(memberOffset, memberLength);
        }
        return member;
    }

    /** ERROR_NAME, or null; decoded once. */
    public String errorName() {
        if (errorName == null && errorNameOffset != 0) {
            errorName = ascii(errorNameOffset, errorNameLength);
        }
        return errorName;
    }

    /** DESTINATION, or null; decoded once. */
    @Override
    public String destination() {
        if (destination == null && destinationOffset != 0) {
            destination = ascii(destinationOffset, destinationLength);
        }
        return destination;
    }

    /** SENDER as the client wrote it (the bus replaces it), or null; decoded once. */
    @Override
    public String sender() {
        if (sender == null && senderOffset != 0) {
            sender = ascii(senderOffset, senderLength);
        }
        return sender;
    }

    /** SIGNATURE, or "" when absent; decoded once. */
    public String signature() {
        if (signature == null) {
            signature = signatureOffset == 0 ? "" : ascii(signatureOffset, signatureLength);
        }
        return signature;
    }

    /**
     * The type code of top-level argument {@code n} (0 to 63), or 0 if the body has fewer arguments. The
     * first call scans only as far as argument {@code n}; positions are remembered for later calls.
     */
    @Override
    public int argType(int n) {
        if (n < 0 || n >= MAX_MATCH_ARGS) {
            return 0;
        }
        scanArgs(n);
        return n < argsScanned ? argTypes[n] : 0;
    }

    /**
     * Top-level argument {@code n} if it is a string ('s') or an object path ('o'), else null: what match
     * rules' argN, argNpath and arg0namespace compare (the rule decides which of the two types it accepts,
     * via {@link #argType}). Decoded once, on the first call.
     */
    @Override
    public String stringArg(int n) {
        int t = argType(n);
        if (t != TypeCode.STRING && t != TypeCode.OBJECT_PATH) {
            return null;
        }
        String s = argStrings[n];
        if (s == null) {
            int p = argPositions[n];
            int len = WireBytes.getInt(buf, p, bigEndian);
            s = new String(buf, p + 4, len, StandardCharsets.UTF_8);
            argStrings[n] = s;
        }
        return s;
    }

    private void scanArgs(int n) {
        if (!argsStarted) {
            if (argTypes == null) {
                argTypes = new byte[MAX_MATCH_ARGS];
                argPositions = new int[MAX_MATCH_ARGS];
                argStrings = new String[MAX_MATCH_ARGS];
            }
            argsStarted = true;
            argScanSig = signatureOffset;
            argScanPos = bodyOffset;
        }
        int sigEnd = signatureOffset + signatureLength;
        while (argsScanned <= n && argScanSig < sigEnd) {
            byte c = buf[argScanSig];
            argTypes[argsScanned] = c;
            argPositions[argsScanned] = WireBytes.align(argScanPos, TypeCode.alignment(c));
            argScanPos = BodyReader.skipValue(buf, bigEndian, argScanSig, argScanPos);
            argScanSig = Signatures.skipType(buf, argScanSig);
            argsScanned++;
        }
    }

    private String ascii(int offset, int len) {
        // Names, paths and signatures were validated as ASCII: Latin-1 decoding is a plain copy.
        return new String(buf, offset, len, StandardCharsets.ISO_8859_1);
    }

    static boolean asciiEquals(byte[] b, int offset, int len, String s) {
        if (s.length() != len) {
            return false;
        }
        for (int i = 0; i < len; i++) {
            if ((b[offset + i] & 0xFF) != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        if (validity.isError()) {
            return "DBusMessage{invalid: " + validity.reason() + " at " + errorOffset + "}";
        }
        return "DBusMessage{type=" + type + ", serial=" + serial() + ", path=" + path() + ", interface="
                + interfaceName() + ", member=" + member() + ", destination=" + destination() + ", signature="
                + signature() + ", body=" + bodyLength + "}";
    }
}
