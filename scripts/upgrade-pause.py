#!/usr/bin/env python3
"""The pause clients see during a live upgrade (docs/live-upgrade.md), measured as issue 14 asks: the longest gap in
a steady round-trip stream while the bus is upgraded, with N other connections open.

    scripts/upgrade-pause.py [--connections 1000] [--upgrades 5] [--bus ./capbus]

Starts the bus (./capbus by default; CAPBUS_NO_BUILD=1: build it first) on a private socket with the benchmark's
session configuration, opens N idle connections (EXTERNAL, Hello, one match rule each), and one pinger that calls
org.freedesktop.DBus.GetId back to back. Then it upgrades the bus UPGRADES times (`capbus --upgrade=PID`, one after the
other, each on a steady stream) and prints, per upgrade, the longest gap between two answers around it and what the
bus said of its pause, then the median. Every idle connection must still be there at the end (the script checks that
each answers a Ping), so a gap can not hide a dropped client.

Raw D-Bus over a unix socket, no library: so that the client's own cost is small and the same for every bus.
"""
import argparse
import os
import re
import resource
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CONFIG = """<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  <limit name="max_completed_connections">100000</limit>
  <limit name="max_connections_per_user">100000</limit>
  <limit name="max_match_rules_per_connection">50000</limit>
</busconfig>
"""


def pad(n, a):
    return (a - n % a) % a


def field(code, sig, value):
    """A header field (code, variant) whose value is a string-like type (o, s, g)."""
    out = bytes([code, 1]) + sig + b"\0"
    if sig == b"g":
        body = bytes([len(value)]) + value + b"\0"
    else:
        out += b"\0" * pad(len(out), 4)
        body = struct.pack("<I", len(value)) + value + b"\0"
    return out + body


def call(serial, path, interface, member, destination, signature=b"", body=b""):
    fields = b""
    items = [(1, b"o", path), (2, b"s", interface), (3, b"s", member), (6, b"s", destination)]
    if signature:
        items.append((8, b"g", signature))
    for code, sig, value in items:
        fields += b"\0" * pad(len(fields), 8) + field(code, sig, value)
    header = b"l\1\0\1" + struct.pack("<III", len(body), serial, len(fields)) + fields
    return header + b"\0" * pad(len(header), 8) + body


def string_body(s):
    return struct.pack("<I", len(s)) + s + b"\0"


