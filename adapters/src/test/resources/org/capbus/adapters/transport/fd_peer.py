# A real peer for the transport tests, run with Debian's /usr/bin/python3 (socket.send_fds/recv_fds need 3.9+).
# Usage: fd_peer.py abstract NAME   -> connects to the abstract socket NAME, sends "ping", prints the echo
#        fd_peer.py fds PATH        -> sends "FDS!" with 3 descriptors in one sendmsg, then prints what comes back
import os
import socket
import sys
import tempfile


def recv_exact(sock, n):
    data = b''
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


mode, address = sys.argv[1], sys.argv[2]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.settimeout(20)
if mode == 'abstract':
    sock.connect('\0' + address)
    sock.sendall(b'ping')
    print(recv_exact(sock, 4).decode())
elif mode == 'fds':
    files = []
    for i in range(3):
        f = tempfile.TemporaryFile()
        f.write(b'content-%d' % i)
        f.flush()
        files.append(f)
    sock.connect(address)
    socket.send_fds(sock, [b'FDS!'], [f.fileno() for f in files])
    # The transport writes "X", "Y" with one descriptor, "Z" with two, in one batch: each set must arrive with
    # its own byte (reading one byte at a time shows where the kernel put it).
    for label in ('first', 'second', 'third'):
        msg, fds, flags, _ = socket.recv_fds(sock, 1, 16)
        contents = []
        for fd in fds:
            os.lseek(fd, 0, os.SEEK_SET)
            contents.append(os.read(fd, 100).decode())
            os.close(fd)
        print(label, msg.decode(), len(fds), ','.join(contents))
sys.stdout.flush()
