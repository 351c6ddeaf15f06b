#!/usr/bin/env python3
"""pop3_big_retr.py COMMAND...: run COMMAND (a POP3 session through
pipes), log in as alice@example.com (password alicepw), ask LIST 1 and
fetch message 1 with RETR, reading it a line at a time, then QUIT.
COMMAND is killed if it runs for 140 s.

Exits with a message if a reply does not start as it should (+OK, and
"+OK 1 " for LIST 1).  Otherwise prints "rss=" (COMMAND's peak resident
set in kB, VmHWM, read after the message, before QUIT), "seconds=" (the
whole run), "status=" (COMMAND's exit status), "list=" (the size LIST 1
gave) and "octets=" (the data octets RETR sent, without the final ".")."""
import subprocess
import sys
import threading
import time


def hwm(pid):
    for l in open("/proc/%d/status" % pid):
        if l.startswith("VmHWM:"):
            return int(l.split()[1])


cmd = sys.argv[1:]
t0 = time.monotonic()
p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
timer = threading.Timer(140, p.kill)
timer.start()
p.stdin.write(b"USER alice@example.com\r\nPASS alicepw\r\nLIST 1\r\nRETR 1\r\n")
p.stdin.flush()
for want in (b"+OK", b"+OK", b"+OK", b"+OK 1 ", b"+OK"):
    l = p.stdout.readline()
    if not l.startswith(want):
        sys.exit("wanted %r, got %r" % (want, l))
    if want == b"+OK 1 ":
        size = int(l.split()[2])
octets = 0
while True:
    l = p.stdout.readline()
    if l in (b".\r\n", b""):
        break
    octets += len(l)
rss = hwm(p.pid)
p.stdin.write(b"QUIT\r\n")
p.stdin.close()
p.stdout.read()
st = p.wait()
timer.cancel()
print("rss=%d" % rss)
print("seconds=%.2f" % (time.monotonic() - t0))
print("status=%d" % st)
print("list=%d" % size)
print("octets=%d" % octets)
