#!/usr/bin/env python3
"""hold_two_sessions.py PORT: open two connections to 127.0.0.1 PORT,
read (up to 100 bytes of) each one's greeting, and hold both open for 8
seconds, then end, closing them.  Prints nothing.

Each connection and greeting is bounded by 5 seconds."""
import socket, sys, time
a = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
b = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
a.recv(100); b.recv(100)
time.sleep(8)
