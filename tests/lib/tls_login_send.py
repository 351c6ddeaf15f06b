#!/usr/bin/env python3
"""tls_login_send.py PORT CA MODE MESSAGE: send MESSAGE (its text, LF
line ends, as smtplib's sendmail takes it) from alice@example.com to
alice@example.com through the SMTP server on 127.0.0.1:PORT under TLS,
the chain checked against CA, after logging in as alice (password
alicepw).  MODE is "implicit" (TLS from the first byte, port 465's way)
or "starttls" (STARTTLS first, port 587's way).

Prints nothing; fails (with a traceback) if the server refuses anything
or a reply takes over 20 s."""
import smtplib
import ssl
import sys

port, ca, mode, message = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
if mode == "implicit":
    ctx = ssl.create_default_context(cafile=ca)
    s = smtplib.SMTP_SSL("127.0.0.1", port, context=ctx, timeout=20)
elif mode == "starttls":
    s = smtplib.SMTP("127.0.0.1", port, timeout=20)
    s.starttls(context=ssl.create_default_context(cafile=ca))
else:
    sys.exit("tls_login_send.py: MODE is implicit or starttls, not %r" % mode)
s.login("alice@example.com", "alicepw")
s.sendmail("alice@example.com", ["alice@example.com"], message)
s.quit()
