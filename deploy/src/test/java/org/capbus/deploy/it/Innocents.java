package org.capbus.deploy.it;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bystanders of the resource tests: a client of the test's own uid and one of another uid ({@code nobody}, through
 * {@code setpriv}) must each still get an answer from the bus driver while, or after, someone else abuses the bus. The
 * bus must have been started with {@link TestBus#configurationWithLimits} (any uid may connect). Stateless.
 */
public final class Innocents {
    /** The uid and gid of the other user. */
    public static final int OTHER_UID = 65534;

    private Innocents() {
    }

    /** Asserts that a fresh connection of the test's uid completes Hello and gets GetId answered. */
    public static void assertSameUidAnswered(TestBus bus) {
        try (RawConnection c = RawConnection.open(bus)) {
            WireMessage reply = c.callDriver("GetId");
            assertThat(reply.type()).as("[%s] GetId of an innocent same-uid client: %s", bus.kind(), reply)
                    .isEqualTo(WireMessage.METHOD_RETURN);
        }
    }

    /** Asserts that an already connected client keeps being answered. */
    public static void assertAnswered(TestBus bus, RawConnection c) {
        WireMessage reply = c.callDriver("GetId");
        assertThat(reply.type()).as("[%s] GetId of a connected innocent client: %s", bus.kind(), reply)
                .isEqualTo(WireMessage.METHOD_RETURN);
    }

    /** Asserts that a client running as {@link #OTHER_UID} connects and gets GetId answered (dbus-send). */
    public static void assertOtherUidAnswered(TestBus bus) {
        ClientResult r = Clients.run(bus.clientEnvironment(), Clients.CLIENT_BOUND, List.of("setpriv",
                "--reuid=" + OTHER_UID, "--regid=" + OTHER_UID, "--clear-groups", "dbus-send",
                "--bus=" + bus.address(), "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
                "org.freedesktop.DBus.GetId"));
        assertThat(r.exitCode()).as("[%s] GetId of an innocent client of uid %d: %s\n--- bus stderr ---\n%s",
                bus.kind(), OTHER_UID, r.describe(), bus.stderr()).isZero();
    }

    /** Both of the above, for a fresh client of each uid. */
    public static void assertAnswered(TestBus bus) {
        assertSameUidAnswered(bus);
        assertOtherUidAnswered(bus);
    }

    /** A bound for a whole attack's worth of client work. */
    public static final Duration ATTACK_BOUND = Duration.ofSeconds(60);
}
