package org.capbus.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A message bus configuration in dbus-daemon's XML format (dbus-daemon(1), "CONFIGURATION FILE"),
 * read into immutable settings: the top-level file with every {@code <include>} and
 * {@code <includedir>} expanded in place.
 *
 * <p>Produced by {@link #load} on whatever thread reads configuration (never the event loop: it
 * reads files); handed whole to the bus, which never reads files itself.
 *
 * @param file           the top-level file, or null for {@link #builtinSession()}
 * @param type           {@code <type>}: "session", "system" or anything else; null if absent
 * @param user           {@code <user>} to run as, or null
 * @param fork           {@code <fork/>}
 * @param keepUmask      {@code <keep_umask/>}
 * @param syslog         {@code <syslog/>}
 * @param allowAnonymous {@code <allow_anonymous/>}
 * @param pidfile        {@code <pidfile>}, or null
 * @param servicehelper  {@code <servicehelper>} (absolute), or null
 * @param listen         {@code <listen>} addresses, in order; at least one
 * @param auth           {@code <auth>} mechanisms, in order; empty means all supported ones
 * @param serviceDirs    activation directories, in search order, no duplicates
 * @param configDirs     the {@code <includedir>} directories that existed (to watch for reload)
 * @param limits         {@code <limit>} values over dbus-daemon's defaults
 * @param policy         every {@code <policy>} in file order
 * @param selinuxContexts {@code <selinux><associate own="name" context="ctx"/>}: name to context
 * @param apparmorMode   {@code <apparmor mode="...">}: "required", "enabled" or "disabled"; null if absent
 * @param warnings       faults dbus-daemon only logs (broken files in an {@code <includedir>}, skipped)
 * @param metrics        capbus's {@code <metrics address="HOST:PORT"/>}: serve Prometheus metrics there; null
 *                       (the default) serves none
 * @param nativeProtocol capbus's {@code <capbus_native enabled="true|false"/>}: whether clients may switch a connection
 *                       to the native capability protocol (docs/native-protocol.md); true unless turned off
 */
public record BusConfig(Path file, String type, String user, boolean fork, boolean keepUmask, boolean syslog,
                        boolean allowAnonymous, Path pidfile, Path servicehelper, List<String> listen,
                        List<String> auth, List<ServiceDir> serviceDirs, List<Path> configDirs, BusLimits limits,
                        BusPolicy policy, Map<String, String> selinuxContexts, String apparmorMode,
                        List<ConfigProblem> warnings, MetricsAddress metrics, boolean nativeProtocol) {

    /** A configuration with the native protocol on (the default). */
    public BusConfig(Path file, String type, String user, boolean fork, boolean keepUmask, boolean syslog,
                     boolean allowAnonymous, Path pidfile, Path servicehelper, List<String> listen,
                     List<String> auth, List<ServiceDir> serviceDirs, List<Path> configDirs, BusLimits limits,
                     BusPolicy policy, Map<String, String> selinuxContexts, String apparmorMode,
                     List<ConfigProblem> warnings, MetricsAddress metrics) {
        this(file, type, user, fork, keepUmask, syslog, allowAnonymous, pidfile, servicehelper, listen, auth,
                serviceDirs, configDirs, limits, policy, selinuxContexts, apparmorMode, warnings, metrics, true);
    }

    public BusConfig {
        listen = List.copyOf(listen);
        auth = List.copyOf(auth);
        serviceDirs = List.copyOf(serviceDirs);
        configDirs = List.copyOf(configDirs);
        selinuxContexts = Map.copyOf(selinuxContexts);
        warnings = List.copyOf(warnings);
    }

    /**
     * Reads {@code file} and everything it includes, with this process's environment.
     *
     * @throws ConfigException naming the file, line and reason of the first fault
     */
    public static BusConfig load(Path file) throws ConfigException {
        return load(file, ConfigEnvironment.fromSystem());
    }

    /** Reads {@code file} and everything it includes, with {@code env} for service dirs and SELinux. */
    public static BusConfig load(Path file, ConfigEnvironment env) throws ConfigException {
        return new ConfigLoader(env).loadTopLevel(file);
    }

    /** The settings of dbus-daemon's stock session.conf, without reading it or its includes. */
    public static BusConfig builtinSession() {
        return builtinSession(ConfigEnvironment.fromSystem());
    }

    /**
     * The settings of dbus-daemon's stock session.conf: type session, keep_umask, listen on
     * {@code unix:tmpdir=/tmp}, EXTERNAL authentication, the standard session service directories,
     * a default policy that allows sending (and eavesdropping), receiving and owning anything, and
     * the session limits.
     */
    public static BusConfig builtinSession(ConfigEnvironment env) {
        String src = "builtin:session.conf";
        List<PolicyRule> rules = List.of(
                new SendRule(true, null, null, null, null, null, null, false, Tristate.ANY, true, true, false,
                        0, ClientPolicy.MAX_MESSAGE_UNIX_FDS, src),
                new ReceiveRule(true, null, null, null, null, null, null, true, true,
                        0, ClientPolicy.MAX_MESSAGE_UNIX_FDS, src),
                new OwnRule(true, null, false, src));
        BusPolicy policy = new BusPolicy(List.of(new PolicySection(PolicyContext.DEFAULT, null, false, rules)));
        return new BusConfig(null, "session", null, false, true, false, false, null, null,
                List.of("unix:tmpdir=/tmp"), List.of("EXTERNAL"), env.standardSessionServiceDirs(), List.of(),
                BusLimits.session(), policy, Map.of(), null, List.of(), null);
    }
}
