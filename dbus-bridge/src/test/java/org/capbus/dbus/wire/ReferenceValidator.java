package org.capbus.dbus.wire;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Test oracle: a second, deliberately naive implementation of the message rules (ByteBuffer reads, String
 * signatures, the JDK's strict UTF-8 decoder, exceptions for rejection), to cross-check {@link DBusMessage#parse}.
 */
final class ReferenceValidator {

    private static final class Invalid extends RuntimeException {
        Invalid(String why) {
            super(why, null, false, false);
        }
    }

    private record Variant(String signature, Object value) {
    }

    private final ByteBuffer bb;

    private ReferenceValidator(byte[] m) {
        bb = ByteBuffer.wrap(m).order(m[0] == 'B' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
    }

    /** null if valid (or of unknown type), else why not. */
    static String check(byte[] m) {
        try {
            if (m.length < 16 || (m[0] != 'l' && m[0] != 'B') || m[3] != 1 || m[1] == 0) {
                throw new Invalid("fixed header");
            }
            new ReferenceValidator(m).message(m);
            return null;
        } catch (Invalid e) {
            return e.getMessage();
        }
    }

    private void message(byte[] m) {
        long bodyLength = bb.getInt(4) & 0xFFFF_FFFFL;
        if (bb.getInt(8) == 0) {
            throw new Invalid("serial");
        }
        long fieldsLength = bb.getInt(12) & 0xFFFF_FFFFL;
        if (fieldsLength > WireLimits.MAX_ARRAY_LENGTH) {
            throw new Invalid("fields length");
        }
        long headerEnd = (16 + fieldsLength + 7) / 8 * 8;
        if (headerEnd + bodyLength > WireLimits.MAX_MESSAGE_LENGTH || headerEnd + bodyLength != m.length) {
            throw new Invalid("length");
        }
        bb.position(12);
        bb.limit((int) (16 + fieldsLength));
        Object[] array = (Object[]) read("a(yv)", new int[] {0}, 0);
        bb.limit(m.length);
        for (int i = bb.position(); i < headerEnd; i++) {
            if (m[i] != 0) {
                throw new Invalid("header padding");
            }
        }
        Map<Integer, Object> fields = new HashMap<>();
        for (Object o : array) {
            Object[] field = (Object[]) o;
            int code = (Byte) field[0] & 0xFF;
            Variant v = (Variant) field[1];
            if (code == 0) {
                throw new Invalid("code 0");
            }
            if (code > HeaderField.MAX_KNOWN && code != HeaderField.CONTAINER_INSTANCE) {
                continue;
            }
            if (!v.signature().equals(String.valueOf((char) HeaderField.typeOf(code)))) {
                throw new Invalid("field signature");
            }
            if (fields.put(code, v.value()) != null) {
                throw new Invalid("duplicate");
            }
        }
        checkName(fields.get(HeaderField.INTERFACE), DBusNames::isValidInterfaceName);
        checkName(fields.get(HeaderField.MEMBER), DBusNames::isValidMemberName);
        checkName(fields.get(HeaderField.ERROR_NAME), DBusNames::isValidErrorName);
        checkName(fields.get(HeaderField.DESTINATION), DBusNames::isValidBusName);
        checkName(fields.get(HeaderField.SENDER), DBusNames::isValidBusName);
        if ("/org/freedesktop/DBus/Local".equals(fields.get(HeaderField.PATH))
                || "org.freedesktop.DBus.Local".equals(fields.get(HeaderField.INTERFACE))) {
            throw new Invalid("local");
        }
        if (Long.valueOf(0).equals(fields.get(HeaderField.REPLY_SERIAL))) {
            throw new Invalid("reply serial 0");
        }
        int type = m[1] & 0xFF;
        boolean ok = switch (type) {
            case MessageType.METHOD_CALL -> fields.containsKey(1) && fields.containsKey(3);
            case MessageType.METHOD_RETURN -> fields.containsKey(5);
            case MessageType.ERROR -> fields.containsKey(4) && fields.containsKey(5);
            case MessageType.SIGNAL -> fields.containsKey(1) && fields.containsKey(2) && fields.containsKey(3);
            default -> true;
        };
        if (!ok) {
            throw new Invalid("required field");
        }
        String signature = (String) fields.getOrDefault(HeaderField.SIGNATURE, "");
        bb.position((int) headerEnd);
        int[] sp = {0};
        while (sp[0] < signature.length()) {
            read(signature, sp, 0);
        }
        if (bb.position() != m.length) {
            throw new Invalid("trailing bytes");
        }
    }

    private static void checkName(Object name, java.util.function.Predicate<String> valid) {
        if (name != null && !valid.test((String) name)) {
            throw new Invalid("name " + name);
        }
    }

    private void align(int a) {
        while (bb.position() % a != 0) {
            if (!bb.hasRemaining() || bb.get() != 0) {
                throw new Invalid("padding");
            }
        }
    }

    private void need(long n) {
        if (bb.remaining() < n) {
            throw new Invalid("short");
        }
    }

    private Object read(String sig, int[] sp, int depth) {
        char c = sig.charAt(sp[0]++);
        switch (c) {
            case 'y' -> {
                need(1);
                return bb.get();
            }
            case 'b' -> {
                align(4);
                need(4);
                int v = bb.getInt();
                if (v != 0 && v != 1) {
                    throw new Invalid("bool");
                }
                return v == 1;
            }
            case 'n', 'q' -> {
                align(2);
                need(2);
                return bb.getShort();
            }
            case 'i', 'u', 'h' -> {
                align(4);
                need(4);
                long v = bb.getInt() & 0xFFFF_FFFFL;
                return v;
            }
            case 'x', 't', 'd' -> {
                align(8);
                need(8);
                return bb.getLong();
            }
            case 's', 'o' -> {
                align(4);
                need(4);
                long len = bb.getInt() & 0xFFFF_FFFFL;
                need(len + 1);
                byte[] b = new byte[(int) len];
                bb.get(b);
                if (bb.get() != 0) {
                    throw new Invalid("nul");
                }
                String s = utf8(b);
                if (s.indexOf('\0') >= 0 || (c == 'o' && !DBusNames.isValidObjectPath(s))) {
                    throw new Invalid("string");
                }
                return s;
            }
            case 'g' -> {
                String s = shortString();
                if (!Signatures.isValid(s)) {
                    throw new Invalid("signature");
                }
                return s;
            }
            case 'v' -> {
                String s = shortString();
                if (!Signatures.isSingleCompleteType(s) || depth + 1 + staticDepth(s, new int[] {0}) > 64) {
                    throw new Invalid("variant");
                }
                return new Variant(s, read(s, new int[] {0}, depth + 1));
            }
            case '(', '{' -> {
                align(8);
                java.util.List<Object> items = new java.util.ArrayList<>();
                while (sig.charAt(sp[0]) != ')' && sig.charAt(sp[0]) != '}') {
                    items.add(read(sig, sp, depth + 1));
                }
                sp[0]++;
                return items.toArray();
            }
            case 'a' -> {
                align(4);
                need(4);
                long len = bb.getInt() & 0xFFFF_FFFFL;
                if (len > WireLimits.MAX_ARRAY_LENGTH) {
                    throw new Invalid("array length");
                }
                align(TypeCode.alignment(sig.charAt(sp[0])));
                need(len);
                int end = bb.position() + (int) len;
                int savedLimit = bb.limit();
                bb.limit(end);
                int element = sp[0];
                java.util.List<Object> items = new java.util.ArrayList<>();
                int after = Signatures.skipType(sig.getBytes(StandardCharsets.US_ASCII), element);
                try {
                    while (bb.position() < end) {
                        sp[0] = element;
                        items.add(read(sig, sp, depth + 1));
                    }
                } finally {
                    bb.limit(savedLimit);
                }
                sp[0] = after;
                return items.toArray();
            }
            default -> throw new Invalid("type " + c);
        }
    }

    private String shortString() {
        need(1);
        int len = bb.get() & 0xFF;
        need(len + 1);
        byte[] b = new byte[len];
        bb.get(b);
        if (bb.get() != 0) {
            throw new Invalid("nul");
        }
        for (byte x : b) {
            if (x <= 0) {
                throw new Invalid("signature byte");
            }
        }
        return new String(b, StandardCharsets.US_ASCII);
    }

    /** Containers around the deepest basic type of the complete type at sp. */
    private static int staticDepth(String sig, int[] sp) {
        char c = sig.charAt(sp[0]++);
        if (c == 'a') {
            return 1 + staticDepth(sig, sp);
        }
        if (c == '(' || c == '{') {
            int max = 0;
            while (sig.charAt(sp[0]) != ')' && sig.charAt(sp[0]) != '}') {
                max = Math.max(max, staticDepth(sig, sp));
            }
            sp[0]++;
            return max + 1;
        }
        return 0;
    }

    private static String utf8(byte[] b) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new Invalid("utf8");
        }
    }
}
