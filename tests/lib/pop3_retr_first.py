#!/usr/bin/env python3
"""pop3_retr_first.py PORT: log in to the POP3 server on 127.0.0.1 PORT as
alice@example.com (password alicepw), print "stat COUNT SIZE", then the
lines of message 1 as RETR gives them (dot-unstuffed), each ended by LF,
then delete it and QUIT.

Any error (no message, a -ERR, 10 seconds without an answer) ends it with
a traceback and exit 1."""
import poplib, sys
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=10)
p.user("alice@example.com")
p.pass_("alicepw")
print("stat", *p.stat())
sys.stdout.buffer.write(b"".join(l + b"\n" for l in p.retr(1)[1]))
p.dele(1)
p.quit()
