#!/usr/bin/env python3
"""smtps_submission_session.py PORT CA: a submission session under
implicit TLS (port 465's way) with smtplib to 127.0.0.1:PORT, the chain
checked against CA and the name against 127.0.0.1: EHLO, MAIL before
AUTH, AUTH PLAIN as alice@example.com (password alicepw), MAIL from
another sender, then a message from alice to alice ("Subject: 465",
"Sent under TLS.") and QUIT.

Asserts that EHLO gets 250, offers "AUTH PLAIN LOGIN" and no STARTTLS,
and that AUTH gets 235.  Prints "mail before auth:", "auth:" and "other
sender:" with the replies, and "done True" once QUIT has closed the
connection.  Fails (with a traceback) on a failed assertion or an
error."""
import smtplib
import ssl
import sys

port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
s = smtplib.SMTP_SSL("127.0.0.1", port, context=ctx, timeout=20)
code, text = s.ehlo("client.test")
assert code == 250, (code, text)
assert b"STARTTLS" not in text, text
assert b"AUTH PLAIN LOGIN" in text, text
print("mail before auth:", s.docmd("MAIL", "FROM:<alice@example.com>"))
code, text = s.docmd("AUTH", "PLAIN AGFsaWNlQGV4YW1wbGUuY29tAGFsaWNlcHc=")
print("auth:", code, text)
assert code == 235, (code, text)
print("other sender:", s.docmd("MAIL", "FROM:<bob.smith@example.com>"))
s.sendmail("alice@example.com", ["alice@example.com"],
           "Subject: 465\n\nSent under TLS.\n")
s.quit()
print("done", s.sock is None)
