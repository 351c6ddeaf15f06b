#!/usr/bin/env bats
# The launchers: make install into a private root, the installed systemd
# units checked by systemd-analyze, the handlers and the listener run by
# systemd-socket-activate, and the project's xinetd files run by a real
# xinetd.  Every server binds a loopback port from free_port (xinetd,
# whose files ask for a dual-stack socket, every address on it), and every
# wait is bounded in rounds and seconds.

load ../lib/helper

# xinetd lives in sbin, which a user's PATH may lack.
PATH=$PATH:/usr/sbin:/sbin

UNITS="smtp-handler.socket smtp-handler@.service pop3-handler.socket
pop3-handler@.service mysmtpd.socket mysmtpd.service mypopd.socket
mypopd.service"

# need COMMAND: skip the test, saying why, if COMMAND is not installed.
need() {
	command -v "$1" >/dev/null 2>&1 ||
	    skip "$1 is not installed (Debian package: $2)"
}

# install_root [MAKE-ARGUMENT...]: make install into $T/root as a package
# would (PREFIX=/usr), with the binaries under test; ROOT names it.  B is
# the build directory, so it names the programs themselves ($REAL_BIN):
# make would build into $BIN, over the wrappers that run as $RUN_AS.
# "-o all" installs the programs under test as they are: a source changed
# since they were built must not rebuild them here, with other flags than
# the sanitizer build's.
install_root() {
	ROOT=$T/root
	env -u MAKEFLAGS -u MAKELEVEL make -s -C "$TOP" B="$REAL_BIN" -o all \
	    DESTDIR="$ROOT" PREFIX=/usr "$@" install >"$T/install.out" 2>&1 ||
	    { cat "$T/install.out"; return 1; }
}

# two_ports: two different free ports, in SMTP_PORT and POP3_PORT.
two_ports() {
	local i
	SMTP_PORT=$(free_port)
	for i in $(seq 1 20); do
		POP3_PORT=$(free_port)
		[ "$POP3_PORT" != "$SMTP_PORT" ] && return 0
	done
	return 1
}

# start COMMAND...: run a server in the background, its output in
# $T/server.log; teardown kills it.
start() {
	"$@" </dev/null >>"$T/server.log" 2>&1 3>&- &
	PIDS="${PIDS:-} $!"
}

# talk PORT: send the LF-ended script on stdin, CRLF-ended, to TCP PORT
# on 127.0.0.1, and print every byte that comes back until the server
# closes (20 s at most).
talk() {
	crlf | timeout 30 python3 "$LIB/stdin_session.py" "$1"
}

# send_mail PORT: one SMTP session to PORT that gives alice a message;
# fails unless every reply is the expected one and every line the client
# saw is an SMTP reply (no log text).
send_mail() {
	run talk "$1" <<'SMTP'
EHLO client.test
MAIL FROM:<sender@client.test>
RCPT TO:<alice@example.com>
DATA
Subject: through a launcher

Hello from the launcher test.
.
QUIT
SMTP
	printf '%s\n' "$output" >"$T/smtp.out"
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	# Every line is a reply: code, then space or dash.
	[ -z "$(tr -d '\r' <"$T/smtp.out" | grep -Ev '^[0-9]{3}[ -]')" ]
}

# fetch_mail PORT: one POP3 session to PORT that retrieves alice's only
# message; fails unless the session is exactly the replies and the bytes
# of the stored message (no log text).
fetch_mail() {
	printf 'USER alice@example.com\nPASS alicepw\nSTAT\nRETR 1\nQUIT\n' |
	    talk "$1" >"$T/pop3.out"
	[ "$(count alice@example.com)" -eq 1 ]
	pop3_wire "$(message_file alice@example.com)" >"$T/want"
	{
		head -5 "$T/pop3.out" | tr -d '\r' | sed 's/ .*//'
		pop3_block "$T/pop3.out" 5
		tail -n 2 "$T/pop3.out" | tr -d '\r' | sed 's/ .*//'
	} >"$T/got"
	{
		printf '+OK\n+OK\n+OK\n+OK\n+OK\n'
		cat "$T/want"
		printf '.\n+OK\n'
	} >"$T/expected"
	cmp "$T/expected" "$T/got"
	# Nothing else came: the whole session has exactly these lines.
	[ "$(wc -l <"$T/pop3.out")" -eq "$(wc -l <"$T/expected")" ]
}

# received_from_loopback: alice's message carries the client's address,
# as the handler learned it, in its Received header.
received_from_loopback() {
	grep -q '^Received: from client.test (\[127\.0\.0\.1\])' \
	    "$(message_file alice@example.com)"
}

