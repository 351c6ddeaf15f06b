#!/usr/bin/env python3
"""pop3s_fetch_subject.py PORT CA: log in to the POP3 server under
implicit TLS on 127.0.0.1:PORT with poplib, the chain checked against CA,
as alice@example.com (password alicepw), fetch message 1 and QUIT.

Prints "user:" and "pass:" with the replies to USER and PASS, and
"subject:" with the list of message 1's lines that start with
"Subject:".  Fails (with a traceback) on an -ERR or an error."""
import poplib
import ssl
import sys

port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
p = poplib.POP3_SSL("127.0.0.1", port, context=ctx, timeout=20)
print("user:", p.user("alice@example.com"))
print("pass:", p.pass_("alicepw"))
resp, lines, octets = p.retr(1)
print("subject:", [l for l in lines if l.startswith(b"Subject:")])
p.quit()
