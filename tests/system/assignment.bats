#!/usr/bin/env bats
# The assignment's own steps, as a newcomer types them: "./mysmtpd PORT"
# and "./mypopd PORT" with no other option, as root, in a directory that
# holds only users.txt; and curl's manual way of sending a file written
# in an editor (LF line ends).

load ../lib/helper


need_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root: ports and users as the assignment runs them"
}

# default_user: the user a handler started as root without -U runs as.
default_user() {
	if getent passwd mailsrv >/dev/null; then
		echo mailsrv
	else
		echo nobody
	fi
}

# two_ports: set SP and PP to two different free ports.
two_ports() {
	SP=$(free_port)
	PP=$(free_port)
	while [ "$PP" = "$SP" ]; do
		PP=$(free_port)
	done
}

# start_in DIR PROGRAM ARG...: start PROGRAM with ARGs in the background,
# in DIR, its output in $T/PROGRAM.log.
start_in() {
	local dir=$1 prog=$2
	shift 2
	(cd "$dir" && exec "$REAL_BIN/$prog" "$@" </dev/null \
	    >"$T/$prog.log" 2>&1 3>&-) &
	PIDS="${PIDS:-} $!"
}

# not_root_sessions PORT: the processes holding a session on PORT are
# there, and none is root's.
not_root_sessions() {
	run timeout 30 python3 "$LIB/session_uids.py" "$1"
	echo "port $1: $output"
	[ "$status" -eq 0 ]
	[ -n "$output" ]
	! grep -q ' 0$' <<<"$output" || false
}

# newcomer MODE: the walk, with users.txt of mode MODE, owned by root.
newcomer() {
	local w want f
	need_root
	want=$(default_user)
	# The directory bats made is root's and 0700, as /root is.
	w=$T/assignment
	mkdir "$w"
	chmod 700 "$w"
	printf 'alice@example.com alicepw\nbob@example.com bobpw\n' \
	    >"$w/users.txt"
	chmod "$1" "$w/users.txt"
	[ "$(ls -A "$w")" = users.txt ]
	two_ports
	start_in "$w" mysmtpd "$SP"
	start_in "$w" mypopd "$PP"
	wait_listening "$SP" || { cat "$T/mysmtpd.log"; false; }
	wait_listening "$PP" || { cat "$T/mypopd.log"; false; }
	# Each says once, on the operator's terminal, who the sessions are.
	grep -qx "smtp-handler: sessions run as $want: started as root without -U.*" \
	    "$T/mysmtpd.log"
	grep -qx "pop3-handler: sessions run as $want: started as root without -U.*" \
	    "$T/mypopd.log"
	not_root_sessions "$SP"
	not_root_sessions "$PP"
	# A file from an editor, sent as curl's manual does.
	printf 'Subject: from a newcomer\n\nhello\n..two dots\nlast\n' \
	    >"$T/mail.txt"
	run timeout 30 curl -sS -T "$T/mail.txt" "smtp://127.0.0.1:$SP" \
	    --mail-from me@example.net --mail-rcpt alice@example.com
	echo "curl: $output"
	[ "$status" -eq 0 ]
	# alice's message by POP3: "stat COUNT SIZE", then its lines.
	run timeout 30 python3 "$LIB/pop3_retr_first.py" "$PP"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"stat 1 "* ]]
	[[ $output == *"Subject: from a newcomer"* ]]
	# A leading dot is unstuffed on every line (RFC 5321 4.5.2), those
	# ended by a LF alone too.
	[[ $output == *$'\nhello\n.two dots\nlast'* ]]
	# The store is the default user's, with nothing of root's in it.
	[ "$(stat -c %U "$w/mail.store")" = "$want" ]
	[ -z "$(find "$w/mail.store" -user root)" ]
	# The message was deleted at QUIT; a second one stays to be seen.
	run timeout 30 curl -sS -T "$T/mail.txt" "smtp://127.0.0.1:$SP" \
	    --mail-from me@example.net --mail-rcpt bob@example.com
	[ "$status" -eq 0 ]
	f=$(find "$w/mail.store/bob@example.com/new" -type f)
	[ -n "$f" ]
	[ "$(stat -c %U "$f")" = "$want" ]
	[ "$(find "$w/mail.store/alice@example.com" -type f -path '*/new/*' \
	    -o -type f -path '*/cur/*' | wc -l)" -eq 0 ]
	# The newcomer's files are as they were.
	[ "$(stat -c '%U %a' "$w/users.txt")" = "root $1" ]
}

