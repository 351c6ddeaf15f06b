#!/usr/bin/env bats
# Concurrency (issue 4): parallel deliveries while POP3 sessions fetch and
# delete, the maildrop lock, and another program renaming or deleting
# files under a POP3 session.  Every loop is bounded in rounds and
# seconds; listeners bind loopback on ports from free_port.

load ../lib/helper

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
	python3 "$LIB/bulk_maildir.py" "$(maildir "$1")" "$2" numbered
	own -R "$(maildir "$1")"
}

@test "50 parallel SMTP sessions of 20 messages while POP3 sessions fetch and delete: none lost, none twice" {
	start_servers
	run timeout 150 python3 "$LIB/parallel_deliver_fetch.py" "$SMTP_PORT" \
	    "$POP3_PORT" "$(maildir alice@example.com)"
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
	# Sessions one after another for 8 s while maildir_mutator.py renames
	# and deletes alice's files.
	run timeout 60 python3 "$LIB/pop3_sessions_under_mutation.py" \
	    "$BIN/pop3-handler" "$USERS" "$STORE" "$(maildir alice@example.com)"
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
