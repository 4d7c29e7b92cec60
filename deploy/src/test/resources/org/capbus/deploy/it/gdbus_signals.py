#!/usr/bin/python3
"""GDBus (through python3-gi) subscribing and unsubscribing signal rules as GLib's gdbus-connection test does.

Usage: gdbus_signals.py arg0|arg0namespace|arg0path

Subscribes rule A (interface, member, path) and rule B (A plus an arg0 condition of the given kind), emits a
signal both match, unsubscribes both, subscribes both again and emits a signal only A matches. GDBus sends
AddMatch/RemoveMatch without waiting for their replies, so they reach the bus pipelined with the signal. Prints
one line per delivered callback: 'round subscription arg0', then 'done'.
"""
import sys

from gi.repository import Gio, GLib

KIND = sys.argv[1]
FLAGS = {
    "arg0": Gio.DBusSignalFlags.NONE,
    "arg0namespace": Gio.DBusSignalFlags.MATCH_ARG0_NAMESPACE,
    "arg0path": Gio.DBusSignalFlags.MATCH_ARG0_PATH,
}[KIND]
RULE_ARG0, BOTH, ONLY_A = {
    "arg0": ("foo", "foo", "bar"),
    "arg0namespace": ("org.gtk", "org.gtk.Example", "org.gtkexample"),
    "arg0path": ("/path/", "/path/to/something", "/other"),
}[KIND]

connection = Gio.bus_get_sync(Gio.BusType.SESSION, None)
loop = GLib.MainLoop()
seen = []
current = ["first"]


def on_signal(conn, sender, path, interface, member, parameters, name):
    seen.append("%s %s %s" % (current[0], name, parameters[0]))


def on_end(conn, sender, path, interface, member, parameters, data):
    loop.quit()


def subscribe():
    a = connection.signal_subscribe(None, "org.gtk.ExampleInterface", "Foo", "/", None,
                                    Gio.DBusSignalFlags.NONE, on_signal, "A")
    b = connection.signal_subscribe(None, "org.gtk.ExampleInterface", "Foo", "/", RULE_ARG0, FLAGS, on_signal, "B")
    return a, b


def emit(value):
    connection.emit_signal(None, "/", "org.gtk.ExampleInterface", "Foo", GLib.Variant("(s)", (value,)))


def settle():
    # An End signal to ourselves, subscribed before it is sent, marks the point where everything earlier arrived
    # (the bus keeps one connection's messages in order).
    end = connection.signal_subscribe(None, "org.capbus.Test", "End", "/", None, Gio.DBusSignalFlags.NONE,
                                      on_end, None)
    connection.emit_signal(None, "/", "org.capbus.Test", "End", None)
    GLib.timeout_add_seconds(10, loop.quit)
    loop.run()
    connection.signal_unsubscribe(end)


ids = subscribe()
emit(BOTH)
settle()
for i in ids:
    connection.signal_unsubscribe(i)
current[0] = "second"
ids = subscribe()
emit(ONLY_A)
settle()
for line in sorted(seen):
    print(line)
print("done")
