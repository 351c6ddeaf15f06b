#!/usr/bin/env python3
"""parallel_deliver_fetch.py SMTP-PORT POP3-PORT BOX: 50 SMTP clients at
once, each one session of 20 messages to alice@example.com (Subject
"c<client>m<message>", 30 numbered lines), through the SMTP server on
127.0.0.1:SMTP-PORT, while two POP3 clients on 127.0.0.1:POP3-PORT log
in as alice (password alicepw) again and again, each session fetching
(and checking whole) and deleting at most 100 messages, until the
senders are done and a session finds the maildrop empty; 120 s at most.
A login refused with [IN-USE] counts as such, not as an error.  Then
the messages left in BOX (alice's Maildir: new/ and cur/) are read.

Prints, one "NAME=VALUE" a line: accepted (messages the SMTP server took),
refused (how many it refused, and the first 5), ids (distinct queue ids
in the replies to the dot), retrieved (messages fetched in sessions that
ended with +OK), left (messages in BOX), left_unique (distinct Subjects
among them), names_unique (1 if the files in BOX have distinct base
names), twice (Subjects fetched twice), both (fetched and left), lost
(accepted, neither fetched nor left), unknown (fetched or left, never
accepted), each with its count and first 5, errors (and an "error: "
line for each of the first 10: failed connections and commands, a
message not whole, a UIDL naming two messages), sessions (POP3 sessions
that ended with +OK), in_use (logins refused [IN-USE]), send_seconds
and seconds.  Exits 0 unless it fails outright: the caller judges."""
import collections
import os
import poplib
import re
import smtplib
import sys
import threading
import time

sport, pport, box = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
CLIENTS, MESSAGES, LINES, PER_SESSION = 50, 20, 30, 100
lock = threading.Lock()
accepted, refused, errors = {}, [], []
retrieved, uids = [], {}
stats = collections.Counter()
senders_done = threading.Event()
deadline = time.monotonic() + 120

def text(subj):
    return ("Subject: %s\r\n\r\n" % subj +
            "".join("line %02d of %s\r\n" % (i, subj) for i in range(LINES)))

def sender(k):
    try:
        s = smtplib.SMTP("127.0.0.1", sport, local_hostname="c%d" % k, timeout=60)
        s.ehlo()
    except Exception as e:
        with lock:
            errors.append("connect %d: %r" % (k, e))
        return
    for j in range(MESSAGES):
        subj = "c%02dm%02d" % (k, j)
        try:
            s.mail("s%d@example.net" % k)
            s.rcpt("alice@example.com")
            code, resp = s.data(text(subj))
            with lock:
                accepted[subj] = resp.decode().rsplit(" ", 1)[-1]
        except smtplib.SMTPResponseException as e:
            with lock:
                refused.append((subj, e.smtp_code, e.smtp_error))
            try:
                s.rset()
            except Exception as e2:
                errors.append("sender %d at %s: RSET: %r" % (k, subj, e2))
                return
        except Exception as e:
            with lock:
                errors.append("sender %d at %s: %r" % (k, subj, e))
            return
    s.quit()

def check(subj, lines):
    want = ["line %02d of %s" % (i, subj) for i in range(LINES)]
    body = [l.decode() for l in lines]
    return body[body.index("") + 1:] == want

def session():
    p = poplib.POP3("127.0.0.1", pport, timeout=60)
    p.user("alice@example.com")
    try:
        p.pass_("alicepw")
    except poplib.error_proto as e:
        p.quit()
        if b"[IN-USE]" in e.args[0]:
            stats["in-use"] += 1
            return None
        raise
    resp, listing, _ = p.list()
    resp, uidl, _ = p.uidl()
    uid = dict(l.decode().split() for l in uidl)
    got = []
    for l in listing[:PER_SESSION]:
        num = l.decode().split()[0]
        resp, lines, _ = p.retr(num)
        m = [re.match(r"Subject: (\S+)$", x.decode()) for x in lines]
        subj = [x.group(1) for x in m if x][0]
        if not check(subj, lines):
            with lock:
                errors.append("message %s is not whole" % subj)
        got.append((subj, uid[num]))
        p.dele(num)
    resp = p.quit()
    if not resp.startswith(b"+OK"):
        with lock:
            errors.append("QUIT got %r" % resp)
        return True
    with lock:
        stats["sessions"] += 1
        for subj, u in got:
            retrieved.append(subj)
            if uids.setdefault(u, subj) != subj:
                errors.append("UIDL %s names %s and %s" % (u, uids[u], subj))
    return len(listing)

def poller(n):
    # Fetch while the senders run, then until a session finds the
    # maildrop empty.  session() returns how many messages it listed, or
    # None when the maildrop was locked.
    while time.monotonic() < deadline:
        last = senders_done.is_set()
        try:
            listed = session()
        except Exception as e:
            with lock:
                errors.append("poller %d: %r" % (n, e))
            time.sleep(0.1)
            continue
        if listed == 0 and last:
            return
        time.sleep(0.01 if listed is not None else 0.05)

t0 = time.monotonic()
pollers = [threading.Thread(target=poller, args=(n,)) for n in range(2)]
for t in pollers:
    t.start()
senders = [threading.Thread(target=sender, args=(k,)) for k in range(CLIENTS)]
for t in senders:
    t.start()
for t in senders:
    t.join(max(1, deadline - time.monotonic()))
senders_done.set()
send_s = time.monotonic() - t0
for t in pollers:
    t.join(max(1, deadline - time.monotonic()))

left = []
names = []
for sub in ("new", "cur"):
    for name in os.listdir(os.path.join(box, sub)):
        names.append(name.split(":")[0])
        with open(os.path.join(box, sub, name), "rb") as f:
            m = re.search(rb"^Subject: (\S+)$", f.read(), re.M)
        left.append(m.group(1).decode() if m else "?" + name)
count = collections.Counter(retrieved)
twice = [s for s, c in count.items() if c > 1]
both = set(retrieved) & set(left)
lost = set(accepted) - set(retrieved) - set(left)
unknown = (set(retrieved) | set(left)) - set(accepted)
print("accepted=%d" % len(accepted))
print("refused=%d %s" % (len(refused), refused[:5]))
print("ids=%d" % len(set(accepted.values())))
print("retrieved=%d" % len(retrieved))
print("left=%d" % len(left))
print("left_unique=%d" % len(set(left)))
print("names_unique=%d" % (len(set(names)) == len(names)))
print("twice=%d %s" % (len(twice), twice[:5]))
print("both=%d %s" % (len(both), sorted(both)[:5]))
print("lost=%d %s" % (len(lost), sorted(lost)[:5]))
print("unknown=%d %s" % (len(unknown), sorted(unknown)[:5]))
print("errors=%d" % len(errors))
for e in errors[:10]:
    print("error: " + e)
print("sessions=%d" % stats["sessions"])
print("in_use=%d" % stats["in-use"])
print("send_seconds=%.1f" % send_s)
print("seconds=%.1f" % (time.monotonic() - t0))
