#!/usr/bin/env bats
# The socket units under a real systemd: a minimal Debian root, with the
# project installed by "make install DESTDIR=", booted in systemd-nspawn
# sharing this machine's network, and checked over loopback.  Needs root,
# systemd-nspawn and mmdebstrap (CI has them); about half a minute.

load ../lib/helper

bats_require_minimum_version 1.5.0

# in_root COMMAND...: run COMMAND inside the booted container.
in_root() {
	timeout 30 nsenter -t "$(cat "$BOOT/leader")" -a "$@"
}

# The container's PID 1, as this machine sees it: the child of
# systemd-nspawn that is PID 1 in its own namespace.
find_leader() {
	local p c
	# nspawn runs under timeout: look two generations down.
	for c in $(pgrep -P "$(cat "$BOOT/nspawn.pid")"); do
	for p in $c $(pgrep -P "$c"); do
		[ "$(awk '/^NSpid:/ { print $NF }' "/proc/$p/status")" = 1 ] ||
		    continue
		echo "$p"
		return 0
	done
	done
	return 1
}

# port_conf UNIT PORT: listen on 127.0.0.1:PORT instead of the unit's own.
port_conf() {
	mkdir -p "$BOOT/root/etc/systemd/system/$1.d"
	printf '[Socket]\nListenStream=\nListenStream=127.0.0.1:%s\n' "$2" \
	    >"$BOOT/root/etc/systemd/system/$1.d/port.conf"
}

# why_not: why this machine cannot run the boot, or nothing.
why_not() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "needs root"
	elif ! command -v systemd-nspawn >/dev/null; then
		echo "needs systemd-nspawn"
	elif ! command -v mmdebstrap >/dev/null; then
		echo "needs mmdebstrap"
	else
		case ${REAL_BIN:-} in
		*san*) echo "booted once, with the plain build" ;;
		esac
	fi
}

# booted: skip the test, with the reason, when there is no container.
booted() {
	if [ -n "${BOOT_SKIP:-}" ]; then
		skip "$BOOT_SKIP"
	fi
}

setup_file() {
	BOOT_SKIP=$(why_not)
	export BOOT_SKIP
	if [ -n "$BOOT_SKIP" ]; then
		return 0
	fi
	load ../lib/helper
	BOOT=$(mktemp -d /var/tmp/mailboot.XXXXXX)
	export BOOT
	# The machine's own apt sources and release; no mirror is named.
	. /etc/os-release
	sources=/etc/apt/sources.list
	[ -s /etc/apt/sources.list.d/debian.sources ] &&
	    sources=/etc/apt/sources.list.d/debian.sources
	timeout 600 mmdebstrap --quiet --variant=minbase \
	    --include=systemd,systemd-sysv,dbus,libcrypt1,libsystemd0 \
	    "$VERSION_CODENAME" "$BOOT/root" "$sources" >"$BOOT/mmdebstrap.log" 2>&1
	# The programs under test, not the wrappers in $BIN, as they are
	# ("-o all": not rebuilt here with other flags).
	make -s -C "$TOP" B="$REAL_BIN" -o all DESTDIR="$BOOT/root" PREFIX=/usr install \
	    >"$BOOT/install.log" 2>&1
	# systemd-sysusers makes mailsrv at boot from the installed file.
	printf '%s\n' 'alice@example.com alicepw' 'bob@example.org bobpw' \
	    >"$BOOT/root/etc/mailserver/users.txt"
	mkdir -p "$BOOT/root/var/log/journal"
	for u in smtp-handler pop3-handler mysmtpd mypopd; do
		free_port >"$BOOT/$u.port"
	done
	for u in smtp-handler pop3-handler mysmtpd mypopd; do
		port_conf "$u.socket" "$(cat "$BOOT/$u.port")"
	done
	mkdir -p "$BOOT/root/etc/systemd/system/sockets.target.wants"
	for u in smtp-handler pop3-handler; do
		ln -s "/etc/systemd/system/$u.socket" \
		    "$BOOT/root/etc/systemd/system/sockets.target.wants/"
	done
	SYSTEMD_LOG_LEVEL=warning timeout 300 systemd-nspawn -q -D "$BOOT/root" \
	    -b --register=no --keep-unit --console=passive \
	    >"$BOOT/console.log" 2>&1 3>&- &
	echo $! >"$BOOT/nspawn.pid"
	for i in $(seq 1 100); do
		find_leader >"$BOOT/leader" && break
		sleep 0.2
	done
	[ -s "$BOOT/leader" ]
	# Early in the boot systemctl cannot reach systemd yet: ask again.
	for i in $(seq 1 120); do
		timeout 10 nsenter -t "$(cat "$BOOT/leader")" -a \
		    systemctl is-system-running >"$BOOT/state" 2>&1 || true
		grep -qx 'running\|degraded' "$BOOT/state" && break
		sleep 0.25
	done
	# As an operator would after a DESTDIR install: the users file is
	# readable by the service user, who exists once sysusers has run.
	timeout 10 nsenter -t "$(cat "$BOOT/leader")" -a \
	    chgrp mailsrv /etc/mailserver/users.txt
}

