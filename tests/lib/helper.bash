# Shared setup for the bats suites: a fresh users file and store for every
# test, handlers run under timeout, and small readers for replies and the
# store.  BIN names the directory of the binaries under test (the sanitizer
# build sets it); it defaults to the top of the tree.

# BATS_TEST_DIRNAME is absolute: tests/protocol or tests/system.  No
# subshell: this file is read again for every test.
TOP=${BATS_TEST_DIRNAME%/tests/*}
LIB=$TOP/tests/lib
# BIN comes from the environment, so it is exported, and every process
# bats starts for a test inherits what this file sets it to below.  The
# directory first named is kept in MAILTEST_BIN, exported, and each test
# starts from that.
BIN=${MAILTEST_BIN:-${BIN:-$TOP}}
case $BIN in /*) ;; *) BIN=$TOP/$BIN ;; esac
export MAILTEST_BIN=$BIN

# Run as root (as CI does), the suites run every handler as $RUN_AS, as
# the installed units run them as mailsrv: BIN then names a directory of
# wrappers that add "-U $RUN_AS", beside copies of mysmtpd and mypopd
# (which run the handlers found beside themselves), and REAL_BIN the
# programs themselves.  Every test's directory belongs to $RUN_AS.  Not
# as root, both name the programs and RUN_AS is empty.
#
# As root, REAL_BIN is not the build directory but a copy of its
# programs in a directory $RUN_AS may enter: some tests start them as
# that user from the start (setpriv, xinetd's user=, the spare's
# sessions), and a checkout may lie where only root may go (/root, or
# anything mktemp -d makes).  SRC_BIN names the build directory.
#
# The copies and the wrappers are checked every time a test starts and
# made again if anything in them is not what this file would put there:
# a test that wrote through $BIN (a "make B=$BIN") would otherwise break
# every later suite.  The whole check runs once; then a stamp keeps what
# one stat(1) of every file showed, and a test whose stat shows the same
# (size, mtime, inode of each) skips it.  No test may write into $BIN or $REAL_BIN; build or
# install from $REAL_BIN.
SRC_BIN=$BIN
REAL_BIN=$BIN
RUN_AS=
PROGRAMS="smtp-handler pop3-handler listener mysmtpd mypopd mailpasswd mailquota sendmail"
if [ "$EUID" -eq 0 ]; then
	RUN_AS=nobody
	# One directory for the whole run, which bats removes at its end;
	# others may pass through it, not list it (bats made it 0700).
	SCRATCH=${BATS_RUN_TMPDIR:?needs bats 1.4 or later}
	chmod 711 "$SCRATCH"
	# The build's name stays in the path ("san" says a sanitizer build).
	REAL_BIN=$SCRATCH/programs.${SRC_BIN##*/}
	BIN=$SCRATCH/handler-wrappers.${SRC_BIN##*/}
fi

# programs_ok: whether $REAL_BIN holds a copy of every program of
# $SRC_BIN, as it is now.
programs_ok() {
	local p
	for p in $PROGRAMS; do
		[ -f "$REAL_BIN/$p" ] && [ ! -L "$REAL_BIN/$p" ] &&
		cmp -s "$SRC_BIN/$p" "$REAL_BIN/$p" || return 1
	done
}

# make_programs: (re)make $REAL_BIN, each copy written beside its place
# and renamed into it.
make_programs() {
	local p
	mkdir -p "$REAL_BIN"
	chmod 755 "$REAL_BIN"
	for p in $PROGRAMS; do
		cp "$SRC_BIN/$p" "$REAL_BIN/.$p.new.$BASHPID"
		chmod 755 "$REAL_BIN/.$p.new.$BASHPID"
		mv -f "$REAL_BIN/.$p.new.$BASHPID" "$REAL_BIN/$p"
	done
}

# fingerprint: one line of size, mtime and inode per program, copy and
# wrapper, from one stat(1).
fingerprint() {
	local p files=()
	for p in $PROGRAMS; do
		files+=("$SRC_BIN/$p" "$REAL_BIN/$p")
	done
	for p in smtp-handler pop3-handler mysmtpd mypopd listener mailpasswd; do
		files+=("$BIN/$p")
	done
	stat -c '%n %s %.9Y %i' -- "${files[@]}" 2>&1
}

STAMP=
CHECKED=
if [ -n "$RUN_AS" ]; then
	STAMP=$SCRATCH/.checked.${SRC_BIN##*/}
	NOW=$(fingerprint)
	[ -f "$STAMP" ] && read -r -d '' CHECKED <"$STAMP" || true
	[ "$NOW" = "${CHECKED%$'\n'}" ] || CHECKED=
fi

if [ -n "$RUN_AS" ] && [ -z "$CHECKED" ] && ! programs_ok; then
	make_programs
	if ! setpriv --reuid="$RUN_AS" --regid="$(id -g "$RUN_AS")" \
	    --clear-groups -- test -x "$REAL_BIN/smtp-handler"; then
		echo "helper.bash: $RUN_AS cannot reach $REAL_BIN;" \
		    "set TMPDIR to a directory others may enter" >&2
		exit 1
	fi
fi

# AS_USER: the options that make a handler from $REAL_BIN run as $RUN_AS,
# as the wrappers in $BIN do: "-U $RUN_AS", or none.  For tests that must
# run the program itself (under strace, which would see the wrapper's
# shell too).
AS_USER=()
if [ -n "$RUN_AS" ]; then
	AS_USER=(-U "$RUN_AS")
fi

# AS_RUN_AS: the words that run a command as $RUN_AS from the start (no
# -U ahead of it, as systemd's User= runs a unit's command), or none.
AS_RUN_AS=()
if [ -n "$RUN_AS" ]; then
	AS_RUN_AS=(setpriv --reuid="$RUN_AS" --regid="$(id -g "$RUN_AS")"
	    --clear-groups --)
fi

# wrappers_ok: whether $BIN holds exactly the wrappers, copies and links
# described above.
wrappers_ok() {
	local p
	for p in smtp-handler pop3-handler; do
		[ -f "$BIN/$p" ] && [ ! -L "$BIN/$p" ] &&
		[ "$(cat "$BIN/$p")" = "$(wrapper_text "$p")" ] || return 1
	done
	for p in mysmtpd mypopd; do
		[ -f "$BIN/$p" ] && [ ! -L "$BIN/$p" ] &&
		cmp -s "$REAL_BIN/$p" "$BIN/$p" || return 1
	done
	for p in listener mailpasswd; do
		[ "$(readlink "$BIN/$p")" = "$REAL_BIN/$p" ] || return 1
	done
}

# wrapper_text PROGRAM: the script that runs PROGRAM as $RUN_AS.
wrapper_text() {
	printf '#!/bin/sh\nexec "%s/%s" -U %s "$@"' "$REAL_BIN" "$1" "$RUN_AS"
}

# make_wrappers: (re)make $BIN, each file written beside its place and
# renamed into it, so that a session starting meanwhile sees the old
# file or the new one, never half of one.
make_wrappers() {
	local p
	mkdir -p "$BIN"
	for p in smtp-handler pop3-handler; do
		wrapper_text "$p" >"$BIN/.$p.new.$BASHPID"
		printf '\n' >>"$BIN/.$p.new.$BASHPID"
		chmod 755 "$BIN/.$p.new.$BASHPID"
		mv -f "$BIN/.$p.new.$BASHPID" "$BIN/$p"
	done
	for p in mysmtpd mypopd; do
		cp "$REAL_BIN/$p" "$BIN/.$p.new.$BASHPID"
		mv -f "$BIN/.$p.new.$BASHPID" "$BIN/$p"
	done
	for p in listener mailpasswd; do
		ln -sfn "$REAL_BIN/$p" "$BIN/.$p.new.$BASHPID"
		mv -fT "$BIN/.$p.new.$BASHPID" "$BIN/$p"
	done
}

if [ -n "$RUN_AS" ] && [ -z "$CHECKED" ] && ! wrappers_ok; then
	# Wrappers that ran themselves would loop for ever.
	if [ "$BIN" -ef "$REAL_BIN" ]; then
		echo "helper.bash: the wrappers' directory $BIN is the programs'" >&2
		exit 1
	fi
	make_wrappers
fi
if [ -n "$RUN_AS" ] && [ -z "$CHECKED" ]; then
	# Written beside and renamed: parallel files read it meanwhile.
	fingerprint >"$STAMP.$BASHPID" && mv -f "$STAMP.$BASHPID" "$STAMP"
fi

# own [-R] PATH...: give PATH (with -R, and everything below it) to
# $RUN_AS and its group, the user the handlers run as, as if that user had
# made it; nothing to do when the suite does not run as root.  For files
# and directories a test makes in the store by hand.
own() {
	local r=
	if [ "${1:-}" = -R ]; then
		r=-R
		shift
	fi
	[ -z "$RUN_AS" ] || chown $r -h "$RUN_AS:" "$@"
}

# Passwords of the test users.  carol's is stored as a SHA-512 crypt hash
# of "carolpw", dave's as a yescrypt hash of "davepw",
# erin's as a bcrypt hash of "erinpw".
setup() {
	T=$(mktemp -d "${BATS_TMPDIR:-/tmp}/mailtest.XXXXXX")
	USERS=$T/users.txt
	STORE=$T/mail.store
	# printf, not cat: no process for it at every test.
	printf '%s\n' >"$USERS" \
	    '# test users' \
	    'alice@example.com alicepw' \
	    'Bob.Smith@Example.COM bobpw' \
	    'carol@example.org $6$saltsalt$sLdNfTiWnhQFG.mTcbFNokHNSMlo//VjOnMla6SZBdunP4My1YsZ7PUzm1dAf/bfu8qtBDQQscrgX3FkTWsML0' \
	    'dave@example.org $y$j9T$ObN5ZPs4AzuKsdMAJn6pI/$fj2lrP/.sgoy7/JTFgF3uty1vEsiV.UuSXAd08ef1c.' \
	    'erin@example.net $2b$05$abcdefghijklmnopqrstuuKIjaWqwQuO59RI56ZFUBouiW0yS6CjK'
	mkdir -p "$STORE"
	if [ -n "$RUN_AS" ]; then
		chown "$RUN_AS" "$T" "$STORE"
	fi
}

teardown() {
	if [ -n "${PIDS:-}" ]; then
		kill $PIDS 2>/dev/null || true
		wait $PIDS 2>/dev/null || true
	fi
	rm -rf "$T"
}

# crlf: turn the LF-ended script on stdin into CRLF-ended wire lines.
crlf() {
	sed 's/$/\r/'
}

# smtp [OPTION...]: pipe the script on stdin, CRLF-ended, through one SMTP
# session; extra options go to the handler.
smtp() {
	crlf | smtp_raw "$@"
}

# smtp_raw [OPTION...]: pipe stdin through one SMTP session as it is.
smtp_raw() {
	timeout 30 "$BIN/smtp-handler" -u "$USERS" -d "$STORE" -n mx.test "$@"
}

# pop3 [OPTION...] and pop3_raw: the same for POP3.
pop3() {
	crlf | pop3_raw "$@"
}

pop3_raw() {
	timeout 30 "$BIN/pop3-handler" -u "$USERS" -d "$STORE" -n mx.test "$@"
}

# codes: the code of every final reply line in $output (SMTP), e.g.
# "220 250 250 221"; the continuation lines of a multi-line reply are left
# out.
codes() {
	printf '%s\n' "$output" | tr -d '\r' | sed -nE 's/^([0-9]{3})( .*)?$/\1/p' | paste -sd' ' -
}

# status: the status of every POP3 reply line in $output that starts with
# +OK or -ERR, e.g. "+OK +OK -ERR +OK".
status() {
	printf '%s\n' "$output" | tr -d '\r' | sed -n 's/^\(+OK\|-ERR\).*/\1/p' | paste -sd' ' -
}

# maildir ADDRESS: the Maildir of ADDRESS as spelled in the users file.
maildir() {
	printf '%s/%s' "$STORE" "$1"
}

# messages ADDRESS: the file names in the new/ and cur/ of ADDRESS, one a
# line, oldest first by name.
messages() {
	local d
	d=$(maildir "$1")
	{ ls "$d/new" "$d/cur" 2>/dev/null | grep -v '^$' | grep -v ':$' ; } | sort
}

# count ADDRESS: how many messages ADDRESS has.
count() {
	messages "$1" | grep -c . || true
}

# message_file ADDRESS [N]: the path of the Nth (default first) message.
message_file() {
	local d n name
	d=$(maildir "$1")
	n=${2:-1}
	name=$(messages "$1" | sed -n "${n}p")
	[ -n "$name" ] || return 1
	if [ -f "$d/new/$name" ]; then
		printf '%s/new/%s' "$d" "$name"
	else
		printf '%s/cur/%s' "$d" "$name"
	fi
}

# body_of FILE: a stored message without the Return-Path, X-Original-To,
# Delivered-To and Received lines the SMTP handler puts in front of it.
body_of() {
	awk 'NR == 1 && /^Return-Path:/ { next }
	     !done && /^(X-Original-To|Delivered-To):/ { next }
	     !done && /^Received:/ { inrcv = 1; next }
	     inrcv && /^[ \t]/ { next }
	     { inrcv = 0; done = 1; print }' "$1"
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_port PORT: wait up to 5 seconds for something to listen on PORT.
wait_port() {
	local i
	for i in $(seq 1 50); do
		if python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$1" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# is_listening PORT [NETNS]: whether a socket listens on TCP PORT (in the
# network namespace NETNS).  It reads the kernel's tables, for a probe
# connection would start a session.
is_listening() {
	${2:+ip netns exec "$2"} python3 "$LIB/is_listening.py" "$1"
}

# not_listening PORT: the opposite, as a command that fails under set -e
# (a bare "! command" does not).
not_listening() {
	! is_listening "$1"
}

# wait_listening PORT [NETNS]: wait up to 5 seconds for is_listening.
wait_listening() {
	local i
	for i in $(seq 1 50); do
		if is_listening "$@"; then
			return 0
		fi
		sleep 0.1
	done
	echo "nothing listens on port $1 after 5 s" >&2
	return 1
}

# SMTP test helpers

# reply N: the final line of the Nth SMTP reply in $output, without its CR;
# continuation lines (code and "-") are skipped, so "reply 2" after an
# EHLO is the last line of the EHLO reply.
reply() {
	printf '%s\n' "$output" | tr -d '\r' |
	    grep -E '^[0-9]{3}( |$)' | sed -n "${1}p"
}

# chars N C: the character C N times, without a newline.
chars() {
	head -c "$1" /dev/zero | tr '\0' "$2"
}

# domain_of_length N: a syntactically valid domain of exactly N octets
# (N >= 5), made of labels of at most 63 octets and ending in ".com".
domain_of_length() {
	local rest=$(($1 - 4)) d=
	while [ "$rest" -gt 63 ]; do
		d=$d$(chars 62 d).
		rest=$((rest - 63))
	done
	printf '%s%s.com' "$d" "$(chars "$rest" e)"
}

# all_messages: the path of every message anywhere in the store, one a
# line.
all_messages() {
	find "$STORE" -type f \
	    \( -path "$STORE/*/new/*" -o -path "$STORE/*/cur/*" \) | sort
}

# need_tmpfile: skip the test, saying why, unless the store's file system
# makes O_TMPFILE files (ext4, xfs, btrfs, tmpfs do; NFS does not), on
# which the handler falls back to a named file in tmp/.
need_tmpfile() {
	python3 -c 'import os, sys; os.close(os.open(sys.argv[1], os.O_TMPFILE | os.O_WRONLY, 0o600))' \
	    "$STORE" 2>/dev/null ||
	    skip "the store's file system refuses O_TMPFILE"
}

# need_strace: skip the test, saying why, unless strace can trace here.
need_strace() {
	command -v strace >/dev/null || skip "needs strace"
	# Under a restrictive ptrace policy strace cannot trace at all.
	strace -o /dev/null true 2>/dev/null || skip "strace cannot trace here"
	# LeakSanitizer cannot run under ptrace; the sanitizer build's other
	# checks still do.
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
}

# tmp_files: files left in any tmp/ of the store (should be none once a
# session is over).
tmp_files() {
	find "$STORE" -type f -path "$STORE/*/tmp/*"
}

# wire_size FILE: the size of FILE with every LF counted as CRLF.
wire_size() {
	echo $(($(stat -c %s "$1") + $(tr -cd '\n' <"$1" | wc -c)))
}

# stored_body_is ADDRESS: compare the body of ADDRESS's only message with
# stdin, byte for byte; cmp names the first difference on failure.
stored_body_is() {
	local f
	[ "$(count "$1")" -eq 1 ] || return 1
	f=$(message_file "$1")
	cat >"$T/want"
	body_of "$f" >"$T/got"
	cmp "$T/want" "$T/got"
}

# smtp_tty [OPTION...]: run one SMTP session with a terminal as stdin and
# stdout (a pty without echo), feeding it stdin as it is; exits with the
# handler's status.
smtp_tty() {
	timeout 30 python3 "$LIB/pty_run.py" \
	    "$BIN/smtp-handler" -u "$USERS" -d "$STORE" -n mx.test "$@"
}

# POP3 test helpers

# pop3_line N: line N (counted from 1) of $output, without its CR.
pop3_line() {
	printf '%s\n' "$output" | sed -n "${1}p" | tr -d '\r'
}

# pop3_drop ADDRESS [new|cur] [NAME]: put the message on stdin into the
# Maildir of ADDRESS by hand, through tmp/, as another delivery agent
# would.  Without NAME the file is named in the store's own form, with S=
# and W= right.  What it makes belongs to the user the handlers run as, as
# the other agent would run as the store's owner.  Prints the path of the
# file.
pop3_drop() {
	local d sub name tmpf size lfs i
	d=$(maildir "$1")
	sub=${2:-new}
	name=${3:-}
	mkdir -p "$d/tmp" "$d/new" "$d/cur"
	tmpf=$d/tmp/drop.$$.$BASHPID.$RANDOM
	cat >"$tmpf"
	if [ -z "$name" ]; then
		size=$(($(wc -c <"$tmpf")))
		lfs=$(($(tr -cd '\n' <"$tmpf" | wc -c)))
		for i in $(seq 1 100); do
			name=$(date +%s).M$(date +%N | cut -c1-6)P$$Q$i.drop.test,S=$size,W=$((size + lfs))
			[ -e "$d/$sub/$name" ] || break
		done
	fi
	own "$d" "$d/tmp" "$d/new" "$d/cur" "$tmpf"
	mv "$tmpf" "$d/$sub/$name"
	printf '%s\n' "$d/$sub/$name"
}

# pop3_wire FILE: FILE as RETR must send it (RFC 1939 section 3): every LF
# becomes CRLF and a line that starts with "." gets another one in front.
pop3_wire() {
	LC_ALL=C sed -e 's/^\./../' -e 's/$/\r/' "$1"
}

# pop3_unstuff: the data lines on stdin with their dot-stuffing undone.
pop3_unstuff() {
	LC_ALL=C sed 's/^\.//'
}

# pop3_block FILE N: the data lines of the multi-line reply whose "+OK"
# is line N of the raw session output in FILE, exactly as sent (CRLF,
# dot-stuffed), without the terminating ".".  Fails if line N is not +OK
# or the terminating line never comes.
pop3_block() {
	LC_ALL=C awk -v n="$2" '
		NR == n { if ($0 !~ /^\+OK/) exit 1; next }
		NR > n { if ($0 == ".\r") { found = 1; exit } print }
		END { exit !found }' "$1"
}

# pop3_fetch ADDRESS PASSWORD COMMAND: log in as ADDRESS, send one
# multi-line COMMAND (RETR n, TOP n m, LIST, UIDL, CAPA) and QUIT; prints
# the data lines of its reply as pop3_block does.
pop3_fetch() {
	printf 'USER %s\nPASS %s\n%s\nQUIT\n' "$1" "$2" "$3" | pop3 >"$T/pop3_fetch.out"
	pop3_block "$T/pop3_fetch.out" 4
}

# pop3_reply ADDRESS PASSWORD COMMAND: log in as ADDRESS, send one
# single-line COMMAND (STAT, LIST n, UIDL n) and QUIT; prints its reply
# line without the CR.
pop3_reply() {
	printf 'USER %s\nPASS %s\n%s\nQUIT\n' "$1" "$2" "$3" | pop3 | sed -n 4p | tr -d '\r'
}

# pop3_subject ADDRESS PASSWORD N: the Subject of message N, from TOP N 0.
pop3_subject() {
	pop3_fetch "$1" "$2" "TOP $3 0" | tr -d '\r' | sed -n 's/^Subject: //p'
}

# smtp_start [OPTION...]: start an SMTP session in the background that the
# test drives one line at a time: smtp_say writes to it (fd 5),
# smtp_expect reads its replies (fd 6).  The handler runs under timeout
# and with -t 20, so a session the test forgets cannot outlive it.
smtp_start() {
	rm -f "$T/smtp.in" "$T/smtp.out"
	mkfifo "$T/smtp.in" "$T/smtp.out"
	# Read-write, so that this open does not wait for the handler.
	exec 5<>"$T/smtp.in"
	timeout 30 "$BIN/smtp-handler" -u "$USERS" -d "$STORE" -n mx.test \
	    -t 20 "$@" <"$T/smtp.in" >"$T/smtp.out" 2>>"$T/smtp.err" \
	    3>&- 5>&- &
	SMTP_PID=$!
	PIDS="${PIDS:-} $SMTP_PID"
	exec 6<"$T/smtp.out"
}

# smtp_say LINE...: send one line, CRLF added, to the session.
smtp_say() {
	printf '%s\r\n' "$*" >&5
}

# smtp_expect PREFIX: read the next reply (10 s at most a line), skipping
# the continuation lines of a multi-line reply, and fail unless its final
# line starts with PREFIX.  The final line, without its CR, is left in
# SMTP_REPLY.
smtp_expect() {
	local i
	SMTP_REPLY=
	for i in $(seq 1 100); do
		if ! IFS= read -r -t 10 SMTP_REPLY <&6; then
			echo "smtp_expect: no reply, wanted '$1'" >&2
			return 1
		fi
		SMTP_REPLY=${SMTP_REPLY%$'\r'}
		[[ $SMTP_REPLY == [0-9][0-9][0-9]-* ]] || break
	done
	case $SMTP_REPLY in
	"$1"*) return 0 ;;
	esac
	echo "smtp_expect: got '$SMTP_REPLY', wanted '$1...'" >&2
	return 1
}

# smtp_wait: wait up to 10 s for the handler from smtp_start to exit; its
# exit status goes to SMTP_STATUS.
smtp_wait() {
	local i state
	for i in $(seq 1 100); do
		state=$(sed 's/^.*) \(.\).*/\1/' "/proc/$SMTP_PID/stat" 2>/dev/null || echo X)
		case $state in
		X|Z) SMTP_STATUS=0; wait "$SMTP_PID" || SMTP_STATUS=$?; return 0 ;;
		esac
		sleep 0.1
	done
	echo "smtp_wait: handler $SMTP_PID still running after 10 s" >&2
	return 1
}

# pop3_start [OPTION...]: start a POP3 session in the background that the
# test drives one line at a time: pop3_say writes to it (fd 7), pop3_expect
# and pop3_read_block read its replies (fd 8).  The handler's own pid is
# POP3_PID, so "kill -9 $POP3_PID" kills the handler itself.
pop3_start() {
	rm -f "$T/pop3.in" "$T/pop3.out"
	mkfifo "$T/pop3.in" "$T/pop3.out"
	# Read-write, so that this open does not wait for the handler.
	exec 7<>"$T/pop3.in"
	"$BIN/pop3-handler" -u "$USERS" -d "$STORE" -n mx.test "$@" \
	    <"$T/pop3.in" >"$T/pop3.out" 2>>"$T/pop3.err" 3>&- 7>&- &
	POP3_PID=$!
	PIDS="${PIDS:-} $POP3_PID"
	exec 8<"$T/pop3.out"
}

# pop3_say LINE...: send one command line, CRLF added, to the session.
pop3_say() {
	printf '%s\r\n' "$*" >&7
}

# pop3_expect PREFIX: read the next reply line (10 s at most) and fail
# unless it starts with PREFIX, taken literally.  The line, without its CR,
# is left in POP3_REPLY.
pop3_expect() {
	POP3_REPLY=
	if ! IFS= read -r -t 10 POP3_REPLY <&8; then
		echo "pop3_expect: no reply line, wanted '$1' (got '$POP3_REPLY')" >&2
		return 1
	fi
	POP3_REPLY=${POP3_REPLY%$'\r'}
	case $POP3_REPLY in
	"$1"*) return 0 ;;
	esac
	echo "pop3_expect: got '$POP3_REPLY', wanted '$1...'" >&2
	return 1
}

# pop3_read_block: read the data lines of a multi-line reply up to its
# terminating "." and print them without CRs; fails if the "." never comes.
pop3_read_block() {
	local line i
	for i in $(seq 1 100000); do
		IFS= read -r -t 10 line <&8 || return 1
		line=${line%$'\r'}
		[ "$line" = "." ] && return 0
		printf '%s\n' "$line"
	done
	return 1
}

# pop3_login ADDRESS PASSWORD: in a session from pop3_start, read the
# greeting and log in; fails unless all three replies are +OK.
pop3_login() {
	pop3_expect "+OK" &&
	pop3_say USER "$1" && pop3_expect "+OK" &&
	pop3_say PASS "$2" && pop3_expect "+OK"
}

# pop3_expect_close [SECONDS]: the session from pop3_start closes its
# output within SECONDS (default 10); reply lines before the end are
# skipped.
pop3_expect_close() {
	local limit line rc now i
	limit=$(( $(date +%s%N) + ${1:-10} * 1000000000 ))
	for i in $(seq 1 1000); do
		now=$(date +%s%N)
		[ "$now" -lt "$limit" ] || break
		rc=0
		IFS= read -r -t 1 line <&8 || rc=$?
		[ "$rc" -eq 1 ] && return 0
	done
	echo "pop3_expect_close: the session is still open after ${1:-10} s" >&2
	return 1
}

# pop3_wait [SECONDS]: wait up to SECONDS (default 10) for the handler from
# pop3_start to exit; its exit status goes to POP3_STATUS.
pop3_wait() {
	local i state
	for i in $(seq 1 $(( ${1:-10} * 10 ))); do
		state=$(sed 's/^.*) \(.\).*/\1/' "/proc/$POP3_PID/stat" 2>/dev/null || echo X)
		case $state in
		X|Z) POP3_STATUS=0; wait "$POP3_PID" || POP3_STATUS=$?; return 0 ;;
		esac
		sleep 0.1
	done
	echo "pop3_wait: handler $POP3_PID still running after ${1:-10} s" >&2
	return 1
}

