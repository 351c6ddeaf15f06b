#!/usr/bin/env bats
# Mail in through mysmtpd and out through mypopd, over TCP, with stock
# clients: Python's smtplib and poplib, and curl.

load ../lib/helper

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
	python3 "$LIB/strip_trace.py" "$1"
}

# bats test_tags=slow
@test "smtplib to two recipients, one in another case, and poplib get the bytes back exactly" {
	start_servers
	timeout 60 python3 "$LIB/smtplib_roundtrip_send.py" "$SMTP_PORT" "$T/sent"
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$(count Bob.Smith@Example.COM)" -eq 1 ]

	timeout 60 python3 "$LIB/poplib_roundtrip_check.py" "$POP3_PORT" "$T/sent"
	[ "$(count alice@example.com)" -eq 0 ]
	[ "$(count Bob.Smith@Example.COM)" -eq 0 ]
}

# bats test_tags=slow
@test "a message to an unknown local user raises SMTPRecipientsRefused and stores nothing" {
	start_servers
	timeout 60 python3 "$LIB/smtplib_unknown_rcpt.py" "$SMTP_PORT"
	[ -z "$(find "$STORE" -type f)" ]
}

# bats test_tags=slow
@test "smtplib reports only the unknown recipient refused; the known one gets the mail" {
	start_servers
	timeout 60 python3 "$LIB/smtplib_partial_rcpt.py" "$SMTP_PORT"
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$(body_of "$(message_file alice@example.com)")" = "$(printf 'Subject: half\n\nfor alice')" ]
}

# bats test_tags=slow
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

# bats test_tags=slow
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
