package org.capbus.dbus.nativeproto;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

/** {@link NativeFrameWriter}: a delivery's header followed by the shared payload is the frame itself. */
class NativeFrameWriterTest {

    @Test
    void shouldWriteAHeaderThatThePayloadCompletesIntoTheWholeFrame() {
        byte[] payload = "shared by every receiver".getBytes(StandardCharsets.UTF_8);
        byte[] whole = NativeFrameWriter.frame(NativeFrame.MESSAGE, NativeFrame.FLAG_DBUS, 77, new long[] {9},
                new long[] {3, 0}, 2, payload, 0, payload.length);
        byte[] header = NativeFrameWriter.header(NativeFrame.MESSAGE, NativeFrame.FLAG_DBUS, 77, 9, new long[] {3, 0}, 2,
                payload.length);
        byte[] joined = Arrays.copyOf(header, header.length + payload.length);
        System.arraycopy(payload, 0, joined, header.length, payload.length);
        assertThat(joined).isEqualTo(whole);
        assertThat(NativeFrameWriter.getInt(header, NativeFrame.OFFSET_LENGTH)).isEqualTo(whole.length);
    }
}
