#!/usr/bin/env python3
"""notify_sessions.py LISTENER PORT PROGRAM SOCKET: run LISTENER -b
127.0.0.1 PORT PROGRAM as systemd would, with NOTIFY_SOCKET=SOCKET (a
datagram socket this program binds), and print each notification it
sends, one a line: the first at start (its newlines shown as "|"), one
when a client connects, one when that client (which sends "x\\n" and
half-closes) is done, and one after SIGTERM; then "exit STATUS" with the
listener's exit status.

Each notification is awaited at most 10 seconds (a timeout is an error,
exit 1); the listener is killed if it is still running at the end."""
import os, signal, socket, subprocess, sys, time
listener, port, prog, path = sys.argv[1:]
n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
n.bind(path)
n.settimeout(10)
env = dict(os.environ, NOTIFY_SOCKET=path)
p = subprocess.Popen([listener, "-b", "127.0.0.1", port, prog], env=env,
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
try:
    print(n.recv(4096).decode().replace("\n", "|"))
    c = socket.create_connection(("127.0.0.1", int(port)), timeout=5)
    print(n.recv(4096).decode())
    c.sendall(b"x\n")
    c.shutdown(socket.SHUT_WR)
    while c.recv(4096):
        pass
    print(n.recv(4096).decode())
    p.send_signal(signal.SIGTERM)
    print(n.recv(4096).decode())
    print("exit", p.wait(timeout=10))
finally:
    if p.poll() is None:
        p.kill()
