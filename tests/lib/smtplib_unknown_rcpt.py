#!/usr/bin/env python3
"""smtplib_unknown_rcpt.py PORT: with Python's smtplib, send a message
from a@x.test to nobody@example.com, a user the users file does not
have, through 127.0.0.1:PORT.  Fails unless smtplib raises
SMTPRecipientsRefused with code 550 for that recipient."""
import smtplib, sys
port = int(sys.argv[1])
with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
    try:
        s.sendmail("a@x.test", ["nobody@example.com"],
                   b"Subject: lost\r\n\r\nfor nobody\r\n")
    except smtplib.SMTPRecipientsRefused as e:
        code = e.recipients["nobody@example.com"][0]
        assert code == 550, e.recipients
    else:
        sys.exit("the unknown recipient was accepted")
