package org.capbus.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AccountTest {
    private static final Limits USER_LIMITS = new Limits(1000, 100, 100, 100);
    private final Core core = new Core(USER_LIMITS, Recorder.UNLIMITED);
    private final User receiverUser = core.user(1);
    private final Peer receiver = core.createPeer(receiverUser, null);
    private final Handle receiverNode = receiver.createNode("r");

    private Handle handleFor(Peer sender) {
        return receiver.grant(receiverNode, sender);
    }

    private static Message bytes(long size) {
        return new Message("payload", size, null, 0);
    }

    @Test
    void shouldLetALoneForeignUserFillHalfOfWhatIsFree() {
        Account account = new Account(receiverUser, USER_LIMITS, false);
        Usage flooder = account.usage(core.user(2));

        assertThat(account.allows(flooder, 500, 0, 0)).isTrue();
        assertThat(account.allows(flooder, 501, 0, 0)).isFalse();
    }

    @Test
    void shouldShrinkEachShareAsMoreUsersCharge() {
        Account account = new Account(receiverUser, USER_LIMITS, false);
        Usage first = account.usage(core.user(2));
        Usage second = account.usage(core.user(3));
        account.charge(first, 500, 0, 0);

        // (1000 - 500 - a) / 2 >= a  <=>  a <= 166
        assertThat(account.allows(second, 166, 0, 0)).isTrue();
        assertThat(account.allows(second, 167, 0, 0)).isFalse();
        assertThat(account.chargingUsers()).isEqualTo(1);
    }

    @Test
    void shouldBoundTheOwnUserByTheLimitOnly() {
        Account account = new Account(receiverUser, USER_LIMITS, false);
        account.charge(account.usage(core.user(2)), 400, 0, 0);
        Usage own = account.usage(receiverUser);

        assertThat(account.allows(own, 600, 0, 0)).isTrue();
        assertThat(account.allows(own, 601, 0, 0)).isFalse();
    }

    @Test
    void shouldNameTheBudgetThatRanOut() {
        Account account = new Account(receiverUser, new Limits(1000, 2, 3, 4), false);
        Usage own = account.usage(receiverUser);
        Usage foreign = account.usage(core.user(2));

        assertThat(account.refusal(own, 1001, 0, 0)).isEqualTo(SendResult.QUOTA_BYTES);
        assertThat(account.refusal(own, 0, 4, 0)).isEqualTo(SendResult.QUOTA_HANDLES);
        assertThat(account.refusal(own, 0, 0, 5)).isEqualTo(SendResult.QUOTA_FDS);
        assertThat(account.refusal(foreign, 0, 0, 3)).as("half of what is free").isEqualTo(SendResult.QUOTA_FDS);
        assertThat(account.refusal(own, 10, 1, 1)).isEqualTo(SendResult.QUOTA_NONE);
        account.charge(own, 1, 0, 0);
        account.charge(own, 1, 0, 0);
        assertThat(account.refusal(own, 1, 0, 0)).isEqualTo(SendResult.QUOTA_MESSAGES);
    }

    @Test
    void shouldTellTheSenderWhichBudgetRefusedItsSend() {
        Peer sender = core.createPeer(core.user(2), null);
        Handle h = handleFor(sender);
        assertThat(sender.lastQuota()).isEqualTo(SendResult.QUOTA_NONE);

        assertThat(sender.send(h, new Message("fds", 10, null, 60))).isEqualTo(SendResult.QUOTA);
        assertThat(sender.lastQuota()).isEqualTo(SendResult.QUOTA_FDS);
        assertThat(sender.send(h, bytes(600))).isEqualTo(SendResult.QUOTA);
        assertThat(sender.lastQuota()).isEqualTo(SendResult.QUOTA_BYTES);
    }

    @Test
    void shouldNameTheBudgetOfTheFirstRefusalOfAContinueOnErrorMulticast() {
        Peer sender = core.createPeer(core.user(2), null);
        Peer otherReceiver = core.createPeer(core.user(3), null);
        Handle otherNode = otherReceiver.createNode("o");
        // Another user holds half of the other receiver's bytes: the sender's share of them is smaller.
        Peer filler = core.createPeer(core.user(4), null);
        assertThat(filler.send(otherReceiver.grant(otherNode, filler), bytes(500))).isEqualTo(SendResult.OK);
        Handle[] destinations = {handleFor(sender), otherReceiver.grant(otherNode, sender)};
        int[] results = new int[2];

        // 60 fds are more than the sender's share of the first receiver's fds; 300 bytes more than its share of the
        // second's bytes.
        int code = sender.send(destinations, 2, new Message("m", 300, null, 60), SendResult.CONTINUE_ON_ERROR,
                results);

        assertThat(code).isEqualTo(SendResult.QUOTA);
        assertThat(results).containsExactly(SendResult.QUOTA, SendResult.QUOTA);
        assertThat(sender.lastQuota()).as("the first refusal's budget").isEqualTo(SendResult.QUOTA_FDS);
    }

    @Test
    void shouldCountEveryResource() {
        Account account = new Account(receiverUser, new Limits(1000, 2, 3, 4), false);
        Usage own = account.usage(receiverUser);

        assertThat(account.allows(own, 0, 4, 0)).isFalse();
        assertThat(account.allows(own, 0, 0, 5)).isFalse();
        account.charge(own, 0, 3, 4);
        account.charge(own, 0, 0, 0);
        assertThat(account.allows(own, 0, 0, 0)).isFalse();
        account.uncharge(own, 0, 0, 0);
        account.uncharge(own, 0, 3, 4);
        assertThat(account.isEmpty()).isTrue();
    }

    @Test
    void shouldCutOffAFlooderWhileAnotherUserStillGetsThrough() {
        Peer flooder = core.createPeer(core.user(2), null);
        Peer other = core.createPeer(core.user(3), null);
        Handle fromFlooder = handleFor(flooder);
        Handle fromOther = handleFor(other);

        int sent = 0;
        while (flooder.send(fromFlooder, bytes(100)) == SendResult.OK) {
            sent++;
        }

        assertThat(sent).isEqualTo(5);
        assertThat(flooder.send(fromFlooder, bytes(100))).isEqualTo(SendResult.QUOTA);
        assertThat(other.send(fromOther, bytes(100))).isEqualTo(SendResult.OK);
        assertThat(flooder.send(fromFlooder, bytes(1))).isEqualTo(SendResult.QUOTA);
        assertThat(receiverUser.chargedBytes()).isEqualTo(600);
    }

    @Test
    void shouldShareAUsersBudgetAmongThePeersItSendsTo() {
        Peer sibling = core.createPeer(receiverUser, null);
        Handle fromSibling = handleFor(sibling);

        // One receiving peer that does not read takes at most half of what is free: the rest stays in reserve.
        for (int i = 0; i < 5; i++) {
            assertThat(sibling.send(fromSibling, bytes(100))).isEqualTo(SendResult.OK);
        }
        assertThat(sibling.send(fromSibling, bytes(100))).isEqualTo(SendResult.QUOTA);
        // Another peer of the same user still gets its share of the reserve, and someone else's traffic still fits.
        Peer innocent = core.createPeer(receiverUser, null);
        Handle toInnocent = innocent.grant(innocent.createNode("innocent"), sibling);
        assertThat(sibling.send(toInnocent, bytes(100))).isEqualTo(SendResult.OK);
        Peer foreign = core.createPeer(core.user(2), null);
        assertThat(foreign.send(handleFor(foreign), bytes(100))).isEqualTo(SendResult.OK);
        assertThat(receiverUser.chargedBytes()).isEqualTo(700);
    }

    @Test
    void shouldNeverRefuseWhatIsSentToTheBusPeerNorChargeItsUser() {
        Peer bus = core.createQuotaExemptPeer(receiverUser, null);
        Peer sibling = core.createPeer(receiverUser, null);
        Handle toBus = bus.grant(bus.createNode("driver"), sibling);
        for (int i = 0; i < 50; i++) {
            assertThat(sibling.send(toBus, bytes(100))).isEqualTo(SendResult.OK);
        }
        assertThat(receiverUser.chargedBytes()).isZero();
        assertThat(bus.chargedBytes()).isEqualTo(5000);
        bus.disconnect();
        assertThat(bus.chargedBytes()).isZero();
    }

    @Test
    void shouldLetTheBusPeerAnswerAPeerWhoseUserIsFull() {
        Peer bus = core.createQuotaExemptPeer(core.user(0), null);
        Peer sibling = core.createPeer(receiverUser, null);
        Handle fromSibling = handleFor(sibling);
        Handle fromBus = handleFor(bus);
        while (sibling.send(fromSibling, bytes(100)) == SendResult.OK) {
            // fill the receiver's share of its user's account
        }
        Peer foreign = core.createPeer(core.user(2), null);
        while (foreign.send(handleFor(foreign), bytes(100)) == SendResult.OK) {
            // and what another user may take of the rest
        }
        assertThat(bus.send(fromBus, bytes(100))).isEqualTo(SendResult.OK);
    }

    @Test
    void shouldEnforceThePeersOwnBudgetToo() {
        Core small = new Core(Recorder.UNLIMITED, new Limits(Long.MAX_VALUE, 2, 10, 10));
        User u = small.user(7);
        Peer to = small.createPeer(u, null);
        Peer from = small.createPeer(u, null);
        Handle h = to.grant(to.createNode("n"), from);

        assertThat(from.send(h, bytes(1))).isEqualTo(SendResult.OK);
        assertThat(from.send(h, bytes(1))).isEqualTo(SendResult.OK);
        assertThat(from.send(h, bytes(1))).isEqualTo(SendResult.QUOTA);
        assertThat(from.send(h, new Message("fds", 1, null, 11))).isEqualTo(SendResult.QUOTA);
    }

    @Test
    void shouldChangeNothingWhenASendIsOverQuota() {
        Peer flooder = core.createPeer(core.user(2), null);
        Handle fromFlooder = handleFor(flooder);
        flooder.send(fromFlooder, bytes(300));
        long sequence = core.lastSequence();

        assertThat(flooder.send(fromFlooder, bytes(300))).isEqualTo(SendResult.QUOTA);

        assertThat(core.lastSequence()).isEqualTo(sequence);
        assertThat(receiver.queuedCount()).isEqualTo(1);
        assertThat(receiverUser.chargedBytes()).isEqualTo(300);
        assertThat(receiver.chargedBytes()).isEqualTo(300);
    }

    @Test
    void shouldReturnTheChargesOfAFailedMulticast() {
        Peer sender = core.createPeer(core.user(2), null);
        Peer second = core.createPeer(core.user(4), null);
        Handle toSecond = second.grant(second.createNode("s"), sender);
        Handle toReceiver = handleFor(sender);

        int code = sender.send(new Handle[] {toReceiver, toSecond, toReceiver}, 3, bytes(300), 0, null);

        assertThat(code).isEqualTo(SendResult.QUOTA);
        assertThat(receiverUser.chargedBytes()).isZero();
        assertThat(second.user().chargedBytes()).isZero();
        assertThat(receiver.hasQueued()).isFalse();
        assertThat(second.hasQueued()).isFalse();
    }

    @Test
    void shouldReturnEveryChargeWhenDrainedOrDiscarded() {
        Peer sender = core.createPeer(core.user(2), null);
        Handle toReceiver = handleFor(sender);
        Handle carried = sender.createNode("carried");
        sender.send(toReceiver, new Message("m", 100, new Handle[] {carried}, 3));
        assertThat(receiverUser.chargedHandles()).isEqualTo(1);
        assertThat(receiverUser.chargedFds()).isEqualTo(3);
        assertThat(receiverUser.chargedMessages()).isEqualTo(1);

        receiver.drain(new Recorder());
        assertThat(receiverUser.account.isEmpty()).isTrue();
        assertThat(receiver.account.isEmpty()).isTrue();

        sender.send(toReceiver, bytes(100));
        receiver.disconnect();
        assertThat(receiverUser.account.isEmpty()).isTrue();
        assertThat(receiver.account.isEmpty()).isTrue();
    }
}
