#!/usr/bin/env python3
"""smtp_deliver_pop3_retr.py SMTP-PORT POP3-PORT: deliver one message to
alice@example.com through the SMTP server on 127.0.0.1:SMTP-PORT with
smtplib (EHLO client.test, from sender@example.net, Subject "through
mysmtpd -U"), then log in as alice (password alicepw) to the POP3 server
on 127.0.0.1:POP3-PORT with poplib and fetch message 1, deleting
nothing, and QUIT.

Prints "stat COUNT SIZE" (STAT's reply) and message 1's lines; fails
(with a traceback) if either server refuses anything or takes over 10 s
for a reply."""
import poplib
import smtplib
import sys

s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="client.test", timeout=10)
s.sendmail("sender@example.net", ["alice@example.com"],
           b"Subject: through mysmtpd -U\r\n\r\nbody\r\n")
s.quit()
p = poplib.POP3("127.0.0.1", int(sys.argv[2]), timeout=10)
p.user("alice@example.com")
p.pass_("alicepw")
print("stat", *p.stat())
print(b"\n".join(p.retr(1)[1]).decode())
p.quit()
