#!/usr/bin/env python3
"""pop3_sessions_under_mutation.py HANDLER USERS STORE BOX: POP3 sessions
one after another while another program (maildir_mutator.py, beside
this file, a process of its own) renames and deletes files in BOX,
alice@example.com's Maildir made by "bulk_maildir.py BOX N numbered",
for 8 s.  Each session runs "HANDLER -u USERS -d STORE -n mx.test -t 20"
through pipes, logs in as alice (password alicepw), asks UIDL and RETRs
every message listed, checking that a message served is the one its UIDL
names (the "M<i>" of its base name is the i of its "Subject: bulk <i>"),
marks every 50th deleted, then asks STAT and LIST and QUITs.  Sessions
run for 8 s, 100 at most; they stop at a failed PASS.

Prints "sessions=", "retr_ok=" (RETRs that got +OK), "retr_err=" (RETRs
that got -ERR), "renamed=" and "deleted=" (what the other program did),
"bad=" the number of faults (a failed command, a RETR that served the
wrong message, a session that did not exit 0 or whose stderr holds a
sanitizer report) and a "bad: " line for each of the first 10.  Exits 0
unless it fails outright: the caller judges."""
import os
import re
import subprocess
import sys
import time

prog, users, store, box = sys.argv[1:]
# The other program: a process of its own, for 8 seconds.
MUTATOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "maildir_mutator.py")
bad = []
ok = err = sessions = 0
m = subprocess.Popen([sys.executable, MUTATOR, box], stdout=subprocess.PIPE)
end = time.monotonic() + 8
while time.monotonic() < end and sessions < 100:
    p = subprocess.Popen([prog, "-u", users, "-d", store, "-n", "mx.test", "-t", "20"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def say(line):
        p.stdin.write(line.encode() + b"\r\n")
        p.stdin.flush()
        return p.stdout.readline().decode(errors="replace").rstrip("\r\n")

    def block():
        out = []
        while True:
            l = p.stdout.readline()
            if l in (b".\r\n", b""):
                return out
            out.append(l.decode(errors="replace").rstrip("\r\n"))
    p.stdout.readline()
    say("USER alice@example.com")
    r = say("PASS alicepw")
    if not r.startswith("+OK"):
        bad.append("PASS: " + r)
        break
    if not say("UIDL").startswith("+OK"):
        bad.append("UIDL failed")
    uid = dict(l.split() for l in block())
    for num in list(uid):
        r = say("RETR " + num)
        if r.startswith("+OK"):
            ok += 1
            lines = block()
            want = "Subject: bulk %s" % re.search(r"\.M(\d+)P", uid[num]).group(1)
            if want not in lines:
                bad.append("RETR %s (%s) sent %r" % (num, uid[num], lines[:1]))
        elif r.startswith("-ERR"):
            err += 1
        else:
            bad.append("RETR: " + r)
        if int(num) % 50 == 0:
            say("DELE " + num)
    for cmd in ("STAT", "LIST"):
        r = say(cmd)
        if not r.startswith("+OK"):
            bad.append(cmd + ": " + r)
        if cmd == "LIST":
            block()
    r = say("QUIT")
    if not r.startswith("+OK"):
        bad.append("QUIT: " + r)
    p.stdin.close()
    status = p.wait(10)
    errtext = p.stderr.read().decode(errors="replace")
    if status != 0 or "Sanitizer" in errtext or "runtime error" in errtext:
        bad.append("exit %d: %s" % (status, errtext[:300]))
    sessions += 1
moves = m.communicate(timeout=20)[0].split()
print("sessions=%d" % sessions)
print("retr_ok=%d" % ok)
print("retr_err=%d" % err)
print("renamed=%s" % moves[0].decode())
print("deleted=%s" % moves[1].decode())
print("bad=%d" % len(bad))
for b in bad[:10]:
    print("bad: " + b)
