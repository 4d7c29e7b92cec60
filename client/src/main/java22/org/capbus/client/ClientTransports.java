package org.capbus.client;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;

/**
 * Opens the client's transport: the Java 22+ version (the jar's {@code META-INF/versions/22} layer), a unix socket
 * opened and read through the Foreign Function &amp; Memory API so that descriptors travel with {@code SCM_RIGHTS}.
 */
final class ClientTransports {
    private ClientTransports() {
    }

    static ClientTransport open(UnixDomainSocketAddress address) throws IOException {
        return FfmTransport.connect(address.getPath().toString());
    }

    static String unsupported() {
        return "descriptors could not be passed";
    }
}
