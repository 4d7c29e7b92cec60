package org.capbus.bench.wire;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The same shapes over D-Bus through the same bus, with {@link RawDBusConnection} at both ends: method calls to an
 * echo service owning a well-known name (as the shared D-Bus harness's), a signal to subscribers that added a match
 * rule on its interface and member, and for the transfer shape a unix fd ({@code h}) per call, D-Bus's nearest
 * thing to passing a handle (the service's reads let the kernel close it).
 */
final class DBusWorkloads {
    static final String TEXT = "a thirty character payload ...";
    private static final String IFACE = "org.capbus.Bench";
    private static final AtomicInteger NAMES = new AtomicInteger();

    private DBusWorkloads() {
    }

    static Workload create(Shape shape, String socketPath) throws Exception {
        return shape.receivers > 0 ? new Signal(socketPath, shape.receivers) : new RoundTrip(socketPath, shape);
    }

    private static Thread reader(String name, RawDBusConnection c, RawDBusConnection.Sink sink) {
        Thread t = new Thread(() -> {
            try {
                c.readLoop(sink);
            } catch (IOException | RuntimeException e) {
                // the connection was closed under the reader
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Calls to an echo service, optionally with an fd each. */
    private static final class RoundTrip implements Workload {
        private final RawDBusConnection service;
        private final RawDBusConnection client;
        private final LongAdder failures = new LongAdder();
        private final Pipeline pipeline;
        private final byte[] call;
        private final int fd;

        RoundTrip(String socketPath, Shape shape) throws Exception {
            service = RawDBusConnection.connect(socketPath);
            client = RawDBusConnection.connect(socketPath);
            String name = "org.capbus.bench.DBus" + ProcessHandle.current().pid() + "_" + NAMES.incrementAndGet();
            service.call(DBusWire.requestName(service.nextSerial(), name));
            reader("dbus-echo", service, (buf, off, len) -> {
                if (DBusWire.type(buf, off) == DBusWire.METHOD_CALL) {
                    byte[] reply = DBusWire.methodReturn(service.nextSerial(), DBusWire.serial(buf, off),
                            DBusWire.sender(buf, off), TEXT);
                    service.send(reply);
                }
            });
            call = DBusWire.methodCall(0, name, "/org/capbus/Bench", IFACE, shape.transfer ? "Take" : "Echo", TEXT,
                    shape.transfer);
            fd = shape.transfer ? UnixSocket.openDevNull() : -1;
            pipeline = new Pipeline(shape.depth, this::sendCall);
            reader("dbus-client", client, (buf, off, len) -> {
                int type = DBusWire.type(buf, off);
                if (type == DBusWire.ERROR) {
                    failures.increment();
                }
                if (type == DBusWire.METHOD_RETURN || type == DBusWire.ERROR) {
                    pipeline.answered();
                }
            });
        }

        private void sendCall() throws IOException {
            synchronized (call) {
                DBusWire.setSerial(call, client.nextSerial());
                if (fd >= 0) {
                    client.send(call, fd);
                } else {
                    client.send(call);
                }
            }
        }

        @Override
        public void run(long ops) throws Exception {
            pipeline.run(ops);
        }

        @Override
        public long failures() {
            return failures.sum();
        }

        @Override
        public void close() {
            client.close();
            service.close();
        }
    }

    /** One emitter's signal, delivered by the bus to every subscriber's match rule. */
    private static final class Signal implements Workload {
        private final RawDBusConnection emitter;
        private final List<RawDBusConnection> receivers = new ArrayList<>();
        private final Flow flow;
        private final byte[] signal;

        Signal(String socketPath, int count) throws Exception {
            emitter = RawDBusConnection.connect(socketPath);
            flow = new Flow(count);
            String member = "Tick" + NAMES.incrementAndGet();
            byte[] rule = DBusWire.methodCall(0, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                    "org.freedesktop.DBus", "AddMatch",
                    "type='signal',interface='" + IFACE + "',member='" + member + "'", false);
            for (int i = 0; i < count; i++) {
                RawDBusConnection r = RawDBusConnection.connect(socketPath);
                receivers.add(r);
                DBusWire.setSerial(rule, r.nextSerial());
                r.call(rule);
                Flow.Counter counter = flow.counter(i);
                reader("dbus-subscriber", r, (buf, off, len) -> {
                    if (DBusWire.type(buf, off) == DBusWire.SIGNAL) {
                        flow.received(counter);
                    }
                });
            }
            signal = DBusWire.signal(0, "/org/capbus/Bench", IFACE, member, TEXT);
        }

        @Override
        public void run(long ops) throws Exception {
            long emits = ops / receivers.size();
            long base = flow.slowest();
            for (long i = 0; i < emits; i++) {
                flow.beforeEmit(base, i);
                DBusWire.setSerial(signal, emitter.nextSerial());
                emitter.send(signal);
            }
            flow.awaitSlowest(base + emits);
        }

        @Override
        public long failures() {
            return 0;
        }

        @Override
        public void close() {
            for (RawDBusConnection r : receivers) {
                r.close();
            }
            emitter.close();
        }
    }
}
