#!/usr/bin/env python3
"""flock_apart.py DIR1 DIR2: check that flock() on DIR1 does not reach
DIR2: take an exclusive flock() without waiting (LOCK_EX | LOCK_NB) on
DIR1, then, holding it, on DIR2.  DIR2 is meant to be the same directory
seen through another mount (bindfs, FUSE): other inodes, as between two
NFS clients; through one kernel's mount the second flock() would fail.

Prints nothing; exits 0 if both locks were taken, and fails (with a
traceback, BlockingIOError) if the second was refused."""
import fcntl
import os
import sys

a = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
b = os.open(sys.argv[2], os.O_RDONLY | os.O_DIRECTORY)
fcntl.flock(a, fcntl.LOCK_EX | fcntl.LOCK_NB)
fcntl.flock(b, fcntl.LOCK_EX | fcntl.LOCK_NB)   # would fail on one kernel
