#!/usr/bin/env python3
"""journal_collect.py FILE [SECONDS]: stand in for journald: bind the
journal socket, /run/systemd/journal/socket, touch FILE.ready once it is
bound, and write every entry it receives to FILE, each followed by a
newline (native protocol: one field a line, so entries are separated by
a blank line), until SECONDS (3 unless given) pass without one.

Run it in a private mount namespace with a tmpfs on /run, so that it
takes the place of the system's journald for the processes there."""
import os, socket, sys
path = "/run/systemd/journal/socket"
os.makedirs(os.path.dirname(path), exist_ok=True)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
# As journald's own: any user may log, the handlers run as $RUN_AS too.
os.chmod(path, 0o666)
s.settimeout(float(sys.argv[2]) if len(sys.argv) > 2 else 3)
open(sys.argv[1] + ".ready", "w").close()
with open(sys.argv[1], "wb") as out:
    while True:
        try:
            data = s.recv(65536)
        except socket.timeout:
            break
        out.write(data + b"\n")
        out.flush()
