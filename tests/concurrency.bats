#!/usr/bin/env bats
# Concurrency (issue 4): parallel deliveries while POP3 sessions fetch and
# delete, the maildrop lock, and another program renaming or deleting
# files under a POP3 session.  Every loop is bounded in rounds and
# seconds; listeners bind loopback on ports from free_port.

load helper

bats_require_minimum_version 1.5.0

# figure TEXT: show a measured figure in the bats output.
figure() {
	echo "# $BATS_TEST_DESCRIPTION: $*" >&3
}

# field NAME: the value of NAME= in $output.
field() {
	printf '%s\n' "$output" | sed -n "s/^$1=//p" | head -n 1
}

# start_servers: mysmtpd -c 60 and mypopd -c 10 on free loopback ports,
# SMTP_PORT and POP3_PORT; teardown stops them.
start_servers() {
	SMTP_PORT=$(free_port)
	POP3_PORT=$(free_port)
	"$BIN/mysmtpd" -b 127.0.0.1 -c 60 "$SMTP_PORT" -u "$USERS" -d "$STORE" \
	    -n mx.test >"$T/mysmtpd.log" 2>&1 3>&- </dev/null &
	PIDS="${PIDS:-} $!"
	"$BIN/mypopd" -b 127.0.0.1 -c 10 "$POP3_PORT" -u "$USERS" -d "$STORE" \
	    -n mx.test >"$T/mypopd.log" 2>&1 3>&- </dev/null &
	PIDS="${PIDS:-} $!"
	wait_port "$SMTP_PORT"
	wait_port "$POP3_PORT"
}

# bulk_mailbox ADDRESS N: put N small messages straight into new/ of
# ADDRESS, named as the store names them; message i has the Subject
# "bulk i" and a base name with "M<i>".  The mailbox belongs to the user
# the handlers run as.
bulk_mailbox() {
	python3 - "$(maildir "$1")" "$2" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for sub in ("tmp", "new", "cur"):
    os.makedirs(os.path.join(d, sub), exist_ok=True)
for i in range(n):
    body = b"Subject: bulk %06d\n\nbody of %06d\n" % (i, i)
    name = "1700000000.M%06dP1Q%d.bulk,S=%d,W=%d" % (i, i + 1, len(body), len(body) + 3)
    with open(os.path.join(d, "new", name), "wb") as f:
        f.write(body)
PY
	own -R "$(maildir "$1")"
}

@test "50 parallel SMTP sessions of 20 messages while POP3 sessions fetch and delete: none lost, none twice" {
	start_servers
	run timeout 150 python3 - "$SMTP_PORT" "$POP3_PORT" "$(maildir alice@example.com)" <<'PY'
import collections, os, poplib, re, smtplib, sys, threading, time
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
PY
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(field errors)" -eq 0 ]
	[ "$(field accepted)" -eq 1000 ]
	[ "$(field refused)" = "0 []" ]
	[ "$(field ids)" -eq 1000 ]
	[ "$(field twice)" = "0 []" ]
	[ "$(field both)" = "0 []" ]
	[ "$(field lost)" = "0 []" ]
	[ "$(field unknown)" = "0 []" ]
	[ "$(field left_unique)" -eq "$(field left)" ]
	[ "$(field names_unique)" -eq 1 ]
	[ $(( $(field retrieved) + $(field left) )) -eq 1000 ]
	# The fetching really ran alongside the deliveries, and drained.
	[ "$(field retrieved)" -gt 0 ]
	[ "$(field left)" -eq 0 ]
	[ "$(field sessions)" -ge 2 ]
	[ -z "$(tmp_files)" ]
	! grep -E 'Sanitizer|runtime error' "$T/mysmtpd.log" "$T/mypopd.log"
	figure "1000 messages sent in $(field send_seconds) s; $(field retrieved) fetched in $(field sessions) POP3 sessions ($(field in_use) refused [IN-USE]), $(field left) left; $(field seconds) s in all"
}

@test "a second POP3 session for the same user gets -ERR [IN-USE] until the first ends with QUIT" {
	printf 'Subject: one\n\nbody\n' | pop3_drop alice@example.com >/dev/null
	pop3_start
	pop3_login alice@example.com alicepw
	run pop3 <<EOF
USER alice@example.com
PASS alicepw
USER ALICE@EXAMPLE.COM
PASS alicepw
QUIT
EOF
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(status)" = "+OK +OK -ERR +OK -ERR +OK" ]
	[[ $(pop3_line 3) == "-ERR [IN-USE] "* ]]
	[[ $(pop3_line 5) == "-ERR [IN-USE] "* ]]
	# Another user's maildrop is not locked.
	[[ $(pop3_reply Bob.Smith@Example.COM bobpw STAT) == "+OK 0 0" ]]
	# The first session still works, and ends.
	pop3_say STAT;	pop3_expect "+OK 1 "
	pop3_say QUIT;	pop3_expect "+OK"
	pop3_wait
	[ "$POP3_STATUS" -eq 0 ]
	[[ $(pop3_reply alice@example.com alicepw STAT) == "+OK 1 "* ]]
}

@test "a second POP3 session gets -ERR [IN-USE] until the first dies by kill -9; nothing is deleted" {
	printf 'Subject: one\n\nbody\n' | pop3_drop alice@example.com >/dev/null
	pop3_start
	pop3_login alice@example.com alicepw
	pop3_say DELE 1;	pop3_expect "+OK"
	run pop3 <<EOF
USER alice@example.com
PASS alicepw
QUIT
EOF
	[ "$(status)" = "+OK +OK -ERR +OK" ]
	[[ $(pop3_line 3) == "-ERR [IN-USE] "* ]]
	kill -9 "$POP3_PID"
	pop3_wait
	[ "$POP3_STATUS" -eq 137 ]
	run pop3 <<EOF
USER alice@example.com
PASS alicepw
STAT
QUIT
EOF
	[ "$status" -eq 0 ]
	[ "$(status)" = "+OK +OK +OK +OK +OK" ]
	[[ $(pop3_line 4) == "+OK 1 "* ]]
	[ "$(count alice@example.com)" -eq 1 ]
}

