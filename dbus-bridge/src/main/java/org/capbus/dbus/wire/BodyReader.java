package org.capbus.dbus.wire;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the arguments of a parsed, valid {@link DBusMessage} in signature order: what the driver uses to decode
 * the method calls it receives. The body was validated by {@link DBusMessage#parse}, so the only thing that can
 * go wrong is asking for a type the signature does not have next: the read then returns a zero value or null
 * and sets {@link #failed()}, which stays set. The driver usually checks {@link DBusMessage#signatureEquals}
 * first and reads without doubt.
 *
 * <p>Containers: {@code enterArray()} then {@code while (hasNextElement()) {...}} then {@code exitArray()};
 * {@code enterStruct()/exitStruct()}, {@code enterDictEntry()/exitDictEntry()},
 * {@code enterVariant()/exitVariant()} likewise. Exiting a container skips what was not read of it.
 *
 * <p>One reader per use, on the thread that owns the message; not for the forwarding hot path.
 */
public final class BodyReader {

    private static final int ARRAY = 1;
    private static final int STRUCT = 2;
    private static final int VARIANT = 3;
    private static final int FRAME = 5;

    private final byte[] buf;
    private final boolean bigEndian;
    private int pos;
    private int sp;
    private int sigEnd;
    private boolean failed;
    /** Per open container: kind, signature position to resume at, signature end to restore, element sp, data end. */
    private int[] stack = new int[FRAME * 4];
    private int depth;

    /** A reader at the first argument of {@code message}, which must have parsed as valid. */
    public BodyReader(DBusMessage message) {
        this.buf = message.buffer();
        this.bigEndian = message.isBigEndian();
        this.pos = message.bodyOffset();
        int sigOffset = message.fieldOffset(HeaderField.SIGNATURE);
        this.sp = sigOffset;
        this.sigEnd = sigOffset + message.fieldLength(HeaderField.SIGNATURE);
    }

    /** Whether a read asked for a type the signature did not have at that point. */
    public boolean failed() {
        return failed;
    }

    /** The type code of the next value in the current container, or 0 at its end. */
    public int nextType() {
        return sp < sigEnd ? buf[sp] : 0;
    }

    /** Whether another value follows in the current container (for arrays see {@link #hasNextElement()}). */
    public boolean hasNext() {
        return sp < sigEnd;
    }

    private boolean expect(int code) {
        if (failed || sp >= sigEnd || buf[sp] != code) {
            failed = true;
            return false;
        }
        return true;
    }

    private int fixed(int code, int size) {
        if (!expect(code)) {
            return -1;
        }
        pos = WireBytes.align(pos, size);
        int at = pos;
        pos += size;
        sp++;
        return at;
    }

    public int readByte() {
        int at = fixed(TypeCode.BYTE, 1);
        return at < 0 ? 0 : buf[at] & 0xFF;
    }

    public boolean readBoolean() {
        int at = fixed(TypeCode.BOOLEAN, 4);
        return at >= 0 && WireBytes.getInt(buf, at, bigEndian) != 0;
    }

    public short readInt16() {
        int at = fixed(TypeCode.INT16, 2);
        return at < 0 ? 0 : WireBytes.getShort(buf, at, bigEndian);
    }

    public int readUInt16() {
        int at = fixed(TypeCode.UINT16, 2);
        return at < 0 ? 0 : WireBytes.getShort(buf, at, bigEndian) & 0xFFFF;
    }

    public int readInt32() {
        int at = fixed(TypeCode.INT32, 4);
        return at < 0 ? 0 : WireBytes.getInt(buf, at, bigEndian);
    }

    public long readUInt32() {
        int at = fixed(TypeCode.UINT32, 4);
        return at < 0 ? 0 : WireBytes.getUInt(buf, at, bigEndian);
    }

    public long readInt64() {
        int at = fixed(TypeCode.INT64, 8);
        return at < 0 ? 0 : WireBytes.getLong(buf, at, bigEndian);
    }

    /** An unsigned 64-bit value in a long's bits. */
    public long readUInt64() {
        int at = fixed(TypeCode.UINT64, 8);
        return at < 0 ? 0 : WireBytes.getLong(buf, at, bigEndian);
    }

    public double readDouble() {
        int at = fixed(TypeCode.DOUBLE, 8);
        return at < 0 ? 0 : Double.longBitsToDouble(WireBytes.getLong(buf, at, bigEndian));
    }

    /** An index into the message's fds (below its UNIX_FDS count). */
    public int readUnixFd() {
        int at = fixed(TypeCode.UNIX_FD, 4);
        return at < 0 ? 0 : WireBytes.getInt(buf, at, bigEndian);
    }

    public String readString() {
        return readStringLike(TypeCode.STRING);
    }

    public String readObjectPath() {
        return readStringLike(TypeCode.OBJECT_PATH);
    }

    private String readStringLike(int code) {
        if (!expect(code)) {
            return null;
        }
        pos = WireBytes.align(pos, 4);
        int len = WireBytes.getInt(buf, pos, bigEndian);
        String s = new String(buf, pos + 4, len, StandardCharsets.UTF_8);
        pos += 4 + len + 1;
        sp++;
        return s;
    }

    public String readSignature() {
        if (!expect(TypeCode.SIGNATURE)) {
            return null;
        }
        int len = buf[pos] & 0xFF;
        String s = new String(buf, pos + 1, len, StandardCharsets.ISO_8859_1);
        pos += len + 2;
        sp++;
        return s;
    }

    /** An {@code as} argument as a list; null (and failed) if the next argument is not {@code as}. */
    public List<String> readStringList() {
        if (!expect(TypeCode.ARRAY) || sp + 1 >= sigEnd || buf[sp + 1] != TypeCode.STRING) {
            failed = true;
            return null;
        }
        List<String> list = new ArrayList<>();
        enterArray();
        while (hasNextElement()) {
            list.add(readString());
        }
        exitArray();
        return list;
    }

    /** An {@code ay} argument, copied; null (and failed) if the next argument is not {@code ay}. */
    public byte[] readByteArray() {
        if (!expect(TypeCode.ARRAY) || sp + 1 >= sigEnd || buf[sp + 1] != TypeCode.BYTE) {
            failed = true;
            return null;
        }
        pos = WireBytes.align(pos, 4);
        int len = WireBytes.getInt(buf, pos, bigEndian);
        byte[] bytes = java.util.Arrays.copyOfRange(buf, pos + 4, pos + 4 + len);
        pos += 4 + len;
        sp += 2;
        return bytes;
    }

    /** Enters the array that is the next argument; false (and failed) if it is not an array. */
    public boolean enterArray() {
        if (!expect(TypeCode.ARRAY)) {
            return false;
        }
        pos = WireBytes.align(pos, 4);
        int len = WireBytes.getInt(buf, pos, bigEndian);
        int elementSp = sp + 1;
        pos = WireBytes.align(pos + 4, TypeCode.alignment(buf[elementSp]));
        int elementEnd = Signatures.skipType(buf, elementSp);
        push(ARRAY, elementEnd, elementSp, pos + len);
        sp = elementSp;
        sigEnd = elementEnd;
        return true;
    }

    /** Whether the innermost open array has another element; positions the reader at it. */
    public boolean hasNextElement() {
        if (failed || depth == 0 || stack[(depth - 1) * FRAME] != ARRAY) {
            failed = true;
            return false;
        }
        int f = (depth - 1) * FRAME;
        if (pos >= stack[f + 4]) {
            return false;
        }
        sp = stack[f + 3];
        return true;
    }

    public void exitArray() {
        exit(ARRAY);
    }

    /** Enters the struct that is the next argument; false (and failed) if it is not one. */
    public boolean enterStruct() {
        return enterStructLike(TypeCode.STRUCT_BEGIN);
    }

    public void exitStruct() {
        exit(STRUCT);
    }

    /** Enters the next dict entry of the open {@code a{..}} array; false (and failed) if there is none. */
    public boolean enterDictEntry() {
        return enterStructLike(TypeCode.DICT_ENTRY_BEGIN);
    }

    public void exitDictEntry() {
        exit(STRUCT);
    }

    private boolean enterStructLike(int code) {
        if (!expect(code)) {
            return false;
        }
        pos = WireBytes.align(pos, 8);
        int after = Signatures.skipType(buf, sp);
        push(STRUCT, after, 0, 0);
        sp++;
        sigEnd = after - 1;
        return true;
    }

    /**
     * Enters the variant that is the next argument and returns its signature (one complete type), or null (and
     * failed) if the next argument is not a variant.
     */
    public String enterVariant() {
        if (!expect(TypeCode.VARIANT)) {
            return null;
        }
        int len = buf[pos] & 0xFF;
        String signature = new String(buf, pos + 1, len, StandardCharsets.ISO_8859_1);
        push(VARIANT, sp + 1, 0, 0);
        sp = pos + 1;
        sigEnd = sp + len;
        pos += len + 2;
        return signature;
    }

    public void exitVariant() {
        exit(VARIANT);
    }

    /** Skips the next value of the current container, whatever its type. */
    public void skip() {
        if (failed || sp >= sigEnd) {
            failed = true;
            return;
        }
        pos = skipValue(buf, bigEndian, sp, pos);
        sp = Signatures.skipType(buf, sp);
    }

    private void push(int kind, int resumeSp, int elementSp, int dataEnd) {
        if ((depth + 1) * FRAME > stack.length) {
            stack = java.util.Arrays.copyOf(stack, stack.length * 2);
        }
        int f = depth * FRAME;
        stack[f] = kind;
        stack[f + 1] = resumeSp;
        stack[f + 2] = sigEnd;
        stack[f + 3] = elementSp;
        stack[f + 4] = dataEnd;
        depth++;
    }

    private void exit(int kind) {
        if (depth == 0 || stack[(depth - 1) * FRAME] != kind) {
            failed = true;
            return;
        }
        int f = (depth - 1) * FRAME;
        if (kind == ARRAY) {
            pos = stack[f + 4];
        } else {
            while (sp < sigEnd) {
                skip();
            }
        }
        sp = stack[f + 1];
        sigEnd = stack[f + 2];
        depth--;
    }

    /**
     * The data position after the value of the complete type at {@code buf[sp]} that starts (before alignment)
     * at {@code pos}. The value must have been validated: nothing is bounds-checked beyond the array's own.
     */
    static int skipValue(byte[] buf, boolean bigEndian, int sp, int pos) {
        int c = buf[sp];
        switch (c) {
            case TypeCode.STRING, TypeCode.OBJECT_PATH -> {
                pos = WireBytes.align(pos, 4);
                return pos + 4 + WireBytes.getInt(buf, pos, bigEndian) + 1;
            }
            case TypeCode.SIGNATURE -> {
                return pos + (buf[pos] & 0xFF) + 2;
            }
            case TypeCode.ARRAY -> {
                pos = WireBytes.align(pos, 4);
                int len = WireBytes.getInt(buf, pos, bigEndian);
                return WireBytes.align(pos + 4, TypeCode.alignment(buf[sp + 1])) + len;
            }
            case TypeCode.STRUCT_BEGIN, TypeCode.DICT_ENTRY_BEGIN -> {
                pos = WireBytes.align(pos, 8);
                int q = sp + 1;
                while (buf[q] != TypeCode.STRUCT_END && buf[q] != TypeCode.DICT_ENTRY_END) {
                    pos = skipValue(buf, bigEndian, q, pos);
                    q = Signatures.skipType(buf, q);
                }
                return pos;
            }
            case TypeCode.VARIANT -> {
                int len = buf[pos] & 0xFF;
                return skipValue(buf, bigEndian, pos + 1, pos + len + 2);
            }
            default -> {
                int size = TypeCode.fixedSize(c);
                return WireBytes.align(pos, size) + size;
            }
        }
    }
}
