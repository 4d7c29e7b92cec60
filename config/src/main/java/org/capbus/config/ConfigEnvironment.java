package org.capbus.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What the loader takes from outside the files: the XDG variables that
 * {@code <standard_session_servicedirs/>} expands with, the home directory, and SELinux state
 * (for {@code <include if_selinux_enabled="yes" selinux_root_relative="yes">}).
 *
 * @param xdgDataHome       {@code $XDG_DATA_HOME}, or null if unset
 * @param xdgDataDirs       {@code $XDG_DATA_DIRS}, or null if unset
 * @param xdgRuntimeDir     {@code $XDG_RUNTIME_DIR}, or null if unset
 * @param home              the home directory of the bus's user
 * @param selinuxEnabled    whether SELinux is enabled (capbus has no SELinux support: false)
 * @param selinuxPolicyRoot the SELinux policy root, or null
 */
public record ConfigEnvironment(String xdgDataHome, String xdgDataDirs, String xdgRuntimeDir, String home,
                                boolean selinuxEnabled, Path selinuxPolicyRoot) {

    /** dbus-daemon's DBUS_DATADIR on Linux distributions. */
    static final String DATADIR = "/usr/share";

    /** This process's environment. */
    public static ConfigEnvironment fromSystem() {
        return new ConfigEnvironment(System.getenv("XDG_DATA_HOME"), System.getenv("XDG_DATA_DIRS"),
                System.getenv("XDG_RUNTIME_DIR"), System.getProperty("user.home"), false, null);
    }

    /**
     * The directories of {@code <standard_session_servicedirs/>}, in dbus-daemon's order, duplicates
     * removed: the transient {@code $XDG_RUNTIME_DIR/dbus-1/services} (if the variable is set; not
     * watched, strict naming), then {@code $XDG_DATA_HOME} (default {@code ~/.local/share}), each of
     * {@code $XDG_DATA_DIRS} (default {@code /usr/local/share:/usr/share}), and {@code /usr/share},
     * each with {@code /dbus-1/services} appended.
     *
     * <p>dbus-daemon also creates the transient directory; that is the launcher's job here.
     */
    public List<ServiceDir> standardSessionServiceDirs() {
        List<ServiceDir> dirs = new ArrayList<>();
        if (xdgRuntimeDir != null && !xdgRuntimeDir.isEmpty()) {
            dirs.add(new ServiceDir(Path.of(xdgRuntimeDir, "dbus-1", "services"), false, true));
        }
        List<String> bases = new ArrayList<>();
        bases.add(xdgDataHome != null ? xdgDataHome : Path.of(home, ".local", "share").toString());
        splitInto(xdgDataDirs != null ? xdgDataDirs : "/usr/local/share:/usr/share", bases);
        bases.add(DATADIR);
        for (String base : bases) {
            dirs.add(new ServiceDir(Path.of(base, "dbus-1", "services"), true, false));
        }
        return unique(dirs);
    }

    /**
     * The directories of {@code <standard_system_servicedirs/>}: {@code /usr/local/share},
     * {@code /usr/share} and {@code /lib} (for early boot without /usr), each with
     * {@code /dbus-1/system-services} appended. dbus-daemon does not consult XDG variables here.
     */
    public List<ServiceDir> standardSystemServiceDirs() {
        List<ServiceDir> dirs = new ArrayList<>();
        for (String base : List.of("/usr/local/share", "/usr/share", DATADIR, "/lib")) {
            dirs.add(new ServiceDir(Path.of(base, "dbus-1", "system-services"), true, false));
        }
        return unique(dirs);
    }

    private static void splitInto(String pathList, List<String> out) {
        for (String p : pathList.split(":")) {
            if (!p.isEmpty()) {
                out.add(p);
            }
        }
    }

    private static List<ServiceDir> unique(List<ServiceDir> dirs) {
        Set<Path> seen = new LinkedHashSet<>();
        List<ServiceDir> out = new ArrayList<>();
        for (ServiceDir d : dirs) {
            if (seen.add(d.path())) {
                out.add(d);
            }
        }
        return List.copyOf(out);
    }
}
