#!/usr/bin/env bats
# The POP3 UPDATE state: what DELE, RSET and QUIT do to the Maildir, that
# nothing is deleted unless QUIT is seen, the maildrop lock and the
# snapshot taken at login.

load ../lib/helper

# three_messages ADDRESS: drop messages with the Subjects one, two and
# three into the Maildir of ADDRESS.
three_messages() {
	local s
	for s in one two three; do
		printf 'Subject: %s\n\nbody of %s\n' "$s" "$s" | pop3_drop "$1" >/dev/null
	done
}

# subjects ADDRESS: the Subjects of the messages on disk, sorted, on one
# line.
subjects() {
	local d
	d=$(maildir "$1")
	cat "$d"/new/* "$d"/cur/* 2>/dev/null | sed -n 's/^Subject: //p' | sort | paste -sd' ' -
}

# bats test_tags=slow
@test "DELE only marks: the file stays, RETR LIST TOP UIDL of it get -ERR, STAT and LIST leave it out" {
	three_messages alice@example.com
	pop3_start
	pop3_login alice@example.com alicepw
	pop3_say LIST 2;	pop3_expect "+OK 2 "
	size2=${POP3_REPLY#+OK 2 }
	pop3_say LIST 3;	pop3_expect "+OK 3 "
	size3=${POP3_REPLY#+OK 3 }
	pop3_say DELE 1;	pop3_expect "+OK"
	[ "$(count alice@example.com)" -eq 3 ]
	pop3_say RETR 1;	pop3_expect "-ERR"
	pop3_say LIST 1;	pop3_expect "-ERR"
	pop3_say TOP 1 0;	pop3_expect "-ERR"
	pop3_say UIDL 1;	pop3_expect "-ERR"
	pop3_say STAT;		pop3_expect "+OK 2 $((size2 + size3))"
	[ "$POP3_REPLY" = "+OK 2 $((size2 + size3))" ]
	pop3_say LIST;		pop3_expect "+OK"
	[ "$(pop3_read_block)" = "$(printf '2 %s\n3 %s' "$size2" "$size3")" ]
	pop3_say UIDL;		pop3_expect "+OK"
	[ "$(pop3_read_block | cut -d' ' -f1 | paste -sd' ' -)" = "2 3" ]
	pop3_say RETR 2;	pop3_expect "+OK"
	pop3_read_block >/dev/null
	[ "$(count alice@example.com)" -eq 3 ]
	pop3_say QUIT;		pop3_expect "+OK"
}

# bats test_tags=slow
@test "DELE of a message already deleted, or out of range, gets -ERR" {
	three_messages alice@example.com
	run pop3 <<EOF
USER alice@example.com
PASS alicepw
DELE 1
DELE 1
DELE 0
DELE 4
DELE
QUIT
EOF
	[ "$status" -eq 0 ]
	[ "$(status)" = "+OK +OK +OK +OK -ERR -ERR -ERR -ERR +OK" ]
	[ "$(count alice@example.com)" -eq 2 ]
}

# bats test_tags=slow
@test "RSET unmarks every deleted message" {
	three_messages alice@example.com
	run pop3 <<EOF
USER alice@example.com
PASS alicepw
STAT
DELE 1
DELE 3
RSET
STAT
RETR 1
QUIT
EOF
	[ "$status" -eq 0 ]
	[ "$(status)" = "+OK +OK +OK +OK +OK +OK +OK +OK +OK +OK" ]
	[[ $(pop3_line 4) == "+OK 3 "* ]]
	[ "$(pop3_line 8)" = "$(pop3_line 4)" ]
	[ "$(count alice@example.com)" -eq 3 ]
	[ "$(subjects alice@example.com)" = "one three two" ]
}

# bats test_tags=slow
@test "QUIT removes the marked messages from disk and leaves the others" {
	three_messages alice@example.com
	second=$(pop3_subject alice@example.com alicepw 2)
	echo "message 2 is '$second'"
	[ -n "$second" ]
	run pop3 <<EOF
USER alice@example.com
PASS alicepw
DELE 2
QUIT
EOF
	[ "$status" -eq 0 ]
	[ "$(status)" = "+OK +OK +OK +OK +OK" ]
	[ "$(count alice@example.com)" -eq 2 ]
	[ "$(subjects alice@example.com)" = "$(printf '%s\n' one two three | grep -vx "$second" | sort | paste -sd' ' -)" ]
	[[ $(pop3_reply alice@example.com alicepw STAT) == "+OK 2 "* ]]
}

# bats test_tags=slow
@test "the remaining messages keep their UIDL ids after a deletion" {
	three_messages alice@example.com
	pop3_fetch alice@example.com alicepw UIDL | tr -d '\r' | cut -d' ' -f2 >"$T/before"
	first=$(sed -n 1p "$T/before")
	run pop3 <<EOF
USER alice@example.com
PASS alicepw
DELE 1
QUIT
EOF
	[ "$(status)" = "+OK +OK +OK +OK +OK" ]
	pop3_fetch alice@example.com alicepw UIDL | tr -d '\r' | cut -d' ' -f2 | sort >"$T/after"
	grep -vx "$first" "$T/before" | sort >"$T/want"
	[ "$(wc -l <"$T/want")" -eq 2 ]
	cmp "$T/want" "$T/after"
}

# bats test_tags=slow
@test "EOF without QUIT deletes nothing and exits 1" {
	three_messages alice@example.com
	run pop3 <<EOF
USER alice@example.com
PASS alicepw
DELE 1
DELE 2
DELE 3
EOF
	[ "$status" -eq 1 ]
	[ "$(status)" = "+OK +OK +OK +OK +OK +OK" ]
	[ "$(count alice@example.com)" -eq 3 ]
	[[ $(pop3_reply alice@example.com alicepw STAT) == "+OK 3 "* ]]
}

# bats test_tags=slow
@test "kill -9 in TRANSACTION with deletions pending deletes nothing and frees the lock" {
	three_messages alice@example.com
	pop3_start
	pop3_login alice@example.com alicepw
	pop3_say DELE 1;	pop3_expect "+OK"
	pop3_say DELE 2;	pop3_expect "+OK"
	kill -9 "$POP3_PID"
	pop3_wait
	[ "$POP3_STATUS" -eq 137 ]
	[ "$(count alice@example.com)" -eq 3 ]
	run pop3 <<EOF
USER alice@example.com
PASS alicepw
STAT
QUIT
EOF
	[ "$(status)" = "+OK +OK +OK +OK +OK" ]
	[[ $(pop3_line 4) == "+OK 3 "* ]]
}

# bats test_tags=slow
@test "while a session holds the maildrop, a second login gets -ERR [IN-USE], in any case of the name" {
	three_messages alice@example.com
	pop3_start
	pop3_login alice@example.com alicepw
	run pop3 <<EOF
USER alice@example.com
PASS alicepw
STAT
QUIT
EOF
	echo "$output"
	[[ $(status) == "+OK +OK -ERR"* ]]
	[[ $(pop3_line 3) == "-ERR [IN-USE]"* ]]
	run pop3 <<EOF
USER ALICE@Example.COM
PASS alicepw
STAT
QUIT
EOF
	echo "$output"
	[[ $(status) == "+OK +OK -ERR"* ]]
	[[ $(pop3_line 3) == "-ERR [IN-USE]"* ]]
	# The session holding the lock is unharmed.
	pop3_say STAT;		pop3_expect "+OK 3 "
	pop3_say QUIT;		pop3_expect "+OK"
}

# bats test_tags=slow
@test "the lock is per maildrop: another user logs in meanwhile" {
	three_messages alice@example.com
	pop3_start
	pop3_login alice@example.com alicepw
	run pop3 <<EOF
USER bob.smith@example.com
PASS bobpw
STAT
QUIT
EOF
	[ "$(status)" = "+OK +OK +OK +OK +OK" ]
	pop3_say QUIT;		pop3_expect "+OK"
}

# bats test_tags=slow
@test "after the holder QUITs, a new session logs in" {
	three_messages alice@example.com
	pop3_start
	pop3_login alice@example.com alicepw
	pop3_say QUIT;		pop3_expect "+OK"
	pop3_wait
	[ "$POP3_STATUS" -eq 0 ]
	run pop3 <<EOF
USER Alice@Example.com
PASS alicepw
STAT
QUIT
EOF
	[ "$(status)" = "+OK +OK +OK +OK +OK" ]
}

# bats test_tags=slow
@test "after the holder is killed with -9, a new session logs in" {
	three_messages alice@example.com
	pop3_start
	pop3_login alice@example.com alicepw
	run pop3 <<EOF
USER alice@example.com
PASS alicepw
QUIT
EOF
	[[ $(pop3_line 3) == "-ERR [IN-USE]"* ]]
	kill -9 "$POP3_PID"
	pop3_wait
	run pop3 <<EOF
USER alice@example.com
PASS alicepw
STAT
QUIT
EOF
	[ "$(status)" = "+OK +OK +OK +OK +OK" ]
	[[ $(pop3_line 4) == "+OK 3 "* ]]
}

# bats test_tags=slow
@test "mail delivered by the SMTP handler during a session waits for the next session" {
	three_messages alice@example.com
	pop3_start
	pop3_login alice@example.com alicepw
	pop3_say STAT;		pop3_expect "+OK 3 "
	stat=$POP3_REPLY
	smtp <<'EOF'
EHLO client.test
MAIL FROM:<sender@x.test>
RCPT TO:<alice@example.com>
DATA
Subject: late

arrived during the session
.
QUIT
EOF
	[ "$(count alice@example.com)" -eq 4 ]
	pop3_say STAT;		pop3_expect "$stat"
	[ "$POP3_REPLY" = "$stat" ]
	pop3_say LIST;		pop3_expect "+OK"
	[ "$(pop3_read_block | wc -l)" -eq 3 ]
	pop3_say RETR 4;	pop3_expect "-ERR"
	pop3_say DELE 1;	pop3_expect "+OK"
	pop3_say DELE 2;	pop3_expect "+OK"
	pop3_say DELE 3;	pop3_expect "+OK"
	pop3_say QUIT;		pop3_expect "+OK"
	pop3_wait
	[ "$(subjects alice@example.com)" = "late" ]
	[[ $(pop3_reply alice@example.com alicepw STAT) == "+OK 1 "* ]]
}

# bats test_tags=slow
@test "a file dropped into new/ during a session waits for the next session" {
	three_messages alice@example.com
	pop3_start
	pop3_login alice@example.com alicepw
	pop3_say STAT;		pop3_expect "+OK 3 "
	stat=$POP3_REPLY
	pop3_drop alice@example.com new 1700000000.late.host <<'EOF'
Subject: late

dropped during the session
EOF
	pop3_say STAT;		pop3_expect "$stat"
	[ "$POP3_REPLY" = "$stat" ]
	pop3_say UIDL;		pop3_expect "+OK"
	[ "$(pop3_read_block | wc -l)" -eq 3 ]
	pop3_say TOP 4 0;	pop3_expect "-ERR"
	pop3_say QUIT;		pop3_expect "+OK"
	pop3_wait
	[[ $(pop3_reply alice@example.com alicepw STAT) == "+OK 4 "* ]]
}

# bats test_tags=slow
@test "a client that stops reading is cut off at the timeout and the lock is freed" {
	head -c 3000000 /dev/zero | tr '\0' 'x' | fold -w 76 |
	    pop3_drop alice@example.com >/dev/null
	port=$(free_port)
	"$BIN/mypopd" -b 127.0.0.1 "$port" -u "$USERS" -d "$STORE" -t 2 \
	    </dev/null >/dev/null 2>&1 3>&- &
	PIDS="$PIDS $!"
	wait_port "$port"
	# A small receive buffer and no reads: the handler's writes block.
	timeout 60 python3 "$LIB/pop3_stalled_reader.py" "$port" &
	stalled=$!
	PIDS="$PIDS $stalled"
	sleep 2
	# Within the 2-second write timeout, plus the 1 s login delay of
	# nothing, the stalled session must be gone and the lock free.
	ok=
	for i in $(seq 1 40); do
		run pop3 <<'EOF2'
USER alice@example.com
PASS alicepw
QUIT
EOF2
		if [ "$(status)" = "+OK +OK +OK +OK" ]; then
			ok=1
			break
		fi
		sleep 0.5
	done
	[ -n "$ok" ]
	kill "$stalled" 2>/dev/null || true
}
