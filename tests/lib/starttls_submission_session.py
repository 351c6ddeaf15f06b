#!/usr/bin/env python3
"""starttls_submission_session.py PORT CA: a submission session with
STARTTLS (port 587's way) with smtplib to 127.0.0.1:PORT, the chain
checked against CA: EHLO, MAIL before TLS, STARTTLS, MAIL before a new
EHLO, EHLO, AUTH PLAIN as alice@example.com (password alicepw), then a
message from alice to alice ("Subject: 587", "Sent under TLS.") and QUIT.

Asserts that the first EHLO offers STARTTLS and the one under TLS does
not.  Prints "mail before auth:", "version:" (the TLS version), "mail
after tls, before ehlo:" and "auth:" with the replies.  Fails (with a
traceback) on a failed assertion or an error."""
import smtplib
import ssl
import sys

port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
s = smtplib.SMTP("127.0.0.1", port, timeout=20)
code, text = s.ehlo("client.test")
assert b"STARTTLS" in text, text
print("mail before auth:", s.docmd("MAIL", "FROM:<alice@example.com>"))
s.starttls(context=ctx)
print("version:", s.sock.version())
print("mail after tls, before ehlo:", s.docmd("MAIL", "FROM:<alice@example.com>"))
code, text = s.ehlo("client.test")
assert b"STARTTLS" not in text, text
code, text = s.docmd("AUTH", "PLAIN AGFsaWNlQGV4YW1wbGUuY29tAGFsaWNlcHc=")
print("auth:", code, text)
s.sendmail("alice@example.com", ["alice@example.com"],
           "Subject: 587\n\nSent under TLS.\n")
s.quit()
