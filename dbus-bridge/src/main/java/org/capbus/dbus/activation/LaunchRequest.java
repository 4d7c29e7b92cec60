package org.capbus.dbus.activation;

import java.util.List;
import java.util.Map;

/**
 * What to start for one activation. Immutable.
 *
 * @param serviceName  the bus name being activated (dbus-daemon's log name for the child, used in error texts)
 * @param argv         the program and its arguments (the Exec= line split, or the launch helper and the name)
 * @param environment  the child's whole environment
 * @param launchHelper whether {@code argv} runs the system bus's launch helper, whose exit codes mean errors
 */
public record LaunchRequest(String serviceName, List<String> argv, Map<String, String> environment,
                            boolean launchHelper) {
    public LaunchRequest {
        argv = List.copyOf(argv);
        environment = Map.copyOf(environment);
    }
}
