package org.capbus.adapters.transport;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class OutboundBufferTest {

    @Test
    void shouldRefuseToLendWhenDescriptorsWaitForTheNextByte() {
        OutboundBuffer buffer = new OutboundBuffer();
        AtomicInteger done = new AtomicInteger();
        buffer.append(new byte[] {1, 2, 3}, 0, 3);
        // Descriptor numbers nobody owns: release() closes them, harmlessly (EBADF).
        buffer.attach(new int[] {1_000_001}, 1);
        assertThat(buffer.lend(new byte[100], 0, 100, done::incrementAndGet)).isFalse();
        buffer.append(new byte[] {4}, 0, 1);
        assertThat(buffer.lend(new byte[100], 0, 100, done::incrementAndGet)).isTrue();
        assertThat(buffer.pendingBytes()).isEqualTo(104);
        buffer.release(new Syscalls());
        assertThat(done.get()).isEqualTo(1);
        assertThat(buffer.pendingBytes()).isZero();
    }

    @Test
    void shouldSnapshotLentBodiesAtTheirStreamPositionsWithAttachmentOffsetsInThatStream() {
        Syscalls syscalls = new Syscalls();
        OutboundBuffer buffer = new OutboundBuffer();
        AtomicInteger done = new AtomicInteger();
        byte[] small = new byte[120];
        Arrays.fill(small, (byte) 7);
        byte[] large = new byte[70_000]; // a lent large body (>= 64 KiB)
        Arrays.fill(large, (byte) 9);
        int fd = syscalls.socket(Syscalls.AF_UNIX, Syscalls.SOCK_STREAM | Syscalls.SOCK_CLOEXEC, 0);
        assertThat(fd).isGreaterThanOrEqualTo(0);

        buffer.append(new byte[] {1, 2, 3}, 0, 3);
        assertThat(buffer.lend(small, 10, 100, done::incrementAndGet)).isTrue();
        buffer.attach(new int[] {fd}, 1); // owned by the buffer from here on
        buffer.append(new byte[] {4, 5}, 0, 2);
        assertThat(buffer.lend(large, 0, large.length, done::incrementAndGet)).isTrue();
        buffer.append(new byte[] {6}, 0, 1);

        TransportImage.Pending pending = buffer.snapshot(syscalls);

        byte[] expected = new byte[3 + 100 + 2 + 70_000 + 1];
        expected[0] = 1;
        expected[1] = 2;
        expected[2] = 3;
        Arrays.fill(expected, 3, 103, (byte) 7);
        expected[103] = 4;
        expected[104] = 5;
        Arrays.fill(expected, 105, 70_105, (byte) 9);
        expected[70_105] = 6;
        assertThat(pending.bytes()).isEqualTo(expected);
        // The descriptors go with byte 4, which follows the first lending in the stream.
        assertThat(pending.attachedAt()).containsExactly(103L);
        assertThat(pending.attachedFds()).hasDimensions(1, 1);
        int duplicate = pending.attachedFds()[0][0];
        assertThat(duplicate).isNotEqualTo(fd).isGreaterThanOrEqualTo(3);
        assertThat(syscalls.close(duplicate)).isZero();
        // A snapshot changes nothing: the lendings are still queued, their lenders not yet told.
        assertThat(done.get()).isZero();
        assertThat(buffer.pendingBytes()).isEqualTo(expected.length);

        buffer.release(syscalls);
        assertThat(done.get()).isEqualTo(2);
    }
}
