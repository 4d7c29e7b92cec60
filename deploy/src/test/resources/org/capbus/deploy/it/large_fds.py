#!/usr/bin/python3
"""Large messages with descriptors, sent over a raw socket in pieces, for LargeMessageFdsIT. The message is built with
Gio (python3-gi); the socket work is by hand, so that the test decides which bytes the descriptors travel with.

Usage: large_fds.py MODE
  first   a 1 MiB call with two descriptors sent with its first bytes (what every client library does), then the rest
          of it in 64 KiB pieces
  middle  the same call, its first 4 KiB sent alone, the descriptors with a piece in the middle of its body (the
          specification allows any byte of the message)
  early   a 1 MiB call without descriptors, then a short one with two, whose descriptors are sent with a piece of the
          first call's body: before the second message's first byte, which the specification forbids
Prints, one per line: what the receiving connection got ('GOT len=N sha256=H fds=N devnull=N' per call; for early,
the first call only), 'SENDER CLOSED' when the bus closed the sending connection (early), then 'BUS OK' if a new
connection still gets an answer from the bus.
"""
import array
import hashlib
import os
import socket
import sys
import time

import gi
gi.require_version('Gio', '2.0')
from gi.repository import Gio, GLib  # noqa: E402

PAYLOAD = bytes((i * 7) % 251 for i in range(1 << 20))


def connect():
    path = os.environ['DBUS_SESSION_BUS_ADDRESS'].split('unix:path=')[1].split(',')[0]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(b'\0AUTH EXTERNAL ' + str(os.getuid()).encode().hex().encode() + b'\r\n')
    expect_line(s, b'OK')
    s.sendall(b'NEGOTIATE_UNIX_FD\r\n')
    expect_line(s, b'AGREE_UNIX_FD')
    s.sendall(b'BEGIN\r\n')
    conn = Raw(s)
    hello = Gio.DBusMessage.new_method_call('org.freedesktop.DBus', '/org/freedesktop/DBus',
                                            'org.freedesktop.DBus', 'Hello')
    conn.send_message(hello)
    reply, _ = conn.read_call_or_reply()
    conn.name = reply.get_body().unpack()[0]
    return conn


def expect_line(s, prefix):
    line = b''
    while not line.endswith(b'\r\n'):
        line += s.recv(1)
    if not line.startswith(prefix):
        raise SystemExit('unexpected SASL answer %r' % line)


class Raw:
    def __init__(self, s):
        self.s = s
        self.serial = 0
        self.buffer = b''
        self.fds = []
        self.name = None

    def blob(self, message):
        self.serial += 1
        message.set_serial(self.serial)
        return message.to_blob(Gio.DBusCapabilityFlags.UNIX_FD_PASSING)

    def send_message(self, message):
        self.s.sendall(self.blob(message))

    def send_pieces(self, data, fds=None, fds_at=0, first=65536):
        """Sends data in pieces (the first of `first` bytes, then 64 KiB ones), the descriptors with the piece that
        starts at offset fds_at."""
        offsets = [0] + list(range(first, len(data), 65536))
        if fds and fds_at not in offsets:
            offsets = sorted(set(offsets + [fds_at]))
        for i, start in enumerate(offsets):
            end = offsets[i + 1] if i + 1 < len(offsets) else len(data)
            ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', fds).tobytes())] \
                if fds and start == fds_at else []
            view = memoryview(data)[start:end]
            while view:
                n = self.s.sendmsg([view], ancillary)
                ancillary = []
                view = view[n:]
            time.sleep(0.002)  # lets the bus read piece by piece

    def read_message(self, bound=10.0):
        deadline = time.monotonic() + bound
        while True:
            if len(self.buffer) >= 16:
                needed = Gio.DBusMessage.bytes_needed(self.buffer[:16])
                if len(self.buffer) >= needed:
                    blob, self.buffer = self.buffer[:needed], self.buffer[needed:]
                    message = Gio.DBusMessage.new_from_blob(blob, Gio.DBusCapabilityFlags.UNIX_FD_PASSING)
                    n = message.get_num_unix_fds()
                    fds, self.fds = self.fds[:n], self.fds[n:]
                    return message, fds
            self.s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data, ancillary, _flags, _ = self.s.recvmsg(1 << 20, socket.CMSG_SPACE(253 * 4))
            except socket.timeout:
                raise SystemExit('no message within %s s' % bound)
            if not data:
                return None, []
            for level, kind, payload in ancillary:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    arr = array.array('i')
                    arr.frombytes(payload[:len(payload) - len(payload) % 4])
                    self.fds.extend(arr)
            self.buffer += data

    def read_call_or_reply(self, bound=10.0):
        """The next method call or reply, skipping the bus's signals (NameAcquired); (None, []) at end of stream."""
        while True:
            message, fds = self.read_message(bound)
            if message is None or message.get_message_type() != Gio.DBusMessageType.SIGNAL:
                return message, fds
            for fd in fds:
                os.close(fd)

    def closed_by_bus(self, bound=10.0):
        self.s.settimeout(bound)
        try:
            while True:
                data = self.s.recv(65536)
                if not data:
                    return True
        except (socket.timeout, ConnectionResetError):
            return False


