#!/usr/bin/env python3
"""pty_run.py PROGRAM [ARG...]: run PROGRAM with a terminal (a pty without
echo) as its stdin and stdout, write all of this program's stdin to it
as it is, and copy what it writes to stdout until the terminal closes.
Exits with PROGRAM's exit status."""
import os, pty, sys, termios
script = sys.stdin.buffer.read()
pid, fd = pty.fork()
if pid == 0:
	os.execv(sys.argv[1], sys.argv[1:])
attrs = termios.tcgetattr(fd)
attrs[3] &= ~termios.ECHO
termios.tcsetattr(fd, termios.TCSANOW, attrs)
os.write(fd, script)
while True:
	try:
		chunk = os.read(fd, 4096)
	except OSError:
		break
	if not chunk:
		break
	sys.stdout.buffer.write(chunk)
sys.stdout.flush()
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