@test "make install puts programs, units, xinetd files, sysusers file and man pages in DESTDIR with the paths filled in" {
	install_root
	for p in smtp-handler pop3-handler listener mysmtpd mypopd mailpasswd; do
		[ -x "$ROOT/usr/bin/$p" ]
	done
	for u in $UNITS; do
		[ -f "$ROOT/etc/systemd/system/$u" ]
	done
	[ -f "$ROOT/etc/xinetd.d/smtp-handler" ]
	[ -f "$ROOT/etc/xinetd.d/pop3-handler" ]
	[ -f "$ROOT/usr/lib/sysusers.d/mailserver.conf" ]
	for m in "$TOP"/man/*.[0-9]; do
		[ -e "$m" ] || continue
		cmp "$m" "$ROOT/usr/share/man/man${m##*.}/${m##*/}"
	done
	# No placeholder is left, and the paths are the Makefile's.
	run grep -rl '@[A-Z_]*@' "$ROOT/etc" "$ROOT/usr/lib"
	[ "$status" -eq 1 ]
	grep -qx 'ExecStart=/usr/bin/smtp-handler -u /etc/mailserver/users.txt -d /var/lib/mailserver' \
	    "$ROOT/etc/systemd/system/smtp-handler@.service"
	grep -qx 'StateDirectory=mailserver' \
	    "$ROOT/etc/systemd/system/mysmtpd.service"
	grep -Eq '^[[:space:]]*server_args[[:space:]]*= -u /etc/mailserver/users.txt -d /var/lib/mailserver$' \
	    "$ROOT/etc/xinetd.d/pop3-handler"
	[ "$(stat -c %a "$ROOT/etc/mailserver/users.txt")" = 640 ]
	[ -d "$ROOT/var/lib/mailserver" ]
}

@test "systemd-analyze verify passes the installed units with nothing on stderr" {
	need systemd-analyze systemd
	install_root
	# The units are checked inside ROOT: their programs there, and the
	# targets they name (sockets.target, sysinit.target) from the host.
	mkdir -p "$ROOT/usr/lib/systemd"
	cp -R /usr/lib/systemd/system "$ROOT/usr/lib/systemd/"
	# Documentation= pages are looked up with man(1), among the pages
	# just installed; without man-db that check is left out.
	man=--man=yes
	command -v man >/dev/null 2>&1 || man=--man=no
	status=0
	MANPATH=$ROOT/usr/share/man timeout 60 systemd-analyze verify "$man" \
	    --root="$ROOT" $UNITS >"$T/verify.out" 2>"$T/verify.err" ||
	    status=$?
	cat "$T/verify.out" "$T/verify.err"
	[ "$status" -eq 0 ]
	[ ! -s "$T/verify.err" ]
}

@test "systemd-analyze security rates every installed service no worse than the score its unit file records" {
	need systemd-analyze systemd
	install_root
	for u in smtp-handler@.service pop3-handler@.service mysmtpd.service \
	    mypopd.service; do
		want=$(sed -n 's/^# Exposure: \([0-9.]*\) .*/\1/p' \
		    "$TOP/systemd/$u.in")
		timeout 60 systemd-analyze security --offline=true \
		    --root="$ROOT" "$u" >"$T/security.out" 2>&1 || true
		got=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p' \
		    "$T/security.out")
		echo "$u: ${got:-no score}, recorded ${want:-nothing}"
		[ -n "$want" ] && [ -n "$got" ]
		awk -v got="$got" -v want="$want" \
		    'BEGIN { exit !(got + 0 <= want + 0) }'
	done
}

@test "systemd-socket-activate --inetd -a runs smtp-handler and pop3-handler per connection: mail goes in and comes out, from 127.0.0.1" {
	need systemd-socket-activate systemd
	two_ports
	start systemd-socket-activate --inetd -a -l "127.0.0.1:$SMTP_PORT" \
	    "$BIN/smtp-handler" -u "$USERS" -d "$STORE" -n mx.test
	start systemd-socket-activate --inetd -a -l "127.0.0.1:$POP3_PORT" \
	    "$BIN/pop3-handler" -u "$USERS" -d "$STORE" -n mx.test
	wait_listening "$SMTP_PORT"
	wait_listening "$POP3_PORT"
	send_mail "$SMTP_PORT"
	received_from_loopback
	fetch_mail "$POP3_PORT"
}

