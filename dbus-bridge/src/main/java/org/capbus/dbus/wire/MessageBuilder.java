package org.capbus.dbus.wire;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Marshals the messages the bus itself sends: driver replies and errors, and signals such as NameOwnerChanged
 * and NameAcquired. A fluent builder: choose the kind with a factory, add header fields, append the body
 * values in order, then {@link #build(long)} once.
 *
 * <pre>{@code
 * byte[] reply = MessageBuilder.methodReturn(call.serial(), ":1.7").sender("org.freedesktop.DBus")
 *         .uint32(1).build(serial);
 * byte[] changed = MessageBuilder.signal("/org/freedesktop/DBus", "org.freedesktop.DBus", "NameOwnerChanged")
 *         .sender("org.freedesktop.DBus").string(name).string(oldOwner).string(newOwner).build(serial);
 * builder.beginArray("{sv}")
 *         .beginDictEntry().string("UnixUserID").variantUInt32(1000).endDictEntry()
 *         .endArray();
 * }</pre>
 *
 * <p>The body signature is inferred from the values appended at top level (inside a top-level struct too);
 * inside arrays and variants the caller declares the element or content signature, since an empty array still
 * needs it. Misuse (unbalanced containers, a serial of 0) is a bug in the bus and throws
 * {@link IllegalStateException} or {@link IllegalArgumentException}; contents are the caller's responsibility
 * (names valid, strings without NUL), and tests parse the result back. Little-endian unless
 * {@link #bigEndian()} is asked for before the body. One builder per message, on the event-loop thread.
 */
public final class MessageBuilder implements RoutingFields {

    private static final int KIND_ARRAY = 1;
    private static final int KIND_STRUCT = 2;
    private static final int KIND_DICT_ENTRY = 3;
    private static final int KIND_VARIANT = 4;

    private final int type;
    private int flags;
    private String path;
    private String interfaceName;
    private String member;
    private String errorName;
    private String destination;
    private String sender;
    private long replySerial;
    private int unixFds;

    private WireWriter body = new WireWriter(false, 64);
    private final byte[] signature = new byte[WireLimits.MAX_SIGNATURE_LENGTH];
    private int signatureLength;

    /** Open containers: kind and, for arrays, where the length goes and where the elements start. */
    private int[] containers = new int[3 * 8];
    private int openContainers;
    /** Open arrays and variants: while above 0, values do not add to the body signature. */
    private int undeclaredDepth;
    /**
     * Top-level arguments appended so far, and the type and text of the first {@link #MAX_MATCH_ARGS} of them (text
     * only for strings and object paths): what match rules read, so that a built message is matched without being
     * parsed again.
     */
    private int argCount;
    private byte[] argTypes;
    private String[] argStrings;
    private static final int MAX_MATCH_ARGS = 64;

    private MessageBuilder(int type) {
        this.type = type;
    }

    /** A method call; {@code destination} and {@code interfaceName} may be null. */
    public static MessageBuilder methodCall(String destination, String path, String interfaceName, String member) {
        MessageBuilder b = new MessageBuilder(MessageType.METHOD_CALL);
        b.destination = destination;
        b.path = path;
        b.interfaceName = interfaceName;
        b.member = member;
        return b;
    }

    /** A reply to the call with serial {@code replySerial}, addressed to {@code destination} (may be null). */
    public static MessageBuilder methodReturn(long replySerial, String destination) {
        MessageBuilder b = new MessageBuilder(MessageType.METHOD_RETURN);
        b.replySerial = checkSerial(replySerial);
        b.destination = destination;
        return b;
    }

    /** An error reply; by convention the body is one string, the message: {@code .string(text)}. */
    public static MessageBuilder error(long replySerial, String destination, String errorName) {
        MessageBuilder b = new MessageBuilder(MessageType.ERROR);
        b.replySerial = checkSerial(replySerial);
        b.destination = destination;
        b.errorName = errorName;
        return b;
    }

    /** A signal, broadcast unless {@link #destination(String)} is set (unicast signals like NameAcquired). */
    public static MessageBuilder signal(String path, String interfaceName, String member) {
        MessageBuilder b = new MessageBuilder(MessageType.SIGNAL);
        b.path = path;
        b.interfaceName = interfaceName;
        b.member = member;
        return b;
    }

    private static long checkSerial(long serial) {
        if (serial <= 0 || serial > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("serial: " + serial + " (expected: 1..2^32-1)");
        }
        return serial;
    }

    // ---- header ----------------------------------------------------------------------------------------------

    public MessageBuilder destination(String destination) {
        this.destination = destination;
        return this;
    }

    public MessageBuilder sender(String sender) {
        this.sender = sender;
        return this;
    }

    public MessageBuilder flags(int flags) {
        this.flags = flags;
        return this;
    }

    public MessageBuilder noReplyExpected() {
        this.flags |= MessageFlag.NO_REPLY_EXPECTED;
        return this;
    }

    /** The UNIX_FDS field: how many fds travel with the message (the 'h' values index them). */
    public MessageBuilder unixFds(int count) {
        this.unixFds = count;
        return this;
    }

    /** Marshal in big-endian byte order; only before the first body value. Tests use it for the 'B' paths. */
    public MessageBuilder bigEndian() {
        if (body.position() != 0) {
            throw new IllegalStateException("byte order must be chosen before the body");
        }
        body = new WireWriter(true, 64);
        return this;
    }

    // ---- body: basic values --------------------------------------------------------------------------------------

    /** Notes top-level argument {@code argCount} (a value or a container opened at top level). */
    private void topLevel(byte code, String text) {
        if (openContainers != 0) {
            return;
        }
        int n = argCount++;
        if (n >= MAX_MATCH_ARGS) {
            return;
        }
        if (argTypes == null) {
            argTypes = new byte[4];
            argStrings = new String[4];
        } else if (n == argTypes.length) {
            argTypes = Arrays.copyOf(argTypes, Math.min(MAX_MATCH_ARGS, n * 2));
            argStrings = Arrays.copyOf(argStrings, argTypes.length);
        }
        argTypes[n] = code;
        argStrings[n] = text;
    }

    private void declare(byte code) {
        if (undeclaredDepth == 0) {
            if (signatureLength == signature.length) {
                throw new IllegalStateException("body signature longer than 255");
            }
            signature[signatureLength++] = code;
        }
    }

    public MessageBuilder byteValue(int v) {
        topLevel(TypeCode.BYTE, null);
        declare(TypeCode.BYTE);
        body.putByte(v);
        return this;
    }

    public MessageBuilder bool(boolean v) {
        topLevel(TypeCode.BOOLEAN, null);
        declare(TypeCode.BOOLEAN);
        body.putInt32(v ? 1 : 0);
        return this;
    }

    public MessageBuilder int16(short v) {
        topLevel(TypeCode.INT16, null);
        declare(TypeCode.INT16);
        body.putInt16(v);
        return this;
    }

    public MessageBuilder uint16(int v) {
        topLevel(TypeCode.UINT16, null);
        declare(TypeCode.UINT16);
        body.putInt16(v);
        return this;
    }

    public MessageBuilder int32(int v) {
        topLevel(TypeCode.INT32, null);
        declare(TypeCode.INT32);
        body.putInt32(v);
        return this;
    }

    /** An unsigned 32-bit value; the low 32 bits of {@code v} are written. */
    public MessageBuilder uint32(long v) {
        topLevel(TypeCode.UINT32, null);
        declare(TypeCode.UINT32);
        body.putInt32((int) v);
        return this;
    }

    public MessageBuilder int64(long v) {
        topLevel(TypeCode.INT64, null);
        declare(TypeCode.INT64);
        body.putInt64(v);
        return this;
    }

    /** An unsigned 64-bit value in a long's bits. */
    public MessageBuilder uint64(long v) {
        topLevel(TypeCode.UINT64, null);
        declare(TypeCode.UINT64);
        body.putInt64(v);
        return this;
    }

    public MessageBuilder doubleValue(double v) {
        topLevel(TypeCode.DOUBLE, null);
        declare(TypeCode.DOUBLE);
        body.putInt64(Double.doubleToRawLongBits(v));
        return this;
    }

    /** An index into the message's fds; set {@link #unixFds(int)} accordingly. */
    public MessageBuilder unixFd(int index) {
        topLevel(TypeCode.UNIX_FD, null);
        declare(TypeCode.UNIX_FD);
        body.putInt32(index);
        return this;
    }

    public MessageBuilder string(String v) {
        topLevel(TypeCode.STRING, v);
        declare(TypeCode.STRING);
        body.putString(v);
        return this;
    }

    public MessageBuilder objectPath(String v) {
        topLevel(TypeCode.OBJECT_PATH, v);
        declare(TypeCode.OBJECT_PATH);
        body.putString(v);
        return this;
    }

    public MessageBuilder signature(String v) {
        topLevel(TypeCode.SIGNATURE, null);
        declare(TypeCode.SIGNATURE);
        body.putSignature(v);
        return this;
    }

    // ---- body: containers ----------------------------------------------------------------------------------------

    /** Opens an array whose elements have the single complete type {@code elementSignature}, e.g. "s" or "{sv}". */
    public MessageBuilder beginArray(String elementSignature) {
        topLevel(TypeCode.ARRAY, null);
        if (undeclaredDepth == 0) {
            declare(TypeCode.ARRAY);
            for (int i = 0; i < elementSignature.length(); i++) {
                declare((byte) elementSignature.charAt(i));
            }
        }
        body.putInt32(0);
        int lengthAt = body.position() - 4;
        body.align(TypeCode.alignment(elementSignature.charAt(0)));
        push(KIND_ARRAY, lengthAt, body.position());
        undeclaredDepth++;
        return this;
    }

    public MessageBuilder endArray() {
        int f = pop(KIND_ARRAY);
        body.patchInt32(containers[f + 1], body.position() - containers[f + 2]);
        undeclaredDepth--;
        return this;
    }

    public MessageBuilder beginStruct() {
        topLevel(TypeCode.STRUCT_BEGIN, null);
        declare(TypeCode.STRUCT_BEGIN);
        body.align(8);
        push(KIND_STRUCT, 0, 0);
        return this;
    }

    public MessageBuilder endStruct() {
        pop(KIND_STRUCT);
        declare(TypeCode.STRUCT_END);
        return this;
    }

    /** Opens a dict entry: only inside an array declared with a "{..}" element signature. */
    public MessageBuilder beginDictEntry() {
        if (openContainers == 0 || containers[(openContainers - 1) * 3] != KIND_ARRAY) {
            throw new IllegalStateException("dict entry outside an array");
        }
        body.align(8);
        push(KIND_DICT_ENTRY, 0, 0);
        return this;
    }

    public MessageBuilder endDictEntry() {
        pop(KIND_DICT_ENTRY);
        return this;
    }

    /** Opens a variant holding one value of {@code contentSignature}; write that value, then {@link #endVariant()}. */
    public MessageBuilder beginVariant(String contentSignature) {
        topLevel(TypeCode.VARIANT, null);
        declare(TypeCode.VARIANT);
        body.putSignature(contentSignature);
        push(KIND_VARIANT, 0, 0);
        undeclaredDepth++;
        return this;
    }

    public MessageBuilder endVariant() {
        pop(KIND_VARIANT);
        undeclaredDepth--;
        return this;
    }

    // ---- body: conveniences for the driver -------------------------------------------------------------------

    /** An {@code as} value. */
    public MessageBuilder stringArray(Iterable<String> values) {
        beginArray("s");
        for (String v : values) {
            string(v);
        }
        return endArray();
    }

    /** An {@code ay} value. */
    public MessageBuilder byteArray(byte[] values) {
        beginArray("y");
        body.putBytes(values);
        return endArray();
    }

    public MessageBuilder variantString(String v) {
        return beginVariant("s").string(v).endVariant();
    }

    public MessageBuilder variantUInt32(long v) {
        return beginVariant("u").uint32(v).endVariant();
    }

    public MessageBuilder variantBoolean(boolean v) {
        return beginVariant("b").bool(v).endVariant();
    }

    public MessageBuilder variantStringArray(Iterable<String> v) {
        return beginVariant("as").stringArray(v).endVariant();
    }

    public MessageBuilder variantByteArray(byte[] v) {
        return beginVariant("ay").byteArray(v).endVariant();
    }

    private void push(int kind, int a, int b) {
        if ((openContainers + 1) * 3 > containers.length) {
            containers = Arrays.copyOf(containers, containers.length * 2);
        }
        int f = openContainers * 3;
        containers[f] = kind;
        containers[f + 1] = a;
        containers[f + 2] = b;
        openContainers++;
    }

    private int pop(int kind) {
        if (openContainers == 0 || containers[(openContainers - 1) * 3] != kind) {
            throw new IllegalStateException("unbalanced container end");
        }
        openContainers--;
        return openContainers * 3;
    }

    // ---- what was built, as match rules read it (no parse needed) ----------------------------------------------

    /** The message type ({@link MessageType}). */
    @Override
    public int type() {
        return type;
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public String interfaceName() {
        return interfaceName;
    }

    @Override
    public String member() {
        return member;
    }

    public String errorName() {
        return errorName;
    }

    @Override
    public String destination() {
        return destination;
    }

    @Override
    public String sender() {
        return sender;
    }

    /** The type code of top-level argument {@code n}, or 0 if there is none (or it is beyond argument 63). */
    @Override
    public int argType(int n) {
        return n < Math.min(argCount, MAX_MATCH_ARGS) ? argTypes[n] : 0;
    }

    /** Top-level argument {@code n} if it is a string or an object path, else null (as {@link DBusMessage#stringArg}). */
    @Override
    public String stringArg(int n) {
        return n < Math.min(argCount, MAX_MATCH_ARGS) ? argStrings[n] : null;
    }

    // ---- output --------------------------------------------------------------------------------------------------

    /** The body signature inferred so far. */
    public String bodySignature() {
        return new String(signature, 0, signatureLength, StandardCharsets.US_ASCII);
    }

    /** The complete message with serial {@code serial}, in one exactly-sized array. */
    public byte[] build(long serial) {
        checkSerial(serial);
        if (openContainers != 0) {
            throw new IllegalStateException("unclosed container");
        }
        boolean be = body.bigEndian();
        WireWriter h = new WireWriter(be, 128 + signatureLength);
        h.putByte(be ? WireBytes.BIG : WireBytes.LITTLE).putByte(type).putByte(flags).putByte(1);
        h.putInt32(body.position()).putInt32((int) serial).putInt32(0);
        stringField(h, HeaderField.PATH, TypeCode.OBJECT_PATH, path);
        stringField(h, HeaderField.INTERFACE, TypeCode.STRING, interfaceName);
        stringField(h, HeaderField.MEMBER, TypeCode.STRING, member);
        stringField(h, HeaderField.ERROR_NAME, TypeCode.STRING, errorName);
        if (replySerial != 0) {
            fieldStart(h, HeaderField.REPLY_SERIAL, TypeCode.UINT32).putInt32((int) replySerial);
        }
        stringField(h, HeaderField.DESTINATION, TypeCode.STRING, destination);
        stringField(h, HeaderField.SENDER, TypeCode.STRING, sender);
        if (signatureLength != 0) {
            fieldStart(h, HeaderField.SIGNATURE, TypeCode.SIGNATURE);
            h.putByte(signatureLength);
            h.putBytes(Arrays.copyOf(signature, signatureLength));
            h.putByte(0);
        }
        if (unixFds != 0) {
            fieldStart(h, HeaderField.UNIX_FDS, TypeCode.UINT32).putInt32(unixFds);
        }
        h.patchInt32(12, h.position() - WireLimits.FIXED_HEADER_LENGTH);
        h.align(8);
        int headerLength = h.position();
        byte[] message = Arrays.copyOf(h.array(), headerLength + body.position());
        System.arraycopy(body.array(), 0, message, headerLength, body.position());
        return message;
    }

    private static void stringField(WireWriter h, int code, byte type, String value) {
        if (value != null) {
            fieldStart(h, code, type).putString(value);
        }
    }

    private static WireWriter fieldStart(WireWriter h, int code, byte type) {
        return h.align(8).putByte(code).putByte(1).putByte(type).putByte(0);
    }
}
