package org.capbus.adapters.transport;

import java.util.Map;

/**
 * The listening sockets systemd passes to a socket-activated service ({@code sd_listen_fds(3)}): descriptors 3 to
 * {@code 3 + LISTEN_FDS - 1}, meant for this process only if {@code LISTEN_PID} is its pid. Stateless.
 */
public final class SystemdListenFds {
    /** The first passed descriptor ({@code SD_LISTEN_FDS_START}). */
    public static final int FIRST_FD = 3;
    private static final int[] NONE = new int[0];

    private SystemdListenFds() {
    }

    /** The descriptors passed to this process, or none. */
    public static int[] fromEnvironment() {
        return parse(System.getenv(), ProcessHandle.current().pid());
    }

    /** The descriptors {@code environment} passes to process {@code pid}; none if malformed or for another pid. */
    public static int[] parse(Map<String, String> environment, long pid) {
        String listenPid = environment.get("LISTEN_PID");
        String listenFds = environment.get("LISTEN_FDS");
        if (listenPid == null || listenFds == null) {
            return NONE;
        }
        try {
            if (Long.parseLong(listenPid) != pid) {
                return NONE;
            }
            int count = Integer.parseInt(listenFds);
            if (count <= 0 || count > 65536) {
                return NONE;
            }
            int[] fds = new int[count];
            for (int i = 0; i < count; i++) {
                fds[i] = FIRST_FD + i;
            }
            return fds;
        } catch (NumberFormatException e) {
            return NONE;
        }
    }
}
