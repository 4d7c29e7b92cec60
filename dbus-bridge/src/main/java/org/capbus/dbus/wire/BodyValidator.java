package org.capbus.dbus.wire;

/**
 * Validates marshalled values against a signature, in place: alignment padding is zero, booleans are 0 or 1,
 * strings are UTF-8 without NUL and NUL-terminated, object paths and signatures are well-formed, array lengths
 * are at most 64 MiB and end exactly on an element boundary, variants hold one complete type, and containers nest
 * at most 64 deep, variants included. Unix-fd indexes are not compared with the message's UNIX_FDS count: both
 * reference buses deliver a message whose index is out of range.
 *
 * <p>Used for the body and for the header-field array alike (the header is a body of signature {@code yyyyuua(yv)}).
 * Signatures are read from the message buffer itself (the SIGNATURE field and variant signatures), so every
 * position here is an index into one array. Alignment is relative to index 0: the buffer holds one message
 * from its first byte.
 *
 * <p>A reusable cursor owned by one {@link DBusMessage}; not thread-safe. Methods return a non-negative
 * position or a negative {@link Validity#code()}, never throw on bad input, and allocate nothing.
 */
final class BodyValidator {

    /** Total container depth at which a header field's variant content sits: inside {@code a(yv)}. */
    static final int HEADER_VARIANT_DEPTH = 2;

    private byte[] buf;
    private boolean bigEndian;
    private int end;
    private int pos;

    /** Points the cursor at {@code buf[pos, end)}. */
    void reset(byte[] buf, boolean bigEndian, int pos, int end) {
        this.buf = buf;
        this.bigEndian = bigEndian;
        this.pos = pos;
        this.end = end;
    }

    /** The data position: after the last value validated, or where validation failed. */
    int position() {
        return pos;
    }

    /** Validates a sequence of values for every complete type in {@code buf[sigPos, sigEnd)}; returns 0 or an error. */
    int values(int sigPos, int sigEnd, int depth) {
        while (sigPos < sigEnd) {
            sigPos = value(sigPos, depth);
            if (sigPos < 0) {
                return sigPos;
            }
        }
        return 0;
    }

    /**
     * Validates one value of the complete type at {@code buf[sp]}, which sits inside {@code depth} containers.
     * Returns the signature position after the type, or a negative error code.
     */
    int value(int sp, int depth) {
        int c = buf[sp];
        switch (c) {
            case TypeCode.BYTE:
                if (pos >= end) {
                    return Validity.NOT_ENOUGH_DATA.code();
                }
                pos++;
                return sp + 1;
            case TypeCode.BOOLEAN: {
                int r = fixed(4);
                if (r < 0) {
                    return r;
                }
                int v = WireBytes.getInt(buf, pos - 4, bigEndian);
                if (v != 0 && v != 1) {
                    pos -= 4;
                    return Validity.BAD_BOOLEAN.code();
                }
                return sp + 1;
            }
            case TypeCode.INT16, TypeCode.UINT16: {
                int r = fixed(2);
                return r < 0 ? r : sp + 1;
            }
            case TypeCode.INT32, TypeCode.UINT32: {
                int r = fixed(4);
                return r < 0 ? r : sp + 1;
            }
            case TypeCode.INT64, TypeCode.UINT64, TypeCode.DOUBLE: {
                int r = fixed(8);
                return r < 0 ? r : sp + 1;
            }
            case TypeCode.UNIX_FD: {
                int r = fixed(4);
                if (r < 0) {
                    return r;
                }
                // An index at or above UNIX_FDS is not checked: dbus-daemon and dbus-broker both deliver such a
                // message, and the receiver's library is the one that cannot resolve the descriptor.
                return sp + 1;
            }
            case TypeCode.STRING, TypeCode.OBJECT_PATH: {
                int r = string(c == TypeCode.OBJECT_PATH);
                return r < 0 ? r : sp + 1;
            }
            case TypeCode.SIGNATURE: {
                int r = signature();
                return r < 0 ? r : sp + 1;
            }
            case TypeCode.VARIANT: {
                int r = variant(depth);
                return r < 0 ? r : sp + 1;
            }
            case TypeCode.STRUCT_BEGIN, TypeCode.DICT_ENTRY_BEGIN: {
                int r = pad(8);
                if (r < 0) {
                    return r;
                }
                int q = sp + 1;
                while (buf[q] != TypeCode.STRUCT_END && buf[q] != TypeCode.DICT_ENTRY_END) {
                    q = value(q, depth + 1);
                    if (q < 0) {
                        return q;
                    }
                }
                return q + 1;
            }
            case TypeCode.ARRAY:
                return array(sp, depth);
            default:
                // Unreachable for signatures validated by Signatures; kept total so bad input never throws.
                return Validity.BAD_SIGNATURE.code();
        }
    }

