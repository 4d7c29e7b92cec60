package org.capbus.dbus.broker;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.capbus.dbus.activation.ActivationError;
import org.capbus.dbus.activation.LaunchRequest;
import org.capbus.dbus.activation.ServiceLauncher;

/** A launcher that starts nothing: it records what the bus asked for, and a test fails a launch when it likes. */
final class FakeLauncher implements ServiceLauncher {
    final List<LaunchRequest> requests = new ArrayList<>();
    final List<Consumer<ActivationError>> failures = new ArrayList<>();
    final List<Boolean> killed = new ArrayList<>();

    @Override
    public Launch launch(LaunchRequest request, Consumer<ActivationError> onFailure) {
        int i = requests.size();
        requests.add(request);
        failures.add(onFailure);
        killed.add(false);
        return new Launch() {
            @Override
            public void kill() {
                killed.set(i, true);
            }

            @Override
            public long pid() {
                return 100_000 + i;
            }
        };
    }

    /** Launch {@code i} fails with {@code error}, as the launcher's thread would report it. */
    void fail(int i, ActivationError error) {
        failures.get(i).accept(error);
    }
}
