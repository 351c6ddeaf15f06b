#!/usr/bin/env python3
"""held_client.py HOST PORT FIRST LATER DIR: a client that holds its
session until told to go on.  It connects to HOST PORT, sends FIRST,
puts the first line of the reply in DIR/held, waits for DIR/release (at
most 10 seconds), sends LATER, half-closes and puts all it got (the
first line too) in DIR/done.

Each file is written under a temporary name and renamed, so that one
that exists is whole."""
import os, socket, sys, time
host, port, first, later, d = sys.argv[1:]
def put(name, data):
    open(d + "/" + name + ".tmp", "wb").write(data)
    os.rename(d + "/" + name + ".tmp", d + "/" + name)
s = socket.create_connection((host, int(port)), timeout=10)
s.sendall(first.encode())
out = b""
while b"\n" not in out:
    chunk = s.recv(4096)
    if not chunk:
        break
    out += chunk
put("held", out)
end = time.monotonic() + 10
while not os.path.exists(d + "/release") and time.monotonic() < end:
    time.sleep(0.05)
s.sendall(later.encode())
s.shutdown(socket.SHUT_WR)
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    out += chunk
put("done", out)
