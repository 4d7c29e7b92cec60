package org.capbus.dbus.wire;

/**
 * Syntax of type signatures ("Type System" and "Valid Signatures"): at most 255 bytes of complete types, arrays
 * and structs each nested at most 32 deep (dict entries count as structs), dict entries only as array elements
 * with a basic key and exactly one value type, no empty structs. Stateless; safe on any thread.
 */
public final class Signatures {

    /** Returned by {@link #validate} for a malformed signature. */
    static final long MALFORMED = -1;
    /** Returned by {@link #validate} for a signature that nests containers too deeply. */
    static final long TOO_DEEP = -2;

    private Signatures() {
    }

    /** A signature: zero or more complete types. */
    public static boolean isValid(String signature) {
        return signature != null && isAscii(signature) && validate(ascii(signature), 0, signature.length(), false) >= 0;
    }

    /** A signature of exactly one complete type, as a variant holds. */
    public static boolean isSingleCompleteType(String signature) {
        return signature != null && isAscii(signature) && validate(ascii(signature), 0, signature.length(), true) >= 0;
    }

    /** Whether {@code b[offset, offset + length)} is a valid signature (one complete type if {@code single}). */
    public static boolean isValid(byte[] b, int offset, int length, boolean single) {
        return validate(b, offset, length, single) >= 0;
    }

    /**
     * Validates {@code b[offset, offset + length)}. Returns the deepest container nesting around any basic value
     * in it (0 for {@code "s"}, 1 for {@code "as"}, 2 for {@code "a{sv}"}), or {@link #MALFORMED} or {@link #TOO_DEEP}.
     */
    static long validate(byte[] b, int offset, int length, boolean single) {
        if (length > WireLimits.MAX_SIGNATURE_LENGTH || (single && length == 0)) {
            return MALFORMED;
        }
        int end = offset + length;
        int p = offset;
        int depth = 0;
        while (p < end) {
            long r = completeType(b, p, end, 0, 0);
            if (r < 0) {
                return r;
            }
            p = (int) r;
            depth = Math.max(depth, (int) (r >>> 32));
            if (single && p != end) {
                return MALFORMED;
            }
        }
        return depth;
    }

    /**
     * Parses one complete type at {@code p}. Returns {@code position after it | nesting << 32}, or a negative
     * error. Recursion is bounded by the 32 + 32 depth limits.
     */
    private static long completeType(byte[] b, int p, int end, int arrays, int structs) {
        if (p >= end) {
            return MALFORMED;
        }
        int c = b[p];
        switch (c) {
            case TypeCode.ARRAY -> {
                if (arrays == WireLimits.MAX_ARRAY_DEPTH) {
                    return TOO_DEEP;
                }
                if (p + 1 < end && b[p + 1] == TypeCode.DICT_ENTRY_BEGIN) {
                    return dictEntry(b, p + 1, end, arrays + 1, structs);
                }
                long r = completeType(b, p + 1, end, arrays + 1, structs);
                return r < 0 ? r : r + (1L << 32);
            }
            case TypeCode.STRUCT_BEGIN -> {
                if (structs == WireLimits.MAX_STRUCT_DEPTH) {
                    return TOO_DEEP;
                }
                int q = p + 1;
                if (q < end && b[q] == TypeCode.STRUCT_END) {
                    return MALFORMED; // "()" is not a type
                }
                long depth = 0;
                while (q < end && b[q] != TypeCode.STRUCT_END) {
                    long r = completeType(b, q, end, arrays, structs + 1);
                    if (r < 0) {
                        return r;
                    }
                    q = (int) r;
                    depth = Math.max(depth, r >>> 32);
                }
                if (q >= end) {
                    return MALFORMED;
                }
                return (q + 1) | ((depth + 1) << 32);
            }
            default -> {
                // Basic types and 'v'; a stray '{', ')', '}' or any other byte has alignment 0.
                if (c == TypeCode.VARIANT || TypeCode.isBasic(c)) {
                    return p + 1;
                }
                return MALFORMED;
            }
        }
    }

    /** A dict entry at {@code p} (the '{'), already inside its array: basic key, one complete value type, '}'. */
    private static long dictEntry(byte[] b, int p, int end, int arrays, int structs) {
        if (structs == WireLimits.MAX_STRUCT_DEPTH) {
            return TOO_DEEP;
        }
        if (p + 1 >= end || !TypeCode.isBasic(b[p + 1])) {
            return MALFORMED;
        }
        long r = completeType(b, p + 2, end, arrays, structs + 1);
        if (r < 0) {
            return r;
        }
        int q = (int) r;
        if (q >= end || b[q] != TypeCode.DICT_ENTRY_END) {
            return MALFORMED;
        }
        // array + dict entry around the value
        return (q + 1) | (((r >>> 32) + 2) << 32);
    }

    /** The end of the complete type at {@code p} of a signature already validated. */
    static int skipType(byte[] b, int p) {
        int c = b[p];
        if (c == TypeCode.ARRAY) {
            return skipType(b, p + 1);
        }
        if (c == TypeCode.STRUCT_BEGIN || c == TypeCode.DICT_ENTRY_BEGIN) {
            int q = p + 1;
            while (b[q] != TypeCode.STRUCT_END && b[q] != TypeCode.DICT_ENTRY_END) {
                q = skipType(b, q);
            }
            return q + 1;
        }
        return p + 1;
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 128) {
                return false;
            }
        }
        return true;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }
}
