#!/usr/bin/env python3
"""large_message.py FILE MB: write a message of about MB megabytes (10^6
octets) to FILE, with CRLF line ends, from and to alice@example.com,
Subject "large"; its body lines are numbered and of varying length, and
some start with a dot or are a lone dot.  Also writes FILE.data, the
same dot-stuffed and ended with CRLF . CRLF, ready for DATA, and FILE.lf,
the message with LF line ends, as the store keeps it."""
import sys
path, mb = sys.argv[1], int(sys.argv[2])
lines = [b"From: alice@example.com", b"To: alice@example.com",
         b"Subject: large", b""]
i = 0
size = 0
while size < mb * 1000 * 1000:
    body = (b"%08d " % i) + bytes(range(0x21, 0x7f))[: 60 + i % 15]
    if i % 37 == 0:
        body = b"." + body
    if i % 101 == 0:
        body = b"."
    lines.append(body)
    size += len(body) + 2
    i += 1
msg = b"\r\n".join(lines) + b"\r\n"
open(path, "wb").write(msg)
stuffed = b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n"
                   for l in lines)
open(path + ".data", "wb").write(stuffed + b".\r\n")
open(path + ".lf", "wb").write(msg.replace(b"\r\n", b"\n"))