class Connection:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b""
        self.serial = 0
        self.sock.sendall(b"\0AUTH EXTERNAL " + str(os.getuid()).encode().hex().encode() + b"\r\n")
        line = self.line()
        if not line.startswith(b"OK"):
            raise RuntimeError("auth refused: %r" % line)
        self.sock.sendall(b"BEGIN\r\n")
        self.call(b"/org/freedesktop/DBus", b"org.freedesktop.DBus", b"Hello")

    def line(self):
        while b"\r\n" not in self.buf:
            self.recv()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def recv(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the bus closed the connection")
        self.buf += data

    def message(self):
        """The next whole message: (type, reply serial or None)."""
        while True:
            if len(self.buf) >= 16:
                body_len, _serial, fields_len = struct.unpack_from("<III", self.buf, 4)
                total = 16 + fields_len + pad(16 + fields_len, 8) + body_len
                if len(self.buf) >= total:
                    msg, self.buf = self.buf[:total], self.buf[total:]
                    reply = None
                    pos = 16
                    end = 16 + fields_len
                    while pos < end:
                        pos += pad(pos, 8)
                        code = msg[pos]
                        sig_len = msg[pos + 1]
                        sig = msg[pos + 2:pos + 2 + sig_len]
                        pos += 3 + sig_len
                        if sig in (b"s", b"o"):
                            pos += pad(pos, 4)
                            n = struct.unpack_from("<I", msg, pos)[0]
                            pos += 4 + n + 1
                        elif sig == b"g":
                            pos += 1 + msg[pos] + 1
                        elif sig == b"u":
                            pos += pad(pos, 4)
                            if code == 5:
                                reply = struct.unpack_from("<I", msg, pos)[0]
                            pos += 4
                        else:
                            break
                    return msg[1], reply
            self.recv()

    def send(self, path, interface, member, destination=b"org.freedesktop.DBus", signature=b"", body=b""):
        self.serial += 1
        self.sock.sendall(call(self.serial, path, interface, member, destination, signature, body))
        return self.serial

    def call(self, path, interface, member, destination=b"org.freedesktop.DBus", signature=b"", body=b""):
        serial = self.send(path, interface, member, destination, signature, body)
        while True:
            kind, reply = self.message()
            if kind in (2, 3) and reply == serial:
                if kind == 3:
                    raise RuntimeError("error reply to %s" % member)
                return


class Pinger(threading.Thread):
    """Calls GetId back to back; records when each answer came."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.conn = Connection(path)
        self.stamps = []
        self.running = True
        self.failure = None

    def run(self):
        try:
            while self.running:
                self.conn.call(b"/org/freedesktop/DBus", b"org.freedesktop.DBus", b"GetId")
                self.stamps.append(time.monotonic())
        except Exception as e:  # reported by the main thread
            self.failure = e

    def longest_gap(self, start, end):
        inside = [t for t in self.stamps if start <= t <= end]
        return max((b - a for a, b in zip(inside, inside[1:])), default=float("nan"))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--connections", type=int, default=1000)
    p.add_argument("--upgrades", type=int, default=5)
    p.add_argument("--bus", default=os.path.join(ROOT, "capbus"))
    args = p.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    work = tempfile.mkdtemp(prefix="capbus-pause-")
    conf = os.path.join(work, "bus.conf")
    with open(conf, "w") as f:
        f.write(CONFIG)
    path = os.path.join(work, "bus")
    env = dict(os.environ, CAPBUS_NO_BUILD="1")
    bus = subprocess.Popen([args.bus, "--config-file=" + conf, "--nofork", "--print-address=1",
                            "--address=unix:path=" + path], stdout=subprocess.PIPE, stderr=open(
                            os.path.join(work, "bus.log"), "w"), env=env)
    address = bus.stdout.readline().decode().strip()
    while address and not address.startswith("unix:"):  # a JVM's own line (-XX:StartFlightRecording, say)
        address = bus.stdout.readline().decode().strip()
    if not address:
        sys.exit("the bus printed no address; its log: " + os.path.join(work, "bus.log"))
    pid = bus.pid
    idle = []
    for i in range(args.connections):
        c = Connection(path)
        c.call(b"/org/freedesktop/DBus", b"org.freedesktop.DBus", b"AddMatch", signature=b"s",
               body=string_body(b"type='signal',interface='org.example.Idle%d'" % i))
        idle.append(c)
    pinger = Pinger(path)
    pinger.start()
    time.sleep(2)  # a steady stream first

    gaps = []
    print("connections: %d idle + 1 pinger" % args.connections)
    for n in range(args.upgrades):
        start = time.monotonic()
        out = subprocess.run([args.bus, "--upgrade=%d" % pid], capture_output=True, text=True, env=env)
        time.sleep(1)
        end = time.monotonic()
        m = re.search(r"upgraded: pid (\d+) .*paused ([0-9.]+) ms", out.stdout)
        if not m:
            pinger.running = False
            sys.exit("upgrade %d failed: %s%s" % (n + 1, out.stdout, out.stderr))
        pid = int(m.group(1))
        gap = pinger.longest_gap(start, end) * 1000
        gaps.append(gap)
        with open(os.path.join(work, "bus.log")) as log:
            steps = re.findall(r"paused [0-9.]+ ms \((.*)\)", log.read())
        print("upgrade %d: longest gap %.1f ms (the bus says it paused %s ms: %s)"
              % (n + 1, gap, m.group(2), steps[-1] if steps else "?"))
        if pinger.failure:
            sys.exit("the pinger failed: %s" % pinger.failure)
    pinger.running = False
    pinger.join(5)
    for c in idle:
        c.call(b"/org/freedesktop/DBus", b"org.freedesktop.DBus.Peer", b"Ping")
    print("all %d idle connections still answer" % len(idle))
    print("median longest gap: %.1f ms over %d upgrades" % (statistics.median(gaps), len(gaps)))
    os.kill(pid, 15)


if __name__ == "__main__":
    main()
