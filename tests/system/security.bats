#!/usr/bin/env bats
# Security: hostile names from the client never lead outside the store,
# links planted in a mailbox are never followed or served, users cannot
# be told apart, the handlers run nothing, create private files, keep no
# stray descriptors, and log peer text escaped, one line per event.
# Some tests need root (strace, a mount namespace, setpriv) and skip
# without it.  See DESIGN.md for the threat model each test proves.

bats_require_minimum_version 1.5.0

load ../lib/helper

# --- Helpers ------------------------------------------------------------

need_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
}

# traced_file HANDLER [OPTION...]: run HANDLER on the session on stdin
# (CRLF added) under strace, recording every system call on a path, with
# the path of every descriptor shown, to $T/trace; the replies go to
# $output.  Runs in $T/cwd, an empty directory, so that a relative path
# is caught too.  The handler is the program itself, as the user the
# handlers run as (strace -u, as systemd's User= would start it): the
# trace holds its calls alone, neither a wrapper's shell nor the user
# lookup of -U, which reads /etc/passwd before any input.
traced_file() {
	local handler=$1
	shift
	mkdir -p "$T/cwd"
	output=$(cd "$T/cwd" && crlf | timeout 60 strace -f -y -s 4096 \
	    ${RUN_AS:+-u "$RUN_AS"} -e trace=%file -o "$T/trace" \
	    "$REAL_BIN/$handler" -u "$USERS" -d "$STORE" -n mx.test "$@")
}

# paths_inside [NEED]: every path in $T/trace, and every descriptor the
# handler used, is in the store, is the users file or the aliases file
# beside it (the operator's, as the users file is), or is a file the
# dynamic loader, the C library or a sanitizer reads (libraries, the
# time zone, the journal socket, /proc and /sys), or is the store's
# parent directory itself, which the store opens to fsync the entry
# naming the store.  Paths are joined to
# the directory they are relative to and normalized without following
# links, so "../x" below the store counts as outside it.  With NEED, at
# least one access must be inside the store, so that the check is not
# empty.
paths_inside() {
	python3 "$LIB/strace_paths_inside.py" "$T/trace" "$STORE" "$USERS" \
	    "$T/cwd" "${1:-}"
}

# tree_state DIR: the names, types, modes, link targets and contents of
# everything under DIR, to compare before and after a session.
tree_state() {
	(cd "$1" && find . -printf '%y %m %s %p -> %l\n' | sort &&
	    find . -type f -exec md5sum {} + | sort)
}

# outside_maildir DIR: a Maildir outside the store, with one message
# holding the word "secret".  It belongs to the user the handlers run as,
# so that only the handler's care, not the file modes, keeps it from
# being read or changed.
outside_maildir() {
	mkdir -p "$1/tmp" "$1/new" "$1/cur"
	printf 'Subject: outside\n\nsecret outside the store\n' \
	    >"$1/new/1700000000.M1P1Q1.outside,S=44,W=47"
	own -R "$1"
}

# journal_clean: $T/journal holds only text fields, one a line: no byte
# below 0x20 but LF, no DEL, and every non-empty line is FIELD=value (a
# field with a raw LF in it would be sent in the protocol's binary form,
# with a length of eight raw octets).  Prints the offending lines.
journal_clean() {
	[ -s "$T/journal" ] || { echo "empty journal"; return 1; }
	python3 "$LIB/journal_clean.py" "$T/journal"
}

# messages_logged: the number of journal entries (MESSAGE= fields).
messages_logged() {
	grep -ac '^MESSAGE=' "$T/journal"
}

# --- Path traversal -----------------------------------------------------

@test "POP3 USER ../x, ../../etc/passwd, a/b, .hidden, .. fails like an unknown user, touching nothing outside the store" {
	need_strace
	run pop3 <<'EOF'
USER nobody@example.com
PASS alicepw
QUIT
EOF
	unknown=$(pop3_line 3)
	[[ $unknown == "-ERR [AUTH]"* ]]
	for name in '../x' '../../etc/passwd' 'a/b' '.hidden' '..' \
	    '../alice@example.com' 'alice@example.com/../alice@example.com' \
	    '/etc/passwd'; do
		# A good login after the bad one makes the store part of the
		# trace, so that its check is not empty.
		traced_file pop3-handler <<EOF
USER $name
PASS alicepw
USER alice@example.com
PASS alicepw
STAT
QUIT
EOF
		echo "USER $name:"
		echo "$output"
		[ "$(status)" = "+OK +OK -ERR +OK +OK +OK +OK" ]
		[ "$(pop3_line 3)" = "$unknown" ]
		paths_inside need
	done
	# Nothing but alice's mailbox was made.
	[ "$(ls "$STORE")" = "alice@example.com" ]
}

