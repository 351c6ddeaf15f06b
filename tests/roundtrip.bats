#!/usr/bin/env bats
# Mail in through mysmtpd and out through mypopd, over TCP, with stock
# clients: Python's smtplib and poplib, and curl.

load helper

# start_servers: run mysmtpd and mypopd on free loopback ports, SMTP_PORT
# and POP3_PORT, on this test's users file and store.
start_servers() {
	local i
	SMTP_PORT=$(free_port)
	for i in $(seq 1 20); do
		POP3_PORT=$(free_port)
		[ "$POP3_PORT" != "$SMTP_PORT" ] && break
	done
	"$BIN/mysmtpd" -b 127.0.0.1 "$SMTP_PORT" -u "$USERS" -d "$STORE" -n mx.test \
	    >"$T/mysmtpd.log" 2>&1 3>&- </dev/null &
	PIDS="${PIDS:-} $!"
	"$BIN/mypopd" -b 127.0.0.1 "$POP3_PORT" -u "$USERS" -d "$STORE" -n mx.test \
	    >"$T/mypopd.log" 2>&1 3>&- </dev/null &
	PIDS="$PIDS $!"
	wait_port "$SMTP_PORT"
	wait_port "$POP3_PORT"
}

# without_trace FILE: the CRLF message in FILE without the Return-Path,
# X-Original-To, Delivered-To and Received lines the SMTP handler put in
# front of it; fails if they are not there.
without_trace() {
	python3 - "$1" <<'PY'
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
PY
}

@test "smtplib to two recipients, one in another case, and poplib get the bytes back exactly" {
	start_servers
	timeout 60 python3 - "$SMTP_PORT" "$T/sent" <<'PY'
import smtplib, sys
port, sent = int(sys.argv[1]), sys.argv[2]
msg = (b"From: Sender <sender@x.test>\r\n"
       b"To: alice@example.com, BOB.SMITH@example.com\r\n"
       b"Subject: roundtrip\r\n"
       b"MIME-Version: 1.0\r\n"
       b"Content-Type: text/plain; charset=utf-8\r\n"
       b"Content-Transfer-Encoding: 8bit\r\n"
       b"\r\n"
       b"plain line\r\n"
       b"Gr\xc3\xbc\xc3\x9fe aus K\xc3\xb6ln, 10 \xe2\x82\xac, raw \xff\xfe\r\n"
       b".a line that starts with a dot\r\n"
       b"..two dots\r\n"
       b".\r\n"
       b"\r\n"
       b"last line\r\n")
open(sent, "wb").write(msg)
with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
    refused = s.sendmail("sender@x.test",
                         ["alice@example.com", "BOB.SMITH@example.com"],
                         msg, mail_options=["BODY=8BITMIME"])
assert refused == {}, refused
PY
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$(count Bob.Smith@Example.COM)" -eq 1 ]

	timeout 60 python3 - "$POP3_PORT" "$T/sent" <<'PY'
import poplib, sys
port, sent = int(sys.argv[1]), open(sys.argv[2], "rb").read()

def strip_trace(lines, given, box):
    assert lines[0] == b"Return-Path: <sender@x.test>", lines[:4]
    assert lines[1] == b"X-Original-To: " + given, lines[:4]
    assert lines[2] == b"Delivered-To: " + box, lines[:4]
    assert lines[3].startswith(b"Received: "), lines[:4]
    i = 4
    while lines[i][:1] in (b" ", b"\t"):
        i += 1
    return b"".join(line + b"\r\n" for line in lines[i:])

# Each copy names the recipient as smtplib gave it, and the mailbox as
# the users file spells it.
for user, password, given, box in (
        ("alice@example.com", "alicepw", b"alice@example.com",
         b"alice@example.com"),
        ("bob.smith@example.com", "bobpw", b"BOB.SMITH@example.com",
         b"Bob.Smith@Example.COM")):
    p = poplib.POP3("127.0.0.1", port, timeout=10)
    p.user(user)
    p.pass_(password)
    count, total = p.stat()
    assert count == 1, (user, count)
    _, listing, _ = p.list()
    assert listing == [b"1 %d" % total], (listing, total)
    _, lines, octets = p.retr(1)
    assert octets == total, (octets, total)
    got = strip_trace(lines, given, box)
    if got != sent:
        sys.exit("%s got %r\nsent %r" % (user, got, sent))
    _, uids, _ = p.uidl()
    assert len(uids) == 1 and uids[0].startswith(b"1 "), uids
    assert p.uidl(1).split()[2] == uids[0].split()[1]
    p.dele(1)
    p.quit()
PY
	[ "$(count alice@example.com)" -eq 0 ]
	[ "$(count Bob.Smith@Example.COM)" -eq 0 ]
}

