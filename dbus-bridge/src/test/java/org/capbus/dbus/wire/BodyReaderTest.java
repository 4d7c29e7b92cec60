package org.capbus.dbus.wire;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BodyReaderTest {

    private static DBusMessage message(MessageBuilder b) {
        byte[] bytes = b.build(1);
        DBusMessage m = new DBusMessage();
        assertThat(m.parse(bytes, bytes.length)).isEqualTo(Validity.VALID);
        return m;
    }

    @Test
    void shouldFailOnTypeMismatchAndStayFailed() {
        BodyReader r = new BodyReader(message(MessageBuilder.methodCall(null, "/", null, "M").string("n").uint32(1)));

        assertThat(r.readUInt32()).isZero();
        assertThat(r.failed()).isTrue();
        assertThat(r.readString()).isNull();
        assertThat(r.readStringList()).isNull();
    }

    @Test
    void shouldFailWhenReadingPastTheEnd() {
        BodyReader r = new BodyReader(message(MessageBuilder.methodCall(null, "/", null, "M").string("name")));

        assertThat(r.readString()).isEqualTo("name");
        assertThat(r.nextType()).isZero();
        assertThat(r.readUInt32()).isZero();
        assertThat(r.failed()).isTrue();
    }

    @Test
    void shouldReadDriverStyleArguments() {
        // RequestName(su) and UpdateActivationEnvironment(a{ss})
        BodyReader r = new BodyReader(message(MessageBuilder.methodCall("org.freedesktop.DBus",
                "/org/freedesktop/DBus", "org.freedesktop.DBus", "RequestName").string("com.example").uint32(4)));
        assertThat(r.readString()).isEqualTo("com.example");
        assertThat(r.readUInt32()).isEqualTo(4);
        assertThat(r.failed()).isFalse();

        BodyReader env = new BodyReader(message(MessageBuilder.methodCall(null, "/", null, "M").beginArray("{ss}")
                .beginDictEntry().string("A").string("1").endDictEntry()
                .beginDictEntry().string("B").string("2").endDictEntry().endArray()));
        StringBuilder seen = new StringBuilder();
        env.enterArray();
        while (env.hasNextElement()) {
            env.enterDictEntry();
            seen.append(env.readString()).append('=').append(env.readString()).append(';');
            env.exitDictEntry();
        }
        env.exitArray();
        assertThat(seen).hasToString("A=1;B=2;");
        assertThat(env.failed()).isFalse();
    }

    @Test
    void shouldSkipAnyValue() {
        BodyReader r = new BodyReader(message(MessageBuilder.methodCall(null, "/", null, "M")
                .beginArray("(sv)").beginStruct().string("x").variantStringArray(java.util.List.of("q")).endStruct()
                .endArray().beginVariant("ay").byteArray(new byte[] {1, 2}).endVariant().doubleValue(2.0)));

        r.skip();
        r.skip();
        assertThat(r.readDouble()).isEqualTo(2.0);
        assertThat(r.failed()).isFalse();
    }
}