@test "another program renames and deletes files under a POP3 session: renamed ones are served, -ERR for the vanished, QUIT succeeds" {
	for s in one two three four; do
		printf 'Subject: %s\n\nbody of %s\n' "$s" "$s" | pop3_drop alice@example.com >/dev/null
	done
	d=$(maildir alice@example.com)
	pop3_start
	pop3_login alice@example.com alicepw
	pop3_say STAT;		pop3_expect "+OK 4 "
	stat4=$POP3_REPLY
	pop3_say LIST;		pop3_expect "+OK"
	pop3_read_block >"$T/list"
	# Which file is which message, by its UIDL (the base name).
	pop3_say UIDL;		pop3_expect "+OK"
	pop3_read_block >"$T/uidl"
	file_of() { ls "$d/new" | grep -F "$(sed -n "$1p" "$T/uidl" | cut -d' ' -f2)"; }
	f1=$(file_of 1); f2=$(file_of 2); f4=$(file_of 4)
	[ -n "$f1" ] && [ -n "$f2" ] && [ -n "$f4" ]
	# An IMAP server marks messages 1 and 4 seen, and expunges message 2.
	mv "$d/new/$f1" "$d/cur/$f1:2,S"
	mv "$d/new/$f4" "$d/cur/$f4:2,S"
	rm "$d/new/$f2"
	pop3_say RETR 2;	pop3_expect "-ERR"
	# Found again where the other program put it, by its base name.
	pop3_say RETR 1;	pop3_expect "+OK"
	pop3_read_block >"$T/msg"
	grep -qx 'Subject: one' "$T/msg"
	pop3_say RETR 3;	pop3_expect "+OK"
	pop3_read_block >"$T/msg"
	grep -qx 'Subject: three' "$T/msg"
	pop3_say TOP 2 0;	pop3_expect "-ERR"
	pop3_say STAT;		pop3_expect "+OK 4 "
	[ "$POP3_REPLY" = "$stat4" ]
	pop3_say LIST;		pop3_expect "+OK"
	[ "$(pop3_read_block)" = "$(cat "$T/list")" ]
	pop3_say LIST 2;	pop3_expect "+OK 2 "
	pop3_say UIDL 1;	pop3_expect "+OK 1 "
	pop3_say DELE 2;	pop3_expect "+OK"
	pop3_say DELE 3;	pop3_expect "+OK"
	pop3_say NOOP;		pop3_expect "+OK"
	pop3_say QUIT;		pop3_expect "+OK"
	pop3_wait
	[ "$POP3_STATUS" -eq 0 ]
	# Message 3 is gone, the other program's files are as it left them.
	[ "$(ls "$d/new" "$d/cur" | grep -c 'drop.test')" -eq 2 ]
	[ -f "$d/cur/$f1:2,S" ]
	[ -f "$d/cur/$f4:2,S" ]
	! grep -q 'Sanitizer\|runtime error' "$T/pop3.err"
}

@test "DELE of a message another program moved to cur/: QUIT's +OK means it is gone" {
	printf 'Subject: one\n\nbody of one\n' | pop3_drop alice@example.com >/dev/null
	d=$(maildir alice@example.com)
	f=$(ls "$d/new")
	pop3_start
	pop3_login alice@example.com alicepw
	pop3_say DELE 1;	pop3_expect "+OK"
	mv "$d/new/$f" "$d/cur/$f:2,S"
	pop3_say QUIT;		pop3_expect ""
	echo "QUIT: $POP3_REPLY; left: $(ls "$d/new" "$d/cur")"
	pop3_wait
	[ "$POP3_STATUS" -lt 128 ]
	# RFC 1939 section 6: +OK after UPDATE says the marked messages were
	# removed; if one could not be, the reply must say so.
	if [[ $POP3_REPLY == "+OK"* ]]; then
		[ "$(count alice@example.com)" -eq 0 ]
	else
		[[ $POP3_REPLY == "-ERR"* ]]
	fi
}

@test "sessions under a program that keeps renaming and deleting files: every RETR is the right message or -ERR, no crash" {
	bulk_mailbox alice@example.com 300
	run timeout 60 python3 - "$BIN/pop3-handler" "$USERS" "$STORE" "$(maildir alice@example.com)" <<'PY'
import os, random, re, subprocess, sys, threading, time
prog, users, store, box = sys.argv[1:]
# The other program: a process of its own, for 8 seconds.
MUTATOR = """
import os, random, sys, time
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
"""
bad = []
ok = err = sessions = 0
m = subprocess.Popen([sys.executable, "-c", MUTATOR, box], stdout=subprocess.PIPE)
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
PY
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(field bad)" -eq 0 ]
	[ "$(field sessions)" -ge 5 ]
	[ "$(field retr_ok)" -gt 0 ]
	# The other program really worked under the sessions.  A renamed
	# message is found again and served; only a deleted one, if a
	# session reaches it, gets -ERR, so -ERR may or may not happen.
	[ "$(field renamed)" -gt 0 ]
	[ "$(field deleted)" -gt 0 ]
	figure "$(field sessions) sessions, RETR $(field retr_ok) +OK and $(field retr_err) -ERR while $(field renamed) files were renamed and $(field deleted) deleted"
}
