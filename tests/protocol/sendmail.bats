#!/usr/bin/env bats
# sendmail(8): the command of local programs (cron, mailx, git send-email,
# PHP), a client of the handler on a Unix socket.  Every test runs a
# listener on a socket in its own directory, with an aliases file that
# sends root's mail to alice; $HOME is a directory of the test, where
# ~/dead.letter goes.  Each test checks the exit status, the stderr lines
# and exactly what is in the store and in dead.letter.  Tests that need
# root (a scratch user) skip without it.

load ../lib/helper

bats_require_minimum_version 1.5.0

eval "helper_$(declare -f setup)"
eval "helper_$(declare -f teardown)"

setup() {
	helper_setup
	SENDMAIL=$REAL_BIN/sendmail
	SOCK=$T/sendmail.sock
	export MAILSERVER_SOCKET=$SOCK
	export HOME=$T/home
	mkdir "$HOME"
	ME=$(id -un)
	MY_UID=$(id -u)
	printf 'root: alice@example.com\n' >"$T/aliases"
	SCRATCH_USER=
}

teardown() {
	if [ -n "${PIDS:-}" ]; then
		kill $PIDS 2>/dev/null || true
		wait $PIDS 2>/dev/null || true
		PIDS=
	fi
	chmod 755 "$STORE" 2>/dev/null || true
	if [ -n "$SCRATCH_USER" ]; then
		userdel "$SCRATCH_USER" 2>/dev/null || true
		groupdel "$SCRATCH_USER" 2>/dev/null || true
	fi
	helper_teardown
}

# wait_socket PATH: wait up to 5 seconds for the Unix socket PATH.
wait_socket() {
	local i
	for i in $(seq 1 50); do
		[ -S "$1" ] && return 0
		sleep 0.1
	done
	echo "no socket at $1 after 5 s" >&2
	return 1
}

# serve [OPTION...]: run a listener on $SOCK in the background whose
# handler has this test's users, store and aliases, and OPTIONs.
serve() {
	"$BIN/listener" -b "$SOCK" "$(free_port)" "$BIN/smtp-handler" \
	    -u "$USERS" -d "$STORE" -a "$T/aliases" -n mx.test "$@" \
	    </dev/null >"$T/listener.out" 2>"$T/listener.err" 3>&- &
	PIDS="${PIDS:-} $!"
	wait_socket "$SOCK"
}

# sm ARG...: the sendmail under test, bounded in time.
sm() {
	timeout 30 "$SENDMAIL" "$@"
}

# trace SENDER GIVEN [FOUND [UID]]: the fields the handler puts in front
# of the copy for GIVEN (found as FOUND, default GIVEN) of a message from
# a local program of UID (default ours), as norm leaves them.
trace() {
	printf 'Return-Path: <%s>\nX-Original-To: %s\nDelivered-To: %s\n' \
	    "$1" "$2" "${3:-$2}"
	printf 'Received: from localhost (local program, uid %s)\n' \
	    "${4:-$MY_UID}"
	printf '\tby mx.test (smtp-handler) with ESMTP id ID\n'
	printf '\tfor <%s>;\n\tDATE\n' "$2"
}

# A date as the handler and sendmail write it (RFC 5322 3.3, two-digit
# day), and as ctime writes it in an mbox From_ line.
RFC_DATE='[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} [+-][0-9]{4}'
CTIME='[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [0-9]{4}'