# Journal capture

# journal_collector: remove $T/journal.ready and put a copy of
# $LIB/journal_collect.py, the stand-in for journald that journal_raw
# runs (its docstring tells how), at $T/collect.py, for a suite that runs
# it from there: "python3 $T/collect.py FILE [SECONDS]".
journal_collector() {
	rm -f "$T/journal.ready"
	cp "$LIB/journal_collect.py" "$T/collect.py"
}

# journal_raw HANDLER [OPTION...]: run HANDLER with the session on stdin,
# sent as it is, while a collector in a private mount namespace stands in
# for journald.  The client's view goes to $T/client, its stderr to
# $T/stderr, and the journal entries (native protocol: one field a line,
# entries separated by a blank line) to $T/journal.  Needs root.
journal_raw() {
	[ "$(id -u)" -eq 0 ] || skip "needs root for a mount namespace"
	command -v unshare >/dev/null || skip "needs unshare"
	local handler=$1
	shift
	cat >"$T/session"
	rm -f "$T/journal.ready"
	timeout 60 unshare -m sh -c '
		t=$1 lib=$2
		shift 2
		mount -t tmpfs none /run || exit 1
		python3 "$lib/journal_collect.py" "$t/journal" &
		i=0
		while [ ! -e "$t/journal.ready" ] && [ $i -lt 100 ]; do
			sleep 0.05; i=$((i + 1))
		done
		"$@" <"$t/session" >"$t/client" 2>"$t/stderr"
		wait' sh "$T" "$LIB" \
	    "$BIN/$handler" -u "$USERS" -d "$STORE" -n mx.test "$@"
}
