package org.capbus.dbus.log;


import org.capbus.dbus.io.PeerCredentials;
import org.capbus.dbus.io.PeerLogInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;
import org.slf4j.MarkerFactory;

/**
 * The bus's operator log: the lines dbus-daemon writes with {@code bus_context_log} (policy denials, activations,
 * quota refusals, protocol violations), with its wording and fields, each prefixed as dbus-daemon prefixes them
 * ({@code [system] } on the system bus, {@code [session uid=U pid=P] } otherwise). This is the one entry point for
 * such lines: call {@link #security}, {@link #warning}, {@link #info} or the activation methods; never format
 * them elsewhere.
 *
 * <p>Where the lines go is the process's business: they are slf4j events of the logger {@value #LOGGER_NAME}
 * (denials with the marker {@link #SECURITY}), which capbus's slf4j backend (adapters, {@code org.capbus.adapters.log})
 * sends to the journal, syslog or standard error as {@code --syslog}/{@code --syslog-only}/{@code --nosyslog} say,
 * rate-limited, through a bounded queue drained by a thread of its own. So a call never blocks: it is safe on the
 * event loop. Any thread; the prefix is set once by the bus at start.
 */
public final class BusLog {
    /** The slf4j logger of the bus log. */
    public static final String LOGGER_NAME = "capbus.bus";
    /** Marks dbus-daemon's {@code DBUS_SYSTEM_LOG_SECURITY} lines (syslog facility auth, priority notice). */
    public static final Marker SECURITY = MarkerFactory.getMarker("SECURITY");
    /** dbus-daemon's limit on the command line quoted as {@code comm="..."}. */
    static final int COMM_MAX = 50;

    private static final Logger LOG = LoggerFactory.getLogger(LOGGER_NAME);
    private static volatile String prefix = "";

    private BusLog() {
    }

    /** Sets the prefix of every line: {@code [system] } for the system bus, else {@code [TYPE uid=U pid=P] }. */
    public static void configure(String busType, long uid, long pid) {
        prefix = "system".equals(busType) ? "[system] " : "[" + busType + " uid=" + uid + " pid=" + pid + "] ";
    }

    /** A security event: a policy denial (dbus-daemon's {@code DBUS_SYSTEM_LOG_SECURITY}). */
    public static void security(String text) {
        LOG.warn(SECURITY, prefix + text);
    }

    /** A warning: a quota refusal, a protocol violation (dbus-daemon's {@code DBUS_SYSTEM_LOG_WARNING}). */
    public static void warning(String text) {
        LOG.warn(prefix + text);
    }

    /** Information: an activation and its outcome (dbus-daemon's {@code DBUS_SYSTEM_LOG_INFO}). */
    public static void info(String text) {
        LOG.info(prefix + text);
    }

    // ---- activation (for the activation engine) ----

    /** A service is being started for a message: {@code Activating service name='N' requested by ':1.5' (...)}. */
    public static void activating(String serviceName, String requester, PeerCredentials requesterCredentials) {
        info("Activating service name='" + serviceName + "' requested by '" + requester + "' ("
                + loginfo(requesterCredentials) + ")");
    }

    /** As {@link #activating}, through systemd: {@code Activating via systemd: service name='N' unit='U' ...}. */
    public static void activatingViaSystemd(String serviceName, String unit, String requester,
                                            PeerCredentials requesterCredentials) {
        info("Activating via systemd: service name='" + serviceName + "' unit='" + unit + "' requested by '"
                + requester + "' (" + loginfo(requesterCredentials) + ")");
    }

    /** The activated service took its name: {@code Successfully activated service 'N'}. */
    public static void activated(String serviceName) {
        info("Successfully activated service '" + serviceName + "'");
    }

    /** The activation failed (exit, timeout, unit failure): {@code Activated service 'N' failed: REASON}. */
    public static void activationFailed(String serviceName, String reason) {
        info("Activated service '" + serviceName + "' failed: " + reason);
    }

    // ---- fields ----

    /**
     * dbus-daemon's description of a connection in log lines and denials ({@code bus_connection_get_loginfo}):
     * {@code uid=U pid=P comm="COMMAND LINE"}, the command line read from {@code /proc/P/cmdline} with its NULs as
     * spaces, cut at 50 bytes, other control characters as {@code ?}. Reads procfs: call it for a line that will be
     * written (a denial), not per message.
     */
    public static String loginfo(PeerCredentials c) {
        return PeerLogInfo.of(c);
    }
}
