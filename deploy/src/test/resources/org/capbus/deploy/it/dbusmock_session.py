#!/usr/bin/python3
"""python-dbusmock: DBusTestCase.start_session_bus() runs `dbus-daemon --fork --print-address=1 --print-pid=1
--config-file=...` from PATH; a mock server is spawned on it, given a method, called, and everything is stopped."""
import subprocess

import dbus
import dbusmock


class Case(dbusmock.DBusTestCase):
    pass


Case.start_session_bus()
print('BUS', Case.session_bus_pid, flush=True)
server = Case.spawn_server('org.capbus.Mock', '/org/capbus/Mock', 'org.capbus.Mock', stdout=subprocess.DEVNULL)
try:
    mock = Case.get_dbus().get_object('org.capbus.Mock', '/org/capbus/Mock')
    mock.AddMethod('', 'Answer', 's', 's', 'ret = "mocked " + args[0]', dbus_interface=dbusmock.MOCK_IFACE)
    print('REPLY', mock.Answer('question', dbus_interface='org.capbus.Mock'), flush=True)
    calls = mock.GetCalls(dbus_interface=dbusmock.MOCK_IFACE)
    print('CALLS', ' '.join('%s(%s)' % (c[1], ','.join(str(a) for a in c[2])) for c in calls), flush=True)
finally:
    server.terminate()
    server.wait(15)
    Case.stop_dbus(Case.session_bus_pid)
print('STOPPED', flush=True)
