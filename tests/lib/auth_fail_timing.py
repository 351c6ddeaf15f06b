#!/usr/bin/env python3
"""auth_fail_timing.py smtp|pop3 HANDLER USERS STORE: time failed AUTH
PLAIN logins (and, for smtp, AUTH LOGIN ones) for four known and four
unknown users, each in a session of its own with HANDLER (-u USERS -d
STORE -n mx.test) on pipes, all with the wrong password.

A session's time runs from the AUTH command (for smtp, after EHLO) to the
reply to the password.  Prints a line for each attempt ("[MECH] known|
unknown USER SECONDS REPLY") and the two medians.  Exits 0 only if every
reply is the protocol's failure reply (smtp: 535 5.7.8, pop3: -ERR
[AUTH]), every attempt took 1.0 to 1.5 s, and the medians of known and
unknown users differ by less than 150 ms; else 1."""
import base64, statistics, subprocess, sys, time
proto, handler, users, store = sys.argv[1:5]
b64 = lambda s: base64.b64encode(s).decode()


def smtp_attempt(mech, user):
    p = subprocess.Popen([handler, "-u", users, "-d", store, "-n", "mx.test"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    p.stdout.readline()
    p.stdin.write(b"EHLO client.test\r\n")
    p.stdin.flush()
    while not p.stdout.readline().startswith(b"250 "):
        pass
    start = time.monotonic()
    if mech == "PLAIN":
        p.stdin.write(b"AUTH PLAIN %s\r\n" % b64(b"\0" + user + b"\0wrongpw").encode())
        p.stdin.flush()
    else:
        p.stdin.write(b"AUTH LOGIN\r\n")
        p.stdin.flush()
        p.stdout.readline()
        p.stdin.write(b64(user).encode() + b"\r\n")
        p.stdin.flush()
        p.stdout.readline()
        p.stdin.write(b64(b"wrongpw").encode() + b"\r\n")
        p.stdin.flush()
    line = p.stdout.readline()
    took = time.monotonic() - start
    p.stdin.write(b"QUIT\r\n")
    p.stdin.close()
    p.wait(10)
    return took, line


def pop3_attempt(mech, user):
    p = subprocess.Popen([handler, "-u", users, "-d", store, "-n", "mx.test"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    p.stdout.readline()
    start = time.monotonic()
    p.stdin.write(b"AUTH PLAIN " +
                  base64.b64encode(b"\0" + user + b"\0wrongpw") + b"\r\n")
    p.stdin.flush()
    line = p.stdout.readline()
    took = time.monotonic() - start
    p.stdin.write(b"QUIT\r\n")
    p.stdin.close()
    p.wait(10)
    return took, line


if proto == "smtp":
    attempt, mechs = smtp_attempt, ("PLAIN", "LOGIN")
    failed = b"535 5.7.8 Authentication credentials invalid\r\n"
elif proto == "pop3":
    # POP3 tries PLAIN only, and its lines do not name the mechanism.
    attempt, mechs = pop3_attempt, (None,)
    failed = b"-ERR [AUTH] Invalid user name or password\r\n"
else:
    sys.exit("auth_fail_timing.py: smtp or pop3, not %r" % proto)

known = [b"alice@example.com", b"erin@example.net", b"carol@example.org",
         b"dave@example.org"]
unknown = [b"nobody@example.com", b"x@example.net", b"root@example.org",
           b"admin@nowhere.test"]
times = {"known": [], "unknown": []}
replies = set()
for mech in mechs:
    for k, u in zip(known, unknown):
        for kind, user in (("known", k), ("unknown", u)):
            took, line = attempt(mech, user)
            words = [mech] if mech else []
            print(*words, kind, user.decode(), "%.3f" % took, repr(line))
            times[kind].append(took)
            replies.add(line)
mk = statistics.median(times["known"])
mu = statistics.median(times["unknown"])
print("median known %.3f unknown %.3f" % (mk, mu))
ok = replies == {failed} and \
    all(1.0 <= t <= 1.5 for t in times["known"] + times["unknown"]) and \
    abs(mk - mu) < 0.150
sys.exit(0 if ok else 1)
