package org.capbus.deploy.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A bus implementation the integration tests can start: capbus itself, or dbus-daemon as the reference that keeps
 * the tests honest (the dbus-broker way: one suite, run against both, known deviations marked in the test).
 * Immutable; used from the test thread.
 */
public enum BusKind {
    /** {@code <repository root>/capbus}, started with {@code CAPBUS_NO_BUILD=1}: the jar is built by the package phase. */
    CAPBUS("capbus"),
    /** The reference implementation, {@code /usr/bin/dbus-daemon}. */
    DBUS_DAEMON("dbus-daemon");

    /** System property naming the buses to test, a comma list of {@link #label()}s. */
    public static final String BUSES_PROPERTY = "it.buses";

    private final String label;

    BusKind(String label) {
        this.label = label;
    }

    /** The name used in {@code it.buses} and in test reports. */
    public String label() {
        return label;
    }

    /** The executable taking dbus-daemon's command line. */
    public Path executable() {
        return switch (this) {
            case CAPBUS -> repositoryRoot().resolve("capbus");
            case DBUS_DAEMON -> Path.of("/usr/bin/dbus-daemon");
        };
    }

    /** Environment the bus process (and anything that spawns it, like dbus-run-session) needs on top of ours. */
    public Map<String, String> environment() {
        return this == CAPBUS ? Map.of("CAPBUS_NO_BUILD", "1") : Map.of();
    }

    /** The buses selected by {@code it.buses} (default: all), in declaration order; the tests' method source. */
    public static List<BusKind> selected() {
        String property = System.getProperty(BUSES_PROPERTY, "capbus,dbus-daemon");
        List<BusKind> kinds = new ArrayList<>();
        for (String item : property.split(",")) {
            String name = item.trim().toLowerCase(Locale.ROOT);
            if (name.isEmpty()) {
                continue;
            }
            BusKind kind = switch (name) {
                case "capbus" -> CAPBUS;
                case "dbus-daemon" -> DBUS_DAEMON;
                default -> throw new IllegalArgumentException(
                        BUSES_PROPERTY + ": unknown bus '" + name + "' (expected: capbus, dbus-daemon)");
            };
            if (!kinds.contains(kind)) {
                kinds.add(kind);
            }
        }
        if (kinds.isEmpty()) {
            throw new IllegalArgumentException(BUSES_PROPERTY + " selects no bus: '" + property + "'");
        }
        return kinds;
    }

    /** The repository root: the parent of the deploy module, which is the working directory of the tests. */
    static Path repositoryRoot() {
        Path root = Path.of("").toAbsolutePath().getParent();
        if (root == null || !Files.isRegularFile(root.resolve("capbus")) || !Files.isRegularFile(root.resolve("mvnw"))) {
            throw new IllegalStateException("tests must run in the deploy module directory; got " + Path.of("").toAbsolutePath());
        }
        return root;
    }

    @Override
    public String toString() {
        return label;
    }
}
