package org.capbus.dbus.driver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.capbus.dbus.DBusErrors;

/** {@code org.freedesktop.DBus.Peer}: Ping and GetMachineId, answered by the bus itself. */
final class PeerInterface extends DriverInterface {
    private final List<DriverMethod> methods = List.of(
            new DriverMethod("GetMachineId", "", "s", this::getMachineId),
            new DriverMethod("Ping", "", "", DriverRequest::sendEmpty));

    @Override
    String name() {
        return "org.freedesktop.DBus.Peer";
    }

    @Override
    List<DriverMethod> methods() {
        return methods;
    }

    private void getMachineId(DriverRequest r) {
        String id = machineId();
        if (id == null) {
            r.error(DBusErrors.FAILED, "Unable to load the machine UUID: no /etc/machine-id or /var/lib/dbus/machine-id");
            return;
        }
        r.send(r.reply().string(id));
    }

    /** The machine id, from the files libdbus reads, or null. */
    static String machineId() {
        for (String f : new String[] {"/etc/machine-id", "/var/lib/dbus/machine-id"}) {
            try {
                String s = Files.readString(Path.of(f), StandardCharsets.US_ASCII).trim();
                if (s.length() == 32) {
                    return s;
                }
            } catch (IOException e) {
                // try the next file
            }
        }
        return null;
    }
}
