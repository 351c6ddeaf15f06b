#!/usr/bin/env python3
"""handoff_harness.py DIR SPARE [ARG...]: start SPARE ARG... (a handler
with --handoff) on a SEQPACKET socket as a listener's spare, with the
message of a connection already in the socket before it starts, so that
its first session process finds it at once.

Prints the code of the greeting the session sent ("220") and the pid the
spare answered with (the session's), on one line, and holds the
session's client until DIR/release exists (at most 10 seconds); then
closes both ends and waits for SPARE (at most 10 seconds).  The
connection is a socket pair, so the "client" is this program."""
import os, socket, struct, subprocess, sys, time
d, argv = sys.argv[1], sys.argv[2:]
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
c, s = socket.socketpair()
socket.send_fds(a, [b"PROTO=TCP\0"], [s.fileno()])
s.close()
spare = subprocess.Popen(argv, stdin=b, stdout=b)
b.close()
a.settimeout(10)
c.settimeout(10)
session = struct.unpack("=i", a.recv(64))[0]
print(c.recv(512).decode().split(" ")[0], session, flush=True)
end = time.monotonic() + 10
while not os.path.exists(d + "/release") and time.monotonic() < end:
    time.sleep(0.05)
c.close()
a.close()
spare.wait(10)
