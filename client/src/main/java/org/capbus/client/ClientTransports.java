package org.capbus.client;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * Opens the client's transport. This is the Java 17 version: the JDK's unix-domain {@link SocketChannel}, which
 * cannot pass descriptors. The jar's Java 22 layer ({@code META-INF/versions/22}) replaces this class with one that
 * opens a socket through the Foreign Function &amp; Memory API and passes descriptors with {@code SCM_RIGHTS}.
 */
final class ClientTransports {
    private ClientTransports() {
    }

    static ClientTransport open(UnixDomainSocketAddress address) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(address);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        return new ChannelTransport(ch);
    }

    /** The JDK channel: no descriptors (the kernel closes any that arrive, since no control buffer is given). */
    static final class ChannelTransport implements ClientTransport {
        private final SocketChannel channel;

        ChannelTransport(SocketChannel channel) {
            this.channel = channel;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return channel.read(dst);
        }

        @Override
        public void write(ByteBuffer src, int[] fds) throws IOException {
            if (fds.length > 0) {
                throw new UnsupportedOperationException(unsupported());
            }
            while (src.hasRemaining()) {
                channel.write(src);
            }
        }

        @Override
        public int[] takeFds(int count) {
            return new int[0];
        }

        @Override
        public boolean passesFds() {
            return false;
        }

        @Override
        public void closeFd(int fd) {
            throw new UnsupportedOperationException(unsupported());
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    static String unsupported() {
        return "passing file descriptors needs Java 22 or later (the Foreign Function & Memory API); this is Java "
                + Runtime.version().feature();
    }
}
