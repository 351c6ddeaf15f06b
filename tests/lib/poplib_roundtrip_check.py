#!/usr/bin/env python3
"""poplib_roundtrip_check.py PORT SENT: with Python's poplib on
127.0.0.1:PORT, log in as alice@example.com and as bob.smith@example.com
in turn and check that each has exactly the message in the file SENT,
with the SMTP handler's trace lines in front, then delete it.

For each: STAT counts one message, LIST agrees with STAT's size and RETR
with both; the trace names the sender (Return-Path), the recipient as
smtplib gave it (X-Original-To) and the mailbox as the users file spells
it (Delivered-To), then a Received field; what follows is SENT byte for
byte; UIDL lists one id and UIDL 1 gives the same.  Fails with an
AssertionError, or a message that shows both versions of the message,
at the first difference."""
import poplib, sys
port, sent = int(sys.argv[1]), open(sys.argv[2], "rb").read()

def strip_trace(lines, given, box):
    assert lines[0] == b"Return-Path: <sender@x.test>", lines[:4]
    assert lines[1] == b"X-Original-To: " + given, lines[:4]
    assert lines[2] == b"Delivered-To: " + box, lines[:4]
    assert lines[3].startswith(b"Received: "), lines[:4]
    i = 4
    while lines[i][:1] in (b" ", b"\t"):
        i += 1
    return b"".join(line + b"\r\n" for line in lines[i:])

# Each copy names the recipient as smtplib gave it, and the mailbox as
# the users file spells it.
for user, password, given, box in (
        ("alice@example.com", "alicepw", b"alice@example.com",
         b"alice@example.com"),
        ("bob.smith@example.com", "bobpw", b"BOB.SMITH@example.com",
         b"Bob.Smith@Example.COM")):
    p = poplib.POP3("127.0.0.1", port, timeout=10)
    p.user(user)
    p.pass_(password)
    count, total = p.stat()
    assert count == 1, (user, count)
    _, listing, _ = p.list()
    assert listing == [b"1 %d" % total], (listing, total)
    _, lines, octets = p.retr(1)
    assert octets == total, (octets, total)
    got = strip_trace(lines, given, box)
    if got != sent:
        sys.exit("%s got %r\nsent %r" % (user, got, sent))
    _, uids, _ = p.uidl()
    assert len(uids) == 1 and uids[0].startswith(b"1 "), uids
    assert p.uidl(1).split()[2] == uids[0].split()[1]
    p.dele(1)
    p.quit()
