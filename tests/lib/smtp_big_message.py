#!/usr/bin/env python3
"""smtp_big_message.py MB MODE COMMAND...: run COMMAND (an SMTP session
through pipes) and send it one message of MB MiB from big@example.net to
alice@example.com: EHLO, MAIL, RCPT, DATA, then "Subject: big", an empty
line and MB times 1 MiB of 80-octet lines (78 octets and CRLF, made once
and sent again, never held whole), then the final dot and QUIT.  MAIL
carries SIZE=<MB MiB>, unless MODE is "limit": then MAIL has no SIZE=
(MODE is "" otherwise).  COMMAND is killed if it runs for 140 s.

Exits with a message if the greeting is not 220 or a command before the
message gets another reply than it should (250, or 354 for DATA).
Otherwise prints "rss=" (COMMAND's peak resident set in kB, VmHWM, read
after the reply to the dot, before QUIT), "seconds=" (the whole run),
"status=" (COMMAND's exit status) and "reply=" (the reply to the dot)."""
import subprocess
import sys
import threading
import time


def hwm(pid):
    for l in open("/proc/%d/status" % pid):
        if l.startswith("VmHWM:"):
            return int(l.split()[1])


mb, limit, cmd = int(sys.argv[1]), sys.argv[2] == "limit", sys.argv[3:]
t0 = time.monotonic()
p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
timer = threading.Timer(140, p.kill)
timer.start()


def reply():
    while True:
        l = p.stdout.readline().decode(errors="replace").rstrip("\r\n")
        if len(l) < 4 or l[3] != "-":
            return l


def say(line, want):
    p.stdin.write(line + b"\r\n")
    p.stdin.flush()
    r = reply()
    if not r.startswith(want):
        sys.exit("%r got %r" % (line, r))


if not reply().startswith("220"):
    sys.exit("no greeting")
say(b"EHLO client", "250")
if limit:
    say(b"MAIL FROM:<big@example.net>", "250")
else:
    say(b"MAIL FROM:<big@example.net> SIZE=%d" % (mb << 20), "250")
say(b"RCPT TO:<alice@example.com>", "250")
say(b"DATA", "354")
# 1 MiB of lines, each 78 octets and CRLF; sent MB times over.
n = (1 << 20) // 80
chunk = b"".join(b"%08d " % i + b"x" * 69 + b"\r\n" for i in range(n))
p.stdin.write(b"Subject: big\r\n\r\n")
for i in range(mb):
    p.stdin.write(chunk)
p.stdin.write(b".\r\n")
p.stdin.flush()
final = reply()
rss = hwm(p.pid)
p.stdin.write(b"QUIT\r\n")
p.stdin.close()
p.stdout.read()
st = p.wait()
timer.cancel()
print("rss=%d" % rss)
print("seconds=%.2f" % (time.monotonic() - t0))
print("status=%d" % st)
print("reply=" + final)