    /**
     * Validates a variant at the cursor: its signature (one complete type) and the value it holds. The
     * variant sits inside {@code depth} containers, so its value is inside {@code depth + 1}.
     * Returns 0 or a negative error.
     */
    int variant(int depth) {
        if (pos >= end) {
            return Validity.NOT_ENOUGH_DATA.code();
        }
        int length = buf[pos] & 0xFF;
        int sigStart = pos + 1;
        if (length >= end - sigStart) {
            return Validity.NOT_ENOUGH_DATA.code();
        }
        if (buf[sigStart + length] != 0) {
            return Validity.MISSING_NUL.code();
        }
        long nesting = Signatures.validate(buf, sigStart, length, true);
        if (nesting < 0) {
            return Validity.BAD_VARIANT_SIGNATURE.code();
        }
        // GLib and libdbus count a variant as a container; its content may not push the total past 64.
        if (depth + 1 + nesting > WireLimits.MAX_TOTAL_DEPTH) {
            return Validity.NESTED_TOO_DEEPLY.code();
        }
        pos = sigStart + length + 1;
        int r = value(sigStart, depth + 1);
        return r < 0 ? r : 0;
    }

    private int array(int sp, int depth) {
        int r = fixed(4);
        if (r < 0) {
            return r;
        }
        long length = WireBytes.getUInt(buf, pos - 4, bigEndian);
        if (length > WireLimits.MAX_ARRAY_LENGTH) {
            pos -= 4;
            return Validity.ARRAY_TOO_LONG.code();
        }
        int elementSp = sp + 1;
        int element = buf[elementSp];
        // The padding to the first element's alignment is there even when the array is empty, and is not
        // counted in the length.
        r = pad(TypeCode.alignment(element));
        if (r < 0) {
            return r;
        }
        if (length > end - pos) {
            return Validity.NOT_ENOUGH_DATA.code();
        }
        int arrayEnd = pos + (int) length;
        int size = TypeCode.fixedSize(element);
        if (size != 0 && element != TypeCode.BOOLEAN && element != TypeCode.UNIX_FD) {
            // Fixed-size elements whose every bit pattern is valid: only the length needs checking.
            if (length % size != 0) {
                return Validity.ARRAY_LENGTH_MISMATCH.code();
            }
            pos = arrayEnd;
            return elementSp + 1;
        }
        if (length == 0) {
            return Signatures.skipType(buf, elementSp);
        }
        int next = elementSp;
        int savedEnd = end;
        // Elements may not run past the array, even if the container around it has more bytes.
        end = arrayEnd;
        while (pos < arrayEnd) {
            next = value(elementSp, depth + 1);
            if (next < 0) {
                end = savedEnd;
                return next == Validity.NOT_ENOUGH_DATA.code() ? Validity.ARRAY_LENGTH_MISMATCH.code() : next;
            }
        }
        end = savedEnd;
        return next;
    }

    /** Skips zero padding to {@code alignment}, then checks that {@code size} bytes follow and steps over them. */
    private int fixed(int size) {
        int r = pad(size);
        if (r < 0) {
            return r;
        }
        if (size > end - pos) {
            return Validity.NOT_ENOUGH_DATA.code();
        }
        pos += size;
        return 0;
    }

    /** Steps over the zero padding up to {@code alignment}. */
    private int pad(int alignment) {
        int aligned = WireBytes.align(pos, alignment);
        if (aligned > end) {
            return Validity.NOT_ENOUGH_DATA.code();
        }
        if (!WireBytes.isZero(buf, pos, aligned)) {
            return Validity.BAD_PADDING.code();
        }
        pos = aligned;
        return 0;
    }

    private int string(boolean objectPath) {
        int r = fixed(4);
        if (r < 0) {
            return r;
        }
        long length = WireBytes.getUInt(buf, pos - 4, bigEndian);
        if (length >= end - pos) {
            return Validity.NOT_ENOUGH_DATA.code();
        }
        int start = pos;
        int stop = start + (int) length;
        if (buf[stop] != 0) {
            return Validity.MISSING_NUL.code();
        }
        if (objectPath) {
            if (!DBusNames.isValidObjectPath(buf, start, (int) length)) {
                return Validity.BAD_OBJECT_PATH.code();
            }
        } else {
            r = Utf8.validate(buf, start, stop);
            if (r < 0) {
                return r;
            }
        }
        pos = stop + 1;
        return 0;
    }

    private int signature() {
        if (pos >= end) {
            return Validity.NOT_ENOUGH_DATA.code();
        }
        int length = buf[pos] & 0xFF;
        int start = pos + 1;
        if (length >= end - start) {
            return Validity.NOT_ENOUGH_DATA.code();
        }
        if (buf[start + length] != 0) {
            return Validity.MISSING_NUL.code();
        }
        if (Signatures.validate(buf, start, length, false) < 0) {
            return Validity.BAD_SIGNATURE.code();
        }
        pos = start + length + 1;
        return 0;
    }
}
