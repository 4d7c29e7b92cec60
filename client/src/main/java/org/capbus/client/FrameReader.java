package org.capbus.client;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Whole frames from the client's transport, through one buffer: each read takes as many bytes as the socket holds,
 * so a burst of frames costs one read rather than two per frame (header, then body). Grows to the longest frame
 * seen. Used by the connecting thread until {@code WELCOME}, then by the event thread only.
 */
final class FrameReader {
    private static final int INITIAL = 64 * 1024;

    private final ClientTransport transport;
    private byte[] data = new byte[INITIAL];
    private int start;
    private int end;

    FrameReader(ClientTransport transport) {
        this.transport = transport;
    }

    /** The next frame, blocking until all of it has arrived. */
    Frame next() throws IOException {
        while (true) {
            int buffered = end - start;
            if (buffered >= Frame.HEADER_LENGTH) {
                long length = Frame.u32(data, start);
                if (length < Frame.HEADER_LENGTH || length > Integer.MAX_VALUE - 8) {
                    throw new IOException("frame length: " + length + " (expected: >= 24)");
                }
                if (buffered >= length) {
                    Frame f = Frame.decode(data, start, (int) length);
                    start += (int) length;
                    if (start == end) {
                        start = end = 0;
                    }
                    return f;
                }
                makeRoom((int) length);
            } else {
                makeRoom(Frame.HEADER_LENGTH);
            }
            int n = transport.read(ByteBuffer.wrap(data, end, data.length - end));
            if (n < 0) {
                throw new EOFException("the bus closed the connection");
            }
            end += n;
        }
    }

    /** Makes room after {@code start} for a frame of {@code length} bytes (and a read beyond it, if it fits). */
    private void makeRoom(int length) {
        if (start + length <= data.length && end < data.length) {
            return;
        }
        if (length > data.length) {
            byte[] bigger = new byte[Math.max(length, data.length * 2)];
            System.arraycopy(data, start, bigger, 0, end - start);
            data = bigger;
        } else {
            System.arraycopy(data, start, data, 0, end - start);
        }
        end -= start;
        start = 0;
        if (data.length > INITIAL && end - start <= INITIAL && length <= INITIAL) {
            data = Arrays.copyOf(data, INITIAL);
        }
    }
}
