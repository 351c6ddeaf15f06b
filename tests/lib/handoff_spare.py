#!/usr/bin/env python3
"""handoff_spare.py LOG MODE [ARG...]: a PROGRAM for the listener that
speaks the handoff as a spare that cannot fork does; ARGs are the ones
the listener gives PROGRAM.  The test's PROGRAM is a shell script that
execs it with LOG and MODE first, so that its pid is the spare's.

It appends "PID ARGS" to LOG when it starts.  With --handoff (the first
ARG) it takes the connection and its variables from fd 0, answers with
its own pid, and writes them to the client ("handoff pid=PID", then each
variable, one a line); without, it writes "direct pid=PID" on stdout.
With MODE 0 it answers with pid 0 instead, and holds the connection for
30 seconds without a word; MODE is otherwise empty.  A message without a
connection in it ends it at once, status 0."""
import os, socket, struct, sys, time
log, mode, args = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(log, "a") as f:
    f.write(" ".join([str(os.getpid())] + args) + "\n")
if args[0:1] != ["--handoff"]:
    sys.stdout.write("direct pid=%d\n" % os.getpid())
    sys.exit(0)
l = socket.socket(fileno=0)
msg, fds, _, _ = socket.recv_fds(l, 512, 1)
if not fds:
    sys.exit(0)
if mode == "0":
    l.send(struct.pack("=i", 0))
    time.sleep(30)
    sys.exit(0)
l.send(struct.pack("=i", os.getpid()))
out = "handoff pid=%d\n" % os.getpid()
out += "".join(v.decode() + "\n" for v in msg.split(b"\0") if v)
c = socket.socket(fileno=fds[0])
c.sendall(out.encode())
c.close()
