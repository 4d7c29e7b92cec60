package org.capbus.adapters.transport;

import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;

import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;

import org.capbus.dbus.io.ConnectionAcceptor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One listening unix socket registered on the event loop; accepts connections and hands each to its
 * {@link ConnectionAcceptor} through the transport. Owned by its {@link UnixTransport}; runs on the loop thread
 * (created elsewhere, it is touched only after being handed to the loop).
 *
 * <p>Level-triggered {@code EPOLLIN}, at most {@link TransportOptions#acceptsPerEvent()} accepts per event. When the
 * process runs out of descriptors ({@code EMFILE}, {@code ENFILE}) or kernel memory, the pending connection stays in
 * the backlog and would make epoll report the socket again at once, so the listener stops watching it for
 * {@link TransportOptions#acceptPauseMillis()} instead of spinning, and logs that once per episode.
 */
final class UnixListener implements EpollIoHandle {
    private static final Logger LOG = LoggerFactory.getLogger(UnixListener.class);
    /** Registered while paused: netty's {@code NONE} would remove the fd from epoll for good. */
    private static final EpollIoOps PAUSED = EpollIoOps.EPOLLERR;

    private final UnixTransport transport;
    private final int fd;
    private final FileDescriptor nettyFd;
    private final ConnectionAcceptor acceptor;
    private final String address;
    /** The socket file to remove at close, or null (abstract or inherited sockets). */
    private final String unlinkPath;
    private final Runnable resume = this::resume;
    private IoRegistration registration;
    private boolean paused;
    /** A pause was logged and no connection was accepted since: later pauses log at debug only. */
    private boolean pauseLogged;
    private boolean closed;

    UnixListener(UnixTransport transport, int fd, ConnectionAcceptor acceptor, String address, String unlinkPath) {
        this.transport = transport;
        this.fd = fd;
        this.nettyFd = new FileDescriptor(fd);
        this.acceptor = acceptor;
        this.address = address;
        this.unlinkPath = unlinkPath;
    }

    /** The connectable address, e.g. {@code unix:path=/run/user/1000/bus}. */
    String address() {
        return address;
    }

    int fdNumber() {
        return fd;
    }

    /** The socket file removed at close, or null. */
    String unlinkPath() {
        return unlinkPath;
    }

    void start(IoRegistration registration) {
        this.registration = registration;
        registration.submit(EpollIoOps.EPOLLIN);
    }

    @Override
    public FileDescriptor fd() {
        return nettyFd;
    }

    @Override
    public void handle(IoRegistration registration, IoEvent event) {
        try {
            acceptReady();
        } catch (Error e) {
            transport.fatal("the listener on " + address, e);
        }
    }

    private void acceptReady() {
        Syscalls syscalls = transport.syscalls();
        TransportCounters counters = transport.counters();
        int limit = transport.acceptsPerEvent();
        for (int i = 0; i < limit && !closed && !paused; i++) {
            int client = syscalls.accept4(fd, Syscalls.SOCK_NONBLOCK | Syscalls.SOCK_CLOEXEC);
            if (client >= 0) {
                counters.accepted++;
                pauseLogged = false;
                transport.adopt(client, acceptor);
                continue;
            }
            switch (-client) {
                case Errno.EAGAIN:
                    return;
                case Errno.EINTR:
                case Errno.ECONNABORTED:
                case Errno.EPROTO:
                    // The connection died in the backlog; the next one may be fine.
                    counters.acceptErrors++;
                    break;
                default:
                    counters.acceptErrors++;
                    pause(client);
                    return;
            }
        }
    }

    private void pause(int errno) {
        if (!pauseLogged) {
            pauseLogged = true;
            LOG.warn("{}: accept failed with {}; pausing accepts for {} ms at a time until one succeeds", address,
                    Errno.describe(errno), transport.acceptPauseMillis());
        } else if (LOG.isDebugEnabled()) {
            LOG.debug("{}: accept failed again with {}", address, Errno.describe(errno));
        }
        paused = true;
        registration.submit(PAUSED);
        transport.executor().schedule(resume, transport.acceptPauseMillis(), TimeUnit.MILLISECONDS);
    }

    private void resume() {
        if (!closed && paused) {
            paused = false;
            registration.submit(EpollIoOps.EPOLLIN);
        }
    }

    /** Stops listening: deregisters, closes the socket and removes its file (as dbus-daemon does at exit). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (registration != null) {
            registration.cancel();
        }
        Syscalls syscalls = transport.syscalls();
        syscalls.close(fd);
        if (unlinkPath != null) {
            try (Arena arena = Arena.ofConfined()) {
                syscalls.unlink(arena.allocateFrom(unlinkPath));
            }
        }
    }
}
