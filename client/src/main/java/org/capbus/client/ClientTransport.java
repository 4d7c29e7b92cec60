package org.capbus.client;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The client's socket: blocking reads on the event thread, whole writes under the client's write lock. Descriptors
 * received with the bytes wait in arrival order until a frame claims them. Made by {@link ClientTransports}.
 */
interface ClientTransport extends Closeable {

    /** Reads some bytes into {@code dst}, blocking; -1 at the end of the stream. */
    int read(ByteBuffer dst) throws IOException;

    /** Writes all of {@code src}, with {@code fds} sent along with its first byte. */
    void write(ByteBuffer src, int[] fds) throws IOException;

    /** The first {@code count} descriptors received and not yet taken (fewer if fewer arrived). */
    int[] takeFds(int count);

    /** Whether descriptors can be passed (Java 22+). */
    boolean passesFds();

    /** Closes a descriptor this process received. */
    void closeFd(int fd);
}
