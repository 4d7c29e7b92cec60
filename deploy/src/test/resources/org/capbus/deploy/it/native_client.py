#!/usr/bin/python3
"""An independent client of capbus's native capability protocol, written from docs/native-protocol.md alone.

Usage:
  native_client.py serve NAME    register a node under NAME, print "READY <unique name>", answer D-Bus calls:
                                 Echo(s) -> s; ReadFd(h) -> s (the descriptor's content); Drop releases the reply
                                 handle unanswered; anything else -> error org.capbus.test.Error.Unknown
  native_client.py probe         exercise every request's failures on raw frames; print "OK <check>" per check
  native_client.py refusals BYTES HANDLES FORBIDDEN
                                 provoke QUOTA (bytes, handles), ACCESS_DENIED and LIMITS_EXCEEDED on a bus with those
                                 budgets, max_names_per_connection 2 and FORBIDDEN denied; print "OK <status> <detail>"
Connects to $DBUS_SESSION_BUS_ADDRESS (unix:path=...).
"""
import array
import os
import socket
import struct
import sys

HEADER = struct.Struct('<IHHQHHHH')  # length, operation, flags, request id, targets, handles, fds, reserved

CREATE_NODE, SEND, RELEASE, DESTROY_NODE, REGISTER_NAME, RELEASE_NAME, RESOLVE_NAME, DBUS_SEND = range(1, 9)
REPLY, WELCOME, MESSAGE, NODE_DESTROYED, NODE_RELEASED = 0x8000, 0x8001, 0x8002, 0x8003, 0x8004
CONTINUE_ON_ERROR, DBUS, QUIET = 0x1, 0x2, 0x4
STATUS = ['OK', 'DESTROYED', 'QUOTA', 'INVALID_HANDLE', 'INVALID_ARGUMENT', 'NOT_PERMITTED', 'NAME_NOT_FOUND',
          'NOT_NATIVE', 'INVALID_MESSAGE', 'LIMITS_EXCEEDED', 'UNKNOWN_OPERATION', 'ACCESS_DENIED']
DETAIL = ['none', 'bytes', 'messages', 'handles', 'fds', 'names']


class Frame:
    def __init__(self, op, flags, request_id, targets, handles, fds, payload):
        self.op, self.flags, self.request_id = op, flags, request_id
        self.targets, self.handles, self.fds, self.payload = targets, handles, fds, payload

    def status(self):
        return STATUS[struct.unpack_from('<I', self.payload, 0)[0]]

    def detail(self):
        """A REPLY's detail: for QUOTA and LIMITS_EXCEEDED, the resource that ran out, by name."""
        return DETAIL[struct.unpack_from('<I', self.payload, 4)[0]]


class NativeConnection:
    def __init__(self, address=None):
        address = address or os.environ['DBUS_SESSION_BUS_ADDRESS']
        path = [kv[5:] for kv in address.split(':', 1)[1].split(',') if kv.startswith('path=')][0]
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b''
        self.fds = []
        self.events = []
        self.next_id = 1
        uid = str(os.getuid()).encode().hex()
        self.sock.sendall(b'\0AUTH EXTERNAL ' + uid.encode() + b'\r\n')
        assert self._line().startswith(b'OK '), 'authentication failed'
        self.sock.sendall(b'NEGOTIATE_CAPBUS_NATIVE 1\r\n')
        answer = self._line()
        if answer != b'AGREE_CAPBUS_NATIVE 1':
            raise RuntimeError('not a capbus bus with the native protocol: %r' % answer)
        self.sock.sendall(b'BEGIN\r\n')
        welcome = self.read_frame()
        assert welcome.op == WELCOME
        self.root = welcome.targets[0]
        self.unique_name = welcome.payload.decode()

    def _line(self):
        line = b''
        while not line.endswith(b'\r\n'):
            line += self.sock.recv(1)
        return line[:-2]

    def _fill(self, n):
        while len(self.buf) < n:
            data, ancdata, _, _ = self.sock.recvmsg(65536, socket.CMSG_SPACE(253 * 4))
            for level, kind, cdata in ancdata:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds = array.array('i')
                    fds.frombytes(cdata[:len(cdata) - (len(cdata) % fds.itemsize)])
                    self.fds.extend(fds)
            if not data:
                raise EOFError('the bus closed the connection')
            self.buf += data

    def read_frame(self):
        self._fill(24)
        length, op, flags, rid, nt, nh, nfd, _ = HEADER.unpack_from(self.buf, 0)
        self._fill(length)
        ids = struct.unpack_from('<%dQ' % (nt + nh), self.buf, 24)
        payload = self.buf[24 + 8 * (nt + nh):length]
        self.buf = self.buf[length:]
        fds, self.fds = self.fds[:nfd], self.fds[nfd:]
        return Frame(op, flags, rid, list(ids[:nt]), list(ids[nt:]), fds, payload)

    def send_frame(self, op, flags=0, targets=(), handles=(), payload=b'', fds=(), request_id=None, raw=None):
        if request_id is None:
            request_id = self.next_id
            self.next_id += 1
        data = raw if raw is not None else (
            HEADER.pack(24 + 8 * (len(targets) + len(handles)) + len(payload), op, flags, request_id, len(targets),
                        len(handles), len(fds), 0) + struct.pack('<%dQ' % (len(targets) + len(handles)),
                                                                *targets, *handles) + payload)
        if fds:
            self.sock.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', fds))])
        else:
            self.sock.sendall(data)
        return request_id

    def request(self, op, flags=0, targets=(), handles=(), payload=b'', fds=()):
        rid = self.send_frame(op, flags, targets, handles, payload, fds)
        while True:
            f = self.read_frame()
            if f.op == REPLY and f.request_id == rid:
                return f
            self.events.append(f)

    def next_event(self):
        return self.events.pop(0) if self.events else self.read_frame()


