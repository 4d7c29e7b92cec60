#!/usr/bin/python3
"""The descriptor limits of dbus-daemon's configuration, driven over raw sockets (socket.send_fds), since no client
library sends half a message or floods a reader that does not read.

Usage: fd_limits.py SCENARIO [BUS_PID]
  pending     descriptors sent with the start of a message whose rest never comes (pending_fd_timeout)
  message     messages announcing and carrying more descriptors than max_message_unix_fds (2); then, with the bus
              stopped (SIGSTOP to BUS_PID) while they are sent, two messages within the limit whose descriptors the
              bus finds in its socket together
  outgoing    calls with one descriptor each to a receiver that does not read (max_outgoing_unix_fds)
  incoming    messages with one descriptor each from a sender to a receiver that does not read, while the bus
              holds max_incoming_unix_fds (4) of the sender's descriptors
Connects to $DBUS_SESSION_BUS_ADDRESS (unix:path=...) and prints one line per observation; FdLimitsIT asserts the
same lines for capbus and dbus-daemon. Unique names are printed as SENDER/RECEIVER, process ids as P and commands
as C, so that error texts compare exactly. Every wait is bounded; a bound that passes is an observation, not a
failure, unless the scenario says otherwise.
"""
import os
import re
import select
import signal
import socket
import struct
import sys
import threading
import time

import dbus
import dbus.bus

ADDRESS = os.environ["DBUS_SESSION_BUS_ADDRESS"]
PATH = [kv[5:] for kv in ADDRESS.split(":", 1)[1].split(",") if kv.startswith("path=")][0]
BOUND = 20.0
# Large enough that a reader that does not read fills its socket buffer after a few messages: the rest then waits in
# the bus, where the limits count it (each reference bus writes as much as the kernel takes).
BIG = 100000


def pad(data, n):
    return data + b"\0" * ((n - len(data) % n) % n)


def field(code, sig, value):
    if sig in "so":
        v = value.encode()
        return bytes([code, 1]) + sig.encode() + b"\0" + struct.pack("<I", len(v)) + v + b"\0"
    if sig == "g":
        v = value.encode()
        return bytes([code, 1]) + b"g\0" + bytes([len(v)]) + v + b"\0"
    return bytes([code, 1]) + b"u\0" + struct.pack("<I", value)


def build(type_, serial, path=None, iface=None, member=None, dest=None, sig=None, body=b"", flags=0, unix_fds=None):
    """One little-endian message; header fields in code order."""
    fields = b""
    for code, s, v in [(1, "o", path), (2, "s", iface), (3, "s", member), (6, "s", dest), (8, "g", sig),
                       (9, "u", unix_fds)]:
        if v is not None:
            fields = pad(fields, 8) + field(code, s, v)
    head = b"l" + bytes([type_, flags, 1]) + struct.pack("<III", len(body), serial, len(fields)) + fields
    return pad(head, 8) + body


class Message:
    def __init__(self, frame, fds):
        self.type = frame[1]
        body_len, self.serial, fields_len = struct.unpack("<III", frame[4:16])
        self.fields = {}
        at, end = 16, 16 + fields_len
        while at < end:
            at = (at + 7) & ~7
            code, slen, t = frame[at], frame[at + 1], chr(frame[at + 2])
            at += 3 + slen
            if t in "so":
                at = (at + 3) & ~3
                n = struct.unpack("<I", frame[at:at + 4])[0]
                self.fields[code] = frame[at + 4:at + 4 + n].decode()
                at += 5 + n
            elif t == "g":
                n = frame[at]
                self.fields[code] = frame[at + 1:at + 1 + n].decode()
                at += 2 + n
            else:
                at = (at + 3) & ~3
                self.fields[code] = struct.unpack("<I", frame[at:at + 4])[0]
                at += 4
        start = (end + 7) & ~7
        self.body = frame[start:start + body_len]
        self.fds = fds

    def member(self):
        return self.fields.get(3)

    def error_name(self):
        return self.fields.get(4)

    def reply_serial(self):
        return self.fields.get(5, 0)

    def unix_fds(self):
        return self.fields.get(9, 0)

    def first_string(self):
        n = struct.unpack("<I", self.body[:4])[0]
        return self.body[4:4 + n].decode()


