#!/usr/bin/env bats
# Resource exhaustion (issue 4): slow clients, thousands of commands in one
# session, failed logins, a memory ceiling, a maildrop of 100,000 messages,
# a 200 MB message and a connection flood.  Each client is a python script
# with its own deadline; every loop is bounded in rounds and seconds.
# Measured figures (times, peak RSS) are printed on fd 3, so that bats
# shows them.

load ../lib/helper

bats_require_minimum_version 1.5.0

# figure TEXT: show a measured figure in the bats output.
figure() {
	echo "# $BATS_TEST_DESCRIPTION: $*" >&3
}

# sanitized: whether the handlers under test are an ASan build, whose
# shadow memory makes address-space limits and absolute RSS bounds
# meaningless.  The program itself: $BIN may hold a shell wrapper.
sanitized() {
	ldd "$REAL_BIN/smtp-handler" 2>/dev/null | grep -q 'libasan'
}

# no_sanitizer_report FILE: FILE (a handler's stderr) has no report of
# ASan or UBSan.
no_sanitizer_report() {
	! grep -E 'Sanitizer|runtime error' "$1"
}

# slow_session PROGRAM PREFIX BYTES [OPTION...]: run $BIN/PROGRAM with -t 3
# and OPTIONs, read its greeting, send the LF-separated command lines of
# PREFIX (with CRLF) and read one reply line for each, then send BYTES one
# octet a second (cycling through them; never a newline) until the handler
# closes its output, for 15 s at most.  Prints "replies=" and the prefix
# replies, "elapsed=" the seconds from the last prefix reply to the close
# (or "open" if it never came), "sent=" the slow octets sent, "status=" the
# handler's exit status, then "after=" and what it sent after the prefix
# replies.  The handler's stderr is in $T/slow.err.
slow_session() {
	local prog=$1 prefix=$2 bytes=$3
	shift 3
	timeout 40 python3 "$LIB/slow_client.py" "$prefix" "$bytes" \
	    "$BIN/$prog" -u "$USERS" -d "$STORE" -n mx.test -t 3 "$@" \
	    2>"$T/slow.err"
}

# field NAME: the value of NAME= in $output.
field() {
	printf '%s\n' "$output" | sed -n "s/^$1=//p" | head -n 1
}

# cut_off_in LOW HIGH: the slow session closed between LOW and HIGH seconds
# after its last complete line (the deadline covers the whole line).
cut_off_in() {
	local e
	e=$(field elapsed)
	echo "closed after: $e s (wanted $1 to $2)"
	[ "$e" != open ]
	python3 -c 'import sys; e, lo, hi = map(float, sys.argv[1:]); sys.exit(not lo <= e < hi)' "$e" "$1" "$2"
}

# many_users N: add users u1@example.com ... uN@example.com (password pw)
# to the users file.
many_users() {
	seq 1 "$1" | awk '{ printf "u%d@example.com pw\n", $1 }' >>"$USERS"
}

# bulk_mailbox ADDRESS N: put N messages of 100 octets each straight into
# new/ of ADDRESS, named as the store names them (S=100 and W=103 right:
# three lines); the mailbox belongs to the user the handlers run as.
bulk_mailbox() {
	python3 "$LIB/bulk_maildir.py" "$(maildir "$1")" "$2" fixed100
	own -R "$(maildir "$1")"
}

# session_rss PROGRAM SCRIPT [OPTION...]: run $BIN/PROGRAM with OPTIONs and
# feed it SCRIPT (LF-separated, sent with CRLF): all lines but the last at
# once, then, when its output has been quiet for half a second, its peak
# resident set is read (VmHWM, in /proc, where the handler's own mapping
# is counted, not its launcher's) and the last line is sent.  Prints
# "rss=" (kB), "seconds=", "status=", "octets=" (output octets) and "last="
# (its last line).  The output is kept in $T/rss.out, stderr in $T/rss.err.
session_rss() {
	local prog=$1 script=$2
	shift 2
	timeout 100 python3 "$LIB/session_peak_rss.py" "$T/rss.out" "$script" \
	    "$BIN/$prog" -u "$USERS" -d "$STORE" -n mx.test "$@" 2>"$T/rss.err"
}

