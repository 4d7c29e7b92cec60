package org.capbus.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import org.capbus.config.MetricsAddress;

/**
 * dbus-daemon's command line, parsed. Every option dbus-daemon 1.14 accepts is accepted here, in both the
 * {@code --opt=value} and {@code --opt value} forms, so programs that start dbus-daemon can start capbus the same way.
 * capbus adds {@code --metrics=HOST:PORT}.
 *
 * @param configFile    the configuration file, or empty for {@code --session}'s built-in configuration
 * @param session       {@code --session} was given
 * @param system        {@code --system} was given
 * @param address       {@code --address}: listen here instead of the configuration's {@code <listen>}
 * @param printAddress  {@code --print-address}: the descriptor to print the address to (1 when given without one)
 * @param printPid      {@code --print-pid}: the descriptor to print the pid to (1 when given without one)
 * @param fork          {@code --fork} (true), {@code --nofork} (false) or neither (the configuration decides)
 * @param noPidFile     {@code --nopidfile}
 * @param syslog        {@code --syslog}, {@code --syslog-only} or {@code --nosyslog}, as given, without the dashes (see {@link Main#logDestination})
 * @param systemdActivation {@code --systemd-activation}
 * @param introspect    {@code --introspect}: print the driver's introspection XML and exit
 * @param version       {@code --version}: print the version and exit
 * @param help          {@code --help}
 * @param metrics       {@code --metrics=HOST:PORT}: serve Prometheus metrics there (over the configuration's
 *                      {@code <metrics address>})
 * @param readyEventHandle {@code --ready-event-handle} (Windows only in dbus-daemon; accepted and ignored)
 */
public record DaemonOptions(
        Optional<String> configFile,
        boolean session,
        boolean system,
        Optional<String> address,
        OptionalInt printAddress,
        OptionalInt printPid,
        Optional<Boolean> fork,
        boolean noPidFile,
        Optional<String> syslog,
        boolean systemdActivation,
        boolean introspect,
        boolean version,
        boolean help,
        Optional<MetricsAddress> metrics,
        Optional<String> readyEventHandle) {

    /** dbus-daemon's usage line, printed on a bad command line. */
    public static final String USAGE = "capbus [--version] [--session] [--system] [--config-file=FILE] "
            + "[--print-address[=DESCRIPTOR]] [--print-pid[=DESCRIPTOR]] [--introspect] [--address=ADDRESS] "
            + "[--nopidfile] [--nosyslog] [--syslog] [--syslog-only] [--nofork] [--fork] [--systemd-activation] "
            + "[--metrics=HOST:PORT]";

    /** A command line dbus-daemon would refuse. */
    public static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    /** Parses {@code args} as dbus-daemon does. */
    public static DaemonOptions parse(String[] args) throws UsageException {
        Optional<String> configFile = Optional.empty();
        boolean session = false;
        boolean system = false;
        Optional<String> address = Optional.empty();
        OptionalInt printAddress = OptionalInt.empty();
        OptionalInt printPid = OptionalInt.empty();
        Optional<Boolean> fork = Optional.empty();
        boolean noPidFile = false;
        Optional<String> syslog = Optional.empty();
        boolean systemdActivation = false;
        boolean introspect = false;
        boolean version = false;
        boolean help = false;
        Optional<MetricsAddress> metrics = Optional.empty();
        Optional<String> readyEventHandle = Optional.empty();

        List<String> list = new ArrayList<>(List.of(args));
        for (int i = 0; i < list.size(); i++) {
            String arg = list.get(i);
            String name = arg;
            String inline = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                inline = arg.substring(eq + 1);
            }
            switch (name) {
                case "--help", "-h" -> help = true;
                case "--version" -> version = true;
                case "--session" -> {
                    if (system) {
                        throw new UsageException("--session and --system are mutually exclusive");
                    }
                    session = true;
                }
                case "--system" -> {
                    if (session) {
                        throw new UsageException("--session and --system are mutually exclusive");
                    }
                    system = true;
                }
                case "--config-file" -> {
                    String v = inline != null ? inline : next(list, i++, name);
                    if (configFile.isPresent()) {
                        throw new UsageException("--config-file given twice");
                    }
                    configFile = Optional.of(v);
                }
                case "--address" -> address = Optional.of(inline != null ? inline : next(list, i++, name));
                case "--metrics" -> metrics = Optional.of(metricsAddress(inline != null ? inline : next(list, i++, name)));
                case "--ready-event-handle" -> readyEventHandle = Optional.of(inline != null ? inline : next(list, i++, name));
                case "--print-address", "--print-pid" -> {
                    // As dbus-daemon: the descriptor is optional; "--print-address 3" takes the next argument only
                    // when it is a number.
                    int fd = 1;
                    if (inline != null) {
                        fd = descriptor(name, inline);
                    } else if (i + 1 < list.size() && isDescriptor(list.get(i + 1))) {
                        fd = descriptor(name, list.get(++i));
                    }
                    if (name.equals("--print-address")) {
                        printAddress = OptionalInt.of(fd);
                    } else {
                        printPid = OptionalInt.of(fd);
                    }
                }
                case "--fork" -> fork = Optional.of(Boolean.TRUE);
                case "--nofork" -> fork = Optional.of(Boolean.FALSE);
                case "--nopidfile" -> noPidFile = true;
                case "--syslog", "--syslog-only", "--nosyslog" -> syslog = Optional.of(name.substring(2));
                case "--systemd-activation" -> systemdActivation = true;
                case "--introspect" -> introspect = true;
                default -> throw new UsageException("unknown option " + arg);
            }
            if (inline != null && !takesValue(name)) {
                throw new UsageException("option " + name + " takes no value");
            }
        }
        if (configFile.isPresent() && (session || system)) {
            throw new UsageException("--config-file cannot be combined with --session or --system");
        }
        return new DaemonOptions(configFile, session, system, address, printAddress, printPid, fork, noPidFile, syslog,
                systemdActivation, introspect, version, help, metrics, readyEventHandle);
    }

    private static MetricsAddress metricsAddress(String value) throws UsageException {
        try {
            return MetricsAddress.parse(value);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--metrics: " + e.getMessage());
        }
    }

    private static boolean takesValue(String name) {
        return switch (name) {
            case "--config-file", "--address", "--metrics", "--ready-event-handle", "--print-address", "--print-pid" -> true;
            default -> false;
        };
    }

    private static String next(List<String> list, int i, String name) throws UsageException {
        if (i + 1 >= list.size()) {
            throw new UsageException(name + " needs a value");
        }
        return list.get(i + 1);
    }

    private static boolean isDescriptor(String s) {
        if (s.isEmpty() || s.length() > 9) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private static int descriptor(String name, String value) throws UsageException {
        if (!isDescriptor(value)) {
            throw new UsageException(name + ": not a file descriptor: " + value);
        }
        return Integer.parseInt(value);
    }
}
