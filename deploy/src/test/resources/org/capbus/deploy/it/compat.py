#!/usr/bin/python3
"""Corners where capbus must answer as dbus-daemon does (issue 8), seen by python3-dbus (libdbus).

Usage: compat.py SCENARIO
Connects to $DBUS_SESSION_BUS_ADDRESS and prints one line per observation; the Java tests (PolicyCornersIT,
DriverAnswersIT, MonitorCompatIT, LimitsIT) assert the same lines for capbus and dbus-daemon. Process ids in error
texts are printed as P and the command as C, after checking that the command is dbus-daemon's 50-byte start of
/proc/PID/cmdline (so that the text matches exactly, not just in shape).
"""
import os
import re
import sys
import time

import dbus
import dbus.bus
import dbus.lowlevel
import dbus.mainloop.glib
from gi.repository import GLib

dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
ADDRESS = os.environ["DBUS_SESSION_BUS_ADDRESS"]
DRIVER = ("org.freedesktop.DBus", "/org/freedesktop/DBus")
LOGINFO = re.compile(r'pid=(\d+) comm="([^"]*)"')


def command_of(pid):
    with open("/proc/%s/cmdline" % pid, "rb") as f:
        raw = f.read(50)
    if raw.endswith(b"\0"):
        raw = raw[:-1]
    return "".join(" " if b == 0 else "?" if b < 0x20 or b > 127 else chr(b) for b in raw)


def normalise(text):
    def one(m):
        assert m.group(2) == command_of(m.group(1)), "comm %r is not the start of pid %s's cmdline" % (
            m.group(2), m.group(1))
        return "pid=P comm=C"
    return LOGINFO.sub(one, str(text))


def connect():
    return dbus.bus.BusConnection(ADDRESS)


def call(conn, dest, path, iface, member, sig="", args=(), timeout=5):
    try:
        conn.call_blocking(dest, path, iface, member, sig, args, timeout=timeout)
        return "OK"
    except dbus.DBusException as e:
        return "%s %s" % (e.get_dbus_name(), normalise(e.get_dbus_message()))


def driver(conn, member, sig="", args=(), path=DRIVER[1], iface="org.freedesktop.DBus"):
    return call(conn, DRIVER[0], path, iface, member, sig, args)


def spin(seconds):
    context = GLib.MainContext.default()
    end = time.time() + seconds
    while time.time() < end:
        context.iteration(False)


def record(conn, into):
    """Records every message the connection receives; swallows method calls so libdbus does not answer them."""
    kinds = {1: "call", 2: "return", 3: "error", 4: "signal"}

    def on_message(c, m):
        what = m.get_member() or m.get_error_name()
        into.append("%s %s %s" % (kinds[m.get_type()], what, " ".join(str(a) for a in m.get_args_list()[:1])))
        return dbus.lowlevel.HANDLER_RESULT_HANDLED if m.get_type() == 1 else dbus.lowlevel.HANDLER_RESULT_NOT_YET_HANDLED
    conn.add_message_filter(on_message)


def settle(conn, into, marker):
    """Sends a signal to itself through the bus and waits until it is back: everything sent earlier has arrived."""
    driver(conn, "AddMatch", "s", ("type='signal',interface='org.capbus.Settle',member='%s'" % marker,))
    m = dbus.lowlevel.SignalMessage("/", "org.capbus.Settle", marker)
    conn.send_message(m)
    end = time.time() + 10
    while time.time() < end and not any(line.startswith("signal " + marker) for line in into):
        spin(0.05)
    into[:] = [line for line in into if not line.startswith("signal " + marker)]


def signal(conn, iface, member, destination=None):
    m = dbus.lowlevel.SignalMessage("/p", iface, member)
    if destination:
        m.set_destination(destination)
    conn.send_message(m)


# ---- scenarios ----