# big_smtp MB [limit]: send one message of MB megabytes (80-octet lines
# made on the fly, never held whole) to alice through one SMTP session with
# -s large enough, or with the default -s and no SIZE= on MAIL when the
# second argument is "limit"; prints "rss=" (the handler's peak resident set, kB, from VmHWM
# before QUIT), "seconds=",
# "status=" and "reply=" (the reply to the final dot).
big_smtp() {
	local size="-s 400000000"
	[ "${2:-}" = limit ] && size=
	# $size is empty or two words, split on purpose.
	# shellcheck disable=SC2086
	timeout 150 python3 "$LIB/smtp_big_message.py" "$1" "${2:-}" \
	    "$BIN/smtp-handler" -u "$USERS" -d "$STORE" -n mx.test $size \
	    2>"$T/big.err"
}

# big_retr: fetch message 1 of alice with RETR through one POP3 session;
# prints "rss=", "seconds=", "status=", "list=" (its LIST size) and
# "octets=" (the data octets RETR sent, without the final ".").
big_retr() {
	timeout 150 python3 "$LIB/pop3_big_retr.py" "$BIN/pop3-handler" \
	    -u "$USERS" -d "$STORE" -n mx.test 2>"$T/big.err"
}

# min_as PROGRAM SCRIPT WANT: the smallest address-space limit (bytes, to
# 64 KiB) under which a session of $BIN/PROGRAM fed SCRIPT (LF-separated)
# ends with a line starting with WANT and exit status 0.  Searches 1 to 256
# MiB in at most 14 rounds.
min_as() {
	local prog=$1 script=$2 want=$3 lo=$((1 << 20)) hi=$((256 << 20)) mid i
	for i in $(seq 1 14); do
		[ $((hi - lo)) -gt 65536 ] || break
		mid=$(( (lo + hi) / 2 / 65536 * 65536 ))
		if printf '%s\n' "$script" | crlf | timeout 20 prlimit --as="$mid" \
		    "$BIN/$prog" -u "$USERS" -d "$STORE" -n mx.test \
		    >"$T/as.out" 2>/dev/null &&
		    [[ $(tail -n 1 "$T/as.out" | tr -d '\r') == "$want"* ]]; then
			hi=$mid
		else
			lo=$mid
		fi
	done
	echo "$hi"
}

# Slow clients

@test "SMTP: one byte a second without a newline is cut off by the -t 3 deadline with 421 4.4.2" {
	run slow_session smtp-handler "HELO client" "NOOP and never a newline "
	echo "$output"
	[ "$(field replies)" = "220 250" ]
	cut_off_in 2.5 4.0
	no_sanitizer_report "$T/slow.err"
	[ "$(field sent)" -ge 3 ]
	[ "$(field status)" -eq 1 ]
	[[ $(field after) == "421 4.4.2 mx.test "* ]]
	figure "cut off after $(field elapsed) s"
}

@test "SMTP: a slow DATA line is cut off by the deadline with 421 4.4.2 and nothing is stored" {
	run slow_session smtp-handler $'HELO client\nMAIL FROM:<slow@example.net>\nRCPT TO:<alice@example.com>\nDATA' \
	    "Subject: a slow message that never ends "
	echo "$output"
	[ "$(field replies)" = "220 250 250 250 354" ]
	cut_off_in 2.5 4.0
	no_sanitizer_report "$T/slow.err"
	[ "$(field status)" -eq 1 ]
	[[ $(field after) == "421 4.4.2 mx.test "* ]]
	[ "$(count alice@example.com)" -eq 0 ]
	[ -z "$(tmp_files)" ]
	figure "cut off after $(field elapsed) s"
}

@test "POP3: one byte a second without a newline is cut off by the deadline, without a reply" {
	run slow_session pop3-handler "" "USER alice@example.com"
	echo "$output"
	[ "$(field replies)" = "+OK" ]
	cut_off_in 2.5 4.0
	no_sanitizer_report "$T/slow.err"
	[ "$(field status)" -eq 1 ]
	[ -z "$(field after)" ]
	figure "cut off after $(field elapsed) s"
}

@test "POP3: a slow client after login is cut off by the deadline and the maildrop is unlocked, nothing deleted" {
	printf 'Subject: one\n\nbody\n' | pop3_drop alice@example.com >/dev/null
	run slow_session pop3-handler $'USER alice@example.com\nPASS alicepw\nDELE 1' "STAT"
	echo "$output"
	[ "$(field replies)" = "+OK +OK +OK +OK" ]
	cut_off_in 2.5 4.0
	no_sanitizer_report "$T/slow.err"
	[ "$(field status)" -eq 1 ]
	[ "$(count alice@example.com)" -eq 1 ]
	[[ $(pop3_reply alice@example.com alicepw STAT) == "+OK 1 "* ]]
}

