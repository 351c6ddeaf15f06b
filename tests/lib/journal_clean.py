#!/usr/bin/env python3
"""journal_clean.py FILE: check that FILE (journal fields as a handler
sent them to the journal socket) holds only text fields, one a line: no
byte below 0x20 but LF, no DEL, and every non-empty line is FIELD=value
with FIELD of capitals, digits and "_" (a field with a raw LF in it
would be sent in the protocol's binary form, with a length of eight raw
octets).

Prints "bad journal line: " and each offending line (as a Python bytes
literal) and exits 1 if there is any, else exits 0."""
import re
import sys

data = open(sys.argv[1], "rb").read()
bad = [l for l in data.split(b"\n")
       if l and (re.search(rb"[\x00-\x1f\x7f]", l) or
                 not re.match(rb"[A-Z0-9_]+=", l))]
for l in bad:
    print("bad journal line:", repr(l))
sys.exit(1 if bad else 0)
