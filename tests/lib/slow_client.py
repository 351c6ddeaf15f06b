#!/usr/bin/env python3
"""slow_client.py PREFIX BYTES COMMAND...: run COMMAND as a session
through pipes, read its greeting, send the LF-separated command lines of
PREFIX (with CRLF) and read one reply line for each, then send BYTES one
octet a second (cycling through them; never a newline) until the session
closes its output, for 15 s at most.

Prints "replies=" and the first three characters of the greeting and of
each prefix reply, "elapsed=" the seconds from the last prefix reply to
the close (or "open" if it never came), "sent=" the slow octets sent,
"status=" the session's exit status ("hung" if it had not exited 10 s
later, when it is killed), then "after=" and what it sent after the
prefix replies, CRs removed.  Always exits 0: the caller judges."""
import os
import select
import subprocess
import sys
import time

prefix, slow, cmd = sys.argv[1], sys.argv[2].encode(), sys.argv[3:]
p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     bufsize=0)
replies = [p.stdout.readline()]
lines = [l for l in prefix.split("\n") if l]
p.stdin.write(b"".join(l.encode() + b"\r\n" for l in lines))
for l in lines:
    replies.append(p.stdout.readline())
fd = p.stdout.fileno()
t0 = time.monotonic()
after, sent, closed = b"", 0, None
next_send = t0
while time.monotonic() - t0 < 15:
    now = time.monotonic()
    if now >= next_send:
        try:
            p.stdin.write(slow[sent % len(slow):sent % len(slow) + 1])
            sent += 1
        except BrokenPipeError:
            pass
        next_send += 1
    r, _, _ = select.select([fd], [], [], max(0, next_send - time.monotonic()))
    if r:
        chunk = os.read(fd, 4096)
        if not chunk:
            closed = time.monotonic()
            break
        after += chunk
try:
    status = p.wait(10)
except subprocess.TimeoutExpired:
    p.kill()
    status = "hung"
print("replies=" + " ".join(r.decode(errors="replace").strip()[:3] for r in replies))
print("elapsed=" + ("%.2f" % (closed - t0) if closed else "open"))
print("sent=%d" % sent)
print("status=%s" % status)
print("after=" + after.decode(errors="replace").replace("\r", ""))
