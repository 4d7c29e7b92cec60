package org.capbus.adapters.transport;

import java.lang.invoke.MethodHandles;

/**
 * The transport's one-time start-up work, begun on threads of its own as soon as the daemon knows it will run a bus,
 * so that it overlaps what the daemon does meanwhile on its main thread (reading its configuration file and the user
 * database).
 *
 * <p>Why (docs/performance.md, start-up): before the address could be printed, the main thread used to spend, one
 * after the other, ~55 ms parsing the configuration, ~65 ms binding the libc functions (the JDK generates and links
 * the downcall stubs and their method-handle adapters, running its class-file generator in the interpreter: the AOT
 * cache keeps none of that) and ~45 ms in netty's epoll initialisation (its native library, {@code PlatformDependent}'s
 * probing). None depends on another.
 *
 * <p>What is begun is class initialisation, which needs no hand-over: the JVM runs a class's initialiser once, and a
 * thread that needs the class meanwhile waits for it to finish. {@link UnixTransport#start} therefore joins nothing
 * and meets the same failure it would have met alone (an initialiser that throws here leaves its class unusable, and
 * the transport's own use of it then reports this failure as its cause). The classes initialised here initialise
 * nothing of the daemon's, and the two threads share no class, so no two initialisers can wait on each other.
 */
public final class TransportPreparation {
    /** netty's classes whose initialisers do its epoll set-up: the native library, then the loop's own. */
    private static final String[] NETTY_CLASSES = {
            "io.netty.channel.epoll.Epoll",
            "io.netty.channel.epoll.EpollIoHandler",
            "io.netty.channel.MultiThreadIoEventLoopGroup",
    };

    private TransportPreparation() {
    }

    /** Starts the preparation threads and returns at once; they end when their work is done. */
    public static void begin() {
        start("capbus-prepare-libc", TransportPreparation::bindLibc);
        start("capbus-prepare-epoll", TransportPreparation::loadEpoll);
    }

    private static void bindLibc() {
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        // None of these touches netty, whose classes the other thread initialises: no two initialisers can wait on
        // each other.
        for (Class<?> c : new Class<?>[] {Syscalls.class, SocketMessage.class, PeerCredentialsReader.class,
                SockaddrUn.class, OutboundBuffer.class}) {
            try {
                lookup.ensureInitialized(c);
            } catch (IllegalAccessException e) {
                throw new AssertionError(e); // same package: cannot happen
            }
        }
        // Last, off the critical path: what only large messages use, bound here rather than on the event loop when
        // the first one arrives.
        Syscalls.prepareHeapCalls();
    }

    private static void loadEpoll() {
        ClassLoader loader = TransportPreparation.class.getClassLoader();
        for (String name : NETTY_CLASSES) {
            try {
                Class.forName(name, true, loader);
            } catch (ClassNotFoundException e) {
                return; // the transport reports it when it needs the class
            }
        }
    }

    private static void start(String name, Runnable work) {
        Thread.ofPlatform().name(name).daemon().start(() -> {
            try {
                work.run();
            } catch (Throwable t) {
                // Left for the transport: it meets the class again and reports the failure with this as its cause.
            }
        });
    }
}