@test "POP3 USER of 300 bytes is refused as too long; a 240-byte ../ name fails like an unknown user" {
	need_strace
	long=$(chars 300 a)
	dots=$(for i in $(seq 1 80); do printf '../'; done)
	[ "${#dots}" -eq 240 ]
	traced_file pop3-handler <<EOF
USER $long
PASS alicepw
USER $dots
PASS alicepw
USER alice@example.com
PASS alicepw
QUIT
EOF
	echo "$output"
	[ "$(status)" = "+OK -ERR -ERR +OK -ERR +OK +OK +OK" ]
	[ "$(pop3_line 2)" = "-ERR Line too long" ]
	[ "$(pop3_line 3)" = "-ERR Send USER first" ]
	[[ $(pop3_line 5) == "-ERR [AUTH] Invalid user name or password" ]]
	paths_inside need
	[ "$(ls "$STORE")" = "alice@example.com" ]
}

@test "SMTP RCPT a/b@example.com gets 550 5.1.1 like an unknown user, ../x@example.com 501; nothing outside the store is touched" {
	need_strace
	traced_file smtp-handler <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<nobody@example.com>
RCPT TO:<a/b@example.com>
RCPT TO:<../x@example.com>
RCPT TO:<"../x"@example.com>
RCPT TO:<"../../etc/passwd"@example.com>
RCPT TO:<.hidden@example.com>
RCPT TO:<alice@example.com/../alice@example.com>
RCPT TO:<alice@example.com>
DATA
Subject: traced

body
.
QUIT
EOF
	echo "$output"
	[ "$(codes)" = "220 250 250 550 550 501 550 550 501 501 250 354 250 221" ]
	[[ $(reply 4) == "550 5.1.1 "* ]]
	[ "$(reply 5)" = "$(reply 4)" ]
	[ "$(reply 7)" = "$(reply 4)" ]
	[[ $(reply 6) == "501 5.1.3 "* ]]
	paths_inside need
	[ "$(ls "$STORE")" = "alice@example.com" ]
	[ "$(count alice@example.com)" -eq 1 ]
}

# --- Links planted in a mailbox -----------------------------------------

@test "a symlink in cur/ to /etc/passwd, and a FIFO or directory in new/ or cur/, are neither listed nor served" {
	pop3_drop alice@example.com <<'EOF'
Subject: real

real body
EOF
	d=$(maildir alice@example.com)
	ln -s /etc/passwd "$d/cur/1700000001.M1P1Q1.link:2,S"
	ln -s "$T/outside" "$d/cur/1700000002.M1P1Q1.dangling:2,"
	mkfifo "$d/new/1700000003.M1P1Q1.fifo" "$d/cur/1700000004.M1P1Q1.fifo:2,"
	mkdir "$d/cur/1700000005.M1P1Q1.dir:2,"
	run pop3 <<'EOF'
USER alice@example.com
PASS alicepw
STAT
LIST
RETR 2
RETR 1
QUIT
EOF
	echo "$output"
	[ "$(status)" = "+OK +OK +OK +OK +OK -ERR +OK +OK" ]
	[[ $(pop3_line 4) == "+OK 1 "* ]]
	[[ $output == *"real body"* ]]
	[[ $output != *root:* ]]
	[ ! -e "$T/outside" ]
}

@test "new/ replaced by a symlink to a directory outside: POP3 login fails temporarily, nothing served or changed" {
	outside_maildir "$T/outside"
	d=$(maildir alice@example.com)
	mkdir -p "$d/tmp" "$d/cur"
	ln -s "$T/outside/new" "$d/new"
	own -R "$d"
	before=$(tree_state "$T/outside")
	run pop3 <<'EOF'
USER alice@example.com
PASS alicepw
STAT
RETR 1
DELE 1
QUIT
EOF
	echo "$output"
	[[ $(pop3_line 3) == "-ERR [SYS/TEMP]"* ]]
	[[ $output != *secret* ]]
	[ "$(tree_state "$T/outside")" = "$before" ]
	[ -L "$d/new" ]
}