# Many commands in one session

@test "5000 RCPT to distinct users: 100 accepted, 452 4.5.3 for the rest, DATA delivers to the 100" {
	many_users 5000
	{
		echo "EHLO client"
		echo "MAIL FROM:<many@example.net>"
		seq 1 5000 | awk '{ printf "RCPT TO:<u%d@example.com>\n", $1 }'
		echo "DATA"
		printf 'Subject: to many\n\nhello\n.\n'
		echo "QUIT"
	} >"$T/script"
	start=$(date +%s%N)
	run smtp <"$T/script"
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	[ "$status" -eq 0 ]
	# Replies 1 to 3 are the greeting, EHLO and MAIL; the RCPTs follow.
	[ "$(reply 4)" = "250 2.1.5 Recipient ok" ]
	[ "$(reply 103)" = "250 2.1.5 Recipient ok" ]
	[ "$(reply 104)" = "452 4.5.3 Too many recipients" ]
	[ "$(reply 5003)" = "452 4.5.3 Too many recipients" ]
	[ "$(reply 5004 | cut -c1-3)" = 354 ]
	[[ $(reply 5005) == "250 2.0.0 Ok: delivered as "* ]]
	[ "$(reply 5006 | cut -c1-3)" = 221 ]
	[ "$(printf '%s\n' "$output" | grep -c '^452 4.5.3')" -eq 4900 ]
	[ "$(count u1@example.com)" -eq 1 ]
	[ "$(count u100@example.com)" -eq 1 ]
	[ "$(count u101@example.com)" -eq 0 ]
	[ "$(all_messages | wc -l)" -eq 100 ]
	# A file for each of the 100 recipients, since its fields name it.
	[ "$(stat -c %h "$(message_file u50@example.com)")" -eq 1 ]
	grep -qx 'Delivered-To: u50@example.com' "$(message_file u50@example.com)"
	figure "session took $ms ms"
}

@test "10000 NOOP and 10000 RSET in one SMTP session all get 250, and a message still goes through" {
	{
		echo "EHLO client"
		seq 1 10000 | awk '{ print "NOOP"; print "RSET" }'
		echo "MAIL FROM:<a@example.net>"
		echo "RCPT TO:<alice@example.com>"
		printf 'DATA\nSubject: after many\n\nhello\n.\nQUIT\n'
	} >"$T/script"
	run smtp <"$T/script"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | tr -d '\r' | grep -cx '250 2.0.0 Ok')" -eq 20000 ]
	[[ $(reply 20006) == "250 2.0.0 Ok: delivered as "* ]]
	[ "$(reply 20007 | cut -c1-3)" = 221 ]
	[ "$(count alice@example.com)" -eq 1 ]
}

@test "10000 NOOP and 10000 RSET in one POP3 session all get +OK, and the session ends with QUIT" {
	printf 'Subject: one\n\nbody\n' | pop3_drop alice@example.com >/dev/null
	{
		printf 'USER alice@example.com\nPASS alicepw\n'
		seq 1 10000 | awk '{ print "DELE 1"; print "NOOP"; print "RSET" }'
		echo STAT
		echo QUIT
	} >"$T/script"
	run pop3 <"$T/script"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | grep -c '^+OK')" -eq 30005 ]
	[[ $(pop3_line 30004) == "+OK 1 "* ]]
	[ "$(pop3_line 30005)" = "+OK Bye" ]
	[ "$(count alice@example.com)" -eq 1 ]
}

@test "SMTP: 5000 bad commands: the session is closed with 421 4.7.0 after the 20th, nothing after runs" {
	{
		echo "EHLO client"
		seq 1 5000 | awk '{ print "BOGUS " $1 }'
		echo "MAIL FROM:<a@example.net>"
		echo "QUIT"
	} >"$T/script"
	run smtp <"$T/script"
	[ "$status" -eq 1 ]
	[ "$(printf '%s\n' "$output" | grep -c '^500 5.5.1 Unknown command')" -eq 20 ]
	[ "$(reply 23)" = "421 4.7.0 mx.test Too many errors, closing connection" ]
	[ -z "$(reply 24)" ]
}

