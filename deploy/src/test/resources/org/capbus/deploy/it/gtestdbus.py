#!/usr/bin/python3
"""GLib's GTestDBus (python3-gi): brings up a private bus with the `dbus-daemon` found on PATH, calls ListNames on it
and tears it down. Prints ADDRESS, UNIQUE, NAMES and DOWN lines for the Java test."""
from gi.repository import Gio, GLib

bus = Gio.TestDBus.new(Gio.TestDBusFlags.NONE)
bus.up()
address = bus.get_bus_address()
print('ADDRESS', address, flush=True)
conn = Gio.DBusConnection.new_for_address_sync(
    address,
    Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
    None, None)
print('UNIQUE', conn.get_unique_name(), flush=True)
reply = conn.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'ListNames',
                       None, GLib.VariantType.new('(as)'), Gio.DBusCallFlags.NONE, 15000, None)
print('NAMES', ' '.join(sorted(reply.unpack()[0])), flush=True)
conn.close_sync(None)
bus.down()
print('DOWN', flush=True)