def policy():
    """PolicyCornersIT's configuration: prefix, broadcast, signal and type rules; the AccessDenied texts."""
    service, client, prefixed, plain = connect(), connect(), connect(), connect()
    prefixed.request_name("org.capbus.Pre.Sub")
    plain.request_name("org.capbus.Prefix")
    service.request_name("org.capbus.Denied")
    print("prefix", call(client, "org.capbus.Pre.Sub", "/p", "org.capbus.T", "M", timeout=2))
    print("prefix-by-unique", call(client, prefixed.get_unique_name(), "/p", "org.capbus.T", "M", timeout=2))
    print("denied-name", call(client, "org.capbus.Denied", "/p", "org.capbus.T", "M", timeout=2))
    print("denied-type", call(client, plain.get_unique_name(), "/p", "org.capbus.NoCall", "M", timeout=2))
    print("denied-receive", call(client, plain.get_unique_name(), "/p", "org.capbus.NoRecvCall", "M", timeout=2))
    seen = []
    record(plain, seen)
    driver(plain, "AddMatch", "s", ("type='signal',path='/p'",))
    target = plain.get_unique_name()
    # org.capbus.Prefix is not below org.capbus.Pre: the call passes (and is swallowed by the recorder).
    m = dbus.lowlevel.MethodCallMessage("org.capbus.Prefix", "/p", "org.capbus.T", "NotUnderPrefix")
    m.set_no_reply(True)
    client.send_message(m)
    signal(client, "org.capbus.NoBcast", "Broadcast")
    signal(client, "org.capbus.NoBcast", "Unicast", target)
    signal(client, "org.capbus.Sig", "Denied")
    signal(client, "org.capbus.Sig", "Allowed")
    signal(client, "org.capbus.Sig", "DeniedUnicast", target)
    signal(client, "org.capbus.NoRecv", "Broadcast")
    signal(client, "org.capbus.NoRecv", "Unicast", target)
    signal(client, "org.capbus.Other", "Last")
    end = time.time() + 10
    while time.time() < end and not any(" Last" in line for line in seen):
        spin(0.05)
    for line in seen:
        if "NameAcquired" not in line:
            print("received", line)


def driver_answers():
    """DriverAnswersIT: unique names, Properties on unknown interfaces, UpdateActivationEnvironment's path."""
    first, second = connect(), connect()
    print("unique-names", first.get_unique_name(), second.get_unique_name())
    props = "org.freedesktop.DBus.Properties"
    print("get-unknown", driver(first, "Get", "ss", ("org.capbus.Nope", "Features"), iface=props))
    print("getall-unknown", driver(first, "GetAll", "s", ("org.capbus.Nope",), iface=props))
    print("getall-empty", driver(first, "GetAll", "s", ("",), iface=props))
    print("set-unknown", driver(first, "Set", "ssv", ("org.capbus.Nope", "X", dbus.String("x", variant_level=1)),
                                iface=props))
    print("get-unknown-property", driver(first, "Get", "ss", ("org.freedesktop.DBus", "Nope"), iface=props))
    print("get-peer-property", driver(first, "Get", "ss", ("org.freedesktop.DBus.Peer", "X"), iface=props))
    print("set-read-only", driver(first, "Set", "ssv", ("org.freedesktop.DBus", "Features",
                                                         dbus.String("x", variant_level=1)), iface=props))
    print("uae-canonical", driver(first, "UpdateActivationEnvironment", "a{ss}", ({"CAPBUS_IT": "1"},)))
    print("uae-other-path", driver(first, "UpdateActivationEnvironment", "a{ss}", ({"CAPBUS_IT": "1"},), path="/"))


def features():
    """DriverAnswersIT: whether the Features property lists SystemdActivation."""
    c = connect()
    value = c.call_blocking(DRIVER[0], DRIVER[1], "org.freedesktop.DBus.Properties", "Get", "ss",
                            ("org.freedesktop.DBus", "Features"))
    print("SystemdActivation" in [str(v) for v in value])


def privileged():
    """DriverAnswersIT, run as another user than the bus's: the privileged methods refuse."""
    c = connect()
    print("uae", driver(c, "UpdateActivationEnvironment", "a{ss}", ({"CAPBUS_IT": "1"},)))
    print("uae-other-path", driver(c, "UpdateActivationEnvironment", "a{ss}", ({"CAPBUS_IT": "1"},), path="/"))
    print("monitor", driver(c, "BecomeMonitor", "asu", ([], 0), iface="org.freedesktop.DBus.Monitoring"))


def monitor_names():
    """MonitorCompatIT: NameLost for every owned name, NameOwnerChanged in the same order, then no sending."""
    monitor, observer, queued = connect(), connect(), connect()
    monitor.request_name("org.capbus.A")
    monitor.request_name("org.capbus.B")
    queued.request_name("org.capbus.B")
    mine, theirs = [], []
    record(monitor, mine)
    record(observer, theirs)
    driver(observer, "AddMatch", "s", ("member='NameOwnerChanged'",))
    settle(monitor, mine, "Before")
    del mine[:]
    print("become", driver(monitor, "BecomeMonitor", "asu", ([], 0), iface="org.freedesktop.DBus.Monitoring"))
    settle(observer, theirs, "After")
    spin(0.2)
    for line in mine:
        if line == "signal Disconnected ":
            continue
        print("monitor", line.replace(monitor.get_unique_name(), ":MONITOR"))
    for line in theirs:
        if "NameOwnerChanged" in line:
            print("observer", line.replace(monitor.get_unique_name(), ":MONITOR"))
    m = dbus.lowlevel.MethodCallMessage(DRIVER[0], DRIVER[1], "org.freedesktop.DBus", "GetId")
    m.set_no_reply(True)
    monitor.send_message(m)
    end = time.time() + 10
    while time.time() < end and monitor.get_is_connected():
        spin(0.05)
    print("connected-after-sending", monitor.get_is_connected())


