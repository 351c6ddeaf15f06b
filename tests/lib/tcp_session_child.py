#!/usr/bin/env python3
"""tcp_session_child.py PID: print the pid of every child of PID whose
fd 0 is a TCP connection (a session), one a line; nothing if none is.

A socket is a TCP one when its inode is in /proc/net/tcp or tcp6;
children are found by the parent pid in /proc/*/stat."""
import os, sys
tcp = set()
for f in ("/proc/net/tcp", "/proc/net/tcp6"):
    try:
        tcp |= {l.split()[9] for l in open(f).readlines()[1:]}
    except OSError:
        pass
for p in os.listdir("/proc"):
    try:
        s = open("/proc/%s/stat" % p).read()
        fd0 = os.readlink("/proc/%s/fd/0" % p)
    except (OSError, ValueError):
        continue
    if s[s.rindex(")") + 2:].split()[1] == sys.argv[1] and \
        fd0.startswith("socket:[") and fd0[8:-1] in tcp:
        print(p)
