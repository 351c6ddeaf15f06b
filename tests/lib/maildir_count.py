#!/usr/bin/env python3
"""maildir_count.py DIR: print how many messages Python's mailbox.Maildir
reader sees in the Maildir DIR (new/ and cur/), as any Maildir reader
would count them; DIR is not created.  Fails (with a traceback) if DIR
cannot be read."""
import mailbox
import sys

print(len(mailbox.Maildir(sys.argv[1], create=False).keys()))