@test "POP3: 5000 bad commands: the session is closed after the 50th -ERR, nothing after runs" {
	printf 'Subject: one\n\nbody\n' | pop3_drop alice@example.com >/dev/null
	{
		printf 'USER alice@example.com\nPASS alicepw\nDELE 1\n'
		seq 1 5000 | awk '{ print "BOGUS " $1 }'
		echo "QUIT"
	} >"$T/script"
	run pop3 <"$T/script"
	[ "$status" -eq 1 ]
	[ "$(printf '%s\n' "$output" | grep -c '^-ERR Unknown command')" -eq 50 ]
	[ "$(pop3_line 55 | tr -d '\r')" = "-ERR Too many errors, closing" ]
	[ -z "$(pop3_line 56)" ]
	# QUIT never ran: DELE 1 was not carried out.
	[ "$(count alice@example.com)" -eq 1 ]
}

@test "POP3: the session is closed after 3 failed logins; a good password after them is never tried" {
	printf 'Subject: one\n\nbody\n' | pop3_drop alice@example.com >/dev/null
	start=$(date +%s%N)
	run pop3 <<EOF
USER alice@example.com
PASS wrong1
USER nobody@example.com
PASS wrong2
USER alice@example.com
PASS wrong3
USER alice@example.com
PASS alicepw
STAT
QUIT
EOF
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(status)" = "+OK +OK -ERR +OK -ERR +OK -ERR" ]
	[ "$(pop3_line 7)" = "-ERR [AUTH] Too many failed logins, closing" ]
	[ -z "$(pop3_line 8)" ]
	# A second a failure, so that guessing is slow.
	[ "$ms" -ge 2900 ]
	figure "3 failed logins took $ms ms"
}

# A memory ceiling

@test "SMTP under the smallest workable address space: the worst sessions end cleanly, no crash" {
	sanitized && skip "an ASan build cannot run under an address-space limit"
	normal=$'EHLO client\nMAIL FROM:<a@example.net>\nRCPT TO:<alice@example.com>\nDATA\nSubject: x\n\nhello\n.\nQUIT'
	as=$(min_as smtp-handler "$normal" "221")
	figure "smallest address space for a normal SMTP session: $((as / 1024)) KiB"
	[ "$as" -lt $((256 << 20)) ]
	many_users 5000
	{
		echo "EHLO client"
		seq 1 10 | awk '{ print "BOGUS " $1 }'
		seq 1 10000 | awk '{ print "NOOP" }'
		echo "MAIL FROM:<many@example.net>"
		seq 1 5000 | awk '{ printf "RCPT TO:<u%d@example.com>\n", $1 }'
		echo "DATA"
		echo "Subject: worst"
		echo
		seq 1 20000 | awk '{ print "line " $1 " of a message of about a megabyte, to fill the buffers" }'
		echo "."
		echo "QUIT"
	} >"$T/script"
	for extra in 0 131072 524288 4194304; do
		rc=0
		crlf <"$T/script" | timeout 30 prlimit --as=$((as + extra)) \
		    "$BIN/smtp-handler" -u "$USERS" -d "$STORE" -n mx.test \
		    >"$T/out" 2>"$T/err" || rc=$?
		last=$(tail -n 1 "$T/out" | tr -d '\r')
		echo "AS $((as + extra)): status $rc, last reply '$last', stderr: $(head -c 300 "$T/err")"
		[ "$rc" -lt 128 ]
		no_sanitizer_report "$T/err"
		# Every line is a well-formed reply, and the session ends with
		# 221 or a temporary failure.
		! tr -d '\r' <"$T/out" | grep -vE '^[2-5][0-9]{2}[ -]'
		[[ $last == 221* || $last == 4* ]]
	done
	[ -z "$(tmp_files)" ]
}

@test "out of memory while reading the users file is a temporary failure: 421 4.3.0 and exit 111" {
	sanitized && skip "an ASan build cannot run under an address-space limit"
	normal=$'EHLO client\nMAIL FROM:<a@example.net>\nRCPT TO:<alice@example.com>\nDATA\nSubject: x\n\nhello\n.\nQUIT'
	as=$(min_as smtp-handler "$normal" "221")
	# 50,000 users need megabytes more than a normal session has.
	many_users 50000
	rc=0
	printf 'EHLO client\r\nQUIT\r\n' | timeout 30 prlimit --as="$as" \
	    "$BIN/smtp-handler" -u "$USERS" -d "$STORE" -n mx.test \
	    >"$T/out" 2>"$T/err" || rc=$?
	echo "AS $as: status $rc, replies '$(tr -d '\r' <"$T/out")', stderr: $(cat "$T/err")"
	[ "$(tr -d '\r' <"$T/out")" = "421 4.3.0 mx.test Service not available" ]
	# ENOMEM is no configuration error (100): the README's convention
	# makes it a temporary system failure.
	[ "$rc" -eq 111 ]
}

