package org.capbus.bench;

import java.util.concurrent.TimeUnit;
import org.capbus.core.Core;
import org.capbus.core.Handle;
import org.capbus.core.Limits;
import org.capbus.core.Message;
import org.capbus.core.Peer;
import org.capbus.core.Receiver;
import org.capbus.core.SendResult;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Throughput of the capability core on one thread, as the event loop drives it: a send committed and drained by its
 * receiver per operation. The message object is reused (it is immutable and the core never copies it), so
 * {@code gc.alloc.rate.norm} shows what the core itself allocates per operation: it must be zero.
 *
 * <p>Run with {@code java -jar benchmarks/target/benchmarks.jar -f 1 -wi 3 -i 5 -w 1s -r 1s -prof gc}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CoreBenchmark {
    static final int BATCH = 16;
    private static final Limits UNLIMITED = new Limits(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE);

    /** Drains into a blackhole, as a transport would hand each message to its connection. */
    static final class Sink implements Receiver {
        Blackhole blackhole;
        Peer releaser;

        @Override
        public boolean onMessage(long sequence, Handle destination, Message message, Handle[] transferred) {
            blackhole.consume(message);
            // Give the transferred reference back, so the receiver's handle count stays steady.
            for (Handle h : transferred) {
                releaser.release(h);
            }
            return true;
        }

        @Override
        public boolean onNodeDestroyed(long sequence, Handle handle) {
            return true;
        }

        @Override
        public boolean onNodeReleased(long sequence, Handle ownerHandle) {
            return true;
        }
    }

    /** One sender (its own user) and one receiver of another user. */
    @State(Scope.Thread)
    public static class Unicast {
        Peer sender;
        Peer receiver;
        Handle destination;
        Message plain;
        Message withHandle;
        final Sink sink = new Sink();

        @Setup(Level.Trial)
        public void setUp(Blackhole blackhole) {
            Core core = new Core(UNLIMITED, UNLIMITED);
            sender = core.createPeer(core.user(1000), null);
            receiver = core.createPeer(core.user(1001), p -> { });
            destination = receiver.grant(receiver.createNode("receiver"), sender);
            Handle carried = sender.createNode("carried");
            // The receiver already holds one reference, so each transfer merges and each release keeps it.
            sender.grant(carried, receiver);
            plain = new Message("payload", 128, null, 0);
            withHandle = new Message("payload", 128, new Handle[] {carried}, 0);
            sink.blackhole = blackhole;
            sink.releaser = receiver;
        }
    }

    /** One sender and {@code receivers} peers of other users, one node each. */
    @State(Scope.Thread)
    public static class Multicast {
        @Param({"10", "100"})
        int receivers;
        Peer sender;
        Peer[] peers;
        Handle[] destinations;
        Message message;
        final Sink sink = new Sink();

        @Setup(Level.Trial)
        public void setUp(Blackhole blackhole) {
            Core core = new Core(UNLIMITED, UNLIMITED);
            sender = core.createPeer(core.user(1000), null);
            peers = new Peer[receivers];
            destinations = new Handle[receivers];
            for (int i = 0; i < receivers; i++) {
                peers[i] = core.createPeer(core.user(2000 + i % 8), p -> { });
                destinations[i] = peers[i].grant(peers[i].createNode("receiver"), sender);
            }
            message = new Message("signal", 128, null, 0);
            sink.blackhole = blackhole;
        }
    }

    /** One unicast message sent and received: ops/s is messages/s. */
    @Benchmark
    public int unicastSendReceive(Unicast s) {
        int code = s.sender.send(s.destination, s.plain);
        s.receiver.drain(s.sink);
        return code;
    }

    /** One message carrying a handle, sent, received (handle merged into the receiver's) and released. */
    @Benchmark
    public int sendWithHandleTransfer(Unicast s) {
        int code = s.sender.send(s.destination, s.withHandle);
        s.receiver.drain(s.sink);
        return code;
    }

    /**
     * {@value #BATCH} multicasts to every receiver, then every receiver drains them, as an event loop handles a batch
     * of reads before it flushes: one op is one multicast, deliveries/s is ops/s times receivers.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int multicastBatchSendReceive(Multicast s) {
        int code = 0;
        for (int i = 0; i < BATCH; i++) {
            code |= s.sender.send(s.destinations, s.receivers, s.message, SendResult.CONTINUE_ON_ERROR, null);
        }
        Peer[] peers = s.peers;
        for (Peer p : peers) {
            p.drain(s.sink);
        }
        return code;
    }

    /** One multicast to every receiver, then every receiver drains it: deliveries/s is ops/s times receivers. */
    @Benchmark
    public int multicastSendReceive(Multicast s) {
        int code = s.sender.send(s.destinations, s.receivers, s.message, SendResult.CONTINUE_ON_ERROR, null);
        Peer[] peers = s.peers;
        for (Peer p : peers) {
            p.drain(s.sink);
        }
        return code;
    }
}
