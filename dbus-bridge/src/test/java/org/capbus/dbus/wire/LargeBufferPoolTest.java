package org.capbus.dbus.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class LargeBufferPoolTest {

    @Test
    void shouldGiveSmallMessagesExactArraysAndNeverKeepThem() {
        LargeBufferPool pool = new LargeBufferPool(1 << 20);
        byte[] small = pool.allocate(100);
        assertThat(small).hasSize(100);
        pool.release(small);
        assertThat(pool.pooledBytes()).isZero();
    }

    @Test
    void shouldReuseALargeBufferOnceReleased() {
        LargeBufferPool pool = new LargeBufferPool(8 << 20);
        byte[] first = pool.allocate(1_048_600);
        assertThat(first.length).isGreaterThanOrEqualTo(1_048_600).isLessThanOrEqualTo(1_048_600 + 65_536);
        pool.release(first);
        assertThat(pool.pooledBytes()).isEqualTo(first.length);
        byte[] second = pool.allocate(1_048_600);
        assertThat(second).isSameAs(first);
        assertThat(pool.reused()).isEqualTo(1);
        assertThat(pool.allocated()).isEqualTo(1);
        assertThat(pool.pooledBytes()).isZero();
    }

    @Test
    void shouldKeepNoMoreThanItsCapacityNorBuffersItDidNotHandOut() {
        LargeBufferPool pool = new LargeBufferPool(3L << 20);
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            out.add(pool.allocate(1 << 20));
        }
        out.forEach(pool::release);
        assertThat(pool.pooledBytes()).isEqualTo(3L << 20);
        pool.release(new byte[(1 << 20) + 1]);
        assertThat(pool.pooledBytes()).isEqualTo(3L << 20);
    }

    @Test
    void shouldFrameMessagesIntoLongerPooledBuffers() {
        byte[] big = new byte[200_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        byte[] wire = MessageBuilder.methodCall("org.example.S", "/p", "org.example.I", "M").byteArray(big).build(9);
        LargeBufferPool pool = new LargeBufferPool(8 << 20);
        List<DBusMessage> got = new ArrayList<>();
        MessageFramer framer = new MessageFramer(new MessageFramer.Listener() {
            @Override
            public void onMessage(DBusMessage message, int[] fds) {
                got.add(message);
            }

            @Override
            public void onUnknownMessage(DBusMessage message, int[] fds) {
            }

            @Override
            public void onProtocolViolation(Validity reason, DBusMessage message) {
                throw new AssertionError(reason.reason());
            }

            @Override
            public void onIncomingQuotaExceeded(int announcedLength) {
                throw new AssertionError("quota");
            }
        }, WireLimits.MAX_MESSAGE_LENGTH, 16, pool);
        // Two messages, the second into the first's recycled (longer-than-needed) buffer.
        framer.onData(ByteBuffer.wrap(wire));
        pool.release(got.get(0).buffer());
        framer.onData(ByteBuffer.wrap(wire));
        assertThat(got).hasSize(2);
        assertThat(got.get(1).buffer()).isSameAs(got.get(0).buffer());
        DBusMessage m = got.get(1);
        assertThat(m.length()).isEqualTo(wire.length);
        assertThat(m.buffer().length).isGreaterThan(wire.length);
        assertThat(new BodyReader(m).readByteArray()).isEqualTo(big);
    }

    @Test
    void shouldEmptyItselfOnceIdleAndArmNoTimerWhileEmpty() {
        long[] now = {0};
        List<Runnable> timers = new ArrayList<>();
        List<Long> delays = new ArrayList<>();
        LargeBufferPool pool = new LargeBufferPool(8 << 20, (task, millis) -> {
            timers.add(task);
            delays.add(millis);
        }, () -> now[0]);
        byte[] a = pool.allocate(1 << 20);
        byte[] b = pool.allocate(1 << 20);
        assertThat(timers).isEmpty();
        pool.release(a);
        pool.release(b);
        assertThat(timers).hasSize(1); // one check armed, however many buffers come back
        assertThat(delays.get(0)).isEqualTo(LargeBufferPool.IDLE_MILLIS);

        now[0] = 2_000_000_000L; // used again after 2 s: the check at 5 s finds it busy 3 s ago
        assertThat(pool.allocate(1 << 20)).isSameAs(b);
        now[0] = 5_000_000_000L;
        timers.remove(0).run();
        assertThat(pool.pooledBytes()).isEqualTo(a.length);
        assertThat(timers).hasSize(1);
        assertThat(delays.get(1)).isEqualTo(LargeBufferPool.IDLE_MILLIS - 3_000);

        now[0] = 7_000_000_000L; // 5 s after the last use: everything goes
        timers.remove(0).run();
        assertThat(pool.pooledBytes()).isZero();
        assertThat(timers).isEmpty();
        assertThat(pool.allocate(1 << 20)).isNotSameAs(a);
    }
}
