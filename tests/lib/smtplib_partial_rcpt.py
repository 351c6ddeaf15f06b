#!/usr/bin/env python3
"""smtplib_partial_rcpt.py PORT: with Python's smtplib, send a message
from a@x.test to nobody@example.com (a user the users file does not
have) and alice@example.com through 127.0.0.1:PORT.  Fails (an
AssertionError) unless sendmail returns, with only nobody@example.com
refused, by code 550; alice's copy is the test's to check."""
import smtplib, sys
port = int(sys.argv[1])
with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
    refused = s.sendmail("a@x.test", ["nobody@example.com", "alice@example.com"],
                         b"Subject: half\r\n\r\nfor alice\r\n")
assert list(refused) == ["nobody@example.com"], refused
assert refused["nobody@example.com"][0] == 550, refused
