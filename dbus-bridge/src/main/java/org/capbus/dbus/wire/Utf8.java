package org.capbus.dbus.wire;

/**
 * Strict UTF-8 validation of marshalled strings, as libdbus applies it: no overlong forms, no surrogates, no
 * code point above U+10FFFF, and (a D-Bus rule, not a UTF-8 one) no NUL. Runs over ASCII at one compare per byte.
 */
final class Utf8 {

    private Utf8() {
    }

    /** Validates {@code b[from, to)}; returns 0 or the negative code of BAD_UTF8 / STRING_HAS_NUL. */
    static int validate(byte[] b, int from, int to) {
        int i = from;
        while (i < to) {
            int c = b[i];
            if (c > 0) {
                i++;
                continue;
            }
            if (c == 0) {
                return Validity.STRING_HAS_NUL.code();
            }
            c &= 0xFF;
            if (c < 0xC2) {
                // a continuation byte where a lead byte belongs, or an overlong 2-byte lead (C0, C1)
                return Validity.BAD_UTF8.code();
            }
            if (c < 0xE0) {
                if (i + 1 >= to || !isContinuation(b[i + 1])) {
                    return Validity.BAD_UTF8.code();
                }
                i += 2;
            } else if (c < 0xF0) {
                if (i + 2 >= to || !isContinuation(b[i + 1]) || !isContinuation(b[i + 2])) {
                    return Validity.BAD_UTF8.code();
                }
                int b1 = b[i + 1] & 0xFF;
                if ((c == 0xE0 && b1 < 0xA0) // overlong
                        || (c == 0xED && b1 >= 0xA0)) { // UTF-16 surrogate D800..DFFF
                    return Validity.BAD_UTF8.code();
                }
                i += 3;
            } else if (c < 0xF5) {
                if (i + 3 >= to || !isContinuation(b[i + 1]) || !isContinuation(b[i + 2])
                        || !isContinuation(b[i + 3])) {
                    return Validity.BAD_UTF8.code();
                }
                int b1 = b[i + 1] & 0xFF;
                if ((c == 0xF0 && b1 < 0x90) // overlong
                        || (c == 0xF4 && b1 >= 0x90)) { // above U+10FFFF
                    return Validity.BAD_UTF8.code();
                }
                i += 4;
            } else {
                return Validity.BAD_UTF8.code();
            }
        }
        return 0;
    }

    private static boolean isContinuation(byte b) {
        return (b & 0xC0) == 0x80;
    }
}
