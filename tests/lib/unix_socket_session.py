#!/usr/bin/env python3
"""unix_socket_session.py HANDLER USERS STORE PLAIN: run HANDLER (-u USERS
-d STORE -n mx.test) with stdin and stdout one end of a Unix socket
pair, send EHLO, "AUTH PLAIN PLAIN" (PLAIN: the base64 response) and
QUIT from the other in one write, and print all the handler sends until
it closes.  Exits with the handler's exit status."""
import socket, subprocess, sys
handler, users, store, plain = sys.argv[1:]
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
p = subprocess.Popen([handler, "-u", users, "-d", store, "-n", "mx.test"],
                     stdin=b, stdout=b)
b.close()
a.sendall(b"EHLO client.test\r\nAUTH PLAIN " + plain.encode() + b"\r\nQUIT\r\n")
out = b""
while True:
    chunk = a.recv(4096)
    if not chunk:
        break
    out += chunk
sys.stdout.write(out.decode())
sys.exit(p.wait(10))
