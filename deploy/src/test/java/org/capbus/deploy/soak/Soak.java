package org.capbus.deploy.soak;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.capbus.deploy.it.BusKind;
import org.capbus.deploy.it.ProcStatus;
import org.capbus.deploy.it.RawConnection;
import org.capbus.deploy.it.TestBus;
import org.capbus.deploy.it.WireMessage;

/**
 * A soak run (not a test, not in CI): a real bus under mixed load for a given time, reporting what was lost, what came
 * out of order, and the bus process's resident memory, descriptors and threads at start and end. Run by
 * {@code scripts/soak.sh DURATION [BUS]}.
 *
 * <p>Load, each part on a thread of its own over raw connections: an echo service owning {@code org.capbus.Soak};
 * callers calling it in a loop with a counter it returns (a missing or wrong answer is a loss, an answer to an older
 * call a reordering); a signal emitter counting up and listeners checking that every number arrives once, in order;
 * and a client connecting, saying Hello, asking GetId and hanging up in a loop.
 */
public final class Soak {
    private static final int CALLERS = 4;
    private static final int LISTENERS = 3;
    private static final Duration ANSWER_BOUND = Duration.ofSeconds(30);

    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong calls = new AtomicLong();
    private final AtomicLong callsLost = new AtomicLong();
    private final AtomicLong callsReordered = new AtomicLong();
    private final AtomicLong signalsSent = new AtomicLong();
    private final AtomicLong signalsReceived = new AtomicLong();
    private final AtomicLong signalsLost = new AtomicLong();
    private final AtomicLong signalsReordered = new AtomicLong();
    private final AtomicLong reconnects = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final List<String> failureSamples = java.util.Collections.synchronizedList(new ArrayList<>());

    public static void main(String[] args) throws Exception {
        Duration duration = Duration.parse("PT" + (args.length > 0 ? args[0] : "60s").toUpperCase());
        BusKind kind = args.length > 1 && args[1].equals("dbus-daemon") ? BusKind.DBUS_DAEMON : BusKind.CAPBUS;
        System.exit(new Soak().run(kind, duration) ? 0 : 1);
    }

    private boolean run(BusKind kind, Duration duration) throws Exception {
        try (TestBus bus = TestBus.startWithConfiguration(kind, TestBus.configurationWithLimits(""), Map.of())) {
            List<Thread> threads = new ArrayList<>();
            RawConnection service = RawConnection.open(bus);
            int request = service.nextSerial();
            service.send(WireMessage.driverCall(request, "RequestName").bodyString("org.capbus.Soak").bodyUint32(0)
                    .build());
            WireMessage owned = service.readUntil(m -> m.replySerial() == request, ANSWER_BOUND);
            if (owned.type() != WireMessage.METHOD_RETURN || owned.firstUint32() != 1) {
                throw new AssertionError("RequestName failed: " + owned);
            }
            threads.add(start("service", () -> serve(service)));
            List<RawConnection> listeners = new ArrayList<>();
            for (int i = 0; i < LISTENERS; i++) {
                RawConnection l = RawConnection.open(bus);
                l.callDriver("AddMatch", "type='signal',interface='org.capbus.Soak'");
                listeners.add(l);
                threads.add(start("listener-" + i, () -> listen(l)));
            }
            Thread.sleep(500);
            ProcStatus start = ProcStatus.of(bus.pid());
            Instant began = Instant.now();
            System.out.printf("soak of %s for %s: start %s%n", kind, duration, start);
            for (int i = 0; i < CALLERS; i++) {
                threads.add(start("caller-" + i, () -> call(bus)));
            }
            threads.add(start("emitter", () -> emit(bus)));
            threads.add(start("reconnector", () -> reconnect(bus)));
            Instant end = began.plus(duration);
            while (Instant.now().isBefore(end) && bus.isAlive()) {
                Thread.sleep(Math.min(60_000, Math.max(1, Duration.between(Instant.now(), end).toMillis())));
                System.out.printf("%s elapsed: %s%n", Duration.between(began, Instant.now()).withNanos(0),
                        summary(bus));
            }
            running.set(false);
            // Let the last signals arrive before the listeners stop.
            Thread.sleep(2_000);
            for (Thread t : threads) {
                t.interrupt();
                t.join(ANSWER_BOUND.toMillis());
            }
            boolean alive = bus.isAlive();
            ProcStatus finish = alive ? ProcStatus.of(bus.pid()) : null;
            System.out.printf("end after %s: %s%nstart: %s%nend:   %s%n", Duration.between(began, Instant.now())
                    .withNanos(0), summary(bus), start, alive ? finish : "bus died\n" + bus.stderr());
            failureSamples.stream().limit(10).forEach(f -> System.out.println("failure: " + f));
            service.close();
            listeners.forEach(RawConnection::close);
            return alive && callsLost.get() == 0 && callsReordered.get() == 0 && signalsLost.get() == 0
                    && signalsReordered.get() == 0;
        }
    }