class Connection:
    """One client socket: EXTERNAL, NEGOTIATE_UNIX_FD, Hello; then raw frames. Little-endian frames only."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(PATH)
        self.buf = b""
        self.fds = []
        self.serial = 0
        self.sock.sendall(b"\0AUTH EXTERNAL " + str(os.getuid()).encode().hex().encode() + b"\r\n")
        assert self.line().startswith(b"OK "), "EXTERNAL refused"
        self.sock.sendall(b"NEGOTIATE_UNIX_FD\r\n")
        assert self.line().startswith(b"AGREE_UNIX_FD"), "descriptor passing refused"
        self.sock.sendall(b"BEGIN\r\n")
        self.name = self.call_driver("Hello").first_string()

    def line(self):
        deadline = time.monotonic() + BOUND
        while b"\r\n" not in self.buf:
            assert self.fill(deadline), "no authentication reply"
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def fill(self, deadline):
        """Reads once, waiting until deadline; False on timeout; EOFError once the bus hung up."""
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([self.sock], [], [], left)[0]:
            return False
        try:
            data, fds, _, _ = socket.recv_fds(self.sock, 1 << 20, 253)
        except ConnectionResetError:
            data, fds = b"", []
        if not data:
            raise EOFError("the bus closed the connection")
        self.buf += data
        self.fds += fds
        return True

    def next_serial(self):
        self.serial += 1
        return self.serial

    def send(self, frame, fds=()):
        if fds:
            sent = socket.send_fds(self.sock, [frame], list(fds))
            if sent < len(frame):
                self.sock.sendall(frame[sent:])
        else:
            self.sock.sendall(frame)

    def read(self, deadline):
        """The next message (with the descriptors that came with it), or None at the deadline."""
        while True:
            if len(self.buf) >= 16:
                body_len, _, fields_len = struct.unpack("<III", self.buf[4:16])
                total = ((16 + fields_len + 7) & ~7) + body_len
                if len(self.buf) >= total:
                    frame, self.buf = self.buf[:total], self.buf[total:]
                    m = Message(frame, [])
                    m.fds, self.fds = self.fds[:m.unix_fds()], self.fds[m.unix_fds():]
                    return m
            if not self.fill(deadline):
                return None

    def read_until(self, wanted, bound=BOUND):
        deadline = time.monotonic() + bound
        while True:
            m = self.read(deadline)
            if m is None or wanted(m):
                return m

    def call_driver(self, member):
        serial = self.next_serial()
        self.send(build(1, serial, path="/org/freedesktop/DBus", iface="org.freedesktop.DBus", member=member,
                        dest="org.freedesktop.DBus"))
        reply = self.read_until(lambda m: m.reply_serial() == serial)
        assert reply is not None, "no reply to " + member
        return reply

    def answered(self):
        try:
            return "answered" if self.call_driver("GetId").type == 2 else "error"
        except (EOFError, AssertionError, OSError):
            return "not answered"

    def received_before_answer(self):
        """Everything the bus sent before it answers a GetId sent now: what it queued for us earlier is in it."""
        serial = self.next_serial()
        self.send(build(1, serial, path="/org/freedesktop/DBus", iface="org.freedesktop.DBus", member="GetId",
                        dest="org.freedesktop.DBus"))
        out = []
        deadline = time.monotonic() + BOUND
        while True:
            m = self.read(deadline)
            assert m is not None, "no answer to GetId"
            if m.reply_serial() == serial:
                return out
            out.append(m)

    def closed_by_bus(self, bound):
        deadline = time.monotonic() + bound
        try:
            while self.fill(deadline):
                self.buf = b""
        except EOFError:
            return True
        return False

    def take_frame(self, dest, announce, flags=1, size=0):
        """A call Take(h..., ay) to dest whose UNIX_FDS is announce, with a byte array of size bytes."""
        body = b"".join(struct.pack("<I", i) for i in range(max(announce, 1)))
        body += struct.pack("<I", size) + b"x" * size
        return build(1, self.next_serial(), path="/", iface="org.capbus.Fds", member="Take", dest=dest,
                     sig="h" * max(announce, 1) + "ay", body=body, flags=flags, unix_fds=announce if announce else None)

    def take(self, dest, n_fds=1, flags=0, size=0, announce=None):
        """Sends a call Take(h..., ay) to dest carrying n_fds descriptors (of /dev/null); returns its serial."""
        announce = n_fds if announce is None else announce
        frame = self.take_frame(dest, announce, flags, size)
        serial = struct.unpack("<I", frame[8:12])[0]
        fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(n_fds)]
        try:
            self.send(frame, fds)
        finally:
            for fd in fds:
                os.close(fd)
        return serial


_stats_bus = []


def stats_incoming_fds(name):
    """Debug.Stats' IncomingFDs of name, asked by python3-dbus (libdbus) on a connection of its own."""
    if not _stats_bus:
        _stats_bus.append(dbus.bus.BusConnection(ADDRESS))
    stats = _stats_bus[0].call_blocking("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                        "org.freedesktop.DBus.Debug.Stats", "GetConnectionStats", "s", (name,))
    return int(stats["IncomingFDs"])


def normalise(text, names):
    for name, label in names:
        text = text.replace('"%s"' % name, '"%s"' % label)
    return re.sub(r'pid=\d+ comm="[^"]*"', "pid=P comm=C", re.sub(r"uid=\d+", "uid=U", text))


def scenario_pending():
    bystander = Connection()
    offender = Connection()
    # A bystander that passes a descriptor with a whole message (to itself) is not what the limit is about.
    bystander.take(bystander.name, flags=1)
    got = bystander.read_until(lambda m: m.member() == "Take")
    print("bystander got its descriptor:", got is not None and len(got.fds) == 1)
    # The fixed header of a 48-byte body, and a descriptor with it; the rest never comes.
    header = b"l\1\0\1" + struct.pack("<III", 48, offender.next_serial(), 0)
    offender.send(header, [os.open("/dev/null", os.O_RDONLY)])
    # Bounded below the test's bound for the whole client (20 s), so that "open" is printed rather than the client
    # killed; the test sets pending_fd_timeout to 1 s.
    print("offender:", "closed" if offender.closed_by_bus(15) else "open")
    print("bystander:", bystander.answered())


def scenario_message():
    receiver = Connection()
    for announce, carry in [(2, 2), (3, 3), (3, 2), (1, 3)]:
        sender = Connection()
        try:
            sender.take(receiver.name, n_fds=carry, announce=announce, flags=1)
            outcome = "closed" if sender.answered() == "not answered" else "kept"
        except (BrokenPipeError, ConnectionResetError):
            outcome = "closed"  # already while it sent
        takes = [m for m in receiver.received_before_answer() if m.member() == "Take"]
        delivered = "not delivered" if not takes else "delivered with %d" % len(takes[0].fds)
        print("UNIX_FDS=%d carrying %d: sender %s, %s" % (announce, carry, outcome, delivered))
    # A message sent in two writes, its descriptors with the first, then the next message with its own: a bus that
    # was busy meanwhile finds the first's end and the second's start, with its descriptors, in one read.
    sender = Connection()
    first = sender.take_frame(receiver.name, 2, size=1000)
    second = sender.take_frame(receiver.name, 2)
    fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(2)]
    os.kill(int(sys.argv[2]), signal.SIGSTOP)
    try:
        sender.send(first[:100], fds)
        sender.send(first[100:])
        sender.send(second, fds)
    finally:
        os.kill(int(sys.argv[2]), signal.SIGCONT)
        for fd in fds:
            os.close(fd)
    outcome = "closed" if sender.answered() == "not answered" else "kept"
    takes = [m for m in receiver.received_before_answer() if m.member() == "Take"]
    print("two messages of 2 in one read: sender %s, delivered with %s" % (outcome, [len(m.fds) for m in takes]))
    print("receiver:", receiver.answered())