# ---- the D-Bus wire format, as much as this client needs (little-endian) ----

def _pad(b, n):
    return b + b'\0' * (-len(b) % n)


def _string(b, s, code=b's'):
    s = s.encode()
    if code == b'g':
        return b + bytes([len(s)]) + s + b'\0'
    b = _pad(b, 4)
    return b + struct.pack('<I', len(s)) + s + b'\0'


def dbus_message(mtype, serial, fields, signature='', body=b'', flags=0):
    """fields: list of (code, type char, value)."""
    arr = b''
    for code, t, value in fields:
        arr = _pad(arr, 8) + bytes([code, 1]) + t.encode() + b'\0'
        arr = _string(arr, value, t.encode()) if t in 'sog' else _pad(arr, 4) + struct.pack('<I', value)
    if signature:
        arr = _pad(arr, 8) + bytes([8, 1]) + b'g\0'
        arr = _string(arr, signature, b'g')
    head = struct.pack('<cBBBII', b'l', mtype, flags, 1, len(body), serial) + struct.pack('<I', len(arr)) + arr
    return _pad(head, 8) + body


def parse_dbus(b):
    mtype, flags, _, body_len, serial, arr_len = struct.unpack_from('<xBBBIII', b, 0)
    fields, pos, end = {}, 16, 16 + arr_len
    while pos < end:
        pos += -pos % 8
        code = b[pos]
        sig_len = b[pos + 1]
        t = b[pos + 2:pos + 2 + sig_len].decode()
        pos += 3 + sig_len
        if t in ('s', 'o'):
            pos += -pos % 4
            n = struct.unpack_from('<I', b, pos)[0]
            fields[code] = b[pos + 4:pos + 4 + n].decode()
            pos += 5 + n
        elif t == 'g':
            n = b[pos]
            fields[code] = b[pos + 1:pos + 1 + n].decode()
            pos += 2 + n
        else:
            pos += -pos % 4
            fields[code] = struct.unpack_from('<I', b, pos)[0]
            pos += 4
    body_start = end + (-end % 8)
    return {'type': mtype, 'flags': flags, 'serial': serial, 'path': fields.get(1), 'member': fields.get(3),
            'interface': fields.get(2), 'reply_serial': fields.get(5), 'destination': fields.get(6),
            'sender': fields.get(7), 'signature': fields.get(8, ''), 'unix_fds': fields.get(9, 0),
            'body': b[body_start:body_start + body_len]}


def string_body(s):
    return _string(b'', s)


def read_string(body):
    n = struct.unpack_from('<I', body, 0)[0]
    return body[4:4 + n].decode()


def reply_to(call, serial, signature='', body=b''):
    return dbus_message(2, serial, [(5, 'u', call['serial']), (6, 's', call['sender'])], signature, body)


def error_to(call, serial, name, text):
    return dbus_message(3, serial, [(4, 's', name), (5, 'u', call['serial']), (6, 's', call['sender'])], 's',
                        string_body(text))


# ---- modes ----