@test "the mailbox directory itself a symlink: POP3 login fails temporarily, nothing served or changed" {
	outside_maildir "$T/outside"
	ln -s "$T/outside" "$(maildir alice@example.com)"
	own "$(maildir alice@example.com)"
	before=$(tree_state "$T/outside")
	run pop3 <<'EOF'
USER alice@example.com
PASS alicepw
STAT
RETR 1
DELE 1
QUIT
EOF
	echo "$output"
	[[ $(pop3_line 3) == "-ERR [SYS/TEMP]"* ]]
	[[ $output != *secret* ]]
	[ "$(tree_state "$T/outside")" = "$before" ]
}

@test "SMTP delivery through a dangling symlink as mailbox or new/ gets 451 and makes nothing at its target" {
	# Links to existing directories outside are in tests/faults.bats; a
	# dangling one must not be made into a directory by mkdir.  Bob: the
	# mailbox is the link.  dave: new/ is.
	ln -s "$T/made-by-bob" "$(maildir Bob.Smith@Example.COM)"
	mkdir -p "$(maildir dave@example.org)"/{tmp,cur}
	ln -s "$T/made-by-dave" "$(maildir dave@example.org)/new"
	# The store's owner could make both targets ($T is its own): only
	# the handler's refusal to follow the links keeps them from being
	# made.
	own "$(maildir Bob.Smith@Example.COM)"
	own -R "$(maildir dave@example.org)"
	# Bob's link is met at RCPT, which reads the mailbox's quota; dave's
	# new/ only when the message is written, after DATA.
	for want in "Bob.Smith@Example.COM 4 220 250 250 451 503 221" \
	    "dave@example.org 5 220 250 250 250 451 221"; do
		set -- $want
		rcpt=$1 n=$2
		shift 2
		run smtp <<EOF
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<$rcpt>
DATA
QUIT
EOF
		echo "to $rcpt: $output"
		[ "$(codes)" = "$*" ]
		[[ $(reply "$n") == "451 4.3.0 "* ]]
	done
	[ ! -e "$T/made-by-bob" ]
	[ ! -e "$T/made-by-dave" ]
	[ -z "$(all_messages)" ]
	[ -z "$(tmp_files)" ]
}

@test "a message swapped for a symlink after the listing is not served" {
	f=$(pop3_drop alice@example.com <<'EOF'
Subject: real

real body
EOF
)
	pop3_start
	pop3_login alice@example.com alicepw
	pop3_say STAT
	pop3_expect "+OK 1 "
	rm "$f"
	ln -s /etc/passwd "$f"
	pop3_say RETR 1
	pop3_expect "-ERR [SYS/TEMP]"
	# The next line is NOOP's: no line of /etc/passwd came between.
	pop3_say NOOP
	pop3_expect "+OK"
	[ "$POP3_REPLY" = "+OK" ]
	pop3_say QUIT
	pop3_expect "+OK Bye"
}

@test "a message swapped for a FIFO after the listing: RETR answers and the session goes on" {
	f=$(pop3_drop alice@example.com <<'EOF'
Subject: real

real body
EOF
)
	pop3_start
	pop3_login alice@example.com alicepw
	pop3_say STAT
	pop3_expect "+OK 1 "
	rm "$f"
	mkfifo "$f"
	# Nothing ever writes to the FIFO: opening it for reading without
	# O_NONBLOCK would wait forever, with the maildrop locked.
	pop3_say RETR 1
	pop3_expect "-ERR"
	pop3_say QUIT
	pop3_expect "+OK"
}

@test "with fs.protected_hardlinks the store's owner cannot plant a hard link to a file it does not own" {
	need_root
	command -v setpriv >/dev/null || skip "needs setpriv"
	[ "$(cat /proc/sys/fs/protected_hardlinks)" = 1 ] ||
	    skip "fs.protected_hardlinks is off"
	# The store belongs to nobody, as it would to mailsrv; the users file
	# stays root's, readable by nobody's group as the units install it.
	chmod 711 "$T"
	d=$(maildir alice@example.com)
	mkdir -p "$d/tmp" "$d/new" "$d/cur"
	chown -R nobody:nogroup "$STORE"
	chmod 700 "$STORE" "$d" "$d/tmp" "$d/new" "$d/cur"
	chgrp nogroup "$USERS"
	chmod 640 "$USERS"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    ln "$USERS" "$d/new/1700000000.M1P1Q1.planted"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"Operation not permitted"* ]]
	[ -z "$(ls -A "$d/new")" ]
	# And nobody else can write into the store at all.
	run setpriv --reuid=65533 --regid=65533 --clear-groups \
	    touch "$d/new/x"
	[ "$status" -ne 0 ]
	[ ! -e "$d/new/x" ]
}

