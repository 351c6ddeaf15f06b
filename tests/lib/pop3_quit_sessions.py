#!/usr/bin/env python3
"""pop3_quit_sessions.py PORT N: N POP3 sessions, one after the other, to
127.0.0.1 PORT, each reading the greeting, sending QUIT and reading until
the server closes.

Fails (AssertionError, exit 1) at the first greeting that is not "+OK";
every connection and read is bounded by 10 seconds."""
import socket, sys
for i in range(int(sys.argv[2])):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
    out = b""
    while not out.endswith(b"\n"):
        c = s.recv(4096)
        if not c:
            break
        out += c
    s.sendall(b"QUIT\r\n")
    while s.recv(4096):
        pass
    s.close()
    assert out.startswith(b"+OK"), out
