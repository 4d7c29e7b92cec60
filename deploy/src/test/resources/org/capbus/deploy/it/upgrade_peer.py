#!/usr/bin/python3
"""Clients for the live-upgrade integration test (python3-dbus), each on $DBUS_SESSION_BUS_ADDRESS.

Usage:
  upgrade_peer.py service NAME      owns NAME, serves /t (org.capbus.Upgrade: Echo(s), Slow(s, u ms) answered later);
                                    prints "READY <unique name>"
  upgrade_peer.py subscriber        adds the match rule interface='org.capbus.Stream'; prints "READY <unique name>",
                                    "GOT <n>" for each Tick(n) and "END <unique name>" at Done, then exits
  upgrade_peer.py emitter COUNT MS  emits Tick(0..COUNT-1), one every MS milliseconds, then Done; prints "END"
  upgrade_peer.py pinger NAME SECS  calls NAME's Echo back to back for SECS seconds; prints "CALLS <n> MAXGAP <ms>"
A client whose connection breaks exits non-zero (python-dbus does not reconnect), which the test sees.
"""
import sys
import time

import dbus
import dbus.service
import dbus.mainloop.glib
from gi.repository import GLib

IFACE = 'org.capbus.Upgrade'
STREAM = 'org.capbus.Stream'


def disconnected_exits(bus, loop):
    def on_disconnect(*args):
        print("DISCONNECTED", flush=True)
        sys.exit(3)
    bus.call_on_disconnection(on_disconnect)


class Service(dbus.service.Object):
    def __init__(self, conn):
        super().__init__(conn, '/t')

    @dbus.service.method(IFACE, in_signature='s', out_signature='s')
    def Echo(self, s):
        return s

    @dbus.service.method(IFACE, in_signature='su', out_signature='s', async_callbacks=('ok', 'err'))
    def Slow(self, s, ms, ok, err):
        GLib.timeout_add(ms, lambda: (ok(s), False)[1])


def main():
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    mode = sys.argv[1]
    loop = GLib.MainLoop()
    bus = dbus.SessionBus()
    bus.set_exit_on_disconnect(True)
    if mode == 'service':
        name = dbus.service.BusName(sys.argv[2], bus)
        Service(bus)
        print("READY", bus.get_unique_name(), flush=True)
        loop.run()
    elif mode == 'subscriber':
        def tick(n):
            print("GOT", int(n), flush=True)

        def done():
            print("END", bus.get_unique_name(), flush=True)
            loop.quit()
        bus.add_signal_receiver(tick, signal_name='Tick', dbus_interface=STREAM)
        bus.add_signal_receiver(done, signal_name='Done', dbus_interface=STREAM)
        # A round trip, so that the match rules are in place before READY.
        bus.get_object('org.freedesktop.DBus', '/org/freedesktop/DBus').GetId(
            dbus_interface='org.freedesktop.DBus')
        print("READY", bus.get_unique_name(), flush=True)
        loop.run()
    elif mode == 'emitter':
        count, ms = int(sys.argv[2]), int(sys.argv[3])
        state = {'n': 0}

        def emit():
            n = state['n']
            if n == count:
                bus.send_message(dbus.lowlevel.SignalMessage('/s', STREAM, 'Done'))
                bus.flush()
                print("END", flush=True)
                loop.quit()
                return False
            m = dbus.lowlevel.SignalMessage('/s', STREAM, 'Tick')
            m.append(dbus.Int32(n))
            bus.send_message(m)
            state['n'] = n + 1
            return True
        GLib.timeout_add(ms, emit)
        loop.run()
    elif mode == 'pinger':
        target = bus.get_object(sys.argv[2], '/t')
        end = time.monotonic() + float(sys.argv[3])
        last = time.monotonic()
        gap = 0.0
        calls = 0
        target.Echo("x", dbus_interface=IFACE)
        print("STARTED", flush=True)
        last = time.monotonic()
        while time.monotonic() < end:
            target.Echo("x", dbus_interface=IFACE)
            now = time.monotonic()
            gap = max(gap, now - last)
            last = now
            calls += 1
        print("CALLS", calls, "MAXGAP", round(gap * 1000, 1), flush=True)
    else:
        sys.exit("unknown mode " + mode)


if __name__ == '__main__':
    import dbus.lowlevel  # noqa: F401 (SignalMessage)
    main()