@test "POP3 under the smallest workable address space: a 100,000-message maildrop gets +OK or -ERR [SYS/TEMP], no crash" {
	sanitized && skip "an ASan build cannot run under an address-space limit"
	printf 'Subject: one\n\nbody\n' | pop3_drop alice@example.com >/dev/null
	normal=$'USER alice@example.com\nPASS alicepw\nSTAT\nLIST\nRETR 1\nQUIT'
	as=$(min_as pop3-handler "$normal" "+OK Bye")
	figure "smallest address space for a normal POP3 session: $((as / 1024)) KiB"
	[ "$as" -lt $((256 << 20)) ]
	rm -rf "$(maildir alice@example.com)"
	bulk_mailbox alice@example.com 100000
	for extra in 0 1048576 4194304; do
		rc=0
		printf 'USER alice@example.com\nPASS alicepw\nSTAT\nLIST\nQUIT\n' |
		    crlf | timeout 60 prlimit --as=$((as + extra)) \
		    "$BIN/pop3-handler" -u "$USERS" -d "$STORE" -n mx.test \
		    >"$T/out" 2>"$T/err" || rc=$?
		pass=$(sed -n 3p "$T/out" | tr -d '\r')
		echo "AS $((as + extra)): status $rc, PASS got '$pass', last '$(tail -n 1 "$T/out" | tr -d '\r')'"
		[ "$rc" -lt 128 ]
		no_sanitizer_report "$T/err"
		[[ $pass == "+OK Maildrop has 100000 messages"* || $pass == "-ERR [SYS/TEMP]"* ]]
		[ "$(tail -n 1 "$T/out" | tr -d '\r')" = "+OK Bye" ]
	done
	[ "$(ls "$(maildir alice@example.com)/new" | wc -l)" -eq 100000 ]
}

# Big maildrops and big messages

@test "a maildrop of 100,000 messages: login, STAT, LIST, UIDL and QUIT in under 60 s and 64 MB" {
	bulk_mailbox alice@example.com 100000
	run session_rss pop3-handler $'USER alice@example.com\nPASS alicepw\nSTAT\nLIST\nUIDL\nQUIT'
	echo "$output"
	[ "$(field status)" -eq 0 ]
	[ "$(field last)" = "+OK Bye" ]
	no_sanitizer_report "$T/rss.err"
	tr -d '\r' <"$T/rss.out" >"$T/out"
	[ "$(sed -n 3p "$T/out")" = "+OK Maildrop has 100000 messages (10300000 octets)" ]
	[ "$(sed -n 4p "$T/out")" = "+OK 100000 10300000" ]
	# LIST: +OK, 100000 lines, "."; then UIDL the same.
	[ "$(sed -n 5p "$T/out")" = "+OK 100000 messages (10300000 octets)" ]
	[ "$(sed -n 6,100005p "$T/out" | grep -c '^[0-9]* 103$')" -eq 100000 ]
	[ "$(sed -n 100006p "$T/out")" = "." ]
	[ "$(sed -n 100007p "$T/out" | cut -c1-3)" = "+OK" ]
	[ "$(sed -n 100008,200007p "$T/out" | cut -d' ' -f2 | sort -u | wc -l)" -eq 100000 ]
	[ "$(sed -n 200008p "$T/out")" = "." ]
	python3 -c 'import sys; sys.exit(not float(sys.argv[1]) < 60)' "$(field seconds)"
	sanitized || [ "$(field rss)" -lt 65536 ]
	figure "$(field seconds) s, peak RSS $(field rss) kB"
}

