#!/usr/bin/env python3
"""dotted_lines.py: print a message body of about 1.6 MB, larger than any
I/O buffer: 8000 LF-ended lines, line i (from 0) "line i " repeated
i % 40 + 1 times, with a "." in front of every seventh from the first,
so that a server must dot-stuff it."""
import sys
for i in range(8000):
    lead = "." if i % 7 == 0 else ""
    sys.stdout.write(lead + ("line %d " % i) * (i % 40 + 1) + "\n")
