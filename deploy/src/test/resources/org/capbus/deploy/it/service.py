#!/usr/bin/python3
"""Test service for the capbus integration tests (python3-dbus).

Usage: service.py WELL_KNOWN_NAME
Connects to $DBUS_SESSION_BUS_ADDRESS (else $DBUS_STARTER_ADDRESS), exports /org/capbus/Test (interface
org.capbus.Test), requests the name, prints "READY <unique name>" and serves until the bus goes away or it is
terminated.
"""
import os
import sys
import tempfile

import dbus
import dbus.bus
import dbus.service
import dbus.mainloop.glib
from gi.repository import GLib

IFACE = 'org.capbus.Test'


class TestObject(dbus.service.Object):
    def __init__(self, conn, loop):
        super().__init__(conn, '/org/capbus/Test')
        self.loop = loop

    @dbus.service.method(IFACE, in_signature='s', out_signature='s')
    def EchoString(self, s):
        return s

    @dbus.service.method(IFACE, in_signature='ii', out_signature='i')
    def Add(self, a, b):
        return a + b

    @dbus.service.method(IFACE, in_signature='ax', out_signature='x')
    def Sum(self, values):
        return sum(values)

    @dbus.service.method(IFACE, in_signature='as', out_signature='as')
    def Reverse(self, values):
        return list(reversed(values))

    @dbus.service.method(IFACE, in_signature='v', out_signature='v')
    def EchoVariant(self, v):
        return v

    @dbus.service.method(IFACE, in_signature='a{sv}', out_signature='a{sv}')
    def EchoDict(self, d):
        return d

    @dbus.service.method(IFACE, in_signature='(sib)', out_signature='(sib)')
    def EchoStruct(self, s):
        return s

    @dbus.service.method(IFACE, in_signature='ay', out_signature='ay', byte_arrays=True)
    def EchoBytes(self, b):
        return dbus.ByteArray(b)

    @dbus.service.method(IFACE, in_signature='s', out_signature='')
    def EmitChanged(self, value):
        self.Changed(value)

    @dbus.service.signal(IFACE, signature='s')
    def Changed(self, value):
        pass

    @dbus.service.method(IFACE, in_signature='s', out_signature='h')
    def OpenFile(self, content):
        with tempfile.TemporaryFile() as f:
            f.write(content.encode('utf-8'))
            f.flush()
            f.seek(0)
            return dbus.types.UnixFd(f)

    @dbus.service.method(IFACE, in_signature='s', out_signature='s')
    def Getenv(self, variable):
        # For activation tests: what the bus put into an activated service's environment ('' if unset).
        return os.environ.get(variable, '')

    @dbus.service.method(IFACE, in_signature='h', out_signature='s')
    def TakeFd(self, fd):
        # For activation tests: a descriptor that waited with its call for the service to start arrives open.
        number = fd.take()
        kind = 'char-device' if os.path.stat.S_ISCHR(os.fstat(number).st_mode) else 'other'
        os.close(number)
        return 'fd-' + kind

    @dbus.service.method(IFACE, in_signature='', out_signature='s', sender_keyword='sender')
    def WhoAmI(self, sender=None):
        return sender

    @dbus.service.method(IFACE, in_signature='', out_signature='',
                         async_callbacks=('reply', 'error'))
    def ExitWithoutReply(self, reply, error):
        # Never replies: the bus must answer the pending call with org.freedesktop.DBus.Error.NoReply.
        os._exit(0)


def main():
    name = sys.argv[1]
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    loop = GLib.MainLoop()
    # A system service started by the launch helper has only the starter's address (the helper clears the rest).
    address = os.environ.get('DBUS_SESSION_BUS_ADDRESS') or os.environ['DBUS_STARTER_ADDRESS']
    conn = dbus.bus.BusConnection(address)
    conn.call_on_disconnection(lambda _conn: loop.quit())
    obj = TestObject(conn, loop)
    bus_name = dbus.service.BusName(name, conn, do_not_queue=True)
    print('READY', conn.get_unique_name(), flush=True)
    loop.run()
    del bus_name, obj


if __name__ == '__main__':
    main()