def scenario_outgoing():
    sender = Connection()
    receiver = Connection()
    names = [(sender.name, "SENDER"), (receiver.name, "RECEIVER")]
    accepted, refused = 0, None
    for _ in range(300):
        serial = sender.take(receiver.name, size=BIG)
        # The bus answers the sender's GetId after it routed the call: a refusal comes before that answer.
        errors = [m for m in sender.received_before_answer() if m.reply_serial() == serial and m.type == 3]
        if errors:
            refused = errors[0]
            break
        accepted += 1
    assert refused is not None, "no error after %d calls" % accepted
    print("refused:", refused.error_name(), normalise(refused.first_string(), names))
    print("sender:", sender.answered())
    print("another client:", Connection().answered())
    got = 0
    while got < accepted:
        m = receiver.read_until(lambda m: m.member() == "Take")
        assert m is not None, "only %d of %d accepted calls arrived" % (got, accepted)
        assert len(m.fds) == 1, "a call arrived without its descriptor"
        got += 1
    print("every accepted call arrived with its descriptor:", got == accepted)
    print("nothing else arrived:", not [m for m in receiver.received_before_answer() if m.member() == "Take"])
    # The queue is empty again: the next call passes.
    serial = sender.take(receiver.name, size=BIG)
    m = receiver.read_until(lambda m: m.member() == "Take")
    print("after the receiver read:", m is not None and len(m.fds) == 1)


