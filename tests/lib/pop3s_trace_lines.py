#!/usr/bin/env python3
"""pop3s_trace_lines.py PORT CA: log in to the POP3 server under implicit
TLS on 127.0.0.1:PORT with poplib, the chain checked against CA, as
alice@example.com (password alicepw), fetch messages 1 and 2 and QUIT.

Prints, stripped, each line of the two messages that is a Subject: or
one of the Received: field's continuation lines that tell the TLS
version ("\t(using ...") or the receiving host and id ("\tby ...").
Fails (with a traceback) on an -ERR or an error."""
import poplib
import ssl
import sys

port, ca = int(sys.argv[1]), sys.argv[2]
p = poplib.POP3_SSL("127.0.0.1", port,
                    context=ssl.create_default_context(cafile=ca), timeout=20)
p.user("alice@example.com")
p.pass_("alicepw")
for i in (1, 2):
    for l in p.retr(i)[1]:
        l = l.decode()
        if l.startswith(("Subject:", "\t(using", "\tby")):
            print(l.strip())
p.quit()
