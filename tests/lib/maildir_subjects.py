#!/usr/bin/env python3
"""maildir_subjects.py MAILDIR: read MAILDIR with Python's mailbox.Maildir
(without creating it) and print the Subject of every message in it,
sorted, on one line separated by spaces.  Fails if MAILDIR is not a
Maildir that module can read."""
import mailbox, sys
box = mailbox.Maildir(sys.argv[1], factory=None, create=False)
subjects = sorted(m["Subject"] for m in box)
print(" ".join(subjects))
