#!/usr/bin/env python3
"""free_ports.py N: print N different free TCP ports on 127.0.0.1, one a
line.  All N are bound at once, so none is given twice."""
import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss:
    s.bind(("127.0.0.1", 0))
print("\n".join(str(s.getsockname()[1]) for s in ss))