    private String summary(TestBus bus) {
        return String.format("calls %d (lost %d, reordered %d), signals sent %d received %d (lost %d, reordered %d),"
                        + " reconnects %d, client failures %d; %s", calls.get(), callsLost.get(), callsReordered.get(),
                signalsSent.get(), signalsReceived.get(), signalsLost.get(), signalsReordered.get(), reconnects.get(),
                failures.get(), bus.isAlive() ? ProcStatus.of(bus.pid()) : "bus died");
    }

    private Thread start(String name, Runnable body) {
        return Thread.ofPlatform().name("soak-" + name).daemon().start(() -> {
            try {
                body.run();
            } catch (RuntimeException | AssertionError e) {
                if (running.get()) {
                    failures.incrementAndGet();
                    failureSamples.add(name + ": " + e);
                }
            }
        });
    }

    /** Answers every Echo call with the number it carried. */
    private void serve(RawConnection service) {
        while (running.get()) {
            WireMessage m;
            try {
                m = service.read(Duration.ofSeconds(1));
            } catch (AssertionError idle) {
                continue;
            }
            if (m.type() == WireMessage.METHOD_CALL && "Echo".equals(m.member())) {
                service.send(WireMessage.builder(WireMessage.METHOD_RETURN, service.nextSerial())
                        .replySerial(m.serial()).destination(m.sender()).bodyUint32(m.firstUint32()).build());
            }
        }
    }

    private void call(TestBus bus) {
        try (RawConnection c = RawConnection.open(bus)) {
            int n = 0;
            while (running.get()) {
                n++;
                int serial = c.nextSerial();
                c.send(WireMessage.builder(WireMessage.METHOD_CALL, serial).path("/org/capbus/Soak")
                        .iface("org.capbus.Soak").member("Echo").destination("org.capbus.Soak").bodyUint32(n).build());
                WireMessage reply;
                try {
                    // Signals (NameAcquired after Hello) are not answers.
                    reply = c.readUntil(m -> m.type() == WireMessage.METHOD_RETURN || m.type() == WireMessage.ERROR,
                            ANSWER_BOUND);
                } catch (AssertionError e) {
                    if (running.get()) {
                        callsLost.incrementAndGet();
                    }
                    return;
                }
                if (reply.replySerial() != serial) {
                    callsReordered.incrementAndGet();
                } else if (reply.type() != WireMessage.METHOD_RETURN || reply.firstUint32() != n) {
                    callsLost.incrementAndGet();
                    failureSamples.add("call " + n + " answered " + reply);
                }
                calls.incrementAndGet();
            }
        }
    }

    private void emit(TestBus bus) {
        try (RawConnection c = RawConnection.open(bus)) {
            int n = 0;
            while (running.get()) {
                n++;
                c.send(WireMessage.builder(WireMessage.SIGNAL, c.nextSerial()).path("/org/capbus/Soak")
                        .iface("org.capbus.Soak").member("Tick").bodyUint32(n).build());
                signalsSent.incrementAndGet();
                if ((n & 63) == 0) {
                    // A round trip now and then keeps the emitter from outrunning slow listeners without bound.
                    c.callDriver("GetId");
                }
            }
        }
    }

    private void listen(RawConnection l) {
        long expected = 1;
        while (true) {
            WireMessage m;
            try {
                m = l.read(Duration.ofSeconds(2));
            } catch (AssertionError idle) {
                if (!running.get()) {
                    long missing = signalsSent.get() - (expected - 1);
                    if (missing > 0) {
                        signalsLost.addAndGet(missing);
                    }
                    return;
                }
                continue;
            }
            if (m.type() != WireMessage.SIGNAL || !"Tick".equals(m.member())) {
                continue;
            }
            long got = m.firstUint32() & 0xFFFFFFFFL;
            signalsReceived.incrementAndGet();
            if (got > expected) {
                signalsLost.addAndGet(got - expected);
            } else if (got < expected) {
                signalsReordered.incrementAndGet();
            }
            expected = Math.max(expected, got + 1);
        }
    }

    private void reconnect(TestBus bus) {
        while (running.get()) {
            try (RawConnection c = RawConnection.open(bus)) {
                c.callDriver("GetId");
                reconnects.incrementAndGet();
            }
        }
    }
}
