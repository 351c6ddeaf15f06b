#!/usr/bin/env python3
"""smtp_then_pop3.py SMTP_PORT POP3_PORT: send alice@example.com a message
("Subject: under a listener") by SMTP to 127.0.0.1 SMTP_PORT, then log in
as alice (password alicepw) by POP3 to 127.0.0.1 POP3_PORT, print "stat
COUNT SIZE" and message 1 as RETR gives it, then delete it and QUIT.

Any error (a refusal, no message, 10 seconds without an answer) ends it
with a traceback and exit 1."""
import poplib, smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="client.test", timeout=10)
s.sendmail("sender@example.net", ["alice@example.com"],
           b"Subject: under a listener\r\n\r\nbody\r\n")
s.quit()
p = poplib.POP3("127.0.0.1", int(sys.argv[2]), timeout=10)
p.user("alice@example.com")
p.pass_("alicepw")
print("stat", *p.stat())
print(b"\n".join(p.retr(1)[1]).decode())
p.dele(1)
p.quit()