def serve(name):
    c = NativeConnection()
    node = c.request(CREATE_NODE).targets[0]
    r = c.request(REGISTER_NAME, 0x4, [node], payload=name.encode())
    assert r.status() == 'OK' and struct.unpack_from('<I', r.payload, 8)[0] == 1, 'could not own ' + name
    print('READY', c.unique_name, flush=True)
    serial = 1
    while True:
        f = c.next_event()
        if f.op != MESSAGE or not f.flags & DBUS:
            continue
        call = parse_dbus(f.payload)
        if call['type'] != 1 or not f.handles:
            continue
        reply_handle = f.handles[0]
        serial += 1
        if call['member'] == 'Echo':
            answer = reply_to(call, serial, 's', string_body(read_string(call['body'])))
        elif call['member'] == 'ReadFd':
            with os.fdopen(f.fds[0], 'rb') as fd:
                answer = reply_to(call, serial, 's', string_body(fd.read().decode()))
        elif call['member'] == 'Drop':
            c.request(RELEASE, targets=[reply_handle])
            continue
        else:
            answer = error_to(call, serial, 'org.capbus.test.Error.Unknown', 'no method ' + str(call['member']))
        r = c.request(SEND, DBUS, [reply_handle], payload=answer)
        assert r.status() == 'OK', r.status()


def expect(frame, status, check):
    got = frame.status()
    if got != status:
        print('FAILED %s: %s (expected %s)' % (check, got, status), flush=True)
        sys.exit(1)
    print('OK', check, flush=True)


def probe():
    c = NativeConnection()
    other = NativeConnection()
    expect(c.request(0x0042), 'UNKNOWN_OPERATION', 'unknown operation')
    expect(c.request(CREATE_NODE, targets=[1]), 'INVALID_ARGUMENT', 'create node with a target')
    node = c.request(CREATE_NODE).targets[0]
    expect(c.request(SEND, targets=[999]), 'INVALID_HANDLE', 'send to a handle never given')
    expect(c.request(SEND, 0x80, targets=[node]), 'INVALID_ARGUMENT', 'send with an undefined flag')
    expect(c.request(SEND, targets=[node], handles=[999]), 'INVALID_HANDLE', 'send carrying a handle never given')
    expect(c.request(SEND), 'INVALID_ARGUMENT', 'send without destinations')
    expect(c.request(RELEASE, targets=[c.root]), 'NOT_PERMITTED', 'release the root node')
    expect(c.request(DESTROY_NODE, targets=[c.root]), 'NOT_PERMITTED', 'destroy the root node')
    expect(c.request(RESOLVE_NAME, payload=b'org.capbus.test.NobodyHasThis'), 'NAME_NOT_FOUND', 'resolve unowned')
    expect(c.request(RESOLVE_NAME, payload=b'\xff\xfe'), 'INVALID_ARGUMENT', 'resolve a name that is not UTF-8')
    expect(c.request(REGISTER_NAME, targets=[node], payload=b':1.99'), 'INVALID_ARGUMENT', 'register a unique name')
    expect(c.request(DBUS_SEND, payload=b'not a D-Bus message'), 'INVALID_MESSAGE', 'D-Bus send of garbage')
    # the other connection's node, reached through a name: not ours to destroy or register
    onode = other.request(CREATE_NODE).targets[0]
    expect(other.request(REGISTER_NAME, 0x4, [onode], payload=b'org.capbus.test.Probe'), 'OK', 'register a name')
    h = c.request(RESOLVE_NAME, payload=b'org.capbus.test.Probe').targets[0]
    expect(c.request(DESTROY_NODE, targets=[h]), 'NOT_PERMITTED', 'destroy a node of another connection')
    expect(c.request(REGISTER_NAME, targets=[h], payload=b'org.capbus.test.Mine'), 'NOT_PERMITTED',
           'register a name for a node of another connection')
    # D-Bus connections take only D-Bus messages
    drv = c.request(RESOLVE_NAME, payload=other.unique_name.encode()).targets[0]
    expect(c.request(SEND, targets=[drv], payload=b'x'), 'OK', 'a plain message to a native root node')
    # continue-on-error: one live, one destroyed destination
    doomed = other.request(CREATE_NODE).targets[0]
    expect(other.request(REGISTER_NAME, 0x4, [doomed], payload=b'org.capbus.test.Doomed'), 'OK', 'register doomed')
    hd = c.request(RESOLVE_NAME, payload=b'org.capbus.test.Doomed').targets[0]
    expect(other.request(DESTROY_NODE, targets=[doomed]), 'OK', 'destroy a node')
    expect(other.request(DESTROY_NODE, targets=[doomed]), 'DESTROYED', 'destroy it again')
    r = c.request(SEND, CONTINUE_ON_ERROR, [h, hd], payload=b'each')
    per = struct.unpack_from('<II', r.payload, 8)
    if r.status() != 'DESTROYED' or per != (0, 1):
        print('FAILED continue-on-error: %s %s' % (r.status(), per))
        sys.exit(1)
    print('OK continue-on-error reports each destination', flush=True)
    expect(c.request(SEND, 0, [h, hd], payload=b'all'), 'DESTROYED', 'all-or-nothing fails as a whole')
    # exactly one copy arrived at the live node (from the continue-on-error send), and a plain one at the root
    got = []
    while len(got) < 2:
        f = other.next_event()
        if f.op == MESSAGE and not f.flags & DBUS:
            got.append(f.payload)
    if sorted(got) != [b'each', b'x']:
        print('FAILED deliveries: %r' % got)
        sys.exit(1)
    print('OK the failed all-or-nothing send delivered nothing', flush=True)
    # ids are never reused: a new node after releases gets a new id
    ids = set()
    for _ in range(5):
        n = c.request(CREATE_NODE).targets[0]
        assert n not in ids
        ids.add(n)
        expect(c.request(RELEASE, targets=[n]), 'OK', 'release a node')
        expect(c.request(RELEASE, targets=[n]), 'INVALID_HANDLE', 'release it again')
    print('OK ids never reused', sorted(ids), flush=True)
    # QUIET: a send or release that succeeds is not answered; one that is refused still is, with its request id
    q = c.request(CREATE_NODE).targets[0]
    gone = c.request(CREATE_NODE).targets[0]
    quiet = [c.send_frame(SEND, QUIET, [q], payload=b'quiet'), c.send_frame(SEND, QUIET, [999], payload=b'no'),
             c.send_frame(RELEASE, QUIET, [gone]), c.send_frame(RELEASE, QUIET, [gone])]
    c.events = []
    c.request(CREATE_NODE)  # answered in request order: after every answer the quiet requests were given
    answered = [(f.request_id, f.status()) for f in c.events if f.op == REPLY]
    if answered != [(quiet[1], 'INVALID_HANDLE'), (quiet[3], 'INVALID_HANDLE')]:
        print('FAILED quiet requests answered: %r (ids %r)' % (answered, quiet))
        sys.exit(1)
    while True:  # the message itself comes after the replies of the requests read with it
        f = c.next_event()
        if f.op == MESSAGE and f.targets == [q]:
            break
    if f.payload != b'quiet':
        print('FAILED the quiet send delivered %r' % f.payload)
        sys.exit(1)
    print('OK quiet requests are answered only when refused', flush=True)
    # a bad frame closes only its own connection
    c.send_frame(0, raw=HEADER.pack(24, CREATE_NODE, 0, 1, 0, 0, 0, 7))
    try:
        while True:
            c.read_frame()
    except (EOFError, ConnectionResetError):
        print('OK a bad frame closed its connection', flush=True)
    expect(other.request(CREATE_NODE), 'OK', 'the other connection goes on')
    print('DONE', flush=True)