@test "a message to an unknown local user raises SMTPRecipientsRefused and stores nothing" {
	start_servers
	timeout 60 python3 - "$SMTP_PORT" <<'PY'
import smtplib, sys
port = int(sys.argv[1])
with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
    try:
        s.sendmail("a@x.test", ["nobody@example.com"],
                   b"Subject: lost\r\n\r\nfor nobody\r\n")
    except smtplib.SMTPRecipientsRefused as e:
        code = e.recipients["nobody@example.com"][0]
        assert code == 550, e.recipients
    else:
        sys.exit("the unknown recipient was accepted")
PY
	[ -z "$(find "$STORE" -type f)" ]
}

@test "smtplib reports only the unknown recipient refused; the known one gets the mail" {
	start_servers
	timeout 60 python3 - "$SMTP_PORT" <<'PY'
import smtplib, sys
port = int(sys.argv[1])
with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
    refused = s.sendmail("a@x.test", ["nobody@example.com", "alice@example.com"],
                         b"Subject: half\r\n\r\nfor alice\r\n")
assert list(refused) == ["nobody@example.com"], refused
assert refused["nobody@example.com"][0] == 550, refused
PY
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$(body_of "$(message_file alice@example.com)")" = "$(printf 'Subject: half\n\nfor alice')" ]
}

@test "curl sends over SMTP and fetches the same bytes over POP3" {
	start_servers
	printf '%b' 'From: a@x.test\r\nTo: alice@example.com\r\nSubject: curl\r\n\r\n' \
	    'hello from curl\r\n.a dotted line\r\n\xc3\xa9t\xc3\xa9 8-bit\r\n' >"$T/mail.txt"
	timeout 30 curl -s --max-time 10 "smtp://127.0.0.1:$SMTP_PORT" \
	    --mail-from a@x.test --mail-rcpt alice@example.com -T "$T/mail.txt"
	[ "$(count alice@example.com)" -eq 1 ]

	timeout 30 curl -s --max-time 10 --user 'alice@example.com:alicepw' \
	    "pop3://127.0.0.1:$POP3_PORT/1" >"$T/got"
	without_trace "$T/got" >"$T/got.body"
	cmp "$T/mail.txt" "$T/got.body"

	timeout 30 curl -s --max-time 10 \
	    "pop3://alice%40example.com:alicepw@127.0.0.1:$POP3_PORT/1" >"$T/got2"
	cmp "$T/got" "$T/got2"

	# Without a message number curl sends LIST.
	timeout 30 curl -s --max-time 10 --user 'alice@example.com:alicepw' \
	    "pop3://127.0.0.1:$POP3_PORT/" >"$T/list"
	[ "$(tr -d '\r' <"$T/list")" = "1 $(wc -c <"$T/got")" ]
}

@test "curl with a wrong password gets no message" {
	start_servers
	printf 'Subject: secret\r\n\r\nsecret body\r\n' >"$T/mail.txt"
	timeout 30 curl -s --max-time 10 "smtp://127.0.0.1:$SMTP_PORT" \
	    --mail-from a@x.test --mail-rcpt alice@example.com -T "$T/mail.txt"
	[ "$(count alice@example.com)" -eq 1 ]
	run timeout 30 curl -s --max-time 10 --user 'alice@example.com:wrong' \
	    "pop3://127.0.0.1:$POP3_PORT/1"
	[ "$status" -ne 0 ]
	[[ $output != *secret* ]]
}
