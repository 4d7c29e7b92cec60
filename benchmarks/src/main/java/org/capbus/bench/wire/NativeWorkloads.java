package org.capbus.bench.wire;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

import org.capbus.client.CapbusClient;
import org.capbus.client.CapbusException;
import org.capbus.client.Delivery;
import org.capbus.client.Handle;
import org.capbus.client.Node;

/**
 * The shapes over the native protocol, with capbus-client as both ends. A service hands each client a node of its
 * own (the protocol's capability pattern, as in examples/capability-service): the client's calls go to that node,
 * so the service knows whom to answer without a reply handle per call; the answers go to a node the client gave
 * the service once. Multicast is one {@code SEND} with every receiver's handle as a destination. Messages go with
 * {@link CapbusClient#post} (the protocol's {@code QUIET}: the bus answers only a refusal, as D-Bus answers a send),
 * and the transfer shape's releases with {@link CapbusClient#releaseQuietly}.
 */
final class NativeWorkloads {
    static final byte[] PAYLOAD = "a thirty character payload ...".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HELLO = "hello".getBytes(StandardCharsets.US_ASCII);
    private static final AtomicInteger NAMES = new AtomicInteger();

    private NativeWorkloads() {
    }

    static Workload create(Shape shape, String address) throws Exception {
        return shape.receivers > 0 ? new Multicast(address, shape.receivers) : new RoundTrip(address, shape);
    }

    private static String freshName() {
        return "org.capbus.bench.Native" + ProcessHandle.current().pid() + "_" + NAMES.incrementAndGet();
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(30, TimeUnit.SECONDS);
    }

    /** Counts refused posts and releases. */
    private static final class Failures implements Consumer<CapbusException> {
        final LongAdder count = new LongAdder();

        @Override
        public void accept(CapbusException refusal) {
            count.increment();
        }
    }

    /** Client to service round trips, optionally carrying a handle per call that the service releases. */
    private static final class RoundTrip implements Workload {
        private final CapbusClient service;
        private final CapbusClient client;
        private final Failures failures = new Failures();
        private final Pipeline pipeline;
        private volatile Handle perClient;

        RoundTrip(String address, Shape shape) throws Exception {
            service = CapbusClient.connect(address);
            client = CapbusClient.connect(address);
            service.onPostFailure(failures);
            client.onPostFailure(failures);
            Node entry = await(service.createNode((n, hello) -> {
                // The client's hello carries its answer node and, for the transfer shape, the token it will
                // carry on every call: the service keeps one reference to the token from here on, so releasing
                // each call's reference never makes it the last one (no NODE_RELEASED per call).
                Handle answerTo = hello.handles().get(0);
                service.createNode((pc, call) -> answer(answerTo, call))
                        .thenCompose(pc -> service.send(answerTo, HELLO, pc.handle()));
            }));
            String name = freshName();
            await(service.registerName(name, entry, 0x4));
            CountDownLatch ready = new CountDownLatch(1);
            Node answers = await(client.createNode((n, d) -> {
                if (perClient == null) {
                    perClient = d.handles().get(0);
                    ready.countDown();
                } else {
                    pipelineAnswered();
                }
            }));
            Node token = await(client.createNode((n, d) -> { }));
            Handle entryHandle = await(client.resolve(name));
            await(client.send(entryHandle, HELLO, answers.handle(), token.handle()));
            if (!ready.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the native service did not answer the hello");
            }
            Handle carry = token.handle();
            pipeline = new Pipeline(shape.depth, shape.transfer
                    ? () -> client.post(perClient, PAYLOAD, carry)
                    : () -> client.post(perClient, PAYLOAD));
        }

        private void answer(Handle answerTo, Delivery call) {
            service.post(answerTo, call.payload());
            for (Handle h : call.handles()) {
                if (h != null) {
                    service.releaseQuietly(h);
                }
            }
        }

        private void pipelineAnswered() {
            pipeline.answered();
        }

        @Override
        public void run(long ops) throws Exception {
            pipeline.run(ops);
        }

        @Override
        public long failures() {
            return failures.count.sum();
        }

        @Override
        public void close() throws Exception {
            client.close();
            service.close();
        }
    }

    /** One emitter sending each message to every receiver's node in one transaction. */
    private static final class Multicast implements Workload {
        private final CapbusClient emitter;
        private final List<CapbusClient> receivers = new ArrayList<>();
        private final List<Handle> destinations = new ArrayList<>();
        private final Flow flow;
        private final Failures failures = new Failures();

        Multicast(String address, int count) throws Exception {
            emitter = CapbusClient.connect(address);
            emitter.onPostFailure(failures);
            flow = new Flow(count);
            CountDownLatch joined = new CountDownLatch(count);
            Node entry = await(emitter.createNode((n, hello) -> {
                synchronized (destinations) {
                    destinations.add(hello.handles().get(0));
                }
                joined.countDown();
            }));
            String name = freshName();
            await(emitter.registerName(name, entry, 0x4));
            for (int i = 0; i < count; i++) {
                CapbusClient r = CapbusClient.connect(address);
                receivers.add(r);
                Flow.Counter counter = flow.counter(i);
                Node inbox = await(r.createNode((n, d) -> flow.received(counter)));
                Handle entryHandle = await(r.resolve(name));
                await(r.send(entryHandle, HELLO, inbox.handle()));
            }
            if (!joined.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("receivers did not join");
            }
        }

        @Override
        public void run(long ops) throws Exception {
            long emits = ops / destinations.size();
            long base = flow.slowest();
            List<Handle> to = List.copyOf(destinations);
            for (long i = 0; i < emits; i++) {
                flow.beforeEmit(base, i);
                emitter.postAll(to, PAYLOAD);
            }
            flow.awaitSlowest(base + emits);
        }

        @Override
        public long failures() {
            return failures.count.sum();
        }

        @Override
        public void close() throws Exception {
            for (CapbusClient r : receivers) {
                r.close();
            }
            emitter.close();
        }
    }
}
