package org.capbus.dbus.wire;

import java.nio.charset.StandardCharsets;

/**
 * Builds the header the bus forwards in place of the client's: the same fixed header and header fields, in
 * the same byte order, minus any SENDER the client wrote and any field the specification does not define (the
 * bus announces the HeaderFiltering feature: a receiver can trust that fields it knows the bus controls came
 * from the bus), plus SENDER set by the bus (a client never chooses its own sender). The body is not touched: the bus writes the new header and then
 * {@code buffer()[bodyOffset(), bodyOffset() + bodyLength())}, and the body length in the header stays right.
 *
 * <p>Done once per message and shared by every receiver. Stateless; the one allocation is the returned header.
 *
 * <pre>
 * original: | fixed 16 | f1 | SENDER (forged) | f3 | unknown field 77 | f5 | pad | body
 * new:      | fixed 16 | f1 | f3 | f5 | pad | SENDER=name | pad |  + the original body bytes, unchanged
 * </pre>
 * Elements start 8-aligned in both, so the kept elements are copied verbatim as runs between dropped ones.
 */
public final class SenderStitcher {

    private SenderStitcher() {
    }

    /** {@link #stitch(DBusMessage, byte[])} with the name as a String (a bus name, hence ASCII). */
    public static byte[] stitch(DBusMessage message, String sender) {
        return stitch(message, sender.getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * The new header for {@code message} (which parsed as valid) with SENDER = {@code sender}, the name's
     * bytes without terminator, e.g. {@code ":1.42"} pre-encoded once per connection. Returns null if the
     * longer header would take the message over the 128 MiB limit or the field array over 64 MiB; the bus
     * then answers with a LimitsExceeded error instead of forwarding.
     */
    public static byte[] stitch(DBusMessage message, byte[] sender) {
        byte[] src = message.buffer();
        boolean be = message.isBigEndian();
        int fieldsEnd = message.headerFieldsEnd();
        int drops = message.droppedFieldCount();

        // The kept elements, as runs between dropped ones. Every element starts 8-aligned, so a dropped element
        // spans [start, align(end, 8)), clipped to the array's end when it is the last one.
        int kept = fieldsEnd - WireLimits.FIXED_HEADER_LENGTH;
        for (int i = 0; i < drops; i++) {
            kept -= droppedSpanEnd(message, i, fieldsEnd) - message.droppedFieldStart(i);
        }

        // code, signature "s" (length, 's', NUL), string length, bytes, NUL: the 4-byte header makes the u32
        // length land 4-aligned, since the element itself starts 8-aligned.
        int senderField = 4 + 4 + sender.length + 1;
        int keptEnd = WireLimits.FIXED_HEADER_LENGTH + kept;
        int senderStart = WireBytes.align(keptEnd, 8);
        int newFieldsEnd = senderStart + senderField;
        int headerLength = WireBytes.align(newFieldsEnd, 8);
        long total = (long) headerLength + message.bodyLength();
        if (total > WireLimits.MAX_MESSAGE_LENGTH
                || newFieldsEnd - WireLimits.FIXED_HEADER_LENGTH > WireLimits.MAX_ARRAY_LENGTH) {
            return null;
        }

        byte[] h = new byte[headerLength];
        int out;
        if (drops == 0) {
            System.arraycopy(src, 0, h, 0, fieldsEnd);
            out = fieldsEnd;
        } else {
            System.arraycopy(src, 0, h, 0, WireLimits.FIXED_HEADER_LENGTH);
            out = WireLimits.FIXED_HEADER_LENGTH;
            int from = WireLimits.FIXED_HEADER_LENGTH;
            for (int i = 0; i < drops; i++) {
                int cut = message.droppedFieldStart(i);
                System.arraycopy(src, from, h, out, cut - from);
                out += cut - from;
                from = droppedSpanEnd(message, i, fieldsEnd);
            }
            System.arraycopy(src, from, h, out, fieldsEnd - from);
            out += fieldsEnd - from;
        }
        // A kept run may end with a field's value unpadded (the array's last element); the SENDER element starts
        // at the next 8-boundary, and h is zero-filled in between.
        h[senderStart] = HeaderField.SENDER;
        h[senderStart + 1] = 1;
        h[senderStart + 2] = TypeCode.STRING;
        // h[senderStart + 3] is the signature's NUL, already 0
        WireBytes.putInt(h, senderStart + 4, sender.length, be);
        System.arraycopy(sender, 0, h, senderStart + 8, sender.length);
        WireBytes.putInt(h, 12, newFieldsEnd - WireLimits.FIXED_HEADER_LENGTH, be);
        return h;
    }

    private static int droppedSpanEnd(DBusMessage message, int i, int fieldsEnd) {
        return Math.min(WireBytes.align(message.droppedFieldEnd(i), 8), fieldsEnd);
    }
}