def monitor_denied():
    """MonitorCompatIT: a refused call is seen, then the AccessDenied error; a unique-destination rule works."""
    monitor, service, client, other = connect(), connect(), connect(), connect()
    service.request_name("org.capbus.Denied")
    seen = []
    record(monitor, seen)
    target = other.get_unique_name()
    print("become", driver(monitor, "BecomeMonitor", "asu",
                           (["destination='org.capbus.Denied'", "destination='%s'" % target,
                             "sender='%s'" % client.get_unique_name(),
                             "type='error',sender='org.freedesktop.DBus'"], 0),
                           iface="org.freedesktop.DBus.Monitoring"))
    spin(0.2)
    del seen[:]
    print("call", call(client, "org.capbus.Denied", "/p", "org.capbus.T", "Refused", timeout=2).split(" ")[0])
    m = dbus.lowlevel.MethodCallMessage(target, "/p", "org.capbus.T", "ToUnique")
    m.set_no_reply(True)
    service.send_message(m)
    m = dbus.lowlevel.MethodCallMessage(client.get_unique_name(), "/p", "org.capbus.T", "NotWatched")
    m.set_no_reply(True)
    service.send_message(m)
    last = dbus.lowlevel.MethodCallMessage(target, "/p", "org.capbus.T", "Last")
    last.set_no_reply(True)
    service.send_message(last)
    end = time.time() + 10
    while time.time() < end and not any(" Last" in line for line in seen):
        spin(0.05)
    # Up to Last: afterwards come the UnknownMethod errors libdbus sends for the calls, which the bus refuses as
    # unrequested replies (they are not part of this test).
    for line in seen:
        print("monitor", line.split(" ")[0], line.split(" ")[1])
        if line.startswith("call Last"):
            break


def limits():
    """LimitsIT's configuration: names, match rules, pending replies, reply timeout, connections."""
    a = connect()
    answers = [call(a, DRIVER[0], DRIVER[1], "org.freedesktop.DBus", "RequestName", "su", ("org.capbus.N%d" % i, 0))
               for i in range(3)]
    print("names", answers[-1])
    answers = [driver(a, "AddMatch", "s", ("member='M%d'" % i,)) for i in range(3)]
    print("match-rules", answers[-1])
    silent = connect()
    swallowed = []
    record(silent, swallowed)
    replies = []

    def on_reply(which):
        return lambda r: replies.append("%s %s %s" % (which, r.get_error_name(), r.get_args_list()[0]))
    first = dbus.lowlevel.MethodCallMessage(silent.get_unique_name(), "/p", "org.capbus.T", "NeverAnswered")
    a.send_message_with_reply(first, on_reply("first"), 20.0)
    second = dbus.lowlevel.MethodCallMessage(silent.get_unique_name(), "/p", "org.capbus.T", "OverTheLimit")
    a.send_message_with_reply(second, on_reply("second"), 20.0)
    end = time.time() + 15
    while time.time() < end and len(replies) < 2:
        spin(0.05)
    for line in sorted(replies):
        print("reply", line)
    # The first call's slot was freed by the timeout: another call is accepted (and times out in turn).
    third = dbus.lowlevel.MethodCallMessage(silent.get_unique_name(), "/p", "org.capbus.T", "AfterTimeout")
    a.send_message_with_reply(third, on_reply("third"), 20.0)
    end = time.time() + 15
    while time.time() < end and len(replies) < 3:
        spin(0.05)
    print("reply", sorted(replies)[-1])
    extra = []
    try:
        while True:
            extra.append(connect())
    except dbus.DBusException as e:
        print("connections", len(extra) + 2, e.get_dbus_name(), e.get_dbus_message())


def per_user():
    """LimitsIT: max_connections_per_user answers the Hello over the limit with LimitsExceeded."""
    kept = []
    try:
        while len(kept) < 10:
            kept.append(connect())
    except dbus.DBusException as e:
        print("connections", len(kept), e.get_dbus_name(), re.sub(r"UID \d+", "UID U", e.get_dbus_message()))


SCENARIOS = {
    "per-user": per_user,
    "policy": policy,
    "driver": driver_answers,
    "features": features,
    "privileged": privileged,
    "monitor-names": monitor_names,
    "monitor-denied": monitor_denied,
    "limits": limits,
}

if __name__ == "__main__":
    SCENARIOS[sys.argv[1]]()
