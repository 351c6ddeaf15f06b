#!/usr/bin/env python3
"""key_prompt_on_socket.py HANDLER USERS STORE CERT KEY: start HANDLER
(-u USERS -d STORE -n mx.test -c CERT -k KEY, KEY encrypted) as inetd
would, all three descriptors one end of a socket pair, in a session of
its own (no controlling terminal), and send "secret" and a newline from
the other end, as a client that types a passphrase.

Prints what the client got and the handler's exit status.  Exits 0 only
if the client got nothing (no prompt, no reply) and the handler exited
with 100 (it refused the key, taking nothing from the socket as a
passphrase); else 1."""
import socket, subprocess, sys, time
handler, users, store, cert, key = sys.argv[1:]
a, b = socket.socketpair()
p = subprocess.Popen([handler, "-u", users, "-d", store, "-n", "mx.test",
                      "-c", cert, "-k", key], stdin=b, stdout=b, stderr=b,
                     start_new_session=True)
b.close()
try:
    a.sendall(b"secret\n")
except (BrokenPipeError, ConnectionResetError):
    # The handler had already refused the key and exited.
    pass
a.settimeout(3)
got = b""
try:
    while True:
        chunk = a.recv(4096)
        if not chunk:
            break
        got += chunk
except socket.timeout:
    pass
except ConnectionResetError:
    # The handler exited without reading "secret": the kernel resets.
    pass
try:
    status = p.wait(5)
except subprocess.TimeoutExpired:
    p.kill()
    status = "still running"
print("client got %r, exit %s" % (got, status))
sys.exit(0 if got == b"" and status == 100 else 1)
