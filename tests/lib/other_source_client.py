#!/usr/bin/env python3
"""other_source_client.py PORT: connect to 127.0.0.1 PORT from the
address 127.0.0.2 (the same machine, another source to a server), send
"other\\n", half-close, and print all the server sends until it closes.

Connecting is bounded by 5 seconds; an error ends it with a traceback and
exit 1."""
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5,
    source_address=("127.0.0.2", 0))
s.sendall(b"other\n")
s.shutdown(socket.SHUT_WR)
out = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    out += chunk
sys.stdout.buffer.write(out)
