#!/usr/bin/env python3
"""mailpasswd_tty.py MAILPASSWD USERS ANSWER...: run "MAILPASSWD -u USERS
tty@example.com" on a terminal (a pty), type the first ANSWER and a
newline after its "New password:" prompt and the second after "Again:",
then read until it prints "mailpasswd:" and the terminal closes (20 s at
most in all).  Prints all the terminal showed, so a test can see the
prompts, the messages, and whether any answer was echoed."""
import os, pty, select, sys, time
prog, users, answers = sys.argv[1], sys.argv[2], sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(prog, [prog, "-u", users, "tty@example.com"])
out = b""
deadline = time.monotonic() + 20
def read_until(token):
    global out
    while token not in out and time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            try:
                chunk = os.read(fd, 1024)
            except OSError:
                return
            if not chunk:
                return
            out += chunk
for prompt, answer in zip([b"New password:", b"Again:"], answers):
    read_until(prompt)
    os.write(fd, answer.encode() + b"\n")
read_until(b"mailpasswd:")
read_until(b"\n@@never@@")
os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