def call(dest, member, payload, fds=()):
    """A call carrying payload and a handle per descriptor in fds (which stay the caller's: the list holds copies,
    and the socket work sends the caller's own)."""
    m = Gio.DBusMessage.new_method_call(dest, '/org/capbus/Large', 'org.capbus.Large', member)
    m.set_flags(Gio.DBusMessageFlags.NO_REPLY_EXPECTED)
    handles = [GLib.Variant('h', i) for i in range(len(fds))]
    m.set_body(GLib.Variant.new_tuple(GLib.Variant('ay', payload), *handles))
    if fds:
        fd_list = Gio.UnixFDList.new()
        for fd in fds:
            fd_list.append(fd)
        m.set_unix_fd_list(fd_list)
    return m


def report(receiver, count):
    for _ in range(count):
        message, fds = receiver.read_call_or_reply()
        if message is None:
            print('RECEIVER CLOSED', flush=True)
            return
        body = message.get_body().get_child_value(0).get_data_as_bytes().get_data()
        devnull = sum(1 for fd in fds if os.path.samestat(os.fstat(fd), os.stat('/dev/null')))
        for fd in fds:
            os.close(fd)
        print('GOT len=%d sha256=%s fds=%d devnull=%d' % (len(body), hashlib.sha256(bytes(body)).hexdigest()[:16],
                                                         len(fds), devnull), flush=True)


def main(mode):
    receiver = connect()
    sender = connect()
    nulls = [os.open('/dev/null', os.O_RDONLY) for _ in range(2)]
    if mode == 'first':
        sender.send_pieces(sender.blob(call(receiver.name, 'Take', PAYLOAD, nulls)), nulls, 0, first=4096)
        report(receiver, 1)
    elif mode == 'middle':
        sender.send_pieces(sender.blob(call(receiver.name, 'Take', PAYLOAD, nulls)), nulls, 4096 + 5 * 65536, first=4096)
        report(receiver, 1)
    elif mode == 'early':
        big = sender.blob(call(receiver.name, 'Take', PAYLOAD))
        small = sender.blob(call(receiver.name, 'Take', b'small', nulls))
        sender.send_pieces(big + small, nulls, 4096 + 5 * 65536, first=4096)
        report(receiver, 1)
        if sender.closed_by_bus():
            print('SENDER CLOSED', flush=True)
    for fd in nulls:
        os.close(fd)
    # The bus goes on serving: a new connection's call to the driver is answered.
    check = connect()
    check.send_message(Gio.DBusMessage.new_method_call('org.freedesktop.DBus', '/org/freedesktop/DBus',
                                                      'org.freedesktop.DBus', 'GetId'))
    reply, _ = check.read_call_or_reply()
    print('BUS OK' if reply is not None and reply.get_message_type() == Gio.DBusMessageType.METHOD_RETURN
          else 'BUS FAILED', flush=True)


if __name__ == '__main__':
    main(sys.argv[1])