def refusal(frame, status, detail):
    got = (frame.status(), frame.detail())
    if got != (status, detail):
        print('FAILED expected %s %s, got %s %s' % (status, detail, *got), flush=True)
        sys.exit(1)
    print('OK', status, detail, flush=True)


def refusals(budget_bytes, budget_handles, forbidden):
    """The refusals of a bus whose receivers may hold budget_bytes bytes and budget_handles handles, whose
    max_names_per_connection is 2 and whose policy denies owning forbidden."""
    c = NativeConnection()
    node = c.request(CREATE_NODE).targets[0]
    refusal(c.request(SEND, 0, [node], payload=b'x' * (budget_bytes + 1)), 'QUOTA', 'bytes')
    refusal(c.request(SEND, 0, [node], handles=[node] * (budget_handles + 1)), 'QUOTA', 'handles')
    refusal(c.request(REGISTER_NAME, 0, [node], payload=forbidden.encode()), 'ACCESS_DENIED', 'none')
    for name in (b'org.capbus.test.PyFirst', b'org.capbus.test.PySecond'):
        assert c.request(REGISTER_NAME, 0, [node], payload=name).status() == 'OK'
    refusal(c.request(REGISTER_NAME, 0, [node], payload=b'org.capbus.test.PyThird'), 'LIMITS_EXCEEDED', 'names')
    print('DONE', flush=True)


if __name__ == '__main__':
    if sys.argv[1] == 'serve':
        serve(sys.argv[2])
    elif sys.argv[1] == 'probe':
        probe()
    elif sys.argv[1] == 'refusals':
        refusals(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    else:
        sys.exit(__doc__)
