#!/usr/bin/env python3
"""greeted_session.py PORT LINE...: connect to 127.0.0.1 PORT, read the
greeting, send every LINE (CRLF added) at once, and print all the server
says, the greeting first, until it closes, with CRLF shown as LF (bytes
that are no UTF-8 replaced).

The connection and each read are bounded by 10 seconds; a timeout ends
it with a traceback and exit 1."""
import socket, sys
port, lines = int(sys.argv[1]), sys.argv[2:]
s = socket.create_connection(("127.0.0.1", port), timeout=10)
out = s.recv(4096)
s.sendall(b"".join(l.encode() + b"\r\n" for l in lines))
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    out += chunk
sys.stdout.write(out.decode(errors="replace").replace("\r\n", "\n"))
