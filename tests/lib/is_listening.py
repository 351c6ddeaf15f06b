#!/usr/bin/env python3
"""is_listening.py PORT: exit 0 if a TCP socket listens on PORT, 1 if none.

It reads the kernel's tables (/proc/net/tcp and /proc/net/tcp6, state 0A
is LISTEN), for a probe connection would start a session.  Run in a
network namespace, it sees that namespace's sockets."""
import sys
want = ":%04X" % int(sys.argv[1])
for name in ("/proc/net/tcp", "/proc/net/tcp6"):
    try:
        rows = open(name).read().splitlines()[1:]
    except OSError:
        continue
    for row in rows:
        f = row.split()
        if f[1].endswith(want) and f[3] == "0A":
            sys.exit(0)
sys.exit(1)