@test "./mysmtpd PORT and ./mypopd PORT, as root with no option, in a directory holding only a users.txt of mode 644: mail goes in and out, sessions not root" {
	newcomer 644
}

@test "./mysmtpd PORT and ./mypopd PORT, as root with no option, with a users.txt only root may read: mail goes in and out, sessions not root" {
	newcomer 600
}

@test "smtp-handler and pop3-handler under a listener started as root, with no -U, serve as the default user" {
	need_root
	want=$(default_user)
	chown root: "$T" "$STORE"
	chmod 700 "$T"
	rmdir "$STORE"
	for spare in "" -s; do
		two_ports
		start_in "$T" listener $spare -b 127.0.0.1 "$SP" \
		    "$REAL_BIN/smtp-handler" -u "$USERS" -d "$STORE" -n mx.test
		start_in "$T" listener $spare -b 127.0.0.1 "$PP" \
		    "$REAL_BIN/pop3-handler" -u "$USERS" -d "$STORE" -n mx.test
		wait_listening "$SP"
		wait_listening "$PP"
		not_root_sessions "$SP"
		not_root_sessions "$PP"
		# A message to alice by SMTP, then by POP3 "stat COUNT SIZE" and it.
		run timeout 30 python3 "$LIB/smtp_then_pop3.py" "$SP" "$PP"
		echo "spare '$spare': $output"
		[ "$status" -eq 0 ]
		[[ $output == *"stat 1 "* ]]
		[[ $output == *"Subject: under a listener"* ]]
		[ "$(stat -c %U "$STORE")" = "$want" ]
		[ -z "$(find "$STORE" -user root)" ]
		kill $PIDS
		wait $PIDS 2>/dev/null || true
		PIDS=
	done
}

@test "curl -T of a file with LF line ends delivers; the store keeps one line end and RETR sends CRLF only" {
	two_ports
	"$BIN/mysmtpd" -b 127.0.0.1 "$SP" -u "$USERS" -d "$STORE" -n mx.test \
	    </dev/null >"$T/mysmtpd.log" 2>&1 3>&- &
	PIDS="${PIDS:-} $!"
	wait_listening "$SP"
	printf 'From: me@example.net\nSubject: LF only\n\none\n.\ntwo\n' \
	    >"$T/mail.txt"
	# Without --crlf: curl sends the file's bytes as they are.
	run timeout 30 curl -sS -T "$T/mail.txt" "smtp://127.0.0.1:$SP" \
	    --mail-from me@example.net --mail-rcpt alice@example.com
	echo "$output"
	[ "$status" -eq 0 ]
	# The lone dot is content; curl's own end of data ("\r\n.\r\n" after
	# a file that does not end in CRLF) leaves one empty line.
	printf '%s\n' 'From: me@example.net' 'Subject: LF only' '' one . two '' |
	    stored_body_is alice@example.com
	f=$(message_file alice@example.com)
	! grep -q $'\r' "$f" || false
	printf 'USER alice@example.com\nPASS alicepw\nRETR 1\nQUIT\n' |
	    pop3 >"$T/pop3.out"
	pop3_block "$T/pop3.out" 4 >"$T/wire"
	# Every line ends in CRLF, no LF stands alone, and the dot is
	# stuffed on the wire.
	[ "$(tr -cd '\n' <"$T/wire" | wc -c)" = \
	    "$(grep -c $'\r$' "$T/wire")" ]
	grep -qx $'\\.\\.\r' "$T/wire"
	# With --crlf, as before: the same message.
	rm -f "$f"
	run timeout 30 curl -sS --crlf -T "$T/mail.txt" "smtp://127.0.0.1:$SP" \
	    --mail-from me@example.net --mail-rcpt alice@example.com
	[ "$status" -eq 0 ]
	printf '%s\n' 'From: me@example.net' 'Subject: LF only' '' one . two |
	    stored_body_is alice@example.com
}