@test "a 200 MB message streams through SMTP and POP3 in bounded memory, the same as for 1 MB" {
	run big_smtp 1
	echo "$output"
	[ "$(field status)" -eq 0 ]
	[[ $(field reply) == "250 2.0.0 Ok: delivered as "* ]]
	small=$(field rss)
	run big_retr
	echo "$output"
	[ "$(field status)" -eq 0 ]
	[ "$(field octets)" -eq "$(field list)" ]
	small_pop=$(field rss)
	rm -rf "$(maildir alice@example.com)"

	run big_smtp 200
	echo "$output"
	[ "$(field status)" -eq 0 ]
	[[ $(field reply) == "250 2.0.0 Ok: delivered as "* ]]
	big=$(field rss)
	smtp_s=$(field seconds)
	f=$(message_file alice@example.com)
	# 200 times 13107 lines of 80 octets, stored with LF, after the trace.
	[ "$(stat -c %s "$f")" -gt $((200 * 13107 * 79)) ]
	[[ $f == *",S=$(stat -c %s "$f"),W="* ]]
	run big_retr
	echo "$output"
	[ "$(field status)" -eq 0 ]
	[ "$(field list)" -eq "$(wire_size "$f")" ]
	[ "$(field octets)" -eq "$(field list)" ]
	big_pop=$(field rss)
	figure "SMTP peak RSS: 1 MB message $small kB, 200 MB message $big kB ($smtp_s s)"
	figure "POP3 RETR peak RSS: 1 MB message $small_pop kB, 200 MB message $big_pop kB ($(field seconds) s)"
	[ $((big - small)) -lt 1024 ]
	[ $((big_pop - small_pop)) -lt 1024 ]
	if ! sanitized; then
		[ "$big" -lt 8192 ]
		[ "$big_pop" -lt 8192 ]
	fi
	[ -z "$(tmp_files)" ]
	no_sanitizer_report "$T/big.err"
}

# Connection floods

# sessions_left PID: "pid stat" of each child of mysmtpd PID that is a
# session or a zombie: every child but its spare and the process the
# spare has waiting for the next connection, both in state S, with
# --handoff.
sessions_left() {
	local pid stat
	ps --ppid "$1" -o pid=,stat= 2>/dev/null | while read -r pid stat; do
		if [ "${stat#S}" = "$stat" ] ||
		    ! tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null |
		    grep -qx -- --handoff; then
			echo "$pid $stat"
		fi
	done
}

@test "a flood of 200 connections against mysmtpd -c 5: the excess gets 421 4.3.2, the 5 sessions deliver, no zombies" {
	port=$(free_port)
	"$BIN/mysmtpd" -b 127.0.0.1 -c 5 "$port" -u "$USERS" -d "$STORE" -n mx.test \
	    >"$T/mysmtpd.log" 2>&1 3>&- </dev/null &
	LPID=$!
	PIDS="${PIDS:-} $LPID"
	wait_port "$port"
	# wait_port's probe is a session of its own; let it end.
	for i in $(seq 1 50); do
		[ -z "$(sessions_left "$LPID")" ] && break
		sleep 0.1
	done
	# Hold 5 sessions, flood 200 connections, deliver through the held
	# 5, then connect again once they are gone.
	run timeout 60 python3 "$LIB/smtp_connection_flood.py" "$port"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(field flood)" = "200 421 4.3.2 Too many sessions, try again later" ]
	[ "$(field held_ok)" -eq 5 ]
	[[ $(field after) == "220 "* ]]
	[ "$(count alice@example.com)" -eq 5 ]
	# Every session has been reaped: no child, zombie or not, is left
	# but the spare and its waiting process.
	for i in $(seq 1 50); do
		kids=$(sessions_left "$LPID")
		[ -z "$kids" ] && break
		sleep 0.1
	done
	echo "children left: '$kids'"
	[ -z "$kids" ]
	[ "$(ps --ppid "$LPID" -o pid= | wc -l)" -eq 2 ]
	kill -0 "$LPID"
	no_sanitizer_report "$T/mysmtpd.log"
	figure "200 refusals in $(field flood_seconds) s"
}

@test "a 1 GB message over the default 64 MiB limit is read to its end in flat memory, gets 552, and stores nothing" {
	run big_smtp 1024 limit
	echo "$output"
	[ "$(field status)" -eq 0 ]
	[[ $(field reply) == "552 5.3.4 "* ]]
	[ "$(count alice@example.com)" -eq 0 ]
	[ -z "$(ls -A "$(maildir alice@example.com)/tmp")" ]
	sanitized || [ "$(field rss)" -lt 8192 ]
	figure "1 GB refused: $(field seconds) s, peak RSS $(field rss) kB"
}
