#!/usr/bin/env python3
"""child_states.py PID: print "PID STATE" for every child process of PID,
one a line (STATE is the process state letter, Z for a zombie); prints
nothing when PID has no children.

Children are found by the parent pid in /proc/*/stat; a process that is
gone before it is read is left out."""
import os, sys
for p in os.listdir("/proc"):
    if not p.isdigit():
        continue
    try:
        s = open("/proc/%s/stat" % p).read()
    except OSError:
        continue
    f = s[s.rindex(")") + 2:].split()
    if f[1] == sys.argv[1]:
        print(p, f[0])
