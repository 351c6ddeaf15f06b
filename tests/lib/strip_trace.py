#!/usr/bin/env python3
"""strip_trace.py FILE: write the CRLF message in FILE to stdout without
the Return-Path, X-Original-To, Delivered-To and Received lines (and the
Received field's folds) the SMTP handler puts in front of it.  Fails (an
AssertionError naming the first four lines) if they are not there, in
that order."""
import sys
lines = open(sys.argv[1], "rb").read().split(b"\r\n")
assert lines[0].startswith(b"Return-Path: <"), lines[:4]
assert lines[1].startswith(b"X-Original-To: "), lines[:4]
assert lines[2].startswith(b"Delivered-To: "), lines[:4]
assert lines[3].startswith(b"Received: "), lines[:4]
i = 4
while lines[i][:1] in (b" ", b"\t"):
    i += 1
sys.stdout.buffer.write(b"\r\n".join(lines[i:]))
