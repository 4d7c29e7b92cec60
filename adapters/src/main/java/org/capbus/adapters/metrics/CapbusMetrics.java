package org.capbus.adapters.metrics;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.capbus.adapters.transport.TransportCounters;
import org.capbus.config.MetricsAddress;
import org.capbus.dbus.broker.Bus;
import org.capbus.dbus.broker.stats.BusStats;

/**
 * capbus's Prometheus metrics, assembled: a micrometer registry with the bus's meters ({@link BusMeters},
 * {@link BusDistributions}), the transport's ({@link TransportMeters}), the JVM and process binders, the periodic
 * {@link BusSnapshots} on the event loop, and the {@link MetricsServer} that serves them.
 *
 * <p>Threading: {@link #start} and {@link #close} from the daemon's thread; nothing here runs on the loop except the
 * snapshot capture.
 */
public final class CapbusMetrics implements AutoCloseable {
    private final PrometheusMeterRegistry registry;
    private final BusSnapshots snapshots;
    private final JvmGcMetrics gc;
    private final MetricsServer server;

    private CapbusMetrics(PrometheusMeterRegistry registry, BusSnapshots snapshots, JvmGcMetrics gc,
                          MetricsServer server) {
        this.registry = registry;
        this.snapshots = snapshots;
        this.gc = gc;
        this.server = server;
    }

    /**
     * Starts serving metrics on {@code address}. {@code bus} runs on {@code loop}; only its {@link BusStats} (plain
     * fields) is read off the loop.
     *
     * @throws IOException if the address cannot be resolved or bound
     */
    public static CapbusMetrics start(MetricsAddress address, Bus bus, ScheduledExecutorService loop,
                                      TransportCounters transport, Duration snapshotPeriod) throws IOException {
        InetSocketAddress socket = new InetSocketAddress(address.host(), address.port());
        if (socket.isUnresolved()) {
            throw new IOException("cannot resolve the metrics host " + address.host());
        }
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        BusSnapshots snapshots = BusSnapshots.start(bus, loop, snapshotPeriod);
        JvmGcMetrics gc = new JvmGcMetrics();
        try {
            bindAll(registry, bus.stats(), snapshots, transport, gc);
            registry.getPrometheusRegistry().register(new ActivationMetrics(bus.activationStats()));
            MetricsServer server = MetricsServer.start(socket, registry);
            return new CapbusMetrics(registry, snapshots, gc, server);
        } catch (IOException | RuntimeException e) {
            snapshots.close();
            gc.close();
            registry.close();
            throw e;
        }
    }

    /** Binds every meter capbus exports to {@code registry}. */
    static void bindAll(PrometheusMeterRegistry registry, BusStats stats, BusSnapshots snapshots,
                        TransportCounters transport, JvmGcMetrics gc) {
        new BusMeters(stats, snapshots).bindTo(registry);
        registry.getPrometheusRegistry().register(new BusDistributions(stats, snapshots));
        if (transport != null) {
            new TransportMeters(transport).bindTo(registry);
        }
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
    }

    /** Where the metrics are served. */
    public InetSocketAddress address() {
        return server.address();
    }

    /** The registry, for tests and for scraping in process. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    @Override
    public void close() {
        server.close();
        snapshots.close();
        gc.close();
        registry.close();
    }
}
