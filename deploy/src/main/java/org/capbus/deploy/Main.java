package org.capbus.deploy;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

import org.capbus.adapters.log.CapbusLog;
import org.capbus.adapters.transport.FatalErrorHandler;
import org.capbus.adapters.transport.TransportPreparation;
import org.capbus.config.ConfigException;
import org.capbus.dbus.driver.Driver;

/**
 * The capbus daemon's entry point, with dbus-daemon's command line: parses it, answers {@code --version},
 * {@code --help} and {@code --introspect}, daemonizes for {@code --fork}, and otherwise runs the bus in the
 * foreground until SIGTERM. Exit status as dbus-daemon: 0 after a clean stop, 1 on a bad command line or a
 * configuration or listening failure.
 */
public final class Main {
    /** capbus's version. */
    public static final String VERSION = "0.1.0";

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        PrintStream err = System.err;
        Thread.setDefaultUncaughtExceptionHandler(Main::uncaught);
        if (args.length == 1 && args[0].startsWith("--upgrade=")) {
            return UpgradeCommand.run(args[0].substring("--upgrade=".length()));
        }
        DaemonOptions options;
        try {
            options = DaemonOptions.parse(args);
        } catch (DaemonOptions.UsageException e) {
            err.println("capbus: " + e.getMessage());
            err.println(DaemonOptions.USAGE);
            return 1;
        }
        if (options.help()) {
            System.out.println(DaemonOptions.USAGE);
            return 0;
        }
        if (options.version()) {
            System.out.println("capbus " + VERSION + " (D-Bus message bus, dbus-daemon compatible)");
            return 0;
        }
        if (options.introspect()) {
            System.out.print(Driver.introspectionXml());
            System.out.flush();
            return 0;
        }
        Optional<java.nio.file.Path> configFile = Daemon.configPath(options);
        if (configFile.isEmpty() && !options.session()) {
            err.println("No configuration file specified.");
            err.println(DaemonOptions.USAGE);
            return 1;
        }
        // A bus will run here: its transport's start-up work overlaps the configuration's (see TransportPreparation).
        // Not before an explicit --fork, whose child (another process) runs the bus.
        if (!options.fork().orElse(false)) {
            TransportPreparation.begin();
        }
        org.capbus.config.BusConfig config;
        try {
            config = Daemon.loadConfig(options);
        } catch (ConfigException e) {
            err.println("capbus: Failed to start message bus: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("capbus: Failed to start message bus: " + e.getMessage());
            return 1;
        }
        CapbusLog.configure(logDestination(options, config));
        String handover = System.getenv(Upgrader.HANDOVER_ENV);
        boolean fork = options.fork().orElse(config.fork());
        if (fork && handover == null && System.getenv(Forker.CHILD_MARKER) == null) {
            return Forker.forkDaemon(args, options);
        }
        Daemon daemon;
        if (handover != null) {
            daemon = Takeover.run(options, config, java.nio.file.Path.of(handover));
            if (daemon == null) {
                return 1;
            }
        } else {
            try {
                daemon = Daemon.start(options, config);
            } catch (IOException | RuntimeException e) {
                err.println("capbus: Failed to start message bus: " + e.getMessage());
                return 1;
            }
        }
        daemon.commandLine(args);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            daemon.stop();
            stopped.countDown();
        }, "capbus-shutdown"));
        Signals.onHangup(daemon::reloadConfig);
        if (!Signals.onUpgrade(daemon::upgrade)) {
            org.slf4j.LoggerFactory.getLogger(Main.class).warn("SIGUSR2 does not upgrade this bus: the JVM suspends"
                    + " threads with it (start the bus through bin/capbus, which sets {})",
                    Signals.SUSPEND_SIGNAL_VARIABLE);
        }
        try {
            if (handover == null) {
                daemon.announce();
            }
        } catch (IOException e) {
            err.println("capbus: cannot print the address or pid: " + e.getMessage());
            return 1;
        }
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /**
     * Where log lines go, as dbus-daemon decides: {@code --nosyslog} standard error; {@code --syslog} the system log
     * and standard error; {@code --syslog-only} the system log; otherwise the system log too when the configuration
     * says {@code <syslog/>} (system.conf does).
     */
    static CapbusLog.Destination logDestination(DaemonOptions options, org.capbus.config.BusConfig config) {
        return switch (options.syslog().orElse("")) {
            case "nosyslog" -> CapbusLog.Destination.STDERR;
            case "syslog" -> CapbusLog.Destination.SYSTEM_LOG_AND_STDERR;
            case "syslog-only" -> CapbusLog.Destination.SYSTEM_LOG;
            default -> config.syslog() ? CapbusLog.Destination.SYSTEM_LOG_AND_STDERR : CapbusLog.Destination.STDERR;
        };
    }

    /**
     * A thread other than the event loop (metrics, configuration reload) ended with a throwable: an {@link Error} there
     * means the JVM is in trouble (usually out of memory), so the bus stops at once and loudly, as for one on the loop;
     * anything else is a bug of that thread, logged.
     */
    private static void uncaught(Thread thread, Throwable t) {
        if (t instanceof Error) {
            FatalErrorHandler.HALT.fatal("thread " + thread.getName(), t);
        } else {
            org.slf4j.LoggerFactory.getLogger(Main.class).error("thread {} failed", thread.getName(), t);
        }
    }

    /** The arguments without the ones {@code --fork} handling replaces. */
    static List<String> withoutPrintAndFork(String[] args) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            switch (name) {
                case "--fork", "--nofork" -> { }
                case "--print-address", "--print-pid" -> {
                    if (!a.contains("=") && i + 1 < args.length && args[i + 1].matches("[0-9]{1,9}")) {
                        i++;
                    }
                }
                default -> out.add(a);
            }
        }
        return out;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
