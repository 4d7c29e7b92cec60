package org.capbus.dbus.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Round trips: builder output parsed back and read with {@link BodyReader}, in both byte orders. */
class MessageBuilderTest {

    private static MessageBuilder order(MessageBuilder b, boolean be) {
        return be ? b.bigEndian() : b;
    }

    private static DBusMessage parse(byte[] bytes) {
        DBusMessage m = new DBusMessage();
        assertThat(m.parse(bytes, bytes.length)).isEqualTo(Validity.VALID);
        return m;
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldRoundTripEveryBasicType(boolean be) {
        byte[] bytes = order(MessageBuilder.methodCall("org.example.S", "/obj", "org.example.I", "Call"), be)
                .unixFds(3)
                .byteValue(0xFE).bool(true).bool(false).int16((short) -2).uint16(0xFFFE).int32(-3).uint32(0xFFFF_FFFDL)
                .int64(Long.MIN_VALUE).uint64(-1L).doubleValue(-1.5).string("strïng").objectPath("/a/b")
                .signature("a{sv}").unixFd(2)
                .build(9);

        DBusMessage m = parse(bytes);
        assertThat(m.isBigEndian()).isEqualTo(be);
        assertThat(bytes[0]).isEqualTo(be ? (byte) 'B' : (byte) 'l');
        assertThat(m.signature()).isEqualTo("ybbnqiuxtdsogh");
        assertThat(m.unixFds()).isEqualTo(3);
        assertThat(m.destination()).isEqualTo("org.example.S");
        assertThat(m.interfaceName()).isEqualTo("org.example.I");
        BodyReader r = new BodyReader(m);
        assertThat(r.readByte()).isEqualTo(0xFE);
        assertThat(r.readBoolean()).isTrue();
        assertThat(r.readBoolean()).isFalse();
        assertThat(r.readInt16()).isEqualTo((short) -2);
        assertThat(r.readUInt16()).isEqualTo(0xFFFE);
        assertThat(r.readInt32()).isEqualTo(-3);
        assertThat(r.readUInt32()).isEqualTo(0xFFFF_FFFDL);
        assertThat(r.readInt64()).isEqualTo(Long.MIN_VALUE);
        assertThat(r.readUInt64()).isEqualTo(-1L);
        assertThat(r.readDouble()).isEqualTo(-1.5);
        assertThat(r.readString()).isEqualTo("strïng");
        assertThat(r.readObjectPath()).isEqualTo("/a/b");
        assertThat(r.readSignature()).isEqualTo("a{sv}");
        assertThat(r.readUnixFd()).isEqualTo(2);
        assertThat(r.hasNext()).isFalse();
        assertThat(r.failed()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldRoundTripContainers(boolean be) {
        byte[] bytes = order(MessageBuilder.methodReturn(5, ":1.3"), be)
                .sender("org.freedesktop.DBus")
                .stringArray(List.of("a", "bb", ""))
                .byteArray(new byte[] {1, 2, 3})
                .beginArray("{sv}")
                .beginDictEntry().string("UnixUserID").variantUInt32(1000).endDictEntry()
                .beginDictEntry().string("Name").variantString("x").endDictEntry()
                .beginDictEntry().string("Flag").variantBoolean(true).endDictEntry()
                .beginDictEntry().string("Groups").variantStringArray(List.of("g1", "g2")).endDictEntry()
                .beginDictEntry().string("Label").variantByteArray(new byte[] {9}).endDictEntry()
                .endArray()
                .beginStruct().int32(7).beginVariant("(sx)").beginStruct().string("in").int64(8).endStruct()
                .endVariant().endStruct()
                .beginArray("at").endArray()
                .build(6);

        DBusMessage m = parse(bytes);
        assertThat(m.signature()).isEqualTo("asaya{sv}(iv)aat");
        assertThat(m.replySerial()).isEqualTo(5);
        assertThat(m.sender()).isEqualTo("org.freedesktop.DBus");
        BodyReader r = new BodyReader(m);
        assertThat(r.readStringList()).containsExactly("a", "bb", "");
        assertThat(r.readByteArray()).containsExactly(1, 2, 3);
        assertThat(r.enterArray()).isTrue();
        assertThat(r.hasNextElement()).isTrue();
        assertThat(r.enterDictEntry()).isTrue();
        assertThat(r.readString()).isEqualTo("UnixUserID");
        assertThat(r.enterVariant()).isEqualTo("u");
        assertThat(r.readUInt32()).isEqualTo(1000);
        r.exitVariant();
        r.exitDictEntry();
        assertThat(r.hasNextElement()).isTrue();
        r.enterDictEntry();
        assertThat(r.readString()).isEqualTo("Name");
        r.exitDictEntry(); // skips the unread variant
        assertThat(r.hasNextElement()).isTrue();
        r.enterDictEntry();
        assertThat(r.readString()).isEqualTo("Flag");
        assertThat(r.enterVariant()).isEqualTo("b");
        assertThat(r.readBoolean()).isTrue();
        r.exitVariant();
        r.exitDictEntry();
        assertThat(r.hasNextElement()).isTrue();
        r.enterDictEntry();
        r.skip();
        assertThat(r.enterVariant()).isEqualTo("as");
        assertThat(r.readStringList()).containsExactly("g1", "g2");
        r.exitVariant();
        r.exitDictEntry();
        assertThat(r.hasNextElement()).isTrue();
        r.enterDictEntry();
        r.exitDictEntry();
        assertThat(r.hasNextElement()).isFalse();
        r.exitArray();
        assertThat(r.enterStruct()).isTrue();
        assertThat(r.readInt32()).isEqualTo(7);
        assertThat(r.enterVariant()).isEqualTo("(sx)");
        r.enterStruct();
        assertThat(r.readString()).isEqualTo("in");
        assertThat(r.readInt64()).isEqualTo(8);
        r.exitStruct();
        r.exitVariant();
        r.exitStruct();
        assertThat(r.enterArray()).isTrue();
        assertThat(r.hasNextElement()).isFalse();
        r.exitArray();
        assertThat(r.hasNext()).isFalse();
        assertThat(r.failed()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldBuildErrorsAndSignals(boolean be) {
        DBusMessage error = parse(order(MessageBuilder.error(3, ":1.1", "org.freedesktop.DBus.Error.ServiceUnknown"),
                be).string("no such name").build(4));
        assertThat(error.type()).isEqualTo(MessageType.ERROR);
        assertThat(error.errorName()).isEqualTo("org.freedesktop.DBus.Error.ServiceUnknown");
        assertThat(error.stringArg(0)).isEqualTo("no such name");

        DBusMessage signal = parse(order(MessageBuilder.signal("/org/freedesktop/DBus", "org.freedesktop.DBus",
                "NameOwnerChanged"), be).sender("org.freedesktop.DBus").string("a.b").string("").string(":1.4")
                .noReplyExpected().build(5));
        assertThat(signal.type()).isEqualTo(MessageType.SIGNAL);
        assertThat(signal.hasFlag(MessageFlag.NO_REPLY_EXPECTED)).isTrue();
        assertThat(signal.stringArg(2)).isEqualTo(":1.4");
        assertThat(signal.destination()).isNull();

        DBusMessage empty = parse(order(MessageBuilder.methodReturn(8, null), be).build(9));
        assertThat(empty.bodyLength()).isZero();
        assertThat(empty.signature()).isEmpty();
        assertThat(empty.hasField(HeaderField.SIGNATURE)).isFalse();
    }

    @Test
    void shouldRejectMisuse() {
        assertThatThrownBy(() -> MessageBuilder.methodReturn(0, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MessageBuilder.methodReturn(1, null).build(0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MessageBuilder.methodReturn(1, null).beginArray("s").build(1))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> MessageBuilder.methodReturn(1, null).beginStruct().endArray())
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> MessageBuilder.methodReturn(1, null).beginDictEntry())
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> MessageBuilder.methodReturn(1, null).string("x").bigEndian())
                .isInstanceOf(IllegalStateException.class);
    }
}
