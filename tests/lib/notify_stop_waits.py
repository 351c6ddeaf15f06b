#!/usr/bin/env python3
"""notify_stop_waits.py LISTENER PORT PROGRAM SOCKET: run LISTENER -b
127.0.0.1 PORT PROGRAM as systemd would, with NOTIFY_SOCKET=SOCKET (a
datagram socket this program binds), open a session, send the listener
SIGTERM while it runs, and print, one a line: the notification that
follows the SIGTERM; "running" if the listener is still there a second
later, else "exited early"; the first reply of the session to "last\\n"
(sent then, and half-closed), stripped; and "exit STATUS" with the
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
    n.recv(4096)                        # READY=1
    c = socket.create_connection(("127.0.0.1", int(port)), timeout=5)
    n.recv(4096)                        # 1 session active
    p.send_signal(signal.SIGTERM)
    print(n.recv(4096).decode())        # STOPPING=1
    time.sleep(1)
    print("running" if p.poll() is None else "exited early")
    c.sendall(b"last\n")
    c.shutdown(socket.SHUT_WR)
    print(c.recv(4096).decode().strip())
    print("exit", p.wait(timeout=10))
finally:
    if p.poll() is None:
        p.kill()
