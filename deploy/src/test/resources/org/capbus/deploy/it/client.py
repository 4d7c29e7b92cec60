#!/usr/bin/python3
"""Test client for the capbus integration tests (python3-dbus).

Usage: client.py SCENARIO [SERVICE_NAME]
Connects to $DBUS_SESSION_BUS_ADDRESS and prints one "key=value" line per observation; the Java test asserts them.
Values are normalised to plain Python types first, so the lines do not depend on dbus-python's type wrappers.
"""
import hashlib
import os
import sys

import dbus
import dbus.bus
import dbus.lowlevel
import dbus.mainloop.glib
from gi.repository import GLib

IFACE = 'org.capbus.Test'
PATH = '/org/capbus/Test'
TIMEOUT = 15


def plain(value):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, dbus.Boolean):
        return bool(value)
    if isinstance(value, (dbus.String, dbus.ObjectPath, dbus.Signature)):
        return str(value)
    if isinstance(value, (int,)):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in sorted(value.items())}
    if isinstance(value, tuple) or isinstance(value, dbus.Struct):
        return tuple(plain(v) for v in value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def out(key, value):
    print('%s=%r' % (key, value), flush=True)


def connect():
    return dbus.bus.BusConnection(os.environ['DBUS_SESSION_BUS_ADDRESS'])


def scenario_types(name):
    test = dbus.Interface(connect().get_object(name, PATH), IFACE)
    out('EchoString', plain(test.EchoString('grüße, capbus', timeout=TIMEOUT)))
    out('EchoEmptyString', plain(test.EchoString('', timeout=TIMEOUT)))
    out('Add', plain(test.Add(-7, 49, timeout=TIMEOUT)))
    out('Sum', plain(test.Sum(dbus.Array([1, 2, 2 ** 40], signature='x'), timeout=TIMEOUT)))
    out('Reverse', plain(test.Reverse(['a', 'b', 'c'], timeout=TIMEOUT)))
    out('EchoVariantInt', plain(test.EchoVariant(dbus.UInt16(65535, variant_level=1), timeout=TIMEOUT)))
    out('EchoVariantArray', plain(test.EchoVariant(dbus.Array(['x', 'y'], signature='s', variant_level=1),
                                                   timeout=TIMEOUT)))
    out('EchoDict', plain(test.EchoDict(dbus.Dictionary({'n': dbus.Int32(1), 's': 'two', 'b': True,
                                                         'd': dbus.Double(2.5)}, signature='sv'), timeout=TIMEOUT)))
    out('EchoStruct', plain(test.EchoStruct(dbus.Struct(('s', 7, True), signature='sib'), timeout=TIMEOUT)))
    data = bytes(i * 7 % 251 for i in range(1024 * 1024))
    echoed = test.EchoBytes(dbus.ByteArray(data), byte_arrays=True, timeout=TIMEOUT)
    out('EchoBytes', 'len=%d sha256=%s' % (len(echoed), hashlib.sha256(bytes(echoed)).hexdigest()))


def scenario_fd(name):
    test = dbus.Interface(connect().get_object(name, PATH), IFACE)
    fd = test.OpenFile('content passed by fd', timeout=TIMEOUT)
    out('FdType', type(fd).__name__)
    raw = fd.take()
    with os.fdopen(raw, 'rb') as f:
        out('FdContent', f.read().decode('utf-8'))


def scenario_noreply(name):
    test = dbus.Interface(connect().get_object(name, PATH), IFACE)
    try:
        test.ExitWithoutReply(timeout=TIMEOUT)
        out('NoReply', 'unexpected reply')
    except dbus.exceptions.DBusException as e:
        out('NoReply', e.get_dbus_name())


def run_until(loop, predicate):
    def timeout():
        loop.quit()
        return False
    GLib.timeout_add_seconds(TIMEOUT, timeout)
    while not predicate():
        context = loop.get_context()
        context.iteration(True)


def scenario_arg0():
    """The bus filters by arg0: the receiver's raw match rule, not a client-side filter, decides what it sees."""
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    loop = GLib.MainLoop()
    receiver = connect()
    sender = connect()
    seen = []

    def on_message(_conn, message):
        if message.get_type() == dbus.lowlevel.MESSAGE_TYPE_SIGNAL and message.get_interface() == 'org.capbus.Arg':
            seen.append((message.get_member(), plain(message.get_args_list()[0]), message.get_sender()))
        return dbus.lowlevel.HANDLER_RESULT_NOT_YET_HANDLED

    receiver.add_message_filter(on_message)
    receiver.add_match_string("type='signal',interface='org.capbus.Arg',member='Changed',arg0='wanted'")
    receiver.add_match_string("type='signal',interface='org.capbus.Arg',arg0namespace='org.capbus.ns'")
    receiver.add_match_string("type='signal',interface='org.capbus.Arg',member='End'")
    receiver.get_unique_name()  # a round trip to the bus: the match rules above are installed
    for member, arg in [('Changed', 'unwanted'), ('Changed', 'wanted'), ('Changed', 'wanted.not'),
                        ('Other', 'wanted'), ('Ns', 'org.capbus.ns.child'), ('Ns', 'org.capbus.nsx'),
                        ('Ns', 'org.capbus.ns'), ('End', 'end')]:
        signal = dbus.lowlevel.SignalMessage('/org/capbus/Arg', 'org.capbus.Arg', member)
        signal.append(arg, signature='s')
        sender.send_message(signal)
    sender.flush()
    run_until(loop, lambda: any(m == 'End' for m, _a, _s in seen))
    for member, arg, who in seen:
        out('Seen', '%s %s %s' % (member, arg, 'sender' if who == sender.get_unique_name() else who))


def scenario_nameowner():
    """NameOwnerChanged for a RequestName and for the owner's disconnect, as a listener on another connection sees it."""
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    loop = GLib.MainLoop()
    listener = connect()
    changes = []
    listener.add_signal_receiver(lambda name, old, new: changes.append((str(name), str(old), str(new))),
                                 signal_name='NameOwnerChanged', dbus_interface='org.freedesktop.DBus',
                                 bus_name='org.freedesktop.DBus', path='/org/freedesktop/DBus',
                                 arg0='org.capbus.Watched')
    listener.get_unique_name()
    owner = dbus.bus.BusConnection(os.environ['DBUS_SESSION_BUS_ADDRESS'])
    owner_name = owner.get_unique_name()
    out('RequestName', int(owner.request_name('org.capbus.Watched', dbus.bus.NAME_FLAG_DO_NOT_QUEUE)))
    run_until(loop, lambda: len(changes) >= 1)
    owner.close()
    run_until(loop, lambda: len(changes) >= 2)
    for name, old, new in changes:
        out('NameOwnerChanged', '%s [%s] [%s]' % (name, 'owner' if old == owner_name else old,
                                                  'owner' if new == owner_name else new))


def scenario_names(name):
    """RequestName/ReleaseName result codes, on one connection, against a name held by the service NAME."""
    conn = connect()
    out('RequestFree', int(conn.request_name('org.capbus.Free', 0)))
    out('RequestAgain', int(conn.request_name('org.capbus.Free', 0)))
    out('ReleaseOwned', int(conn.release_name('org.capbus.Free')))
    out('ReleaseAgain', int(conn.release_name('org.capbus.Free')))
    out('RequestHeldDoNotQueue', int(conn.request_name(name, dbus.bus.NAME_FLAG_DO_NOT_QUEUE)))
    out('RequestHeldQueue', int(conn.request_name(name, 0)))
    out('ReleaseQueued', int(conn.release_name(name)))
    out('ReleaseNotOwner', int(conn.release_name(name)))
    out('NameOwner', 'service' if conn.get_name_owner(name).startswith(':') else 'none')


def main():
    scenario = sys.argv[1]
    args = sys.argv[2:]
    globals()['scenario_' + scenario](*args)


if __name__ == '__main__':
    main()
