#!/usr/bin/env python3
"""unnamed_store_file.py PID STORE: print the inode of every file without
a name (an O_TMPFILE file, which /proc shows as "STORE/#INODE (deleted)")
that process PID holds open in the top directory of STORE, one a line;
nothing if it holds none.  STORE must be the real path (realpath), as
/proc names it.

The files are found among the links in /proc/PID/fd."""
import os, sys
d = "/proc/%s/fd" % sys.argv[1]
for fd in os.listdir(d):
    try:
        name = os.readlink("%s/%s" % (d, fd))
    except OSError:
        continue
    if name.startswith(sys.argv[2] + "/#") and name.endswith(" (deleted)"):
        print(os.stat("%s/%s" % (d, fd)).st_ino)
