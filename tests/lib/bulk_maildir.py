#!/usr/bin/env python3
"""bulk_maildir.py DIR N STYLE: make the Maildir DIR (tmp/, new/, cur/)
if it is not there and put N messages straight into its new/, named as
the store names them: "1700000000.M<i>P1Q<i+1>.bulk,S=<size>,W=<size on
the wire>", i from 000000, S= and W= right (W= counts a CR for each of the
three lines).  Message i has the Subject "bulk <i>", i in six digits.

STYLE is the shape of the messages:
  fixed100  100 octets each (the Subject, an empty line and a line of "b"
            padding), so S=100,W=103; each file made new (O_EXCL), 0600.
  numbered  "Subject: bulk <i>", an empty line, "body of <i>"; files
            made by open(), with the caller's umask.

Prints nothing; fails (with a traceback) if a file cannot be made."""
import os
import sys

d, n, style = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if style not in ("fixed100", "numbered"):
    sys.exit("bulk_maildir.py: unknown STYLE %r" % style)
for sub in ("tmp", "new", "cur"):
    os.makedirs(os.path.join(d, sub), exist_ok=True)
new = os.path.join(d, "new")
for i in range(n):
    if style == "fixed100":
        head = b"Subject: bulk %06d\n\n" % i
        body = head + b"b" * (99 - len(head)) + b"\n"
        assert len(body) == 100
        name = "1700000000.M%06dP1Q%d.bulk,S=100,W=%d" % (i, i + 1, 100 + body.count(b"\n"))
        fd = os.open(os.path.join(new, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, body)
        os.close(fd)
    else:
        body = b"Subject: bulk %06d\n\nbody of %06d\n" % (i, i)
        name = "1700000000.M%06dP1Q%d.bulk,S=%d,W=%d" % (i, i + 1, len(body), len(body) + 3)
        with open(os.path.join(new, name), "wb") as f:
            f.write(body)
