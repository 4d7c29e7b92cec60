package org.capbus.adapters.transport;

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
}
