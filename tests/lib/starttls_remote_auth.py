#!/usr/bin/env python3
"""starttls_remote_auth.py PORT CA: as a client on another host, a
submission session with smtplib to 192.0.2.1:PORT: EHLO, AUTH PLAIN as
alice@example.com (password alicepw) and MAIL in clear, then STARTTLS
(the chain checked against CA), EHLO, AUTH PLAIN again, a message from
alice to alice ("Subject: remote", "Sent under TLS.") and QUIT.

Prints "auth offered in clear:" (whether the first EHLO names AUTH),
"auth in clear:" and "mail in clear:" with the replies, "auth offered
under tls:" (whether EHLO under TLS offers "AUTH PLAIN LOGIN") and "auth
under tls:" with the reply.  Fails (with a traceback) on an error."""
import smtplib
import ssl
import sys

port, ca = int(sys.argv[1]), sys.argv[2]
s = smtplib.SMTP("192.0.2.1", port, timeout=20)
code, text = s.ehlo("client.test")
print("auth offered in clear:", b"AUTH" in text)
print("auth in clear:", s.docmd("AUTH", "PLAIN AGFsaWNlQGV4YW1wbGUuY29tAGFsaWNlcHc="))
print("mail in clear:", s.docmd("MAIL", "FROM:<alice@example.com>"))
s.starttls(context=ssl.create_default_context(cafile=ca))
code, text = s.ehlo("client.test")
print("auth offered under tls:", b"AUTH PLAIN LOGIN" in text)
print("auth under tls:", s.docmd("AUTH", "PLAIN AGFsaWNlQGV4YW1wbGUuY29tAGFsaWNlcHc="))
s.sendmail("alice@example.com", ["alice@example.com"],
           "Subject: remote\n\nSent under TLS.\n")
s.quit()
