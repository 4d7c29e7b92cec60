#!/usr/bin/python3
"""Descriptors in flight across a live upgrade, for LiveUpgradeIT (python3-dbus). Prints one line per observation.

Usage:
  fd_flood.py receiver N GATE  connects, prints 'READY <unique name>', then reads nothing from the bus until the file
                               GATE exists (so what the bus sends it waits in the bus); then expects N calls
                               Take(i, fd, padding) in order, each with an open descriptor of /dev/null, and prints
                               'GOT N' (or 'BAD ...' at the first one that is not so)
  fd_flood.py sender DEST N    sends N calls Take(i, /dev/null, 32 KiB) to DEST without expecting replies; prints
                               'SENT N'
"""
import os
import stat
import sys
import time

import dbus
import dbus.bus
import dbus.lowlevel
import dbus.mainloop.glib
from gi.repository import GLib

PATH = '/org/capbus/Flood'
IFACE = 'org.capbus.Flood'


def receiver(n, gate):
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    conn = dbus.bus.BusConnection(os.environ['DBUS_SESSION_BUS_ADDRESS'])
    print('READY', conn.get_unique_name(), flush=True)
    # The main loop does not run, so nothing reads the socket: the bus has to keep what it sends.
    while not os.path.exists(gate):
        time.sleep(0.05)
    loop = GLib.MainLoop()
    seen = [0]

    def on_message(_conn, msg):
        if msg.get_type() != dbus.lowlevel.MESSAGE_TYPE_METHOD_CALL or msg.get_member() != 'Take':
            return dbus.lowlevel.HANDLER_RESULT_NOT_YET_HANDLED
        i, fd, _padding = msg.get_args_list()
        number = fd.take()
        mode = os.fstat(number).st_mode
        os.close(number)
        if i != seen[0] or not stat.S_ISCHR(mode):
            print('BAD call %d as number %d, descriptor mode %o' % (i, seen[0], mode), flush=True)
            loop.quit()
        seen[0] += 1
        if seen[0] == n:
            print('GOT', n, flush=True)
            loop.quit()
        return dbus.lowlevel.HANDLER_RESULT_HANDLED

    conn.add_message_filter(on_message)
    GLib.timeout_add_seconds(60, loop.quit)
    loop.run()


def sender(dest, n):
    conn = dbus.bus.BusConnection(os.environ['DBUS_SESSION_BUS_ADDRESS'])
    padding = 'x' * 32768
    with open('/dev/null', 'rb') as f:
        for i in range(n):
            msg = dbus.lowlevel.MethodCallMessage(dest, PATH, IFACE, 'Take')
            msg.append(dbus.Int32(i), dbus.types.UnixFd(f), padding, signature='ihs')
            msg.set_no_reply(True)
            conn.send_message(msg)
    conn.flush()
    # A round trip: everything sent before it has been read by the bus.
    conn.call_blocking('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'GetId', '', ())
    print('SENT', n, flush=True)


def main():
    if sys.argv[1] == 'receiver':
        receiver(int(sys.argv[2]), sys.argv[3])
    elif sys.argv[1] == 'sender':
        sender(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit('unknown mode ' + sys.argv[1])


if __name__ == '__main__':
    main()