@test "mysmtpd and mypopd take their listening socket from systemd-socket-activate (PORT -) and report READY=1" {
	need systemd-socket-activate systemd
	two_ports
	# A datagram socket that takes what the listeners tell "systemd".
	timeout 60 python3 "$LIB/notify_log.py" "$T/notify" "$T/notify.log" 3>&- &
	PIDS="${PIDS:-} $!"
	for i in $(seq 1 50); do
		[ -S "$T/notify" ] && break
		sleep 0.1
	done
	start systemd-socket-activate -l "127.0.0.1:$SMTP_PORT" \
	    -E NOTIFY_SOCKET="$T/notify" \
	    "$BIN/mysmtpd" -c 10 -C 5 - -u "$USERS" -d "$STORE" -n mx.test
	start systemd-socket-activate -l "127.0.0.1:$POP3_PORT" \
	    -E NOTIFY_SOCKET="$T/notify" \
	    "$BIN/mypopd" -c 10 -C 5 - -u "$USERS" -d "$STORE" -n mx.test
	wait_listening "$SMTP_PORT"
	wait_listening "$POP3_PORT"
	# systemd-socket-activate runs mysmtpd at the first connection.
	run talk "$SMTP_PORT" <<<'QUIT'
	[ "$(codes)" = "220 221" ]
	send_mail "$SMTP_PORT"
	received_from_loopback
	fetch_mail "$POP3_PORT"
	# Both listeners said they were ready.
	[ "$(grep -c '^READY=1' "$T/notify.log")" -eq 2 ]
}

@test "xinetd runs the project's xinetd files: mail goes in and comes out, and clients see no log text" {
	need xinetd xinetd
	[ -e /proc/net/if_inet6 ] ||
	    skip "no IPv6 here: the xinetd files ask for a dual-stack socket"
	two_ports
	# The project's files, with only the port, the paths and the user
	# (mailsrv does not exist here) changed, and switched on.  As root
	# xinetd runs the handlers themselves as $RUN_AS, as it would run
	# them as mailsrv; otherwise as the user running the test.
	xuser=$(id -un)
	xbin=$BIN
	if [ -n "$RUN_AS" ]; then
		xuser=$RUN_AS
		xbin=$REAL_BIN
	fi
	mkdir "$T/xinetd.d"
	for p in smtp-handler pop3-handler; do
		case $p in
		smtp-handler) port=$SMTP_PORT ;;
		pop3-handler) port=$POP3_PORT ;;
		esac
		sed -e "s|@BINDIR@|$xbin|g" -e "s|@CONFDIR@/users.txt|$USERS|g" \
		    -e "s|@STATEDIR@|$STORE|g" \
		    -e "s|^\([[:space:]]*port[[:space:]]*=\).*|\1 $port|" \
		    -e "s|^\([[:space:]]*user[[:space:]]*=\).*|\1 $xuser|" \
		    -e "s|^\([[:space:]]*disable[[:space:]]*=\).*|\1 no|" \
		    "$TOP/xinetd.d/$p.in" >"$T/xinetd.d/$p"
	done
	printf 'defaults\n{\n}\nincludedir %s\n' "$T/xinetd.d" >"$T/xinetd.conf"
	# xinetd's own messages go to a file; the services log to syslog.
	start xinetd -dontfork -f "$T/xinetd.conf" \
	    -filelog "$T/xinetd.log" -pidfile "$T/xinetd.pid"
	if ! wait_listening "$SMTP_PORT" || ! wait_listening "$POP3_PORT"; then
		cat "$T/server.log" "$T/xinetd.log"
		return 1
	fi
	send_mail "$SMTP_PORT"
	grep -q '^Received: from client.test (\[\(::ffff:\)\?127\.0\.0\.1\])' \
	    "$(message_file alice@example.com)"
	fetch_mail "$POP3_PORT"
	# xinetd took both files without a complaint.
	cat "$T/xinetd.log"
	grep -q 'Started working: 2 available services' "$T/xinetd.log"
	run grep -E 'WARNING|ERROR' "$T/xinetd.log"
	[ "$status" -eq 1 ]
}

@test "make install never overwrites the users file, and uninstall leaves it and the store" {
	install_root
	[ "$(stat -c %a "$ROOT/etc/mailserver/users.txt")" = 640 ]
	cmp "$TOP/users.txt.example" "$ROOT/etc/mailserver/users.txt"
	printf 'alice@example.com secret\n' >"$ROOT/etc/mailserver/users.txt"
	chmod 600 "$ROOT/etc/mailserver/users.txt"
	mkdir -p "$ROOT/var/lib/mailserver/alice@example.com/new"
	echo mail >"$ROOT/var/lib/mailserver/alice@example.com/new/1"
	install_root
	[ "$(cat "$ROOT/etc/mailserver/users.txt")" = 'alice@example.com secret' ]
	[ "$(stat -c %a "$ROOT/etc/mailserver/users.txt")" = 600 ]
	env -u MAKEFLAGS -u MAKELEVEL make -s -C "$TOP" B="$REAL_BIN" \
	    DESTDIR="$ROOT" PREFIX=/usr uninstall
	# Only the operator's data is left, in otherwise empty directories.
	run sh -c 'find "$1" -type f | sort' sh "$ROOT"
	[ "$output" = "$ROOT/etc/mailserver/users.txt
$ROOT/var/lib/mailserver/alice@example.com/new/1" ]
	[ "$(cat "$ROOT/etc/mailserver/users.txt")" = 'alice@example.com secret' ]
}
