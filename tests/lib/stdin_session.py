#!/usr/bin/env python3
"""stdin_session.py PORT: connect to 127.0.0.1 PORT, send all of stdin as
it is (the caller makes the lines CRLF-ended), and print every byte that
comes back until the server closes.

Connecting is bounded by 10 seconds and each read by 20; a timeout or
another error ends it with a traceback and exit 1."""
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
s.settimeout(20)
s.sendall(sys.stdin.buffer.read())
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    sys.stdout.buffer.write(chunk)