teardown_file() {
	if [ -z "${BOOT:-}" ]; then
		return 0
	fi
	if [ -s "$BOOT/nspawn.pid" ]; then
		pid=$(cat "$BOOT/nspawn.pid")
		kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -rf "$BOOT"
}

# talk PORT LINE...: a client that reads the greeting, sends every LINE
# (CRLF added) at once, and prints all the server says until it closes.
talk() {
	timeout 30 python3 "$LIB/greeted_session.py" "$@"
}

@test "the booted system runs both sockets and a message goes in by SMTP and out by POP3" {
	booted
	grep -qx running "$BOOT/state" || grep -qx degraded "$BOOT/state"
	smtp=$(cat "$BOOT/smtp-handler.port")
	pop3=$(cat "$BOOT/pop3-handler.port")
	run talk "$smtp" 'EHLO client.test' 'MAIL FROM:<x@example.net>' \
	    'RCPT TO:<alice@example.com>' DATA 'Subject: booted' '' 'hello' . QUIT
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "220 "* ]]
	[[ "$output" == *"250 2.0.0 Ok: delivered as"* ]]
	run talk "$pop3" 'USER alice@example.com' 'PASS alicepw' 'RETR 1' QUIT
	[[ "${lines[0]}" == "+OK "* ]]
	[[ "$output" == *"Subject: booted"* ]]
	[[ "$output" == *"Received: from client.test ([127.0.0.1])"* ]]
	ls "$BOOT/root/var/lib/mailserver/alice@example.com/new/" | grep -q ,W=
}

@test "every connection gets its own service instance, with REMOTE_ADDR set" {
	booted
	smtp=$(cat "$BOOT/smtp-handler.port")
	# Two sessions held open at once.
	timeout 20 python3 "$LIB/hold_two_sessions.py" "$smtp" &
	PIDS="$PIDS $!"
	for i in $(seq 1 50); do
		n=$(in_root systemctl list-units --no-legend --state=running \
		    'smtp-handler@*' | grep -c 'smtp-handler@' || true)
		[ "$n" -ge 2 ] && break
		sleep 0.1
	done
	[ "$n" -eq 2 ]
	unit=$(in_root systemctl list-units --no-legend --state=running \
	    'smtp-handler@*' | awk '{ print $1 }' | head -1)
	pid=$(in_root systemctl show -p MainPID --value "$unit")
	# "running" comes before the exec: until then the process is
	# systemd's fork, setting up the sandbox, with systemd's environment.
	for i in $(seq 1 50); do
		[ "$(in_root cat "/proc/$pid/comm" 2>/dev/null)" = smtp-handler ] &&
		    break
		sleep 0.1
	done
	in_root cat "/proc/$pid/environ" | tr '\0' '\n' | grep -qx 'REMOTE_ADDR=127.0.0.1'
	# The hardening holds: the handler's view of the file system is
	# read-only outside the store, and it can gain no privileges.
	in_root grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$pid/status"
	in_root grep -q '^Seccomp:[[:space:]]*2' "/proc/$pid/status"
	run in_root nsenter -t "$pid" -m sh -c 'touch /etc/probe'
	[ "$status" -ne 0 ]
	run in_root nsenter -t "$pid" -m sh -c 'touch /usr/bin/probe'
	[ "$status" -ne 0 ]
	run in_root nsenter -t "$pid" -m sh -c 'touch /var/lib/mailserver/probe && rm /var/lib/mailserver/probe'
	[ "$status" -eq 0 ]
}

@test "the journal has the handlers' lines and the client saw none" {
	booted
	pop3=$(cat "$BOOT/pop3-handler.port")
	run talk "$pop3" 'USER nobody@example.com' 'PASS wrong' QUIT
	[[ "$output" != *"session end"* ]]
	[[ "$output" != *"login failed"* ]]
	for i in $(seq 1 50); do
		in_root journalctl -q --no-pager -o verbose \
		    SYSLOG_IDENTIFIER=pop3-handler >"$BOOT/journal.txt" 2>&1 || true
		grep -q 'MESSAGE=login failed' "$BOOT/journal.txt" && break
		sleep 0.1
	done
	grep -q 'MESSAGE=login failed' "$BOOT/journal.txt"
	grep -q 'RESULT=quit' "$BOOT/journal.txt"
	in_root journalctl -q --no-pager -o verbose SYSLOG_IDENTIFIER=smtp-handler |
	    grep -q 'MESSAGE=delivered'
}

@test "the Accept=no listener mode reports READY and STATUS and serves" {
	booted
	in_root systemctl stop smtp-handler.socket
	in_root systemctl start mysmtpd.socket
	port=$(cat "$BOOT/mysmtpd.port")
	run talk "$port" 'EHLO client.test' QUIT
	[[ "${lines[0]}" == "220 "* ]]
	[ "$(in_root systemctl show -p ActiveState --value mysmtpd.service)" = active ]
	[[ "$(in_root systemctl show -p StatusText --value mysmtpd.service)" == *"sessions active"* ]]
	[ "$(in_root systemctl show -p Type --value mysmtpd.service)" = notify ]
}
