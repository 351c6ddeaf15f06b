#!/usr/bin/env python3
"""handoff_to.py MESSAGE PROGRAM [ARG...]: run PROGRAM with fd 0 and 1 on
a SEQPACKET socket pair whose other end sends MESSAGE (Python bytes
syntax, e.g. 'b"PROTO=TCP\\0"', no connection in it) and closes, or just
closes when MESSAGE is empty, as a listener that lets its spare go does.

Prints PROGRAM's exit status, then, on the same line after a space, its
stderr (stripped) if it wrote any."""
import ast, socket, subprocess, sys
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
if sys.argv[1]:
    a.send(ast.literal_eval(sys.argv[1]))
a.close()
p = subprocess.run(sys.argv[2:], stdin=b, stdout=b, stderr=subprocess.PIPE)
print(" ".join(filter(None, [str(p.returncode), p.stderr.decode().strip()])))
