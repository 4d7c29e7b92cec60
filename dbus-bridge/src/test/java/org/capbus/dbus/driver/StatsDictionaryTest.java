package org.capbus.dbus.driver;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.capbus.dbus.wire.BodyReader;
import org.capbus.dbus.wire.DBusMessage;
import org.capbus.dbus.wire.MessageBuilder;
import org.capbus.dbus.wire.Validity;
import org.junit.jupiter.api.Test;

class StatsDictionaryTest {

    /** Reads an a{sv} back as key → (variant signature + ":" + value), in wire order. */
    private static Map<String, String> read(MessageBuilder reply) {
        byte[] bytes = reply.build(1);
        DBusMessage m = new DBusMessage();
        assertThat(m.parse(bytes, bytes.length)).isEqualTo(Validity.VALID);
        assertThat(m.signature()).isEqualTo("a{sv}");
        BodyReader r = new BodyReader(m);
        Map<String, String> values = new LinkedHashMap<>();
        if (r.enterArray()) {
            while (r.hasNextElement()) {
                r.enterDictEntry();
                String key = r.readString();
                String type = r.enterVariant();
                String value = switch (type) {
                    case "u" -> Long.toString(r.readUInt32());
                    case "t" -> Long.toUnsignedString(r.readUInt64());
                    case "s" -> r.readString();
                    default -> throw new AssertionError("unexpected variant type " + type);
                };
                r.exitVariant();
                r.exitDictEntry();
                values.put(key, type + ":" + value);
            }
            r.exitArray();
        }
        assertThat(r.failed()).isFalse();
        return values;
    }

    private static MessageBuilder reply() {
        return MessageBuilder.methodReturn(7, ":1.1").sender("org.freedesktop.DBus");
    }

    @Test
    void shouldWriteKeysInOrderWithTheirTypes() {
        MessageBuilder b = new StatsDictionary(reply())
                .uint32("Serial", 3)
                .string("UniqueName", ":1.5")
                .uint64(StatsDictionary.EXTENSION_PREFIX + "TotalIncomingBytes", 1L << 40)
                .end();

        assertThat(read(b)).containsExactly(
                Map.entry("Serial", "u:3"),
                Map.entry("UniqueName", "s::1.5"),
                Map.entry("org.capbus.Debug.Stats.TotalIncomingBytes", "t:" + (1L << 40)));
    }

    @Test
    void shouldSaturateUInt32ValuesInsteadOfWrapping() {
        MessageBuilder b = new StatsDictionary(reply())
                .uint32("Max", 0xFFFF_FFFFL)
                .uint32("Past", 1L << 33)
                .uint32("Negative", -1)
                .end();

        assertThat(read(b)).containsExactly(
                Map.entry("Max", "u:4294967295"),
                Map.entry("Past", "u:4294967295"),
                Map.entry("Negative", "u:0"));
    }

    @Test
    void shouldWriteAnEmptyDictionary() {
        assertThat(read(new StatsDictionary(reply()).end())).isEmpty();
    }
}
