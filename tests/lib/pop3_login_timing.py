#!/usr/bin/env python3
"""pop3_login_timing.py HANDLER USERS STORE: time failed POP3 logins of
known and unknown users.  For each of five pairs, a known user (one of
each kind of stored password: plain, bcrypt, SHA-512, yescrypt) and an
unknown one, run "HANDLER -u USERS -d STORE -n mx.test" through pipes,
send USER and then PASS wrongpw, and time from PASS to its reply.

Prints a line "KIND USER SECONDS REPLY" for each attempt (KIND known or
unknown, REPLY as a Python bytes literal) and then the median of each
kind.  Exits 0 if every reply to PASS was the same bytes, every attempt
took 1.0 to 1.5 s, and the medians differ by less than 150 ms; else 1."""
import statistics
import subprocess
import sys
import time

handler, users, store = sys.argv[1:4]


def attempt(user):
    p = subprocess.Popen([handler, "-u", users, "-d", store, "-n", "mx.test"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    p.stdout.readline()
    p.stdin.write(b"USER " + user + b"\r\n")
    p.stdin.flush()
    p.stdout.readline()
    start = time.monotonic()
    p.stdin.write(b"PASS wrongpw\r\n")
    p.stdin.flush()
    line = p.stdout.readline()
    took = time.monotonic() - start
    p.stdin.write(b"QUIT\r\n")
    p.stdin.close()
    p.wait(10)
    return took, line


# One of each kind of stored password: plain, bcrypt, SHA-512, yescrypt.
known = [b"alice@example.com", b"erin@example.net", b"carol@example.org",
         b"dave@example.org", b"Bob.Smith@Example.COM"]
unknown = [b"nobody@example.com", b"x@example.net", b"root@example.org",
           b"admin@example.org", b"nobody@nowhere.test"]
times = {"known": [], "unknown": []}
replies = set()
for k, u in zip(known, unknown):
    for kind, user in (("known", k), ("unknown", u)):
        took, line = attempt(user)
        print(kind, user.decode(), "%.3f" % took, repr(line))
        times[kind].append(took)
        replies.add(line)
mk = statistics.median(times["known"])
mu = statistics.median(times["unknown"])
print("median known %.3f unknown %.3f" % (mk, mu))
ok = len(replies) == 1 and \
    all(1.0 <= t <= 1.5 for t in times["known"] + times["unknown"]) and \
    abs(mk - mu) < 0.150
sys.exit(0 if ok else 1)
