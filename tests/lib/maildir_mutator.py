#!/usr/bin/env python3
"""maildir_mutator.py BOX: play another program working on the Maildir
BOX (an IMAP server marking messages seen and expunging them): for 8 s,
or until new/ is empty, every 50 ms pick a file in new/ at random (seeded,
so each run makes the same choices) and either move it to cur/ with the
flag suffix ":2,S" or delete it, half and half.  A file gone before it
is reached is skipped.

Prints "RENAMED DELETED": how many files it moved and how many it
deleted."""
import os
import random
import sys
import time

box = sys.argv[1]
rnd = random.Random(4)
moves = [0, 0]
end = time.monotonic() + 8
while time.monotonic() < end:
    names = os.listdir(os.path.join(box, "new"))
    if not names:
        break
    n = rnd.choice(names)
    try:
        if rnd.random() < 0.5:
            os.rename(os.path.join(box, "new", n), os.path.join(box, "cur", n + ":2,S"))
            moves[0] += 1
        else:
            os.unlink(os.path.join(box, "new", n))
            moves[1] += 1
    except OSError:
        pass
    time.sleep(0.05)
print(moves[0], moves[1])
