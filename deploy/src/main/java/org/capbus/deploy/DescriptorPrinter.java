package org.capbus.deploy;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes {@code --print-address} and {@code --print-pid} lines to an inherited file descriptor, as dbus-daemon does.
 * Descriptors 1 and 2 are the JVM's own; any other is reached through {@code /proc/self/fd/N} (GTestDBus passes a
 * pipe there).
 */
final class DescriptorPrinter {

    private DescriptorPrinter() {
    }

    /** Writes {@code line} and a newline to descriptor {@code fd}, in one write. */
    static void print(int fd, String line) throws IOException {
        byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
        if (fd == 1 || fd == 2) {
            @SuppressWarnings("resource") // the JVM's own stream: flushed, never closed
            OutputStream out = new FileOutputStream(fd == 1 ? FileDescriptor.out : FileDescriptor.err);
            out.write(bytes);
            out.flush();
            return;
        }
        try (OutputStream out = new FileOutputStream("/proc/self/fd/" + fd, true)) {
            out.write(bytes);
        }
    }

    /** Writes several lines to one descriptor in one write (address then pid, as python-dbusmock reads them). */
    static void print(int fd, String first, String second) throws IOException {
        print(fd, first + "\n" + second);
    }

    /**
     * Prints the address and the pid where {@code --print-address} and {@code --print-pid} asked (a descriptor of
     * -1 means not asked); both on one descriptor are written together, address first, as dbus-daemon does.
     */
    static void printAddressAndPid(int addressFd, String address, int pidFd, String pid) throws IOException {
        if (addressFd >= 0 && addressFd == pidFd) {
            print(addressFd, address, pid);
            return;
        }
        if (addressFd >= 0) {
            print(addressFd, address);
        }
        if (pidFd >= 0) {
            print(pidFd, pid);
        }
    }
}
