package org.capbus.dbus.broker.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.capbus.core.Core;
import org.capbus.core.Limits;
import org.capbus.core.Peer;
import org.capbus.dbus.wire.MessageBuilder;
import org.junit.jupiter.api.Test;

class ActivationsTest {
    private static final long BUS_UID = 100;
    private final Core core = new Core(new Limits(1 << 20, 1000, 1000, 100), new Limits(1 << 20, 1000, 1000, 100));
    private final Activations activations = new Activations(core, BUS_UID);
    private final Peer sender = core.createPeer(core.user(1000), null);

    private static MessageBuilder message(String text) {
        return MessageBuilder.signal("/x", "org.example.X", "Y").string(text);
    }

    @Test
    void shouldMakeOneActivationPerNameAndCountEveryWaiter() {
        assertThat(activations.addBusMessage("org.example.A", sender, message("1"), 10)).isEqualTo(Activations.Added.NEW);
        assertThat(activations.addBusMessage("org.example.A", sender, message("2"), 10))
                .isEqualTo(Activations.Added.WAITING);
        assertThat(activations.addStartCall("org.example.A", null, 1, true, 10)).isEqualTo(Activations.Added.WAITING);
        assertThat(activations.addStartCall("org.example.B", null, 2, true, 10)).isEqualTo(Activations.Added.NEW);
        assertThat(activations.pendingCount()).isEqualTo(2);
        assertThat(activations.waitingCount()).isEqualTo(4);
        assertThat(activations.waitingBytes()).isEqualTo(2 * 256);
        assertThat(activations.pending("org.example.A").entries()).isEqualTo(3);
    }

    @Test
    void shouldRefuseBeyondMaxPendingServiceStarts() {
        activations.addStartCall("org.example.A", null, 3, true, 2);
        activations.addBusMessage("org.example.B", sender, message("1"), 2);
        assertThat(activations.addBusMessage("org.example.C", sender, message("2"), 2))
                .isEqualTo(Activations.Added.TOO_MANY);
        assertThat(activations.addStartCall("org.example.A", null, 4, true, 2)).isEqualTo(Activations.Added.TOO_MANY);
        assertThat(activations.pending("org.example.C")).isNull();
    }

    @Test
    void shouldHandWaitersOverInOrderOnceTheNameIsOwnedAndReturnEveryCharge() {
        activations.addBusMessage("org.example.A", sender, message("1"), 10);
        activations.addBusMessage("org.example.A", sender, message("2"), 10);
        assertThat(core.user(BUS_UID).chargedBytes()).isEqualTo(512);
        assertThat(activations.nameOwned("org.example.B")).isNull();
        PendingActivation p = activations.nameOwned("org.example.A");
        assertThat(p).isNotNull();
        assertThat(activations.pendingCount()).isZero();
        assertThat(activations.waitingCount()).isZero();
        assertThat(activations.pollSucceeded()).isSameAs(p);
        List<MessageBuilder> delivered = new ArrayList<>();
        Activations.drain(p, w -> delivered.add(w.fromBus()));
        assertThat(delivered).hasSize(2);
        assertThat(delivered.get(0).build(1)).isEqualTo(message("1").build(1));
        assertThat(core.user(BUS_UID).chargedBytes()).isZero();
        assertThat(core.user(BUS_UID).chargedMessages()).isZero();
        assertThat(p.queue().isConnected()).isFalse();
    }

    @Test
    void shouldEndAFailedActivationOnce() {
        activations.addBusMessage("org.example.A", sender, message("1"), 10);
        PendingActivation p = activations.pending("org.example.A");
        assertThat(activations.remove(p)).isTrue();
        assertThat(activations.remove(p)).isFalse();
        assertThat(activations.waitingCount()).isZero();
        List<ActivationWaiter> failed = new ArrayList<>();
        Activations.drain(p, failed::add);
        assertThat(failed).hasSize(1);
        assertThat(core.user(BUS_UID).chargedBytes()).isZero();
        // A later message starts a new activation.
        assertThat(activations.addBusMessage("org.example.A", sender, message("2"), 10)).isEqualTo(Activations.Added.NEW);
    }
}
