package org.capbus.adapters.metrics;

import java.util.function.ToDoubleFunction;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.capbus.adapters.transport.TransportCounters;

/**
 * The unix socket transport's counters as micrometer function counters, read at scrape time from the plain fields
 * the event loop writes. Threading: {@link #bindTo} once; the functions run on the scraping thread.
 */
public final class TransportMeters implements MeterBinder {
    private final TransportCounters counters;

    public TransportMeters(TransportCounters counters) {
        this.counters = counters;
    }

    @Override
    public void bindTo(MeterRegistry r) {
        counter("capbus.transport.read", "Bytes read from client sockets", TransportCounters::bytesRead)
                .baseUnit(BaseUnits.BYTES).register(r);
        counter("capbus.transport.written", "Bytes written to client sockets", TransportCounters::bytesWritten)
                .baseUnit(BaseUnits.BYTES).register(r);
        counter("capbus.transport.fds.received", "File descriptors received with messages",
                TransportCounters::fdsReceived).register(r);
        counter("capbus.transport.fds.sent", "File descriptors passed on with messages",
                TransportCounters::fdsSent).register(r);
        counter("capbus.transport.syscalls", "Socket system calls made, including those that returned EAGAIN",
                TransportCounters::recvmsgCalls).tag("call", "recvmsg").register(r);
        counter("capbus.transport.syscalls", "Socket system calls made, including those that returned EAGAIN",
                TransportCounters::sendmsgCalls).tag("call", "sendmsg").register(r);
        counter("capbus.transport.accept.errors", "accept4 failures other than EAGAIN (e.g. descriptor exhaustion)",
                TransportCounters::acceptErrors).register(r);
        counter("capbus.transport.failures", "Connections closed by the transport on a socket error",
                TransportCounters::failures).register(r);
    }

    private FunctionCounter.Builder<TransportCounters> counter(String name, String help,
                                                               ToDoubleFunction<TransportCounters> read) {
        return FunctionCounter.builder(name, counters, read).description(help);
    }
}