def scenario_incoming():
    limit = 4
    count = 30
    sender = Connection()
    receiver = Connection()
    watcher = Connection()
    written = threading.Event()

    def send_all():
        for _ in range(count):
            sender.take(receiver.name, flags=1, size=BIG)
        sender.send(build(1, sender.next_serial(), path="/", iface="org.capbus.Fds", member="Ping",
                          dest=watcher.name, flags=1))
        written.set()

    threading.Thread(target=send_all, daemon=True).start()
    # The bus counts the sender's descriptors it holds for the receiver (Debug.Stats IncomingFDs) up to the limit.
    deadline = time.monotonic() + BOUND
    held = stats_incoming_fds(sender.name)
    while held < limit and time.monotonic() < deadline:
        time.sleep(0.05)
        held = stats_incoming_fds(sender.name)
    print("held reached the limit:", held >= limit)
    # Then it stops reading from the sender: the Ping sent after the 30 calls does not reach the watcher while the
    # receiver does not read (a bus that kept reading delivers it at once).
    print("ping while the receiver does not read:", watcher.read_until(lambda m: m.member() == "Ping", 2) is not None)
    print("held stays near the limit:", stats_incoming_fds(sender.name) <= limit + 2)
    print("another client:", Connection().answered())
    print("watcher:", watcher.answered())
    got = fds = 0
    while got < count:
        m = receiver.read_until(lambda m: m.member() == "Take")
        assert m is not None, "only %d of %d messages arrived" % (got, count)
        got += 1
        fds += len(m.fds)
        for fd in m.fds:
            os.close(fd)
    print("receiver got %d messages with %d descriptors" % (got, fds))
    print("ping after the receiver read:", watcher.read_until(lambda m: m.member() == "Ping") is not None)
    print("sender wrote everything:", written.wait(BOUND))
    print("sender:", sender.answered())
    deadline = time.monotonic() + BOUND
    while stats_incoming_fds(sender.name) != 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    print("held at the end:", stats_incoming_fds(sender.name))


if __name__ == "__main__":
    globals()["scenario_" + sys.argv[1]]()
