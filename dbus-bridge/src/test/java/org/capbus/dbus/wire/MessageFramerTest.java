package org.capbus.dbus.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MessageFramerTest {

    /** Records what the framer reports. */
    private static final class Recorder implements MessageFramer.Listener {
        final List<byte[]> messages = new ArrayList<>();
        final List<int[]> fds = new ArrayList<>();
        final List<byte[]> unknown = new ArrayList<>();
        Validity violation;
        int violations;
        int quotaExceeded = -1;

        @Override
        public void onMessage(DBusMessage message, int[] fds) {
            messages.add(message.buffer());
            this.fds.add(fds);
        }

        @Override
        public void onUnknownMessage(DBusMessage message, int[] fds) {
            unknown.add(message.buffer());
        }

        @Override
        public void onProtocolViolation(Validity reason, DBusMessage message) {
            violation = reason;
            violations++;
        }

        @Override
        public void onIncomingQuotaExceeded(int announcedLength) {
            quotaExceeded = announcedLength;
        }
    }

    /** A fixed header announcing a method call of {@code length} bytes: 16 bytes, the rest never sent. */
    private static byte[] announce(int length) {
        ByteBuffer b = ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'l').put((byte) 1).put((byte) 0).put((byte) 1);
        b.putInt(length - 16);  // body length: the header field array is empty
        b.putInt(1).putInt(0);      // serial, header fields array length 0
        return b.array();
    }

    @Test
    void shouldHoldOnlyWhatArrivedOfAnAnnouncedLargeMessage() {
        Recorder r = new Recorder();
        RecordingBudget budget = new RecordingBudget(Long.MAX_VALUE);
        List<Integer> allocated = new ArrayList<>();
        MessageFramer f = new MessageFramer(r, WireLimits.MAX_MESSAGE_LENGTH, 4, n -> {
            allocated.add(n);
            return new byte[n];
        }, budget);

        f.onData(ByteBuffer.wrap(announce(30 << 20)));
        f.onData(ByteBuffer.wrap(new byte[1000]));

        assertThat(r.violation).isNull();
        assertThat(f.hasPartialMessage()).isTrue();
        assertThat(budget.charged).isEqualTo(MessageFramer.FIRST_BUFFER);
        assertThat(allocated).as("the message-length buffer waits for the bytes").isEmpty();
        f.close();
        assertThat(budget.charged).isZero();
    }

    @Test
    void shouldGiveAMessageUpToTheEagerLimitItsWholeBufferOnceWhenTheBudgetTakesIt() {
        byte[] big = new byte[1 << 20];
        byte[] wire = MessageBuilder.methodCall("org.example.S", "/p", "org.example.I", "M").byteArray(big).build(9);
        Recorder r = new Recorder();
        RecordingBudget budget = new RecordingBudget(Long.MAX_VALUE);
        List<Integer> allocated = new ArrayList<>();
        MessageFramer f = new MessageFramer(r, WireLimits.MAX_MESSAGE_LENGTH, 4, n -> {
            allocated.add(n);
            return new byte[n];
        }, budget);

        f.onData(ByteBuffer.wrap(wire, 0, 16));
        assertThat(allocated).as("one buffer, at the message's length, as the header arrives")
                .containsExactly(wire.length);
        assertThat(budget.charged).isEqualTo(wire.length);
        for (int off = 16; off < wire.length; off += 65536) {
            f.onData(ByteBuffer.wrap(wire, off, Math.min(65536, wire.length - off)));
        }

        assertThat(r.messages).hasSize(1);
        assertThat(r.messages.get(0)).isEqualTo(wire);
        assertThat(allocated).as("no buffer in between: the bytes are copied once").hasSize(1);
        assertThat(budget.charged).isZero();
    }

    @Test
    void shouldOfferTheRestOfALargeMessageForADirectReadAndDeliverItWhenFilled() {
        byte[] big = new byte[1 << 20];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        byte[] wire = MessageBuilder.methodCall("org.example.S", "/p", "org.example.I", "M").byteArray(big).build(9);
        Recorder r = new Recorder();
        RecordingBudget budget = new RecordingBudget(Long.MAX_VALUE);
        MessageFramer f = new MessageFramer(r, WireLimits.MAX_MESSAGE_LENGTH, 4, MessageBuffers.HEAP, budget);

        assertThat(f.directLength()).as("nothing to offer between messages").isZero();
        f.onData(ByteBuffer.wrap(wire, 0, 4000));
        assertThat(f.directLength()).isEqualTo(wire.length - 4000);
        assertThat(f.directOffset()).isEqualTo(4000);
        int filled = 4000;
        while (filled < wire.length) {
            int n = Math.min(200_000, f.directLength());
            System.arraycopy(wire, filled, f.directArray(), f.directOffset(), n);
            f.directFilled(n);
            filled += n;
            if (filled < wire.length - MessageFramer.DIRECT_READ_MIN) {
                assertThat(f.directLength()).isEqualTo(wire.length - filled);
            }
            if (wire.length - filled < MessageFramer.DIRECT_READ_MIN && filled < wire.length) {
                assertThat(f.directLength()).as("a short rest goes through the read buffer").isZero();
                f.onData(ByteBuffer.wrap(wire, filled, wire.length - filled));
                filled = wire.length;
            }
        }

        assertThat(r.violation).isNull();
        assertThat(r.messages).hasSize(1);
        assertThat(r.messages.get(0)).isEqualTo(wire);
        assertThat(budget.charged).isZero();
        assertThat(f.directLength()).isZero();
    }

    @Test
    void shouldOfferNoDirectReadWhileTheDescriptorsAMessageAnnouncesAreMissing() {
        byte[] wire = MessageBuilder.methodCall("org.example.S", "/p", "org.example.I", "M").unixFds(2).unixFd(0)
                .unixFd(1).byteArray(new byte[300_000]).build(9);
        Recorder r = new Recorder();
        MessageFramer f = new MessageFramer(r, WireLimits.MAX_MESSAGE_LENGTH, 4, MessageBuffers.HEAP);

        f.onData(ByteBuffer.wrap(wire, 0, 1000));
        assertThat(f.directLength()).as("descriptors may still come with the next bytes").isZero();
        f.onFds(new int[] {7}, 1);
        assertThat(f.directLength()).isZero();
        f.onFds(new int[] {8}, 1);
        assertThat(f.directLength()).as("all announced descriptors are here").isEqualTo(wire.length - 1000);

        System.arraycopy(wire, 1000, f.directArray(), f.directOffset(), wire.length - 1000);
        f.directFilled(wire.length - 1000);
        assertThat(r.messages).hasSize(1);
        assertThat(r.fds.get(0)).containsExactly(7, 8);
    }

    @Test
    void shouldOfferNoDirectReadBeforeTheHeaderFieldsOrForAGrowingMessage() {
        byte[] wire = MessageBuilder.methodCall("org.example.S", "/p", "org.example.I", "M")
                .byteArray(new byte[300_000]).build(9);
        Recorder r = new Recorder();
        MessageFramer f = new MessageFramer(r, WireLimits.MAX_MESSAGE_LENGTH, 4, MessageBuffers.HEAP);
        f.onData(ByteBuffer.wrap(wire, 0, 20));
        assertThat(f.directLength()).as("the header fields are not all here").isZero();
        f.onData(ByteBuffer.wrap(wire, 20, 1000));
        assertThat(f.directLength()).isEqualTo(wire.length - 1020);

        // Over the eager limit the buffer grows with the bytes: not the message's own array yet.
        byte[] huge = MessageBuilder.methodCall("org.example.S", "/p", "org.example.I", "M")
                .byteArray(new byte[3 << 20]).build(9);
        MessageFramer g = new MessageFramer(new Recorder(), WireLimits.MAX_MESSAGE_LENGTH, 4, MessageBuffers.HEAP);
        g.onData(ByteBuffer.wrap(huge, 0, 1000));
        assertThat(g.directLength()).isZero();
    }

    @Test
    void shouldReadDirectlyIntoAPooledBufferLongerThanTheMessage() {
        byte[] wire = MessageBuilder.methodCall("org.example.S", "/p", "org.example.I", "M")
                .byteArray(new byte[200_000]).build(9);
        Recorder r = new Recorder();
        MessageFramer f = new MessageFramer(r, WireLimits.MAX_MESSAGE_LENGTH, 4, n -> new byte[n + 65536]);

        f.onData(ByteBuffer.wrap(wire, 0, 500));
        assertThat(f.directArray().length).isGreaterThan(wire.length);
        assertThat(f.directLength()).as("up to the message's end, not the buffer's").isEqualTo(wire.length - 500);
        System.arraycopy(wire, 500, f.directArray(), f.directOffset(), wire.length - 500);
        f.directFilled(wire.length - 500);

        assertThat(r.messages).hasSize(1);
        assertThat(java.util.Arrays.copyOf(r.messages.get(0), wire.length)).isEqualTo(wire);
    }

    @Test
    void shouldRefuseADirectReadPastTheMessageOrWhenNoneIsOffered() {
        byte[] wire = MessageBuilder.methodCall("org.example.S", "/p", "org.example.I", "M")
                .byteArray(new byte[200_000]).build(9);
        MessageFramer f = new MessageFramer(new Recorder(), WireLimits.MAX_MESSAGE_LENGTH, 4, MessageBuffers.HEAP);
        f.onData(ByteBuffer.wrap(wire, 0, 500));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> f.directFilled(wire.length))
                .isInstanceOf(IllegalStateException.class);
        f.close();
        assertThat(f.directLength()).as("a closed framer offers nothing").isZero();
    }

    @Test
    void shouldScanTheHeaderFieldsOnceAMessage() {
        // A header may hold many fields (here 1,000 unknown uint32 ones, a valid header) and the transport asks before
        // every read: the count is read once, when the fields are all in, and kept for the message.
        int fields = 1000;
        int fieldsLength = fields * 8;
        int bodyLength = 300_000;
        ByteBuffer b = ByteBuffer.allocate(16 + fieldsLength + bodyLength).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'l').put((byte) 4).put((byte) 0).put((byte) 1).putInt(bodyLength).putInt(1).putInt(fieldsLength);
        for (int i = 0; i < fields; i++) {
            b.put((byte) 200).put((byte) 1).put((byte) 'u').put((byte) 0).putInt(i);
        }
        byte[] wire = b.array();
        MessageFramer f = new MessageFramer(new Recorder(), WireLimits.MAX_MESSAGE_LENGTH, 4, MessageBuffers.HEAP);
        f.onData(ByteBuffer.wrap(wire, 0, 16 + fieldsLength / 2));
        assertThat(f.directLength()).as("fields not all here").isZero();
        f.onData(ByteBuffer.wrap(wire, 16 + fieldsLength / 2, fieldsLength / 2 + 10));
        assertThat(f.directLength()).isEqualTo(wire.length - 16 - fieldsLength - 10);

        // Spoil the first field in the buffer: a second scan would no longer tell the count (-1, no direct read).
        f.directArray()[17] = 2;
        assertThat(DBusMessage.announcedUnixFds(f.directArray(), f.directOffset())).isEqualTo(-1);
        assertThat(f.directLength()).as("the count read once is kept").isEqualTo(wire.length - 16 - fieldsLength - 10);
    }

    @Test
    void shouldNotTellTheDescriptorCountFromOddOrTruncatedFields() {
        ByteBuffer v = ByteBuffer.allocate(32).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        // one field with a variant-typed value: not one of the specification's one-letter basic types
        v.put((byte) 'l').put((byte) 1).put((byte) 0).put((byte) 1).putInt(0).putInt(1).putInt(8);
        v.put((byte) 9).put((byte) 1).put((byte) 'v').put((byte) 0).putInt(0);
        assertThat(DBusMessage.announcedUnixFds(v.array(), 24)).isEqualTo(-1);

        ByteBuffer s = ByteBuffer.allocate(32).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        // a string whose length runs past the fields
        s.put((byte) 'l').put((byte) 1).put((byte) 0).put((byte) 1).putInt(0).putInt(1).putInt(12);
        s.put((byte) 1).put((byte) 1).put((byte) 'o').put((byte) 0).putInt(0x7FFF_FFFF).putInt(0);
        assertThat(DBusMessage.announcedUnixFds(s.array(), 28)).isEqualTo(-1);

        ByteBuffer g = ByteBuffer.allocate(32).order(java.nio.ByteOrder.BIG_ENDIAN);
        // a signature field cut short, big-endian, then UNIX_FDS = 0xFFFFFFFF
        g.put((byte) 'B').put((byte) 1).put((byte) 0).put((byte) 1).putInt(0).putInt(1).putInt(16);
        g.put((byte) 8).put((byte) 1).put((byte) 'g').put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0)
                .put((byte) 0);
        g.put((byte) 9).put((byte) 1).put((byte) 'u').put((byte) 0).putInt(-1);
        assertThat(DBusMessage.announcedUnixFds(g.array(), 32)).isEqualTo(Integer.MAX_VALUE);
        assertThat(DBusMessage.announcedUnixFds(g.array(), 30)).as("fields not all here").isEqualTo(-1);
    }

    @Test
    void shouldReadTheAnnouncedDescriptorCountFromTheHeaderFields() {
        byte[] none = MessageBuilder.methodCall("org.example.S", "/p", "org.example.I", "M").string("x").build(3);
        byte[] three = MessageBuilder.signal("/p", "org.example.I", "M").unixFds(3).build(3);
        byte[] big = MessageBuilder.methodCall("org.example.S", "/p", "org.example.I", "M").unixFds(1).bigEndian()
                .build(3);
        assertThat(DBusMessage.announcedUnixFds(none, none.length)).isZero();
        assertThat(DBusMessage.announcedUnixFds(three, three.length)).isEqualTo(3);
        assertThat(DBusMessage.announcedUnixFds(big, big.length)).isEqualTo(1);
        assertThat(DBusMessage.announcedUnixFds(three, 24)).as("fields not all here").isEqualTo(-1);
    }

    @Test
    void shouldGrowWithTheBytesAndRefundTheChargeAtDelivery() {
        byte[] big = new byte[300_000];
        byte[] wire = MessageBuilder.methodCall("org.example.S", "/p", "org.example.I", "M").byteArray(big).build(9);
        for (int chunk : new int[] {1000, 65536, 100_000, wire.length}) {
            Recorder r = new Recorder();
            RecordingBudget budget = new RecordingBudget(Long.MAX_VALUE);
            MessageFramer f = new MessageFramer(r, WireLimits.MAX_MESSAGE_LENGTH, 4, MessageBuffers.HEAP, budget);
            for (int off = 0; off < wire.length; off += chunk) {
                f.onData(ByteBuffer.wrap(wire, off, Math.min(chunk, wire.length - off)));
            }
            assertThat(r.messages).hasSize(1);
            assertThat(r.messages.get(0)).isEqualTo(wire);
            assertThat(budget.charged).isZero();
            assertThat(budget.peak).isEqualTo(wire.length);
        }
    }

    @Test
    void shouldStopWhenTheBudgetRefusesTheBytesOfAMessage() {
        Recorder r = new Recorder();
        RecordingBudget budget = new RecordingBudget(100_000);
        MessageFramer f = new MessageFramer(r, WireLimits.MAX_MESSAGE_LENGTH, 4, MessageBuffers.HEAP, budget);
        f.onData(ByteBuffer.wrap(announce(1 << 20)));
        assertThat(r.quotaExceeded).isEqualTo(-1);
        assertThat(budget.charged).as("the whole message does not fit the budget: it grows with its bytes")
                .isEqualTo(MessageFramer.FIRST_BUFFER);
        f.onData(ByteBuffer.wrap(new byte[70_000]));

        assertThat(r.quotaExceeded).isEqualTo(1 << 20);
        assertThat(r.violations).isZero();
        assertThat(f.isDead()).isTrue();
        assertThat(budget.charged).isZero();
        f.onData(ByteBuffer.wrap(new byte[70_000]));
        assertThat(r.messages).isEmpty();
    }

    private static List<byte[]> sampleMessages() {
        return List.of(
                MessageBuilder.methodCall("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                        "Hello").build(1),
                MessageBuilder.signal("/a", "a.b", "S").string("x".repeat(100)).build(2),
                MessageBuilder.methodReturn(7, ":1.1").bigEndian().beginArray("{sv}").beginDictEntry().string("k")
                        .variantUInt32(1).endDictEntry().endArray().build(3),
                MessageBuilder.error(2, null, "a.b.Error").build(4));
    }

    private static byte[] concat(List<byte[]> messages) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        messages.forEach(out::writeBytes);
        return out.toByteArray();
    }

    private static MessageFramer framer(Recorder r) {
        return new MessageFramer(r, WireLimits.MAX_MESSAGE_LENGTH, 64);
    }

    @Test
    void shouldFrameStreamSplitAtEveryBoundary() {
        List<byte[]> sent = sampleMessages();
        byte[] stream = concat(sent);
        for (int split = 0; split <= stream.length; split++) {
            Recorder r = new Recorder();
            MessageFramer f = framer(r);

            f.onData(ByteBuffer.wrap(stream, 0, split));
            f.onData(ByteBuffer.wrap(stream, split, stream.length - split));

            assertThat(r.violation).isNull();
            assertThat(r.messages).hasSize(sent.size());
            for (int i = 0; i < sent.size(); i++) {
                assertThat(r.messages.get(i)).isEqualTo(sent.get(i));
            }
            assertThat(f.hasPartialMessage()).isFalse();
        }
    }

    @Test
    void shouldFrameStreamFedOneByteAtATime() {
        List<byte[]> sent = sampleMessages();
        byte[] stream = concat(sent);
        Recorder r = new Recorder();
        MessageFramer f = framer(r);

        for (int i = 0; i < stream.length; i++) {
            ByteBuffer one = ByteBuffer.wrap(stream, i, 1);
            f.onData(one);
            assertThat(one.hasRemaining()).isFalse();
        }

        assertThat(r.messages).hasSize(sent.size());
        assertThat(concat(r.messages)).isEqualTo(stream);
        assertThat(f.hasPartialMessage()).isFalse();
    }

    @Test
    void shouldHandOutFdsInArrivalOrderByUnixFdsCount() {
        byte[] two = MessageBuilder.methodCall(":1.2", "/p", null, "Take").unixFds(2).unixFd(0).unixFd(1).build(1);
        byte[] none = MessageBuilder.methodCall(":1.2", "/p", null, "Plain").build(2);
        byte[] one = MessageBuilder.methodCall(":1.2", "/p", null, "Take").unixFds(1).unixFd(0).build(3);
        Recorder r = new Recorder();
        MessageFramer f = framer(r);

        f.onFds(new int[] {10, 11, 12, 99}, 3);
        f.onData(ByteBuffer.wrap(concat(List.of(two, none, one))));

        assertThat(r.violation).isNull();
        assertThat(r.fds).hasSize(3);
        assertThat(r.fds.get(0)).containsExactly(10, 11);
        assertThat(r.fds.get(1)).isEmpty();
        assertThat(r.fds.get(2)).containsExactly(12);
        assertThat(f.queuedFds()).isZero();
    }

    @Test
    void shouldKeepUnclaimedFdsForDraining() {
        Recorder r = new Recorder();
        MessageFramer f = framer(r);

        f.onFds(new int[] {5, 6}, 2);
        f.onData(ByteBuffer.wrap(MessageBuilder.methodCall(null, "/", null, "M").build(1)));

        assertThat(f.queuedFds()).isEqualTo(2);
        assertThat(f.drainFds()).containsExactly(5, 6);
        assertThat(f.queuedFds()).isZero();
    }

    @Test
    void shouldRejectMessageClaimingMoreFdsThanReceived() {
        Recorder r = new Recorder();
        MessageFramer f = framer(r);

        f.onFds(new int[] {3}, 1);
        f.onData(ByteBuffer.wrap(MessageBuilder.methodCall(null, "/", null, "M").unixFds(2).build(1)));

        assertThat(r.violation).isEqualTo(Validity.MISSING_UNIX_FDS);
        assertThat(r.messages).isEmpty();
        assertThat(f.drainFds()).containsExactly(3);
    }

    @Test
    void shouldRejectTooManyQueuedFds() {
        Recorder r = new Recorder();
        MessageFramer f = new MessageFramer(r, 1024, 4);

        f.onFds(new int[] {1, 2, 3, 4, 5}, 5);

        assertThat(r.violation).isEqualTo(Validity.TOO_MANY_UNIX_FDS);
        assertThat(f.drainFds()).containsExactly(1, 2, 3, 4, 5);
    }

    @Test
    void shouldTakeTheNextMessagesFdsInTheReadThatEndsTheCurrentOne() {
        // max_message_unix_fds 2: the kernel may hand the end of the first message and the start of the second, with
        // its descriptors, to one read, while the first's are still queued. dbus-daemon never reads so (it reads only
        // the rest of a message while it holds descriptors), so it serves this client: so must the framer.
        Recorder r = new Recorder();
        MessageFramer f = new MessageFramer(r, 1024, 2);
        byte[] first = MessageBuilder.methodCall(null, "/", null, "A").unixFd(0).unixFd(1).unixFds(2).build(1);
        byte[] second = MessageBuilder.methodCall(null, "/", null, "B").unixFd(0).unixFd(1).unixFds(2).build(2);

        f.onFds(new int[] {1, 2}, 2);
        f.onData(ByteBuffer.wrap(first, 0, 20));
        f.onFds(new int[] {3, 4}, 2);
        f.onData(ByteBuffer.wrap(concat(List.of(java.util.Arrays.copyOfRange(first, 20, first.length), second))));

        assertThat(r.violation).isNull();
        assertThat(r.fds).containsExactly(new int[] {1, 2}, new int[] {3, 4});
    }

    @Test
    void shouldRejectFdsLeftWaitingBeyondTheLimitOnceAReadIsDone() {
        Recorder r = new Recorder();
        MessageFramer f = new MessageFramer(r, 1024, 2);
        byte[] m = MessageBuilder.methodCall(null, "/", null, "M").unixFd(0).unixFds(1).build(1);

        f.onFds(new int[] {1, 2}, 2);
        f.onData(ByteBuffer.wrap(m, 0, 1));
        assertThat(r.violation).isNull();
        f.onFds(new int[] {3}, 1);
        f.onData(ByteBuffer.wrap(m, 1, 1));

        assertThat(r.violation).isEqualTo(Validity.TOO_MANY_UNIX_FDS);
        assertThat(f.drainFds()).containsExactly(1, 2, 3);
    }

    @Test
    void shouldRejectAMessageClaimingMoreFdsThanTheLimitOverSeveralReads() {
        Recorder r = new Recorder();
        MessageFramer f = new MessageFramer(r, 1024, 2);
        byte[] m = MessageBuilder.methodCall(null, "/", null, "M").unixFd(0).unixFds(3).build(1);

        f.onFds(new int[] {1, 2}, 2);
        f.onData(ByteBuffer.wrap(m, 0, 20));
        f.onFds(new int[] {3}, 1);
        f.onData(ByteBuffer.wrap(m, 20, m.length - 20));

        assertThat(r.violation).isEqualTo(Validity.UNIX_FDS_OVER_LIMIT);
        assertThat(r.messages).isEmpty();
    }

    @Test
    void shouldRejectOversizedFrameBeforeAllocating() {
        Recorder r = new Recorder();
        MessageFramer f = new MessageFramer(r, 64, 0);
        byte[] big = MessageBuilder.signal("/a", "a.b", "S").string("x".repeat(100)).build(1);

        // only the fixed header is needed to refuse it
        f.onData(ByteBuffer.wrap(big, 0, 16));

        assertThat(r.violation).isEqualTo(Validity.TOO_LARGE);
        assertThat(f.isDead()).isTrue();
    }

    @Test
    void shouldReportViolationOnceAndIgnoreLaterInput() {
        Recorder r = new Recorder();
        MessageFramer f = framer(r);
        byte[] bad = MessageBuilder.methodCall(null, "/", null, "M").build(1);
        bad[3] = 2;

        ByteBuffer data = ByteBuffer.wrap(concat(List.of(bad, MessageBuilder.methodCall(null, "/", null, "M")
                .build(2))));
        f.onData(data);
        f.onData(ByteBuffer.wrap(MessageBuilder.methodCall(null, "/", null, "M").build(3)));

        assertThat(r.violation).isEqualTo(Validity.BAD_VERSION);
        assertThat(r.violations).isEqualTo(1);
        assertThat(r.messages).isEmpty();
        assertThat(data.hasRemaining()).isFalse();
    }

    @Test
    void shouldReportInvalidBodyAsViolation() {
        Recorder r = new Recorder();
        MessageFramer f = framer(r);
        byte[] m = MessageBuilder.methodCall(null, "/", null, "M").bool(true).build(1);
        m[m.length - 4] = 2; // little-endian boolean 2

        f.onData(ByteBuffer.wrap(m));

        assertThat(r.violation).isEqualTo(Validity.BAD_BOOLEAN);
    }

    @Test
    void shouldPassUnknownTypesAsIgnorable() {
        Recorder r = new Recorder();
        MessageFramer f = framer(r);

        f.onData(ByteBuffer.wrap(new RawFrame(false).type(7).build()));
        f.onData(ByteBuffer.wrap(MessageBuilder.methodCall(null, "/", null, "M").build(2)));

        assertThat(r.violation).isNull();
        assertThat(r.unknown).hasSize(1);
        assertThat(r.messages).hasSize(1);
    }
}
