#!/usr/bin/env python3
"""tls_after_header.py PORT HEXHEADER smtp|pop3 CA: connect to
127.0.0.1:PORT and send HEXHEADER (a PROXY header, hex) and the TLS
ClientHello in one write, so one segment; finish the handshake (the
server's certificate checked against CA for mx.test) and print
"(tls VERSION)"; then run a short session over TLS and print every line
the server sends, without its CR.

smtp: the greeting, EHLO, a message from s@example.net to
alice@example.com, QUIT; pop3: the greeting, USER and PASS for alice,
QUIT.  Exits with a message if the server closes first."""
import socket, ssl, sys
port, header, proto, ca = int(sys.argv[1]), bytes.fromhex(sys.argv[2]), sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
tls = ctx.wrap_bio(inc, out, server_hostname="mx.test")
sock = socket.create_connection(("127.0.0.1", port), 10)
sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
first = True
while True:
    try:
        tls.do_handshake()
        done = True
    except ssl.SSLWantReadError:
        done = False
    data = out.read()
    if first:
        data = header + data
        first = False
    if data:
        sock.sendall(data)
    if done:
        break
    got = sock.recv(65536)
    if not got:
        sys.exit("closed during the handshake")
    inc.write(got)
print("(tls %s)" % tls.version())
buf = b""
def line():
    global buf
    while b"\n" not in buf:
        try:
            part = tls.read(65536)
            buf += part
            continue
        except ssl.SSLWantReadError:
            pass
        got = sock.recv(65536)
        if not got:
            sys.exit("closed")
        inc.write(got)
    i = buf.index(b"\n") + 1
    l, buf = buf[:i], buf[i:]
    print(l.decode().rstrip("\r\n"))
    return l
def say(text):
    tls.write(text.encode() + b"\r\n")
    sock.sendall(out.read())
if proto == "pop3":
    line()
    for c in ("USER alice@example.com", "PASS alicepw", "QUIT"):
        say(c)
        line()
else:
    line()
    for c in ("EHLO client.test", "MAIL FROM:<s@example.net>",
              "RCPT TO:<alice@example.com>", "DATA",
              "Subject: tls\r\n\r\nbody\r\n.", "QUIT"):
        say(c)
        while line()[3:4] == b"-":
            pass
