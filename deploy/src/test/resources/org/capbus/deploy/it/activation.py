#!/usr/bin/python3
"""Activation scenarios for the capbus integration tests (python3-dbus). Prints one line per observation.

Usage:
  activation.py calls NAME N [fd]  N callers on two connections call NAME's EchoString (auto-start) and one calls
                                 StartServiceByName(NAME) at the same time; prints each outcome, sorted; with fd, the
                                 first call is TakeFd with a descriptor of /dev/null instead
  activation.py systemd          plays systemd: owns org.freedesktop.systemd1, prints every ActivationRequest it gets;
                                 for unit ok.service it takes org.capbus.ViaSystemd and serves org.capbus.Test there,
                                 for any other unit it answers with ActivationFailure
"""
import os
import sys

import dbus
import dbus.bus
import dbus.lowlevel
import dbus.service
import dbus.mainloop.glib
from gi.repository import GLib

BUS = 'org.freedesktop.DBus'


def outcome_error(e):
    return 'error=%s|%s' % (e.get_dbus_name(), e.get_dbus_message())


def calls(name, n, with_fd):
    loop = GLib.MainLoop()
    address = os.environ['DBUS_SESSION_BUS_ADDRESS']
    conns = [dbus.bus.BusConnection(address), dbus.bus.BusConnection(address)]
    results = []
    expected = n + 1

    def done(line):
        results.append(line)
        if len(results) == expected:
            loop.quit()

    for i in range(n):
        conn = conns[i % 2]
        if i == 0 and with_fd:
            with open('/dev/null', 'rb') as f:
                conn.call_async(name, '/org/capbus/Test', 'org.capbus.Test', 'TakeFd', 'h', (dbus.types.UnixFd(f),),
                                lambda r: done('reply=%s' % r), lambda e: done(outcome_error(e)), timeout=60)
            continue
        # call_async: a proxy object would first ask the bus to start the name, blocking.
        conn.call_async(name, '/org/capbus/Test', 'org.capbus.Test', 'EchoString', 's', ('call%d' % i,),
                        lambda r: done('reply=%s' % r), lambda e: done(outcome_error(e)), timeout=60)
    conns[1].call_async(BUS, '/org/freedesktop/DBus', BUS, 'StartServiceByName', 'su', (name, 0),
                        lambda r: done('started=%d' % r), lambda e: done('start-' + outcome_error(e)), timeout=60)
    GLib.timeout_add_seconds(50, loop.quit)
    loop.run()
    for line in sorted(results):
        print(line)


class Served(dbus.service.Object):
    @dbus.service.method('org.capbus.Test', in_signature='s', out_signature='s')
    def EchoString(self, s):
        return s


def systemd():
    loop = GLib.MainLoop()
    conn = dbus.bus.BusConnection(os.environ['DBUS_SESSION_BUS_ADDRESS'])
    conn.call_on_disconnection(lambda _c: loop.quit())
    Served(conn, '/org/capbus/Test')
    held = []

    def on_request(msg_conn, msg):
        if msg.get_type() != dbus.lowlevel.MESSAGE_TYPE_SIGNAL or msg.get_member() != 'ActivationRequest':
            return dbus.lowlevel.HANDLER_RESULT_NOT_YET_HANDLED
        unit = msg.get_args_list()[0]
        print('request path=%s interface=%s member=%s destination=%s sender=%s signature=%s unit=%s' % (
            msg.get_path(), msg.get_interface(), msg.get_member(), msg.get_destination(), msg.get_sender(),
            msg.get_signature(), unit), flush=True)
        if unit == 'ok.service':
            held.append(dbus.service.BusName('org.capbus.ViaSystemd', conn, do_not_queue=True))
        else:
            failure = dbus.lowlevel.SignalMessage('/org/freedesktop/systemd1', 'org.freedesktop.systemd1.Activator',
                                                  'ActivationFailure')
            failure.set_destination(BUS)
            failure.append(unit, 'org.freedesktop.systemd1.NoSuchUnit', 'Unit %s not found.' % unit)
            conn.send_message(failure)
        return dbus.lowlevel.HANDLER_RESULT_HANDLED

    conn.add_message_filter(on_request)
    held.append(dbus.service.BusName('org.freedesktop.systemd1', conn, do_not_queue=True))
    print('READY', conn.get_unique_name(), flush=True)
    loop.run()


def main():
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    mode = sys.argv[1]
    if mode == 'calls':
        calls(sys.argv[2], int(sys.argv[3]), len(sys.argv) > 4 and sys.argv[4] == 'fd')
    elif mode == 'systemd':
        systemd()
    else:
        raise SystemExit('unknown mode ' + mode)


if __name__ == '__main__':
    main()
