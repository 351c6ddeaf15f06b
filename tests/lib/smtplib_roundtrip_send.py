#!/usr/bin/env python3
"""smtplib_roundtrip_send.py PORT SENT: with Python's smtplib, send one
message with BODY=8BITMIME from sender@x.test to alice@example.com and
BOB.SMITH@example.com (another case than the users file's) through
127.0.0.1:PORT, and write the message, exactly as sent, to the file SENT.

The message has 8-bit UTF-8 and raw octets, lines that start with dots,
a line that is only a dot, and a blank line before the last.  Fails (an
AssertionError) unless no recipient was refused."""
import smtplib, sys
port, sent = int(sys.argv[1]), sys.argv[2]
msg = (b"From: Sender <sender@x.test>\r\n"
       b"To: alice@example.com, BOB.SMITH@example.com\r\n"
       b"Subject: roundtrip\r\n"
       b"MIME-Version: 1.0\r\n"
       b"Content-Type: text/plain; charset=utf-8\r\n"
       b"Content-Transfer-Encoding: 8bit\r\n"
       b"\r\n"
       b"plain line\r\n"
       b"Gr\xc3\xbc\xc3\x9fe aus K\xc3\xb6ln, 10 \xe2\x82\xac, raw \xff\xfe\r\n"
       b".a line that starts with a dot\r\n"
       b"..two dots\r\n"
       b".\r\n"
       b"\r\n"
       b"last line\r\n")
open(sent, "wb").write(msg)
with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
    refused = s.sendmail("sender@x.test",
                         ["alice@example.com", "BOB.SMITH@example.com"],
                         msg, mail_options=["BODY=8BITMIME"])
assert refused == {}, refused
