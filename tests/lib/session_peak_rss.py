#!/usr/bin/env python3
"""session_peak_rss.py OUTFILE SCRIPT COMMAND...: run COMMAND as a
session, its output to OUTFILE, and feed it SCRIPT (LF-separated lines,
sent with CRLF): all lines but the last at once; then, once OUTFILE has
not grown for half a second (90 s at most), read the session's peak
resident set (VmHWM in /proc/PID/status: the process COMMAND started, so
a program exec'd in its place is measured, not a launcher's shell) and
send the last line.  COMMAND is killed if it runs for 90 s.

Prints "rss=" (kB), "seconds=" (the whole run), "status=" (COMMAND's
exit status), "octets=" (the output's size) and "last=" (its last line,
without CRLF).  Always exits 0: the caller judges."""
import os
import subprocess
import sys
import threading
import time

outname, script, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]


def hwm(pid):
    for l in open("/proc/%d/status" % pid):
        if l.startswith("VmHWM:"):
            return int(l.split()[1])


t0 = time.monotonic()
out = open(outname, "wb")
p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=out)
timer = threading.Timer(90, p.kill)
timer.start()
lines = [l.encode() + b"\r\n" for l in script.split("\n") if l]
p.stdin.write(b"".join(lines[:-1]))
p.stdin.flush()
size, still = -1, 0
for i in range(1800):
    time.sleep(0.05)
    now = os.path.getsize(outname)
    still = still + 1 if now == size else 0
    size = now
    if still >= 10:
        break
rss = hwm(p.pid)
p.stdin.write(lines[-1])
p.stdin.close()
st = p.wait()
timer.cancel()
out.close()
raw = open(outname, "rb").read()
last = raw.rstrip(b"\r\n").split(b"\r\n")[-1]
print("rss=%d" % rss)
print("seconds=%.2f" % (time.monotonic() - t0))
print("status=%d" % st)
print("octets=%d" % len(raw))
print("last=" + last.decode(errors="replace"))
