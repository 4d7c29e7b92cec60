package org.capbus.dbus.broker.connection;

import static org.assertj.core.api.Assertions.assertThat;

import org.capbus.dbus.wire.IncomingBudget;
import org.junit.jupiter.api.Test;

class IncomingQuotaTest {
    private final IncomingQuota quota = new IncomingQuota(() -> 1000);

    @Test
    void shouldBoundEachConnectionByMaxIncomingBytes() {
        IncomingBudget b = quota.budgetFor(7);
        assertThat(b.charge(600)).isTrue();
        assertThat(b.charge(401)).as("over max_incoming_bytes").isFalse();
        assertThat(b.charge(400)).isTrue();
        assertThat(quota.chargedBy(7)).isEqualTo(1000);
        b.refund(1000);
        assertThat(quota.chargedBy(7)).isZero();
        assertThat(b.charge(1000)).as("a refund makes room again").isTrue();
    }

    @Test
    void shouldBoundAUserByFourConnectionsWorthAndNoOtherUser() {
        IncomingBudget[] mine = new IncomingBudget[5];
        for (int i = 0; i < mine.length; i++) {
            mine[i] = quota.budgetFor(7);
        }
        for (int i = 0; i < 4; i++) {
            assertThat(mine[i].charge(1000)).isTrue();
        }
        assertThat(mine[4].charge(1)).as("the user's four connections' worth is used up").isFalse();
        assertThat(quota.budgetFor(8).charge(1000)).as("another user is not touched").isTrue();
        assertThat(quota.chargedBy(7)).isEqualTo(4000);
        mine[0].refund(1000);
        assertThat(mine[4].charge(1000)).isTrue();
        assertThat(quota.chargedBy(8)).isEqualTo(1000);
    }
}
