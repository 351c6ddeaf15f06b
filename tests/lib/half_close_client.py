#!/usr/bin/env python3
"""half_close_client.py PORTFILE [--greet] HOST PORT [DATA...]: connect to
HOST PORT, with --greet wait for the first line, send each DATA as it is,
half-close (only when there is DATA), and print all the server sends until
it closes.  The client's own port is written to PORTFILE.

Everything is bounded by 10 seconds: a server that has not closed by then
is an error (TimeoutError, exit 1); what came so far is printed anyway."""
import socket, sys, time
portfile, args = sys.argv[1], sys.argv[2:]
greet = args[:1] == ["--greet"]
if greet:
    args = args[1:]
host, port, data = args[0], int(args[1]), args[2:]
deadline = time.monotonic() + 10
out = b""
s = socket.create_connection((host, port), timeout=5)
open(portfile, "w").write("%d\n" % s.getsockname()[1])
try:
    while greet and b"\n" not in out and time.monotonic() < deadline:
        chunk = s.recv(4096)
        if not chunk:
            break
        out += chunk
    for d in data:
        s.sendall(d.encode())
    if data:
        s.shutdown(socket.SHUT_WR)
    while time.monotonic() < deadline:
        chunk = s.recv(4096)
        if not chunk:
            break
        out += chunk
    else:
        raise TimeoutError("the server did not close")
finally:
    sys.stdout.buffer.write(out)