# --- User enumeration ---------------------------------------------------

@test "POP3 login fails in 1.0 to 1.5 s with the same bytes for known and unknown users; medians differ by < 150 ms" {
	run python3 "$LIB/pop3_login_timing.py" "$BIN/pop3-handler" "$USERS" "$STORE"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"-ERR [AUTH] Invalid user name or password\r\n"* ]]
}

@test "VRFY of a user, a bare local part, a stranger and a path name gets one identical reply" {
	run smtp <<'EOF'
EHLO client.test
VRFY alice@example.com
VRFY alice
VRFY <Bob.Smith@Example.COM>
VRFY nobody@example.com
VRFY ../../etc/passwd
QUIT
EOF
	[ "$(codes)" = "220 250 252 252 252 252 252 221" ]
	for n in 4 5 6 7; do
		[ "$(reply "$n")" = "$(reply 3)" ]
	done
}

# --- Processes, modes and descriptors -----------------------------------

@test "the handlers never execve or fork, even with shell metacharacters in every field" {
	need_strace
	mkdir -p "$T/cwd"
	cd "$T/cwd"
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	crlf <<EOF >"$T/smtp.in"
EHLO \`touch\${IFS}$T/pwned\`
MAIL FROM:<|touch\${IFS}$T/pwned@example.net>
RCPT TO:<\$(touch\${IFS}$T/pwned)@example.com>
RCPT TO:<"|touch $T/pwned"@example.com>
RCPT TO:<alice@example.com>
DATA
Subject: \$(touch $T/pwned)

|touch $T/pwned
\`touch $T/pwned\`
.
QUIT
EOF
	# The programs themselves, as root does it: with -U when root (a
	# wrapper would add its shell's exec to the trace).
	timeout 30 strace -f -e trace=execve,execveat,fork,vfork,clone,clone3 \
	    -o "$T/trace.smtp" "$REAL_BIN/smtp-handler" "${AS_USER[@]}" \
	    -u "$USERS" -d "$STORE" -n mx.test <"$T/smtp.in" >"$T/smtp.out"
	cat "$T/smtp.out"
	[ "$(count alice@example.com)" -eq 1 ]
	crlf <<EOF >"$T/pop3.in"
USER |touch $T/pwned
PASS \$(touch $T/pwned)
USER alice@example.com
PASS alicepw
RETR 1
TOP 1 0
DELE 1
QUIT
EOF
	timeout 30 strace -f -e trace=execve,execveat,fork,vfork,clone,clone3 \
	    -o "$T/trace.pop3" "$REAL_BIN/pop3-handler" "${AS_USER[@]}" \
	    -u "$USERS" -d "$STORE" -n mx.test <"$T/pop3.in" >"$T/pop3.out"
	cat "$T/pop3.out"
	[ "$(count alice@example.com)" -eq 0 ]
	for p in smtp pop3; do
		cat "$T/trace.$p"
		# The one exec is strace starting the handler.
		[ "$(grep -v '+++ exited' "$T/trace.$p" | wc -l)" -eq 1 ]
		grep -q "execve(\"$REAL_BIN/$p-handler\"" "$T/trace.$p"
	done
	[ ! -e "$T/pwned" ]
}

@test "files made in the store are 0600 and directories 0700 even under umask 000" {
	rmdir "$STORE"
	(
		umask 000
		smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
RCPT TO:<Bob.Smith@Example.COM>
DATA
Subject: modes

body
.
QUIT
EOF
		# POP3 makes the Maildir of a user who has none yet.
		printf 'USER carol@example.org\nPASS carolpw\nQUIT\n' | pop3
	) >"$T/out"
	cat "$T/out"
	[ "$(count alice@example.com)" -eq 1 ]
	[ -d "$(maildir carol@example.org)/cur" ]
	[ "$(stat -c %a "$STORE")" = 700 ]
	find "$STORE" -printf '%m %y %p\n'
	[ -z "$(find "$STORE" -type d ! -perm 0700)" ]
	[ -z "$(find "$STORE" -type f ! -perm 0600)" ]
	[ -n "$(find "$STORE" -type f)" ]
}

# fds_of HANDLER: start HANDLER with fd 9 open on /etc/hostname and an
# idle client, and print what each of its descriptors refers to.
fds_of() {
	local pid fd
	mkfifo "$T/idle"
	exec 6<>"$T/idle"
	"$BIN/$1" -u "$USERS" -d "$STORE" -n mx.test <"$T/idle" \
	    >"$T/$1.out" 9</etc/hostname 6>&- &
	pid=$!
	PIDS="${PIDS:-} $pid"
	# Wait for the greeting: by then start-up is over.
	for fd in $(seq 1 50); do
		[ -s "$T/$1.out" ] && break
		sleep 0.1
	done
	for fd in /proc/$pid/fd/*; do
		printf '%s %s\n' "${fd##*/}" "$(readlink "$fd")"
	done
	exec 6>&-
}

@test "the handlers keep no stray descriptor from their parent (fd 9 open on /etc/hostname)" {
	[ -r /etc/hostname ] || skip "needs /etc/hostname"
	for h in smtp-handler pop3-handler; do
		fds_of "$h" >"$T/fds"
		echo "$h:"
		cat "$T/fds"
		# 0 and 1 the client, 2 stderr; anything else must be the
		# handler's own (a log socket, and as root the store and the
		# directory that holds it, opened before root was given up).
		! grep -q '/etc/hostname' "$T/fds" || false
		! grep -v -E "^[012] |socket:|^[0-9]+ ($STORE|$T)\$" "$T/fds" ||
		    false
		rm -f "$T/idle"
	done
}

# --- Log injection ------------------------------------------------------

@test "CR, LF and escape sequences in HELO are refused and never reach the log raw" {
	printf '%b' 'HELO a\rb\r\nHELO a\nFAKE=1\r\nHELO a\033[2Jb\r\nEHLO x\033]0;pwned\007\r\nHELO caf\303\251\r\nHELO ok.test\r\nQUIT\r\n' |
	    journal_raw smtp-handler
	output=$(cat "$T/client")
	echo "$output"
	[ "$(codes)" = "220 500 500 501 501 501 250 221" ]
	journal_clean
	# connect and the session summary, nothing else.
	[ "$(messages_logged)" -eq 2 ]
	grep -q '^HELO=ok.test$' "$T/journal"
}

@test "control bytes in quoted MAIL FROM local parts are refused; a C1 control byte is logged escaped" {
	printf '%b' 'EHLO client.test\r\nMAIL FROM:<"a\033[2Jb"@example.net>\r\nMAIL FROM:<"a\\\033b"@example.net>\r\nMAIL FROM:<"a\rb"@example.net>\r\nMAIL FROM:<"a\nFAKE=1"@example.net>\r\nMAIL FROM:<"a\302\233b"@example.net> SMTPUTF8\r\nRCPT TO:<alice@example.com>\r\nDATA\r\nSubject: c1\r\n\r\nbody\r\n.\r\nQUIT\r\n' |
	    journal_raw smtp-handler
	output=$(cat "$T/client")
	echo "$output"
	[ "$(codes)" = "220 250 501 501 500 500 250 250 354 250 221" ]
	journal_clean
	# connect, delivered and the session summary.
	[ "$(messages_logged)" -eq 3 ]
	grep -q '^SENDER=<"a??b"@example.net>$' "$T/journal"
}

@test "control bytes in POP3 USER names: refused with CR or LF, else logged escaped, one line a failed login" {
	printf '%b' 'USER a\rb\r\nUSER a\nFAKE=1\r\nUSER a\bb\177c\302\233[2J\r\nPASS wrong\r\nUSER x\ty\033]0;t\007\r\nPASS wrong\r\nQUIT\r\n' |
	    journal_raw pop3-handler
	output=$(cat "$T/client")
	echo "$output"
	[ "$(status)" = "+OK -ERR -ERR +OK -ERR +OK -ERR +OK" ]
	journal_clean
	[ "$(grep -ac '^MESSAGE=login failed' "$T/journal")" -eq 2 ]
	grep -aq '^MESSAGE=login failed .*user=a?b?c??\[2J$' "$T/journal"
	grep -aq '^MESSAGE=login failed .*user=x?y?\]0;t?$' "$T/journal"
	# connect, two failed logins and the summary.
	[ "$(messages_logged)" -eq 4 ]
}

@test "a file name with control bytes in the store is logged escaped" {
	d=$(maildir alice@example.com)
	mkdir -p "$d/tmp" "$d/new" "$d/cur"
	# A stale file in tmp/, whose removal the handler logs by name.
	name=$(printf 'stale\033[2J\nFAKE=1')
	echo orphan >"$d/tmp/$name"
	touch -d '3 days ago' "$d/tmp/$name"
	own -R "$d"
	printf 'USER alice@example.com\r\nPASS alicepw\r\nQUIT\r\n' |
	    journal_raw pop3-handler
	cat "$T/client"
	[ ! -e "$d/tmp/$name" ]
	grep -aq 'removed stale tmp/stale' "$T/journal"
	journal_clean
	grep -aq '^MESSAGE=removed stale tmp/stale?\[2J?FAKE=1$' "$T/journal"
}

# --- Privileges: -U ------------------------------------------------------

# These run the programs themselves ($REAL_BIN), not the wrappers in $BIN,
# which add -U; as_root_smtp and as_root_pop3 run a session with the
# options given and none other.
as_root_smtp() {
	crlf | timeout 30 "$REAL_BIN/smtp-handler" -u "$USERS" -d "$STORE" \
	    -n mx.test "$@"
}

as_root_pop3() {
	crlf | timeout 30 "$REAL_BIN/pop3-handler" -u "$USERS" -d "$STORE" \
	    -n mx.test "$@"
}

@test "started as root with -U, a handler works as that user and cannot write as root" {
	need_root
	chmod 755 "$T"
	chmod 644 "$USERS"
	chown -R nobody "$STORE"
	run as_root_smtp -U nobody <<'EOF2'
EHLO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
DATA
Subject: as nobody

body
.
QUIT
EOF2
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(stat -c %U "$(message_file alice@example.com)")" = nobody ]
	[ "$(stat -c %U "$(maildir alice@example.com)")" = nobody ]
	# A store that only root may write is now out of reach: 451.
	chown -R root "$STORE"
	run as_root_smtp -U nobody <<'EOF2'
EHLO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
DATA
body
.
QUIT
EOF2
	# 451 at RCPT, which reads the mailbox's quota; DATA then gets 503
	# and the body lines read as (unknown) commands.
	[ "$(codes)" = "220 250 250 451 503 500 500 221" ]
	[[ "$(reply 4)" == "451 4.3.0 "* ]]
	[ "$(count alice@example.com)" -eq 1 ]
	run as_root_pop3 -U nobody <<'EOF2'
USER alice@example.com
PASS alicepw
QUIT
EOF2
	[[ "$output" == *"-ERR [SYS/TEMP]"* ]]
}

@test "-U with an unknown user, or root, is a usage error before any session" {
	run --separate-stderr "$REAL_BIN/smtp-handler" -u "$USERS" -d "$STORE" \
	    -U no-such-user-here </dev/null
	[ "$status" -eq 100 ]
	[ -z "$output" ]
	run --separate-stderr "$REAL_BIN/pop3-handler" -u "$USERS" -d "$STORE" \
	    -U root </dev/null
	[ "$status" -eq 100 ]
	[ -z "$output" ]
}

# default_user: the user a handler started as root without -U runs as.
default_user() {
	if getent passwd mailsrv >/dev/null; then
		echo mailsrv
	else
		echo nobody
	fi
}

@test "started as root without -U, a handler runs its session as mailsrv or nobody and makes the store for it" {
	need_root
	want=$(default_user)
	# The newcomer's layout: a directory only root may enter, a users
	# file only root may read, and no store yet.
	chown root: "$T"
	chmod 700 "$T"
	chown root: "$USERS"
	chmod 600 "$USERS"
	rmdir "$STORE"
	run as_root_smtp <<'EOF2'
EHLO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
DATA
Subject: as the default user

body
.
QUIT
EOF2
	echo "$output"
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	f=$(message_file alice@example.com)
	[ "$(stat -c %U "$f")" = "$want" ]
	[ "$(stat -c %U "$STORE")" = "$want" ]
	[ "$(stat -c %a "$STORE")" = 700 ]
	# Nothing in the store is root's, the store's own mark included.
	[ -z "$(find "$STORE" -user root)" ]
	run as_root_pop3 <<'EOF2'
USER alice@example.com
PASS alicepw
RETR 1
DELE 1
QUIT
EOF2
	echo "$output"
	[[ $output == *"Subject: as the default user"* ]]
	[ "$(status)" = "+OK +OK +OK +OK +OK +OK" ]
	[ "$(count alice@example.com)" -eq 0 ]
	# The users file and the directories above the store are as they were.
	[ "$(stat -c '%U %a' "$USERS")" = "root 600" ]
	[ "$(stat -c '%U %a' "$T")" = "root 700" ]
}

@test "started as root without -U, a handler's session runs as the default user, not root" {
	need_root
	want=$(default_user)
	# /proc/self/status read by the session itself is not possible;
	# the handler's process is seen while it waits for its first command.
	mkfifo "$T/in"
	"$REAL_BIN/smtp-handler" -u "$USERS" -d "$STORE" -n mx.test \
	    <"$T/in" >"$T/out" 2>&1 &
	pid=$!
	PIDS="${PIDS:-} $pid"
	exec 7>"$T/in"
	for i in $(seq 1 50); do
		grep -q '^220' "$T/out" && break
		sleep 0.1
	done
	grep -q '^220' "$T/out"
	uid=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")
	echo "uids: $uid"
	w=$(id -u "$want")
	[ "$uid" = "$w $w $w $w" ]
	[ "$(awk '/^Groups:/ { print $2 }' "/proc/$pid/status")" = \
	    "$(id -g "$want")" ]
	printf 'QUIT\r\n' >&7
	exec 7>&-
	wait "$pid"
}

@test "--require-user: started as root without -U, a handler refuses to start (exit 100) and sends nothing" {
	need_root
	# A store not made yet: nothing at all may be done as root.
	rmdir "$STORE"
	run --separate-stderr as_root_smtp --require-user <<'EOF2'
EHLO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
DATA
Subject: as root

body
.
QUIT
EOF2
	echo "smtp-handler: status $status, output '$output', stderr '$stderr'"
	[ "$status" -eq 100 ]
	[ -z "$output" ]
	[[ $stderr == *"refusing to run as root"*"-U"* ]]
	run --separate-stderr as_root_pop3 --require-user <<'EOF2'
USER alice@example.com
PASS alicepw
STAT
QUIT
EOF2
	echo "pop3-handler: status $status, output '$output', stderr '$stderr'"
	[ "$status" -eq 100 ]
	[ -z "$output" ]
	[[ $stderr == *"refusing to run as root"*"-U"* ]]
	[ ! -e "$STORE" ]
	# -U still wins over it.
	run as_root_smtp --require-user -U nobody <<'EOF2'
QUIT
EOF2
	[ "$(codes)" = "220 221" ]
}

@test "mysmtpd and mypopd started as root with --require-user and no -U exit 100 at once, naming the problem" {
	need_root
	for prog in mysmtpd mypopd; do
		p=$(free_port)
		start=$(date +%s%N)
		run timeout 10 "$REAL_BIN/$prog" -b 127.0.0.1 "$p" \
		    --require-user -u "$USERS" -d "$STORE" -n mx.test </dev/null
		ms=$(( ($(date +%s%N) - start) / 1000000 ))
		echo "$prog: status $status after $ms ms: $output"
		[ "$status" -eq 100 ]
		[[ $output == *"refusing to run as root"*"-U"* ]]
		# At once: the check before listening, not a timeout.
		[ "$ms" -lt 5000 ]
		# Nothing was left listening.
		run python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$p"
		[ "$status" -ne 0 ]
	done
}

@test "--check says which user the sessions run as when no option names one, and why" {
	need_root
	want=$(default_user)
	for h in smtp-handler pop3-handler; do
		run --separate-stderr "$REAL_BIN/$h" --check -u "$USERS" \
		    -d "$STORE"
		echo "$h: $stderr"
		[ "$status" -eq 0 ]
		[[ $stderr == "$h: sessions run as $want: started as root without -U"* ]]
		[ "$(wc -l <<<"$stderr")" -eq 1 ]
		# -U names the user: nothing more to say.
		run --separate-stderr "$REAL_BIN/$h" --check -U nobody \
		    -u "$USERS" -d "$STORE"
		[ "$status" -eq 0 ]
		[ -z "$stderr" ]
		# Nor when it runs as the user who started it.
		chmod 644 "$USERS"
		run --separate-stderr "${AS_RUN_AS[@]}" "$REAL_BIN/$h" \
		    --check -u "$USERS" -d "$STORE"
		[ "$status" -eq 0 ]
		[ -z "$stderr" ]
	done
}

@test "--check as root warns when the session's user may not write in the store" {
	need_root
	chown root: "$STORE"
	chmod 755 "$STORE"
	run --separate-stderr "$REAL_BIN/smtp-handler" --check -U nobody \
	    -u "$USERS" -d "$STORE"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[[ $stderr == *"warning: nobody may not write in the store $STORE"* ]]
	# --check makes nothing: a missing store stays missing.
	rmdir "$STORE"
	run --separate-stderr "$REAL_BIN/smtp-handler" --check -U nobody \
	    -u "$USERS" -d "$STORE"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ ! -e "$STORE" ]
}

@test "started as root, a handler makes no store through a link put in its place" {
	need_root
	rmdir "$STORE"
	mkdir "$T/elsewhere"
	ln -s "$T/elsewhere" "$STORE"
	run as_root_smtp <<'EOF2'
EHLO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
QUIT
EOF2
	echo "$output"
	# A link to a directory is a store like any other (-d may name one),
	# but nothing is given away through it.
	[ "$(stat -c %U "$T/elsewhere")" = root ]
	# A dangling link: no store is made at its target.
	rm "$STORE"
	ln -s "$T/nowhere" "$STORE"
	run --separate-stderr as_root_smtp <<'EOF2'
QUIT
EOF2
	echo "status $status: $output / $stderr"
	[ "$status" -eq 111 ]
	[[ $output == "421 4.3.0 mx.test Service not available"* ]]
	[ ! -e "$T/nowhere" ]
}

@test "mysmtpd PORT -U nobody and mypopd PORT -U nobody, started as root, serve sessions as nobody" {
	need_root
	chmod 644 "$USERS"
	sp=$(free_port)
	pp=$(free_port)
	while [ "$pp" = "$sp" ]; do
		pp=$(free_port)
	done
	# As run.sh does: the handler's options after PORT, -U among them.
	"$REAL_BIN/mysmtpd" -b 127.0.0.1 "$sp" -U nobody -u "$USERS" \
	    -d "$STORE" -n mx.test </dev/null >"$T/mysmtpd.log" 2>&1 3>&- &
	PIDS="${PIDS:-} $!"
	"$REAL_BIN/mypopd" -b 127.0.0.1 "$pp" -U nobody -u "$USERS" \
	    -d "$STORE" -n mx.test </dev/null >"$T/mypopd.log" 2>&1 3>&- &
	PIDS="${PIDS:-} $!"
	wait_port "$sp" || { cat "$T/mysmtpd.log"; false; }
	wait_port "$pp" || { cat "$T/mypopd.log"; false; }
	# A delivery through mysmtpd, then RETR of it through mypopd.
	run timeout 30 python3 "$LIB/smtp_deliver_pop3_retr.py" "$sp" "$pp"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"stat 1 "* ]]
	[[ $output == *"Subject: through mysmtpd -U"* ]]
	# Delivered by a handler running as nobody, not as root.
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$(stat -c %U "$(message_file alice@example.com)")" = nobody ]
	[ "$(stat -c %U "$(maildir alice@example.com)")" = nobody ]
	! grep -q 'refusing' "$T/mysmtpd.log" "$T/mypopd.log"
}

# timed_smtp LINE...: one SMTP session through a pipe, a command at a
# time; prints the code of each reply (the greeting first) and the
# seconds it took, one "CODE SECONDS" line each.
timed_smtp() {
	timeout 60 python3 "$LIB/smtp_reply_times.py" "$BIN/smtp-handler" \
	    -u "$USERS" -d "$STORE" -n mx.test -- "$@"
}

@test "RCPT of an unknown user is answered after 1 s; known users, relays and bad syntax at once" {
	run timed_smtp "EHLO client" "MAIL FROM:<x@example.net>" \
	    "RCPT TO:<alice@example.com>" "RCPT TO:<nosuch@example.com>" \
	    "RCPT TO:<Bob.Smith@example.com>" "RCPT TO:<other@example.org>" \
	    "RCPT TO:<x@elsewhere.test>" "RCPT TO:<bad" "QUIT"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | cut -d' ' -f1 | paste -sd' ')" = \
	    "220 250 250 250 550 250 550 550 501 221" ]
	# line N+1 is the reply to argument N (the greeting is line 1)
	t() { printf '%s\n' "$output" | sed -n "${1}p" | cut -d' ' -f2; }
	for n in 4 6 8 9; do
		awk -v t="$(t $n)" 'BEGIN { exit !(t < 0.5) }'
	done
	for n in 5 7; do
		awk -v t="$(t $n)" 'BEGIN { exit !(t >= 1.0 && t < 2.5) }'
	done
}
