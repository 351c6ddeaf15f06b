#!/usr/bin/env python3
"""smtp_reply_times.py COMMAND... -- LINE...: run COMMAND (an SMTP
session through pipes) and send it each LINE (CRLF added) one at a time,
waiting for the reply before the next; then close its input and wait.

Prints, for the greeting first and then each LINE, "CODE SECONDS": the
first three characters of the (last line of the) reply and the seconds
from sending the line to the reply's last line.  Always exits 0: the
caller judges."""
import subprocess
import sys
import time

i = sys.argv.index("--")
cmd, lines = sys.argv[1:i], sys.argv[i + 1:]
p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)


def answer(line):
    t = time.monotonic()
    if line is not None:
        p.stdin.write(line.encode() + b"\r\n")
        p.stdin.flush()
    while True:
        l = p.stdout.readline().decode(errors="replace")
        if len(l) < 4 or l[3] != "-":
            break
    print(l[:3], "%.3f" % (time.monotonic() - t))


answer(None)
for l in lines:
    answer(l)
p.stdin.close()
p.wait()
