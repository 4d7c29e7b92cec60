package org.capbus.adapters.transport;

import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;

import org.capbus.dbus.io.ConnectionHandler;
import org.capbus.dbus.io.PeerCredentials;
import org.capbus.dbus.io.TransportConnection;
import org.capbus.dbus.io.WrittenCallback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One accepted unix stream connection: the {@link TransportConnection} the bridge writes to, and the epoll handle
 * its socket is registered with. Owned by its {@link UnixTransport}; every method runs on the event-loop thread.
 *
 * <p>Epoll is level-triggered. {@code EPOLLIN} is always registered and each event reads at most
 * {@link TransportOptions#readsPerEvent()} times, so one busy peer cannot starve the others and nothing is lost
 * when it yields (the next {@code epoll_wait} reports the socket again). {@code EPOLLOUT} is registered only while
 * bytes wait for room in the socket, so a writable socket never wakes the loop for nothing.
 *
 * <p>Every read is a {@code recvmsg} with room for {@link Syscalls#SCM_MAX_FD} descriptors, with or without
 * {@link #enableFdPassing()}: a plain read would make the kernel close descriptors a peer sent unasked, and the
 * bridge could not even tell. The one exception is the rest of a large message, read with {@code recv} straight into
 * its array when the handler offers it ({@link ConnectionHandler#directReadLength()}), which it does only where no
 * descriptor may rightly arrive. Writes are buffered and flushed by the transport once per loop batch.
 */
final class UnixConnection implements TransportConnection, EpollIoHandle {
    private static final Logger LOG = LoggerFactory.getLogger(UnixConnection.class);
    private static final EpollIoOps READ = EpollIoOps.EPOLLIN;
    private static final EpollIoOps READ_WRITE = EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLOUT);
    private static final EpollIoOps WRITE = EpollIoOps.EPOLLOUT;
    /**
     * Interest while reading is paused and nothing waits to be written: netty cannot register a handle for no events
     * (see {@link #interest()}), so it waits for a hang-up, edge-triggered: reported once, not again and again while
     * the connection stays paused. Reading, when it resumes, finds the end of the stream.
     */
    private static final EpollIoOps PAUSED = EpollIoOps.EPOLLRDHUP.with(EpollIoOps.EPOLLET);
    private static final int EPOLLIN = EpollIoOps.EPOLLIN.value();
    private static final int EPOLLOUT = EpollIoOps.EPOLLOUT.value();
    // EPOLLERR and EPOLLHUP are always reported; a read then returns the error or end of file.
    private static final int READ_EVENTS = EPOLLIN | EpollIoOps.EPOLLERR.value() | 0x10 /* EPOLLHUP */
            | EpollIoOps.EPOLLRDHUP.value();

    /**
     * Descriptors this connection's buffer may hold before it stops being writable, and how few it must hold again
     * before it is: each is a duplicate the bus process keeps open, so a slow reader's descriptors wait in the core
     * instead, where max_outgoing_unix_fds and its user's fd budget count them.
     */
    static final int FD_HIGH_WATER_MARK = Syscalls.SCM_MAX_FD;
    static final int FD_LOW_WATER_MARK = FD_HIGH_WATER_MARK / 4;

    private final UnixTransport transport;
    private final int fd;
    private final FileDescriptor nettyFd;
    private final PeerCredentials credentials;
    private final OutboundBuffer outbound = new OutboundBuffer();
    private final long highWaterMark;
    private final long lowWaterMark;
    private ConnectionHandler handler;
    private IoRegistration registration;
    private boolean closed;
    private boolean writable = true;
    private boolean waitingForOutput;
    /** Reading stopped until the outbound buffer is empty ({@link #suspendReadingUntilWritten()}). */
    private boolean readSuspended;
    /** Reading stopped until {@link #resumeReading()} (a sender whose descriptors the bus still holds). */
    private boolean readPaused;
    /** In the transport's list of connections to flush at the end of this batch. */
    boolean dirty;
    /** Index in the transport's connection list, for O(1) removal. */
    int slot = -1;

    UnixConnection(UnixTransport transport, int fd, PeerCredentials credentials, TransportOptions options) {
        this.transport = transport;
        this.fd = fd;
        this.nettyFd = new FileDescriptor(fd);
        this.credentials = credentials;
        this.highWaterMark = options.highWaterMark();
        this.lowWaterMark = options.lowWaterMark();
    }

    /** Called once by the transport after the acceptor answered; starts reading unless the acceptor closed it. */
    void start(ConnectionHandler handler) {
        this.handler = handler;
        if (!closed) {
            registration.submit(READ);
        }
    }

    void registered(IoRegistration registration) {
        this.registration = registration;
    }

    int fdNumber() {
        return fd;
    }

    // ---- live upgrade ----

    /** Its socket and unsent output, for the hand-over; see {@link TransportImage}. */
    TransportImage.Socket handOverImage() {
        return new TransportImage.Socket(fd, outbound.snapshot(transport.syscalls()));
    }

    /**
     * Queues output the previous process had not sent, descriptors at their offsets. The caller keeps ownership
     * of the descriptors in {@code pending} (they are duplicated here).
     */
    void restorePending(TransportImage.Pending pending) {
        byte[] bytes = pending.bytes();
        int written = 0;
        for (int i = 0; i < pending.attachedAt().length; i++) {
            int at = (int) pending.attachedAt()[i];
            write(bytes, written, at - written);
            written = at;
            int[] set = pending.attachedFds()[i];
            if (!attachFds(set, 0, set.length)) {
                terminate("cannot duplicate descriptors of output taken over from the previous process");
                return;
            }
        }
        write(bytes, written, bytes.length - written);
    }

    // ---- TransportConnection ----

    @Override
    public PeerCredentials credentials() {
        return credentials;
    }

    @Override
    public void write(byte[] src, int offset, int length) {
        if (closed || length == 0) {
            return;
        }
        if (!outbound.append(src, offset, length)) {
            terminate("out of native memory for the outgoing buffer");
            return;
        }
        if (writable && outbound.pendingBytes() >= highWaterMark) {
            writable = false;
        }
        if (!dirty) {
            transport.markDirty(this);
        }
    }

    /** Lent bytes are sent straight from {@code src} by the end-of-batch flush; see {@link OutboundBuffer#lend}. */
    @Override
    public void writeLent(byte[] src, int offset, int length, WrittenCallback done) {
        if (closed || length == 0 || !outbound.lend(src, offset, length, done)) {
            write(src, offset, length);
            done.written();
            return;
        }
        if (writable && outbound.pendingBytes() >= highWaterMark) {
            writable = false;
        }
        if (!dirty) {
            transport.markDirty(this);
        }
    }

    @Override
    public boolean attachFds(int[] fds, int offset, int count) {
        if (closed || count < 0 || count > Syscalls.SCM_MAX_FD) {
            return false;
        }
        if (count == 0) {
            return true;
        }
        int[] duplicated = transport.duplicatedFds();
        Syscalls syscalls = transport.syscalls();
        for (int i = 0; i < count; i++) {
            int copy = syscalls.dupCloexec(fds[offset + i]);
            if (copy < 0) {
                for (int j = 0; j < i; j++) {
                    syscalls.close(duplicated[j]);
                }
                return false;
            }
            duplicated[i] = copy;
        }
        if (!outbound.attach(duplicated, count)) {
            for (int j = 0; j < count; j++) {
                syscalls.close(duplicated[j]);
            }
            return false;
        }
        if (writable && outbound.pendingFds() >= FD_HIGH_WATER_MARK) {
            writable = false;
        }
        if (!dirty) {
            transport.markDirty(this);
        }
        return true;
    }

    @Override
    public boolean isWritable() {
        return writable;
    }

    @Override
    public void enableFdPassing() {
        // Every read already uses recvmsg with a control buffer; see the class comment.
    }

    @Override
    public void suspendReadingUntilWritten() {
        if (closed || readSuspended || outbound.pendingBytes() == 0) {
            return;
        }
        // The socket nearly always takes a few answer lines at once: write them now and suspend only if some stay.
        // (Suspending first cost every connection two epoll_ctl calls and a loop turn for EPOLLOUT.)
        flushGuarded();
        if (closed || outbound.pendingBytes() == 0) {
            return;
        }
        readSuspended = true;
        registration.submit(interest());
    }

    @Override
    public void pauseReading() {
        if (closed || readPaused) {
            return;
        }
        readPaused = true;
        registration.submit(interest());
    }

    @Override
    public void resumeReading() {
        if (closed || !readPaused) {
            return;
        }
        readPaused = false;
        registration.submit(interest());
    }

    /**
     * The epoll interest for the current state: reading unless suspended or paused, writing while the socket is full
     * or reading is suspended (netty removes a handle from epoll when asked for no events, so a suspended one waits
     * for {@code EPOLLOUT}, which also ends the suspension as soon as the socket takes the bytes, and a paused one
     * with nothing to write waits for a hang-up only, {@link #PAUSED}).
     */
    private EpollIoOps interest() {
        if (readSuspended) {
            return WRITE;
        }
        if (readPaused) {
            return waitingForOutput ? WRITE : PAUSED;
        }
        return waitingForOutput ? READ_WRITE : READ;
    }

    @Override
    public long pendingOutboundBytes() {
        return outbound.pendingBytes();
    }

    /**
     * Also netty's {@code IoHandle.close()}, called for every registered handle when the loop is torn down: the
     * same best-effort flush then close, without a callback.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (!waitingForOutput && outbound.pendingBytes() > 0) {
            outbound.flush(fd, transport.syscalls(), transport.sendMessage(), transport.counters());
        }
        release();
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    // ---- EpollIoHandle ----

    @Override
    public FileDescriptor fd() {
        return nettyFd;
    }

    @Override
    public void handle(IoRegistration registration, IoEvent event) {
        int ops = ((EpollIoEvent) event).ops().value();
        try {
            if ((ops & EPOLLOUT) != 0 && !closed) {
                flush();
            }
            if ((ops & READ_EVENTS) != 0 && !closed) {
                if (readSuspended || readPaused) {
                    // Hung up or failed while we do not read: a pending write says which and ends the connection;
                    // with nothing to write, reading finds the end of the stream once it resumes.
                    flush();
                } else {
                    read();
                }
            }
        } catch (RuntimeException e) {
            // A bug in a handler must cost this one connection, not the loop (netty would log and stall 1 s).
            bugged(e);
        } catch (Error e) {
            // Out of memory, stack overflow: nothing on the loop can be trusted any more (FatalErrorHandler). Only a
            // test's handler returns; the connection then goes as after a bug.
            transport.fatal("connection fd " + fd, e);
            terminate(null);
        }
    }

    private void read() {
        Syscalls syscalls = transport.syscalls();
        SocketMessage message = transport.receiveMessage();
        TransportCounters counters = transport.counters();
        int[] fds = transport.receivedFds();
        int bufferSize = transport.readBufferSize();
        int reads = transport.readsPerEvent();
        for (int i = 0; i < reads && !closed && !readSuspended && !readPaused; i++) {
            int direct = handler.directReadLength();
            if (direct > 0) {
                // The rest of a large message, straight into its array (see ConnectionHandler#directReadLength);
                // a read's worth at most, so that a connection's turn stays as long as before.
                int wanted = Math.min(direct, bufferSize);
                long n = syscalls.recvHeap(fd, handler.directReadArray(), handler.directReadOffset(), wanted,
                        Syscalls.MSG_DONTWAIT);
                counters.recvmsgCalls++; // counted with the recvmsg calls, as heap sends are with sendmsg
                if (n < 0) {
                    if (n == -Errno.EINTR) {
                        continue;
                    }
                    readFailed(n, "recv");
                    return;
                }
                if (n == 0) {
                    terminate(null);
                    return;
                }
                counters.bytesRead += n;
                handler.onDirectData((int) n);
                if (n < wanted) {
                    return;
                }
                continue;
            }
            message.prepareReceive(transport.readBufferAddress(), bufferSize);
            long n = syscalls.recvmsg(fd, message.header(), Syscalls.MSG_CMSG_CLOEXEC | Syscalls.MSG_DONTWAIT);
            counters.recvmsgCalls++;
            if (n < 0) {
                if (n == -Errno.EINTR) {
                    continue;
                }
                readFailed(n, "recvmsg");
                return;
            }
            int fdCount = message.takeFds(fds, syscalls);
            if ((message.flags() & Syscalls.MSG_CTRUNC) != 0) {
                // Descriptors were dropped by the kernel: the stream can no longer be matched to its fds.
                for (int j = 0; j < fdCount; j++) {
                    syscalls.close(fds[j]);
                }
                terminate("descriptors truncated (MSG_CTRUNC)");
                return;
            }
            if (fdCount > 0) {
                counters.fdsReceived += fdCount;
                handler.onFds(fds, fdCount);
                if (closed) {
                    return;
                }
            }
            if (n == 0) {
                terminate(null);
                return;
            }
            counters.bytesRead += n;
            handler.onData(transport.readView((int) n));
            if (n < bufferSize) {
                return; // drained for now; level-triggered epoll reports any later arrival
            }
        }
    }

    /** A read returned {@code -errno}, not EINTR: EAGAIN waits for the next event; anything else closes. */
    private void readFailed(long n, String call) {
        if (n != -Errno.EAGAIN) {
            terminate(n == -Errno.ECONNRESET ? null : call + " failed: " + Errno.describe((int) n));
        }
    }

    /**
     * The transport's end-of-batch flush. A connection waiting for {@code EPOLLOUT} is skipped: its socket is full,
     * a {@code sendmsg} now would only return {@code EAGAIN}.
     */
    void flushBatch() {
        dirty = false;
        flushGuarded();
    }

    /** {@link #flush()} unless the socket is known to be full, with a failure ending only this connection. */
    private void flushGuarded() {
        if (closed || waitingForOutput) {
            return;
        }
        try {
            flush();
        } catch (RuntimeException e) {
            bugged(e);
        } catch (Error e) {
            transport.fatal("connection fd " + fd, e);
            terminate(null);
        }
    }

    /** Writes what is queued, registering for {@code EPOLLOUT} if the socket fills up. */
    private void flush() {
        int result = outbound.flush(fd, transport.syscalls(), transport.sendMessage(), transport.counters());
        if (result == OutboundBuffer.WOULD_BLOCK) {
            if (!waitingForOutput) {
                waitingForOutput = true;
                registration.submit(interest());
            }
        } else if (result == OutboundBuffer.FLUSHED) {
            if (waitingForOutput || readSuspended) {
                waitingForOutput = false;
                readSuspended = false;
                registration.submit(interest());
            }
        } else {
            terminate(result == -Errno.EPIPE || result == -Errno.ECONNRESET
                    ? null : "sendmsg failed: " + Errno.describe(result));
            return;
        }
        if (!writable && outbound.pendingBytes() <= lowWaterMark && outbound.pendingFds() <= FD_LOW_WATER_MARK) {
            writable = true;
            if (handler != null) {
                handler.onWritable();
            }
        }
    }

    /** A handler (or this class) threw: logged once with its stack, counted once, then closed like a failure. */
    private void bugged(RuntimeException e) {
        if (closed) {
            LOG.error("connection fd {}: handler failed after the connection closed", fd, e);
            return;
        }
        LOG.error("connection fd {} (pid {}): unexpected failure; closing it", fd, credentials.pid(), e);
        transport.counters().failures++;
        terminate(null);
    }

    /**
     * The peer hung up ({@code reason} null), or the socket failed or broke the rules ({@code reason} says how;
     * logged once and counted once): release everything, then tell the handler, once.
     */
    private void terminate(String reason) {
        if (closed) {
            return;
        }
        if (reason != null) {
            LOG.warn("connection fd {} (pid {}): {}; closing it", fd, credentials.pid(), reason);
            transport.counters().failures++;
        }
        release();
        if (handler != null) {
            handler.onClosed();
        }
    }

    private void release() {
        closed = true;
        Syscalls syscalls = transport.syscalls();
        if (registration != null) {
            // Deregister while the descriptor is still open: netty removes it from epoll in cancel().
            registration.cancel();
        }
        syscalls.close(fd);
        outbound.release(syscalls);
        transport.removed(this);
    }
}
