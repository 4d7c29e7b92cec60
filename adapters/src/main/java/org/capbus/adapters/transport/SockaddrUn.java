package org.capbus.adapters.transport;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Encoding and decoding of {@code struct sockaddr_un}: a 2-byte family then {@code sun_path[108]}. A path name is
 * NUL-terminated; an abstract name starts with a NUL byte and is exactly as long as the address length says (no
 * terminator), which is how dbus-daemon binds {@code unix:abstract=} so that clients connecting by the same name
 * reach it. Stateless; used when listening, off the data path.
 */
final class SockaddrUn {
    static final int SIZE = 110;
    private static final int PATH_OFFSET = 2;
    private static final int MAX_NAME = 107;

    /** A decoded socket name: {@code abstractName} tells which namespace {@code name} is in; null name if unnamed. */
    record Name(boolean abstractName, String name) {
    }

    private SockaddrUn() {
    }

    /**
     * Writes the address into a new segment of {@code arena}; its {@code byteSize()} is the length to pass to
     * {@code bind}.
     *
     * @throws IllegalArgumentException if the name is longer than {@code sun_path} allows
     */
    static MemorySegment encode(Arena arena, boolean abstractName, String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_NAME) {
            throw new IllegalArgumentException("socket name: " + bytes.length + " bytes (expected: <= " + MAX_NAME
                    + ")");
        }
        // Path: the name plus its NUL. Abstract: a leading NUL plus the name, no terminator.
        int length = PATH_OFFSET + bytes.length + 1;
        MemorySegment address = arena.allocate(length, 2);
        address.set(JAVA_SHORT, 0, (short) Syscalls.AF_UNIX);
        MemorySegment.copy(bytes, 0, address, JAVA_BYTE, PATH_OFFSET + (abstractName ? 1 : 0), bytes.length);
        return address;
    }

    /** The name a socket is bound to ({@code getsockname}), or null if that failed. */
    static Name nameOf(Syscalls syscalls, int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = arena.allocate(SIZE, 2);
            MemorySegment length = arena.allocate(JAVA_INT);
            length.set(JAVA_INT, 0, SIZE);
            if (syscalls.getsockname(fd, address, length) < 0
                    || address.get(JAVA_SHORT, 0) != Syscalls.AF_UNIX) {
                return null;
            }
            int total = Math.min(length.get(JAVA_INT, 0), SIZE);
            if (total <= PATH_OFFSET) {
                return new Name(false, null);
            }
            byte[] path = address.asSlice(PATH_OFFSET, total - PATH_OFFSET).toArray(JAVA_BYTE);
            if (path[0] == 0) {
                return new Name(true, new String(path, 1, path.length - 1, StandardCharsets.UTF_8));
            }
            int end = 0;
            while (end < path.length && path[end] != 0) {
                end++;
            }
            return new Name(false, new String(path, 0, end, StandardCharsets.UTF_8));
        }
    }
}
