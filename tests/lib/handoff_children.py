#!/usr/bin/env python3
"""handoff_children.py PID: print the pids of PID's children that were
started with --handoff among their arguments, one a line, oldest first
(by start time): a listener's spare, then the processes the spare forked
(the one waiting for a connection, and sessions).

Children are found by the parent pid in /proc/*/stat, their arguments in
/proc/*/cmdline; a process that is gone before it is read is left out."""
import os, sys
kids = []
for p in os.listdir("/proc"):
    try:
        s = open("/proc/%s/stat" % p).read()
        argv = open("/proc/%s/cmdline" % p, "rb").read().split(b"\0")
    except (OSError, ValueError):
        continue
    f = s[s.rindex(")") + 2:].split()
    if f[1] == sys.argv[1] and b"--handoff" in argv:
        kids.append((int(f[19]), int(p)))
for start, p in sorted(kids):
    print(p)
