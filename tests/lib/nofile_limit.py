#!/usr/bin/env python3
"""nofile_limit.py PID [SOFT]: set the soft RLIMIT_NOFILE of process PID.
Without SOFT, set it to PID's lowest free descriptor, so that the next
descriptor PID opens (an accept()) fails with EMFILE, and print the soft
limit it had; with SOFT, set it back to SOFT and print nothing.  The hard
limit is left as it is.

PID's open descriptors are read from /proc/PID/fd."""
import os, resource, sys
pid = int(sys.argv[1])
if len(sys.argv) > 2:
    soft = int(sys.argv[2])
    resource.prlimit(pid, resource.RLIMIT_NOFILE,
        (soft, resource.prlimit(pid, resource.RLIMIT_NOFILE)[1]))
    sys.exit(0)
fds = set(int(f) for f in os.listdir("/proc/%d/fd" % pid))
free = min(set(range(len(fds) + 1)) - fds)
soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
resource.prlimit(pid, resource.RLIMIT_NOFILE, (free, hard))
print(soft)