# norm FILE: FILE with what changes from run to run made constant: the
# id of the trace (only if it is the file's own name), the dates the
# handler and sendmail write (RFC 5322 form, two-digit day), the time and
# pid in a Message-ID sendmail made, and the date of an mbox From_ line.
norm() {
	local id
	id=$(basename "$1")
	id=${id%%,*}
	id=${id//./\\.}
	LC_ALL=C sed -E \
	    -e "s/^(\tby mx\.test \(smtp-handler\) with E?SMTP id )$id\$/\1ID/" \
	    -e "s/^(\t|Date: )$RFC_DATE\$/\1DATE/" \
	    -e 's/^(Message-ID: <)[0-9]+\.[0-9]+\.([^@>]+@example\.com>)$/\1TIME.PID.\2/' \
	    -e "s/^From ([^ ]+) $CTIME\$/From \1 DATE/" \
	    "$1"
}

# same WANT GOT: compare two files byte for byte, showing the difference.
same() {
	if ! cmp -s "$1" "$2"; then
		diff -u "$1" "$2" >&2 || true
		cmp "$1" "$2"
	fi
}

# stored ADDRESS [N]: ADDRESS's Nth message (default the first), as norm
# leaves it, is exactly stdin.
stored() {
	local f
	f=$(message_file "$1" "${2:-1}") || {
		echo "no message ${2:-1} for $1" >&2
		return 1
	}
	cat >"$T/want"
	norm "$f" >"$T/got"
	same "$T/want" "$T/got"
}

# dead_letter: ~/dead.letter, as norm leaves it, is exactly stdin.
dead_letter() {
	[ -f "$HOME/dead.letter" ] || {
		echo "no $HOME/dead.letter" >&2
		return 1
	}
	cat >"$T/want"
	norm "$HOME/dead.letter" >"$T/got"
	same "$T/want" "$T/got"
}

# no_mail: nothing was delivered to anyone.
no_mail() {
	local m
	m=$(all_messages)
	[ -z "$m" ] || {
		echo "delivered: $m" >&2
		return 1
	}
}

# stderr_is TEXT: $stderr (from run --separate-stderr) is exactly TEXT.
stderr_is() {
	[ "$stderr" = "$1" ] || {
		printf 'stderr:\n%s\nwanted:\n%s\n' "$stderr" "$1" >&2
		return 1
	}
}

# helo NAME: the trace on stdin as a session that said HELO NAME (not
# EHLO, as sendmail -bm does) gets it.
helo() {
	sed "s/^Received: from localhost /Received: from $1 /; s/ with ESMTP / with SMTP /"
}

# scratch_user: make a system user of this test's own (removed in
# teardown), SCRATCH_USER of uid SCRATCH_UID, whose home SCRATCH_HOME is
# in $T; the test's directory becomes passable (not listable) for it.
# Skips without root.
scratch_user() {
	[ "$(id -u)" -eq 0 ] || skip "needs root to make a scratch user"
	command -v useradd >/dev/null || skip "needs useradd"
	command -v setpriv >/dev/null || skip "needs setpriv"
	SCRATCH_HOME=$T/scratch-home
	SCRATCH_USER=smt$$x${BATS_TEST_NUMBER}
	useradd -r -M -U -d "$SCRATCH_HOME" -s /usr/sbin/nologin \
	    "$SCRATCH_USER"
	SCRATCH_UID=$(id -u "$SCRATCH_USER")
	[ "$SCRATCH_UID" -ne 0 ]
	[ "$SCRATCH_UID" -ne "$(id -u "$RUN_AS")" ]
	mkdir -m 700 "$SCRATCH_HOME"
	chown "$SCRATCH_USER:" "$SCRATCH_HOME"
	chmod 711 "$T"
}

# as_scratch COMMAND...: run COMMAND as the scratch user, with its own
# HOME, no supplementary groups, and this test's socket.
as_scratch() {
	timeout 30 setpriv --reuid="$SCRATCH_UID" \
	    --regid="$(id -g "$SCRATCH_USER")" --clear-groups -- \
	    env HOME="$SCRATCH_HOME" MAILSERVER_SOCKET="$SOCK" "$@"
}

# --- What local programs pass ----------------------------------------

# bats test_tags=slow
@test "cron's invocation (-i -FCronDaemon -B8BITMIME -oem root) reaches root's alias, a lone dot kept" {
	serve
	run --separate-stderr sm -i -FCronDaemon -B8BITMIME -oem root <<'EOF'
From: root (Cron Daemon)
To: root
Subject: Cron <root@host> /usr/local/bin/backup
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit
X-Cron-Env: <SHELL=/bin/sh>
X-Cron-Env: <HOME=/root>

backup: 3 files, 12 kB — ok
.
done
EOF
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	stderr_is ""
	[ "$(all_messages | wc -l)" -eq 1 ]
	{ trace "$ME@example.com" root@example.com; cat <<EOF; } | stored alice@example.com
Date: DATE
Message-ID: <TIME.PID.$ME@example.com>
From: root (Cron Daemon)
To: root
Subject: Cron <root@host> /usr/local/bin/backup
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit
X-Cron-Env: <SHELL=/bin/sh>
X-Cron-Env: <HOME=/root>

backup: 3 files, 12 kB — ok
.
done
EOF
}

# bats test_tags=slow
@test "cron's invocation on a message without From: adds From: CronDaemon, Date and Message-ID" {
	serve
	run --separate-stderr sm -i -FCronDaemon -B8BITMIME -oem root <<'EOF'
Subject: Cron <root@host> true

ok
EOF
	[ "$status" -eq 0 ]
	stderr_is ""
	[ "$(all_messages | wc -l)" -eq 1 ]
	{ trace "$ME@example.com" root@example.com; cat <<EOF; } | stored alice@example.com
From: CronDaemon <$ME@example.com>
Date: DATE
Message-ID: <TIME.PID.$ME@example.com>
Subject: Cron <root@host> true

ok
EOF
}

# bats test_tags=slow
@test "PHPMailer's invocation (-oi -fSENDER -t): CRLF message, recipients from To, stored with LF" {
	serve
	printf '%s\r\n' \
	    'Date: Fri, 4 Dec 2026 09:00:00 +0000' \
	    'To: Bob Smith <bob.smith@example.com>' \
	    'From: Shop <app@example.com>' \
	    'Subject: Your order' \
	    'Message-ID: <abc123@shop.example.com>' \
	    'X-Mailer: PHPMailer 6.9.1 (https://github.com/PHPMailer/PHPMailer)' \
	    'MIME-Version: 1.0' \
	    'Content-Type: text/plain; charset=us-ascii' \
	    '' \
	    'Thank you.' \
	    '.' \
	    '.hidden' \
	    'Bye' >"$T/php"
	run --separate-stderr sm -oi -fapp@example.com -t <"$T/php"
	[ "$status" -eq 0 ]
	stderr_is ""
	[ "$(all_messages | wc -l)" -eq 1 ]
	{ trace app@example.com bob.smith@example.com Bob.Smith@Example.COM; cat <<'EOF'; } | stored Bob.Smith@Example.COM
Date: Fri, 4 Dec 2026 09:00:00 +0000
To: Bob Smith <bob.smith@example.com>
From: Shop <app@example.com>
Subject: Your order
Message-ID: <abc123@shop.example.com>
X-Mailer: PHPMailer 6.9.1 (https://github.com/PHPMailer/PHPMailer)
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Thank you.
.
.hidden
Bye
EOF
}

# bats test_tags=slow
@test "mail -s subject root through a real mailx (s-nail) configured to call it" {
	command -v s-nail >/dev/null || skip "needs s-nail (deps.sh test)"
	serve
	mkdir "$T/bin"
	ln -s "$(command -v s-nail)" "$T/bin/mail"
	printf 'set mta=%s\nset sendwait\n' "$SENDMAIL" >"$T/mailrc"
	echo 'Disk /var is 91% full.' >"$T/in"
	run --separate-stderr env PATH="$T/bin:$PATH" MAILRC="$T/mailrc" \
	    MAILX_NO_SYSTEM_RC=1 timeout 30 mail -s 'disk report' root <"$T/in"
	[ "$status" -eq 0 ]
	stderr_is ""
	[ "$(all_messages | wc -l)" -eq 1 ]
	f=$(message_file alice@example.com)
	sed -E 's/^User-Agent: s-nail v[0-9.]+$/User-Agent: s-nail VERSION/' \
	    "$f" >"$f.tmp"
	mv "$f.tmp" "$f"
	{ trace "$ME@example.com" root@example.com; cat <<EOF; } | stored alice@example.com
From: <$ME@example.com>
Message-ID: <TIME.PID.$ME@example.com>
Date: DATE
To: root
Subject: disk report
User-Agent: s-nail VERSION

Disk /var is 91% full.
EOF
}

# bats test_tags=slow
@test "git send-email --sendmail-cmd delivers a patch, -f from --envelope-sender" {
	command -v git >/dev/null || skip "needs git"
	[ -x "$(git --exec-path)/git-send-email" ] ||
	    skip "needs git send-email (git-email, deps.sh test)"
	git send-email -h 2>&1 | grep -q -- --sendmail-cmd ||
	    skip "needs git 2.33 or later for --sendmail-cmd"
	serve
	export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
	export GIT_AUTHOR_NAME='Ann Dev' GIT_AUTHOR_EMAIL=alice@example.com
	export GIT_COMMITTER_NAME='Ann Dev' GIT_COMMITTER_EMAIL=alice@example.com
	export GIT_AUTHOR_DATE='2026-12-01T10:00:00Z' GIT_COMMITTER_DATE='2026-12-01T10:00:00Z'
	git init -q "$T/repo"
	echo hi >"$T/repo/README"
	git -C "$T/repo" add README
	git -C "$T/repo" commit -q -m 'Fix the frobnicator'
	git -C "$T/repo" format-patch -q -1 -o "$T/patches"
	run --separate-stderr timeout 60 git -C "$T/repo" send-email \
	    --sendmail-cmd="$SENDMAIL" --envelope-sender=alice@example.com \
	    --to=carol@example.org --suppress-cc=all --confirm=never --quiet \
	    "$T"/patches/0001-*.patch
	[ "$status" -eq 0 ]
	[ "$output" = "Sent [PATCH] Fix the frobnicator" ]
	stderr_is ""
	[ "$(all_messages | wc -l)" -eq 1 ]
	version=$(git version | sed 's/^git version //')
	# git's dates have a day of one digit after two spaces.
	git_date='[A-Z][a-z]{2}, [ 0-9][0-9] [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} [+-][0-9]{4}'
	f=$(message_file carol@example.org)
	LC_ALL=C sed -E \
	    -e "s/^Date: $git_date\$/Date: GITDATE/" \
	    -e 's/^(Message-Id: <)[0-9]{14}\.[0-9]+(-1-alice@example\.com>)$/\1STAMP\2/' \
	    "$f" >"$f.tmp"
	mv "$f.tmp" "$f"
	{
		trace alice@example.com carol@example.org
		cat <<EOF
From: Ann Dev <alice@example.com>
To: carol@example.org
Subject: [PATCH] Fix the frobnicator
Date: GITDATE
Message-Id: <STAMP-1-alice@example.com>
X-Mailer: git-send-email $version
MIME-Version: 1.0
Content-Transfer-Encoding: 8bit

EOF
		# The patch's body, after its header.
		sed '1,/^$/d' "$T"/patches/0001-*.patch
	} | stored carol@example.org
}

# --- Options -------------------------------------------------------------

# bats test_tags=slow
@test "-t takes To, Cc, a folded Bcc and the command line; no copy shows the Bcc" {
	serve
	run --separate-stderr sm -t erin@example.net <<'EOF'
From: Ops <ops@example.com>
To: Alice <alice@example.com>
Cc: "Smith, Bob" <bob.smith@example.com>
Bcc: carol@example.org,
 Dave <dave@example.org>
Subject: -t
Date: Fri, 04 Dec 2026 10:00:00 +0000
Message-ID: <t@example.com>

hello
EOF
	[ "$status" -eq 0 ]
	stderr_is ""
	[ "$(all_messages | wc -l)" -eq 5 ]
	cat >"$T/rest" <<'EOF'
From: Ops <ops@example.com>
To: Alice <alice@example.com>
Cc: "Smith, Bob" <bob.smith@example.com>
Subject: -t
Date: DATE
Message-ID: <t@example.com>

hello
EOF
	{ trace "$ME@example.com" erin@example.net; cat "$T/rest"; } | stored erin@example.net
	{ trace "$ME@example.com" alice@example.com; cat "$T/rest"; } | stored alice@example.com
	{ trace "$ME@example.com" bob.smith@example.com Bob.Smith@Example.COM; cat "$T/rest"; } | stored Bob.Smith@Example.COM
	{ trace "$ME@example.com" carol@example.org; cat "$T/rest"; } | stored carol@example.org
	{ trace "$ME@example.com" dave@example.org; cat "$T/rest"; } | stored dave@example.org
}

# bats test_tags=slow
@test "without -i a lone dot ends the message (LF or CRLF), and dotted lines stay" {
	serve
	printf 'Subject: dot\n\nfirst\n.x\n..two\n.\nafter the dot\n' >"$T/in"
	run --separate-stderr sm alice@example.com <"$T/in"
	[ "$status" -eq 0 ]
	stderr_is ""
	printf 'Subject: dot crlf\r\n\r\nfirst\r\n.\r\nafter\r\n' >"$T/in"
	run --separate-stderr sm bob.smith@example.com <"$T/in"
	[ "$status" -eq 0 ]
	stderr_is ""
	[ "$(all_messages | wc -l)" -eq 2 ]
	{ trace "$ME@example.com" alice@example.com; cat <<EOF; } | stored alice@example.com
From: <$ME@example.com>
Date: DATE
Message-ID: <TIME.PID.$ME@example.com>
Subject: dot

first
.x
..two
EOF
	{ trace "$ME@example.com" bob.smith@example.com Bob.Smith@Example.COM; cat <<EOF; } | stored Bob.Smith@Example.COM
From: <$ME@example.com>
Date: DATE
Message-ID: <TIME.PID.$ME@example.com>
Subject: dot crlf

first
EOF
}

# bats test_tags=slow
@test "with -i (and -oi) a lone dot is content" {
	serve
	printf 'Subject: dot\n\nfirst\n.\n..two\nlast\n.\n' >"$T/in"
	run --separate-stderr sm -i alice@example.com <"$T/in"
	[ "$status" -eq 0 ]
	stderr_is ""
	printf 'Subject: dot\n\n.\n' >"$T/in"
	run --separate-stderr sm -oi carol@example.org <"$T/in"
	[ "$status" -eq 0 ]
	stderr_is ""
	{ trace "$ME@example.com" alice@example.com; cat <<EOF; } | stored alice@example.com
From: <$ME@example.com>
Date: DATE
Message-ID: <TIME.PID.$ME@example.com>
Subject: dot

first
.
..two
last
.
EOF
	{ trace "$ME@example.com" carol@example.org; cat <<EOF; } | stored carol@example.org
From: <$ME@example.com>
Date: DATE
Message-ID: <TIME.PID.$ME@example.com>
Subject: dot

.
EOF
}

# bats test_tags=slow
@test "a message with no header (echo hello | sendmail root) gets the blank line before its body" {
	serve
	echo hello >"$T/in"
	run --separate-stderr sm root <"$T/in"
	[ "$status" -eq 0 ]
	stderr_is ""
	{ trace "$ME@example.com" root@example.com; cat <<EOF; } | stored alice@example.com
From: <$ME@example.com>
Date: DATE
Message-ID: <TIME.PID.$ME@example.com>

hello
EOF
}

# bats test_tags=slow
@test "-f and -F: a bare sender is qualified, the From: added names both" {
	serve
	printf 'Subject: f\n\nx\n' >"$T/in"
	run --separate-stderr sm -f www-data -F 'Web Server' postmaster <"$T/in"
	[ "$status" -eq 0 ]
	stderr_is ""
	# postmaster is the users file's first user.
	{ trace www-data@example.com postmaster alice@example.com; cat <<EOF; } | stored alice@example.com
From: Web Server <www-data@example.com>
Date: DATE
Message-ID: <TIME.PID.$ME@example.com>
Subject: f

x
EOF
}

# bats test_tags=slow
@test "Postfix's other options are accepted and ignored; -bi and -q do nothing" {
	serve
	printf 'Subject: opts\n\nx\n' >"$T/in"
	run --separate-stderr sm -oee -odb -odi -oem -oX -N never \
	    -R hdrs -V envid -U -B 7BIT -C /nonexistent -L label -h 17 \
	    -p smtp -e m -x -n -m -G -I -c -A m -O Foo=bar -X /nonexistent \
	    -bm -- alice@example.com <"$T/in"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	stderr_is ""
	{ trace "$ME@example.com" alice@example.com; cat <<EOF; } | stored alice@example.com
From: <$ME@example.com>
Date: DATE
Message-ID: <TIME.PID.$ME@example.com>
Subject: opts

x
EOF
	run --separate-stderr sm -bi </dev/null
	[ "$status" -eq 0 ]
	stderr_is ""
	run --separate-stderr sm -q </dev/null
	[ "$status" -eq 0 ]
	stderr_is ""
	[ "$(all_messages | wc -l)" -eq 1 ]
}

# bats test_tags=slow
@test "an unknown option or -b mode is 64 (EX_USAGE), and nothing is sent" {
	serve
	printf 'Subject: x\n\nx\n' >"$T/in"
	run --separate-stderr sm -Z alice@example.com <"$T/in"
	[ "$status" -eq 64 ]
	stderr_is "sendmail: unknown option -Z (see --help)"
	printf 'Subject: x\n\nx\n' >"$T/in"
	run --separate-stderr sm -bp <"$T/in"
	[ "$status" -eq 64 ]
	stderr_is "sendmail: -bp is not supported: only -bm, -bs and -bi"
	no_mail
	[ ! -e "$HOME/dead.letter" ]
}

# bats test_tags=slow
@test "-v shows the SMTP dialogue on stderr" {
	serve
	printf 'Subject: v\n\nx\n' >"$T/in"
	run --separate-stderr sm -v alice@example.com <"$T/in"
	[ "$status" -eq 0 ]
	[ "$(count alice@example.com)" -eq 1 ]
	id=$(basename "$(message_file alice@example.com)")
	id=${id%%,*}
	printf '%s\n' "$stderr" | grep '^>>> ' |
	    LC_ALL=C sed -E \
	    -e "s/^(>>> Date: )$RFC_DATE\$/\1DATE/" \
	    -e 's/^(>>> Message-ID: <)[0-9]+\.[0-9]+\./\1TIME.PID./' >"$T/got"
	cat >"$T/want" <<EOF
>>> EHLO localhost
>>> MAIL FROM:<$ME>
>>> RCPT TO:<alice@example.com>
>>> DATA
>>> From: <$ME@example.com>
>>> Date: DATE
>>> Message-ID: <TIME.PID.$ME@example.com>
>>> (the message, 14 octets)
>>> .
>>> QUIT
EOF
	same "$T/want" "$T/got"
	printf '%s\n' "$stderr" | grep -Fx '<<< 220 mx.test ESMTP ready'
	printf '%s\n' "$stderr" | grep -Fx "<<< 250 2.1.0 <$ME@example.com> Sender ok"
	printf '%s\n' "$stderr" | grep -Fx '<<< 250 2.1.5 Recipient ok'
	printf '%s\n' "$stderr" | grep -Fx "<<< 250 2.0.0 Ok: delivered as $id"
	printf '%s\n' "$stderr" | grep -Fx '<<< 221 2.0.0 Bye'
}

# bats test_tags=slow
@test "-bs is an SMTP session with the handler, bare names taken as local" {
	serve
	printf '%s\r\n' 'HELO me' 'MAIL FROM:<root>' 'RCPT TO:<root>' DATA \
	    'Subject: bs' '' 'body' '..dot' . QUIT >"$T/in"
	run --separate-stderr sm -bs <"$T/in"
	[ "$status" -eq 0 ]
	stderr_is ""
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(reply 3)" = "250 2.1.0 <root@example.com> Sender ok" ]
	trace root@example.com root@example.com | helo me >"$T/expect"
	printf 'Subject: bs\n\nbody\n.dot\n' >>"$T/expect"
	stored alice@example.com <"$T/expect"
}

# bats test_tags=slow
@test "mysmtpd -b PATH serves sendmail, with the aliases beside users.txt" {
	port=$(free_port)
	(cd "$T" && exec "$BIN/mysmtpd" -b "$SOCK" "$port" -n mx.test \
	    </dev/null >"$T/mysmtpd.out" 2>"$T/mysmtpd.err" 3>&-) &
	PIDS="${PIDS:-} $!"
	wait_socket "$SOCK"
	[ "$(stat -c %a "$SOCK")" = 666 ]
	# The socket alone: -b took the place of every TCP address.
	not_listening "$port"
	printf 'Subject: m\n\nx\n' >"$T/in"
	run --separate-stderr sm root <"$T/in"
	[ "$status" -eq 0 ]
	stderr_is ""
	{ trace "$ME@example.com" root@example.com; cat <<EOF; } | stored alice@example.com
From: <$ME@example.com>
Date: DATE
Message-ID: <TIME.PID.$ME@example.com>
Subject: m

x
EOF
}

# --- Refusals and failures: nothing lost ---------------------------------

# bats test_tags=slow
@test "a remote recipient is refused: 67, nothing delivered to anyone, kept in dead.letter" {
	serve
	run --separate-stderr sm alice@example.com someone@remote.test <<'EOF'
Subject: to a remote

body
From the start of a line
EOF
	[ "$status" -eq 67 ]
	stderr_is "sendmail: someone@remote.test: 550 5.7.1 Relaying denied
sendmail: nothing was delivered, to anyone; the message is kept in $HOME/dead.letter"
	no_mail
	dead_letter <<EOF
From $ME DATE
Subject: to a remote

body
>From the start of a line

EOF
}

# bats test_tags=slow
@test "an unknown user is 67 (EX_NOUSER), and the known one gets nothing either" {
	serve
	printf 'Subject: u\n\nx\n' >"$T/in"
	run --separate-stderr sm alice@example.com nosuch <"$T/in"
	[ "$status" -eq 67 ]
	stderr_is "sendmail: nosuch: 550 5.1.1 No such user here
sendmail: nothing was delivered, to anyone; the message is kept in $HOME/dead.letter"
	no_mail
	dead_letter <<EOF
From $ME DATE
Subject: u

x

EOF
}

# bats test_tags=slow
@test "no recipients is 64 (EX_USAGE): a message read is kept, none read is not" {
	serve
	printf 'Subject: none\n\nx\n' >"$T/in"
	run --separate-stderr sm <"$T/in"
	[ "$status" -eq 64 ]
	stderr_is "sendmail: no recipients (give them, or -t); the message is kept in $HOME/dead.letter"
	printf 'Subject: none either\nBcc:\n\ny\n' >"$T/in"
	run --separate-stderr sm -t <"$T/in"
	[ "$status" -eq 64 ]
	stderr_is "sendmail: no recipients in To, Cc or Bcc; the message is kept in $HOME/dead.letter"
	run --separate-stderr sm </dev/null
	[ "$status" -eq 64 ]
	stderr_is "sendmail: no recipients (give them, or -t)"
	no_mail
	dead_letter <<EOF
From $ME DATE
Subject: none

x

From $ME DATE
Subject: none either

y

EOF
}

# bats test_tags=slow
@test "a message over the handler's size limit (-s) is 69, nothing stored, kept in dead.letter" {
	serve -s 1000
	{ printf 'Subject: big\n\n'; chars 1200 x; printf '\n'; } >"$T/big"
	run --separate-stderr sm alice@example.com <"$T/big"
	[ "$status" -eq 69 ]
	stderr_is "sendmail: 552 5.3.4 Message too big, not delivered
sendmail: the message was not delivered; the message is kept in $HOME/dead.letter"
	no_mail
	[ -z "$(tmp_files)" ]
	{ printf 'From %s DATE\n' "$ME"; cat "$T/big"; printf '\n'; } >"$T/want.dead"
	dead_letter <"$T/want.dead"
}

# bats test_tags=slow
@test "a full mailbox (-q) is 75 (EX_TEMPFAIL), the other recipient gets nothing, kept in dead.letter" {
	serve -q 500
	{ printf 'Subject: old\n\n'; chars 600 o; printf '\n'; } >"$T/old"
	pop3_drop alice@example.com <"$T/old" >/dev/null
	printf 'Subject: new\n\nx\n' >"$T/in"
	run --separate-stderr sm bob.smith@example.com alice@example.com <"$T/in"
	[ "$status" -eq 75 ]
	stderr_is "sendmail: alice@example.com: 452 4.2.2 Mailbox full, try again later
sendmail: nothing was delivered, to anyone; the message is kept in $HOME/dead.letter"
	[ "$(all_messages | wc -l)" -eq 1 ]
	cmp "$T/old" "$(message_file alice@example.com)"
	dead_letter <<EOF
From $ME DATE
Subject: new

x

EOF
}

# bats test_tags=slow
@test "no server at the socket is 75, each message appended to dead.letter; --socket beats the environment" {
	serve
	printf 'Subject: one\n\nfirst\n' >"$T/in"
	run --separate-stderr sm --socket "$T/absent.sock" alice@example.com <"$T/in"
	[ "$status" -eq 75 ]
	stderr_is "sendmail: unable to reach the mail server at $T/absent.sock: No such file or directory; the message is kept in $HOME/dead.letter"
	printf 'Subject: two\n\nsecond\n' >"$T/in"
	run --separate-stderr env MAILSERVER_SOCKET="$T/absent.sock" \
	    timeout 30 "$SENDMAIL" alice@example.com <"$T/in"
	[ "$status" -eq 75 ]
	stderr_is "sendmail: unable to reach the mail server at $T/absent.sock: No such file or directory; the message is kept in $HOME/dead.letter"
	no_mail
	[ "$(stat -c %a "$HOME/dead.letter")" = 600 ]
	dead_letter <<EOF
From $ME DATE
Subject: one

first

From $ME DATE
Subject: two

second

EOF
}

# bats test_tags=slow
@test "a store the handler cannot write is 75, nothing stored, kept in dead.letter" {
	serve
	chmod 555 "$STORE"
	printf 'Subject: ro\nBcc: carol@example.org\n\nx\n' >"$T/in"
	run --separate-stderr sm -t alice@example.com <"$T/in"
	[ "$status" -eq 75 ]
	stderr_is "sendmail: 451 4.3.0 Temporary failure storing message, try again later
sendmail: the mail server refused DATA; the message is kept in $HOME/dead.letter"
	chmod 755 "$STORE"
	no_mail
	[ -z "$(ls -A "$STORE")" ]
	# dead.letter keeps what would have been stored: no Bcc.
	dead_letter <<EOF
From $ME DATE
Subject: ro

x

EOF
}

@test "when dead.letter cannot be written either, stderr says so" {
	HOME=$T/nonexistent
	printf 'Subject: lost\n\nx\n' >"$T/in"
	run --separate-stderr sm alice@example.com <"$T/in"
	[ "$status" -eq 75 ]
	stderr_is "sendmail: unable to reach the mail server at $SOCK: No such file or directory, and the message could not be kept in $T/nonexistent/dead.letter: No such file or directory"
	[ ! -e "$T/nonexistent" ]
}

# --- Privilege: a local user other than the store's owner ---------------

# bats test_tags=slow
@test "as a scratch user, the trace names its uid, whatever -f or a forged Received says" {
	scratch_user
	serve
	[ ! -u "$SENDMAIL" ] && [ ! -g "$SENDMAIL" ]
	printf '%s\n' 'Received: from localhost (local program, uid 0)' \
	    '	by mx.test (smtp-handler) with ESMTP id forged' \
	    '	for <alice@example.com>;' \
	    '	Thu, 1 Jan 2026 00:00:00 +0000' \
	    'Subject: forged' '' 'x' >"$T/forged"
	run --separate-stderr as_scratch "$SENDMAIL" -f alice@example.com \
	    alice@example.com <"$T/forged"
	[ "$status" -eq 0 ]
	stderr_is ""
	{
		trace alice@example.com alice@example.com alice@example.com "$SCRATCH_UID"
		cat <<EOF
From: <alice@example.com>
Date: DATE
Message-ID: <TIME.PID.$SCRATCH_USER@example.com>
EOF
		cat "$T/forged"
	} | stored alice@example.com
	# A session of its own (-bs) cannot name another uid either.
	printf '%s\r\n' 'HELO uid0' 'MAIL FROM:<root>' \
	    'RCPT TO:<carol@example.org>' DATA 'Subject: bs' '' 'y' . QUIT >"$T/in"
	run --separate-stderr as_scratch "$SENDMAIL" -bs <"$T/in"
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	{
		trace root@example.com carol@example.org carol@example.org \
		    "$SCRATCH_UID" | helo uid0
		printf 'Subject: bs\n\ny\n'
	} | stored carol@example.org
}

# bats test_tags=slow
@test "as a scratch user, sendmail reaches the socket but not the store; dead.letter is its own" {
	scratch_user
	serve
	printf 'Subject: s\n\nx\n' >"$T/in"
	run --separate-stderr as_scratch "$SENDMAIL" alice@example.com <"$T/in"
	[ "$status" -eq 0 ]
	f=$(message_file alice@example.com)
	# The user cannot read the message, nor write in the store, its
	# mailboxes or the socket's directory.
	run as_scratch cat "$f"
	[ "$status" -ne 0 ]
	run as_scratch ls "$(maildir alice@example.com)/new"
	[ "$status" -ne 0 ]
	run as_scratch touch "$STORE/x"
	[ "$status" -ne 0 ]
	run as_scratch mkdir "$STORE/evil@example.com"
	[ "$status" -ne 0 ]
	run as_scratch touch "$(maildir alice@example.com)/new/x"
	[ "$status" -ne 0 ]
	run as_scratch touch "$T/x"
	[ "$status" -ne 0 ]
	[ "$(all_messages | wc -l)" -eq 1 ]
	[ ! -e "$STORE/x" ] && [ ! -e "$STORE/evil@example.com" ] && [ ! -e "$T/x" ]
	# What it cannot deliver goes to its own home, as its own file.
	printf 'Subject: d\n\ny\n' >"$T/in"
	run --separate-stderr as_scratch "$SENDMAIL" --socket "$T/absent.sock" \
	    alice@example.com <"$T/in"
	[ "$status" -eq 75 ]
	stderr_is "sendmail: unable to reach the mail server at $T/absent.sock: No such file or directory; the message is kept in $SCRATCH_HOME/dead.letter"
	[ "$(stat -c '%u %a' "$SCRATCH_HOME/dead.letter")" = "$SCRATCH_UID 600" ]
	# And nothing else of the test's belongs to it.
	[ "$(find "$T" -user "$SCRATCH_USER" | sort)" = \
	    "$(printf '%s\n' "$SCRATCH_HOME" "$SCRATCH_HOME/dead.letter")" ]
}
