#!/usr/bin/env bats
# The listener (a small tcpserver) and its mysmtpd and mypopd forms.  Every
# listener binds loopback on a port from free_port, and every wait here is
# bounded in rounds and seconds.

load ../lib/helper

bats_require_minimum_version 1.5.0

# Keep the helper's teardown; first stop what the test started and
# unmount what it mounted (the store's mounts are busy while a session
# holds a file in them).
eval "helper_$(declare -f teardown)"

teardown() {
	local m
	if [ -n "${PIDS:-}" ]; then
		kill $PIDS 2>/dev/null || true
		wait $PIDS 2>/dev/null || true
		PIDS=
	fi
	for m in ${MOUNTS:-}; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	helper_teardown
}

# prog NAME BODY: an executable shell script $T/NAME running BODY.
prog() {
	printf '#!/bin/sh\n%s\n' "$2" >"$T/$1"
	chmod +x "$T/$1"
}

# start COMMAND...: run a listener in the background with its stdout in
# $T/out and its stderr in $T/err; its pid is $LPID, and teardown kills it.
start() {
	"$@" </dev/null >"$T/out" 2>"$T/err" 3>&- &
	LPID=$!
	PIDS="${PIDS:-} $LPID"
}

# wait_file FILE: wait up to 10 seconds for FILE to exist.
wait_file() {
	local i
	for i in $(seq 1 100); do
		if [ -e "$1" ]; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# state PID: the process state letter of PID (Z for a zombie), or nothing
# once it is gone.
state() {
	sed 's/.*) //; s/ .*//' "/proc/$1/stat" 2>/dev/null || true
}

# wait_exit PID: wait up to 5 seconds for the background job PID to end,
# then collect it; its exit status is left in $status.
wait_exit() {
	local i s
	for i in $(seq 1 50); do
		s=$(state "$1")
		if [ -z "$s" ] || [ "$s" = Z ]; then
			status=0
			wait "$1" || status=$?
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# children PID: "pid state" for every child process of PID.
children() {
	python3 "$LIB/child_states.py" "$1"
}

# client [--greet] HOST PORT [DATA...]: connect to HOST PORT, with
# --greet wait for the first line, send each DATA as it is, half-close,
# and print all the server sends until it closes (at most 10 seconds).
# The client's own port is written to $T/cport.
client() {
	python3 "$LIB/half_close_client.py" "$T/cport" "$@"
}

# hold HOST PORT FIRST LATER: a client for the background.  It sends
# FIRST, puts the first line of the reply in $T/held, waits for
# $T/release (at most 10 seconds), sends LATER, half-closes and puts all
# it got in $T/done.
hold() {
	python3 "$LIB/held_client.py" "$@" "$T" </dev/null >/dev/null \
	    2>"$T/hold.err" 3>&- &
	PIDS="${PIDS:-} $!"
}

# has_ipv6: whether this host can bind the IPv6 loopback.
has_ipv6() {
	python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null
}

# need_handler NAME: fail the test, saying so, unless $BIN/NAME is built.
need_handler() {
	[ -x "$BIN/$1" ] || { echo "$BIN/$1 is not built"; return 1; }
}

# quiet: the listener wrote nothing on its stdout and stderr.
quiet() {
	[ ! -s "$T/out" ] && [ ! -s "$T/err" ]
}

# Usage

@test "listener without arguments is a usage error" {
	run timeout 10 "$BIN/listener"
	[ "$status" -eq 100 ]
	[[ "$output" == *"listener: missing PORT"* ]]
}

@test "a PORT that is not 1 to 65535 in decimal is a usage error" {
	prog hello 'echo hello'
	for p in 0 65536 abc "" 80x " 80" +80 0x50 99999999999999999999999; do
		run timeout 10 "$BIN/listener" -b 127.0.0.1 "$p" "$T/hello"
		echo "port '$p': $status $output"
		[ "$status" -eq 100 ]
		[[ "$output" == *"bad port: $p"* ]]
	done
}

@test "an unknown option is a usage error" {
	prog hello 'echo hello'
	for o in -z --bogus -1; do
		run timeout 10 "$BIN/listener" "$o" 2525 "$T/hello"
		echo "option $o: $status $output"
		[ "$status" -eq 100 ]
		[[ "$output" == *"unknown option $o"* ]]
	done
}

@test "bad -b, -c and -m values and a missing PROGRAM are usage errors" {
	prog hello 'echo hello'
	p=$(free_port)
	run timeout 10 "$BIN/listener" -c 0 "$p" "$T/hello"
	[ "$status" -eq 100 ]
	[[ "$output" == *"bad session limit: 0"* ]]
	run timeout 10 "$BIN/listener" -c 10001 "$p" "$T/hello"
	[ "$status" -eq 100 ]
	[[ "$output" == *"bad session limit"* ]]
	run timeout 10 "$BIN/listener" -c 1x "$p" "$T/hello"
	[ "$status" -eq 100 ]
	run timeout 10 "$BIN/listener" -b localhost "$p" "$T/hello"
	[ "$status" -eq 100 ]
	[[ "$output" == *"not a numeric IP address or the path of a Unix socket: localhost"* ]]
	run timeout 10 "$BIN/listener" -b 127.1 "$p" "$T/hello"
	[ "$status" -eq 100 ]
	run timeout 10 "$BIN/listener" -b 127.0.0.1 -b 127.0.0.2 \
	    -b 127.0.0.3 -b 127.0.0.4 -b 127.0.0.5 -b 127.0.0.6 -b 127.0.0.7 \
	    -b 127.0.0.8 -b 127.0.0.9 "$p" "$T/hello"
	[ "$status" -eq 100 ]
	[[ "$output" == *"at most 8"* ]]
	run timeout 10 "$BIN/listener" -m $'two\r\nlines' "$p" "$T/hello"
	[ "$status" -eq 100 ]
	[[ "$output" == *"one line"* ]]
	run timeout 10 "$BIN/listener" -c
	[ "$status" -eq 100 ]
	[[ "$output" == *"-c needs an argument"* ]]
	for x in localhost 127.0.0.1/33 10.0.0.1/8 "" , 127.0.0.1, 1.2.3.4/x; do
		run timeout 10 "$BIN/listener" -x "$x" "$p" "$T/hello"
		echo "-x '$x': $status $output"
		[ "$status" -eq 100 ]
		[[ "$output" == *"bad -x list: $x "* ]]
	done
	run timeout 10 "$BIN/listener" \
	    -x "$(seq -f '10.0.0.%g' -s, 1 20)" \
	    -x "$(seq -f '10.0.1.%g' -s, 1 13)" "$p" "$T/hello"
	[ "$status" -eq 100 ]
	[[ "$output" == *"at most 32"* ]]
	run timeout 10 "$BIN/listener" "$p"
	[ "$status" -eq 100 ]
	[[ "$output" == *"missing PROGRAM"* ]]
	not_listening "$p"
}

@test "a PROGRAM that cannot be run stops the listener at start" {
	printf 'echo hello\n' >"$T/plain"
	p=$(free_port)
	run timeout 10 "$BIN/listener" -b 127.0.0.1 "$p" "$T/plain"
	[ "$status" -eq 100 ]
	[[ "$output" == *"unable to run $T/plain: Permission denied"* ]]
	run timeout 10 "$BIN/listener" -b 127.0.0.1 "$p" "$T/nothing"
	[ "$status" -eq 100 ]
	[[ "$output" == *"No such file"* ]]
}

@test "--help and -h print the usage on stdout and exit 0" {
	for o in --help -h; do
		run sh -c '"$1" "$2" 2>/dev/null' sh "$BIN/listener" "$o"
		[ "$status" -eq 0 ]
		[ "${lines[0]}" = "usage: listener [-b ADDR]... [-c MAX] [-C MAX] [-m TEXT] [-s] [-x LIST] PORT" ]
		[ "${lines[1]}" = "       PROGRAM [ARG...]" ]
		[[ "$output" == *"-m TEXT"* ]]
		[[ "$output" == *"-s  "*"--handoff"* ]]
	done
}

@test "a port in use makes the listener exit 111 naming address and port" {
	prog hello 'echo hello'
	p=$(free_port)
	start "$BIN/listener" -b 127.0.0.1 "$p" "$T/hello"
	wait_listening "$p"
	run timeout 10 "$BIN/listener" -b 127.0.0.1 "$p" "$T/hello"
	[ "$status" -eq 111 ]
	[[ "$output" == *"listener: fatal: unable to bind 127.0.0.1 port $p: Address already in use"* ]]
}

# Sessions

@test "listener runs PROGRAM with its arguments for each connection" {
	prog hello 'echo "hello $TCPREMOTEIP $1 $2"'
	p=$(free_port)
	start "$BIN/listener" -b 127.0.0.1 "$p" "$T/hello" big world
	wait_listening "$p"
	for i in 1 2 3; do
		run client 127.0.0.1 "$p"
		[ "$status" -eq 0 ]
		[ "$output" = "hello 127.0.0.1 big world" ]
	done
	# Nothing per connection on the listener's own stdout and stderr.
	quiet
}

@test "PROGRAM reads the client on stdin and answers on stdout" {
	prog echo 'while IFS= read -r line; do echo "got $line"; done'
	p=$(free_port)
	start "$BIN/listener" -b 127.0.0.1 "$p" "$T/echo"
	wait_listening "$p"
	run client 127.0.0.1 "$p" $'one\ntwo\n'
	[ "$status" -eq 0 ]
	[ "$output" = $'got one\ngot two' ]
}

@test "PROGRAM gets PROTO and the TCP address variables, and no stale names" {
	prog env 'env | grep -E "^(PROTO|TCP)" | sort'
	p=$(free_port)
	TCPREMOTEHOST=stale.example TCPLOCALHOST=stale.example \
	    TCPREMOTEINFO=stale start "$BIN/listener" -b 127.0.0.1 "$p" "$T/env"
	wait_listening "$p"
	run client 127.0.0.1 "$p"
	[ "$status" -eq 0 ]
	cport=$(cat "$T/cport")
	[ "$output" = "PROTO=TCP
TCPLOCALIP=127.0.0.1
TCPLOCALPORT=$p
TCPREMOTEIP=127.0.0.1
TCPREMOTEPORT=$cport" ]
}

@test "PROGRAM gets only fds 0, 1 and 2, TCP_NODELAY and default signals" {
	# A PROGRAM that prints its open fds and its socket's TCP_NODELAY.
	cp "$LIB/inherited_fds.py" "$T/fds"
	chmod +x "$T/fds"
	# exec: a waiting dash blocks signals itself.
	prog sigs 'exec grep -E "^Sig(Ign|Blk)" /proc/self/status'
	# Background jobs of a script start with SIGINT and SIGQUIT ignored;
	# the sessions must not inherit that, nor the listener's spare fds.
	p=$(free_port)
	start "$BIN/listener" -b 127.0.0.1 "$p" "$T/fds" 7</dev/null
	wait_listening "$p"
	q=$(free_port)
	"$BIN/listener" -b 127.0.0.1 "$q" "$T/sigs" </dev/null >/dev/null \
	    2>&1 3>&- &
	PIDS="$PIDS $!"
	wait_listening "$q"
	run client 127.0.0.1 "$p"
	[ "$output" = $'fds 0 1 2\nnodelay 1' ]
	run client 127.0.0.1 "$q"
	# Signals 32 and 33 belong to the C library, which lets no program
	# change them: a launcher that ignores them (make does) passes that
	# on to everyone.  Every other signal must be at its default.
	blk=$(printf '%s\n' "$output" | sed -n 's/^SigBlk:\t//p')
	ign=$(printf '%s\n' "$output" | sed -n 's/^SigIgn:\t//p')
	[ "$blk" = 0000000000000000 ]
	[ "$(( 0x$ign & ~0x180000000 ))" -eq 0 ]
}

@test "the listener serves ::1 and a second -b address at once" {
	has_ipv6 || skip "no IPv6 loopback here"
	prog env 'env | grep -E "^TCP(REMOTE|LOCAL)IP" | sort'
	p=$(free_port)
	start "$BIN/listener" -b ::1 -b 127.0.0.1 "$p" "$T/env"
	wait_listening "$p"
	run client ::1 "$p"
	[ "$status" -eq 0 ]
	[ "$output" = $'TCPLOCALIP=::1\nTCPREMOTEIP=::1' ]
	run client 127.0.0.1 "$p"
	[ "$status" -eq 0 ]
	[ "$output" = $'TCPLOCALIP=127.0.0.1\nTCPREMOTEIP=127.0.0.1' ]
}

@test "without -b the listener takes IPv4 and IPv6, IPv4 shown plainly" {
	prog env 'env | grep -E "^TCP(REMOTE|LOCAL)IP" | sort'
	# free_port finds a port free on 127.0.0.1 only; the wildcard
	# addresses may find it taken (seen once under load), which the
	# listener says on stderr: then another port, at most three.
	for try in 1 2 3; do
		p=$(free_port)
		start "$BIN/listener" "$p" "$T/env"
		wait_listening "$p" && break
		cat "$T/err"
		grep -q "Address already in use" "$T/err"
	done
	is_listening "$p"
	run client 127.0.0.1 "$p"
	[ "$status" -eq 0 ]
	[ "$output" = $'TCPLOCALIP=127.0.0.1\nTCPREMOTEIP=127.0.0.1' ]
	if has_ipv6; then
		run client ::1 "$p"
		[ "$status" -eq 0 ]
		[ "$output" = $'TCPLOCALIP=::1\nTCPREMOTEIP=::1' ]
	fi
}

@test "a PROGRAM that fails to run ends only its own connection" {
	prog hello 'echo hello'
	p=$(free_port)
	start "$BIN/listener" -b 127.0.0.1 "$p" "$T/hello"
	wait_listening "$p"
	chmod -x "$T/hello"
	run client 127.0.0.1 "$p"
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	chmod +x "$T/hello"
	run client 127.0.0.1 "$p"
	[ "$output" = "hello" ]
	quiet
}

# Session limit

@test "a connection over -c MAX gets the -m text and is closed" {
	prog echo 'while IFS= read -r line; do echo "got $line"; done'
	p=$(free_port)
	start "$BIN/listener" -b 127.0.0.1 -c 1 -m "busy, try later" "$p" \
	    "$T/echo"
	wait_listening "$p"
	hold 127.0.0.1 "$p" $'one\n' $'two\n'
	wait_file "$T/held"
	[ "$(cat "$T/held")" = "got one" ]
	run client 127.0.0.1 "$p"
	[ "$status" -eq 0 ]
	[ "$output" = $'busy, try later\r' ]
	touch "$T/release"
	wait_file "$T/done"
	[ "$(cat "$T/done")" = $'got one\ngot two' ]
	# The slot is free again once the listener has reaped the session.
	for i in $(seq 1 50); do
		run client 127.0.0.1 "$p" $'three\n'
		[ "$output" != "got three" ] || break
		sleep 0.1
	done
	[ "$output" = "got three" ]
	quiet
}

@test "without -m a connection over -c MAX is just closed" {
	prog echo 'while IFS= read -r line; do echo "got $line"; done'
	p=$(free_port)
	start "$BIN/listener" -b 127.0.0.1 -c 1 "$p" "$T/echo"
	wait_listening "$p"
	hold 127.0.0.1 "$p" $'one\n' ''
	wait_file "$T/held"
	run client 127.0.0.1 "$p"
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	touch "$T/release"
	wait_file "$T/done"
}

@test "ended sessions are reaped: no zombie stays" {
	prog hello 'echo hello'
	p=$(free_port)
	start "$BIN/listener" -b 127.0.0.1 -c 2 "$p" "$T/hello"
	wait_listening "$p"
	for i in 1 2 3 4 5 6; do
		run client 127.0.0.1 "$p"
		[ "$output" = "hello" ]
	done
	for i in $(seq 1 50); do
		[ -n "$(children "$LPID")" ] || break
		sleep 0.1
	done
	run children "$LPID"
	[ "$output" = "" ]
	[ "$(state "$LPID")" = S ]
}

@test "out of descriptors, the listener rests, then serves the waiting client" {
	prog hello 'echo hello'
	p=$(free_port)
	start "$BIN/listener" -b 127.0.0.1 "$p" "$T/hello"
	wait_listening "$p"
	# A soft limit at the lowest free fd makes accept() fail with EMFILE.
	run python3 "$LIB/nofile_limit.py" "$LPID"
	[ "$status" -eq 0 ]
	soft=$output
	ticks() { awk '{ print $14 + $15 }' "/proc/$LPID/stat"; }
	before=$(ticks)
	client 127.0.0.1 "$p" >"$T/c1" 2>&1 3>&- &
	cpid=$!
	PIDS="$PIDS $cpid"
	sleep 1.5
	# Still alive, not spinning (1.5 s of CPU is 150 ticks), nobody served.
	[ "$(state "$LPID")" = S ]
	[ $(($(ticks) - before)) -lt 50 ]
	[ ! -s "$T/c1" ]
	# Back to the soft limit it had.
	python3 "$LIB/nofile_limit.py" "$LPID" "$soft"
	wait "$cpid"
	[ "$(cat "$T/c1")" = "hello" ]
	quiet
}

# Stopping

@test "SIGTERM stops listening and exits 0; running sessions go on" {
	prog echo 'while IFS= read -r line; do echo "got $line"; done'
	p=$(free_port)
	start "$BIN/listener" -b 127.0.0.1 "$p" "$T/echo"
	wait_listening "$p"
	hold 127.0.0.1 "$p" $'one\n' $'two\n'
	wait_file "$T/held"
	kill -TERM "$LPID"
	wait_exit "$LPID"
	[ "$status" -eq 0 ]
	not_listening "$p"
	touch "$T/release"
	wait_file "$T/done"
	[ "$(cat "$T/done")" = $'got one\ngot two' ]
	quiet
}

@test "SIGINT stops the listener with status 0" {
	prog hello 'echo hello'
	p=$(free_port)
	start "$BIN/listener" -b 127.0.0.1 "$p" "$T/hello"
	wait_listening "$p"
	kill -INT "$LPID"
	wait_exit "$LPID"
	[ "$status" -eq 0 ]
	not_listening "$p"
}

# mysmtpd and mypopd

@test "mysmtpd and mypopd check their own options before the handler's" {
	run timeout 10 "$BIN/mysmtpd"
	[ "$status" -eq 100 ]
	[[ "$output" == *"mysmtpd: missing PORT"* ]]
	run timeout 10 "$BIN/mypopd" 0
	[ "$status" -eq 100 ]
	[[ "$output" == *"mypopd: bad port: 0"* ]]
	# The refusal text is built in.
	run timeout 10 "$BIN/mysmtpd" -m busy 2525
	[ "$status" -eq 100 ]
	[[ "$output" == *"unknown option -m"* ]]
}

@test "mysmtpd exits 111 when smtp-handler is not beside it" {
	mkdir "$T/bin"
	cp "$BIN/mysmtpd" "$T/bin/mysmtpd"
	p=$(free_port)
	run timeout 10 "$T/bin/mysmtpd" -b 127.0.0.1 "$p"
	[ "$status" -eq 111 ]
	[[ "$output" == *"unable to run $T/bin/smtp-handler: No such file or directory"* ]]
	not_listening "$p"
}

@test "mysmtpd without a users file exits 100 at once, naming the file" {
	need_handler smtp-handler
	p=$(free_port)
	cd "$T"
	run timeout 10 "$BIN/mysmtpd" -b 127.0.0.1 "$p" -u "$T/nope"
	[ "$status" -eq 100 ]
	[[ "$output" == *"$T/nope"* ]]
	not_listening "$p"
}

@test "mypopd without a users file exits 100 at once, naming the file" {
	need_handler pop3-handler
	p=$(free_port)
	cd "$T"
	run timeout 10 "$BIN/mypopd" -b 127.0.0.1 "$p" -u "$T/nope"
	[ "$status" -eq 100 ]
	[[ "$output" == *"$T/nope"* ]]
	not_listening "$p"
}

@test "mysmtpd --help shows its usage and then the handler's options" {
	need_handler smtp-handler
	run timeout 10 "$BIN/mysmtpd" --help
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "usage: mysmtpd [-b ADDR]... [-c MAX] [-C MAX] [-x LIST] PORT" ]
	[ "${lines[1]}" = "       [HANDLER-OPTION...]" ]
	[[ "$output" == *"Options of smtp-handler:"* ]]
	[[ "$output" == *"--users"* ]]
}

@test "mysmtpd runs smtp-handler with the options after PORT" {
	need_handler smtp-handler
	p=$(free_port)
	start "$BIN/mysmtpd" -b 127.0.0.1 "$p" -u "$USERS" -d "$STORE" \
	    -n mx.test
	wait_listening "$p"
	run client --greet 127.0.0.1 "$p" $'QUIT\r\n'
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 221" ]
	[ "$(printf '%s\n' "$output" | head -n 1)" = $'220 mx.test ESMTP ready\r' ]
	quiet
}

@test "mysmtpd answers a session over -c with 421 4.3.2" {
	need_handler smtp-handler
	p=$(free_port)
	start "$BIN/mysmtpd" -b 127.0.0.1 -c 1 "$p" -u "$USERS" -d "$STORE" \
	    -n mx.test
	wait_listening "$p"
	hold 127.0.0.1 "$p" '' $'QUIT\r\n'
	wait_file "$T/held"
	[[ "$(cat "$T/held")" == "220 "* ]]
	run client 127.0.0.1 "$p"
	[ "$status" -eq 0 ]
	[ "$output" = $'421 4.3.2 Too many sessions, try again later\r' ]
	touch "$T/release"
	wait_file "$T/done"
	[[ "$(cat "$T/done")" == *"221 "* ]]
}

@test "mypopd runs pop3-handler and answers a session over -c with -ERR [SYS/TEMP]" {
	need_handler pop3-handler
	p=$(free_port)
	start "$BIN/mypopd" -b 127.0.0.1 -c 1 "$p" -u "$USERS" -d "$STORE" \
	    -n mx.test
	wait_listening "$p"
	hold 127.0.0.1 "$p" '' $'QUIT\r\n'
	wait_file "$T/held"
	[ "$(cat "$T/held")" = $'+OK mx.test POP3 ready\r' ]
	run client 127.0.0.1 "$p"
	[ "$status" -eq 0 ]
	[ "$output" = $'-ERR [SYS/TEMP] Too many sessions, try again later\r' ]
	touch "$T/release"
	wait_file "$T/done"
	[[ "$(cat "$T/done")" == *"+OK"* ]]
	quiet
}

@test "-C caps the sessions of one address; another address is still served" {
	prog echo 'while IFS= read -r line; do echo "got $line"; done'
	p=$(free_port)
	start "$BIN/listener" -b 127.0.0.1 -c 10 -C 1 -m "too many from you" \
	    "$p" "$T/echo"
	wait_listening "$p"
	hold 127.0.0.1 "$p" $'one\n' $'two\n'
	wait_file "$T/held"
	run client 127.0.0.1 "$p"
	[ "$output" = $'too many from you\r' ]
	# The same machine, another loopback address: another source.
	run timeout 20 python3 "$LIB/other_source_client.py" "$p"
	[ "$output" = "got other" ]
	touch "$T/release"
	wait_file "$T/done"
	[ "$(cat "$T/done")" = $'got one\ngot two' ]
}

@test "under systemd the listener sends READY=1, a STATUS per session, and STOPPING=1" {
	prog echo 'while IFS= read -r line; do echo "got $line"; done'
	p=$(free_port)
	# The listener's notifications, one a line, then its exit status.
	run timeout 60 python3 "$LIB/notify_sessions.py" "$BIN/listener" "$p" \
	    "$T/echo" "$T/notify"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "READY=1|STATUS=0 sessions active, 0 refused|MAINPID=${lines[0]##*MAINPID=}" ]
	[ "${lines[1]}" = "STATUS=1 sessions active, 0 refused" ]
	[ "${lines[2]}" = "STATUS=0 sessions active, 0 refused" ]
	[ "${lines[3]}" = "STOPPING=1" ]
	[ "${lines[4]}" = "exit 0" ]
}

@test "PORT - without sockets from systemd is a clear error" {
	prog echo 'cat'
	run --separate-stderr "$BIN/listener" - "$T/echo" </dev/null
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"LISTEN_FDS"* ]]
	run --separate-stderr "$BIN/mysmtpd" -b 127.0.0.1 - -u "$USERS" </dev/null
	[ "$status" -eq 100 ]
}

@test "PORT - serves the sockets systemd passes (systemd-socket-activate)" {
	command -v systemd-socket-activate >/dev/null ||
	    skip "needs systemd-socket-activate"
	p=$(free_port)
	start systemd-socket-activate -l "127.0.0.1:$p" \
	    "$BIN/mysmtpd" -c 5 - -u "$USERS" -d "$STORE" -n mx.test
	wait_listening "$p"
	run client --greet 127.0.0.1 "$p" $'QUIT\r\n'
	[ "$output" = $'220 mx.test ESMTP ready\r\n221 2.0.0 Bye\r' ]
}

@test "PORT -: the sessions do not inherit systemd's LISTEN_ variables" {
	command -v systemd-socket-activate >/dev/null ||
	    skip "needs systemd-socket-activate"
	prog env 'env | grep -E "^(LISTEN_|TCPREMOTEIP)" | sort'
	p=$(free_port)
	start systemd-socket-activate -l "127.0.0.1:$p" \
	    "$BIN/listener" - "$T/env"
	wait_listening "$p"
	run client 127.0.0.1 "$p"
	[ "$status" -eq 0 ]
	[ "$output" = "TCPREMOTEIP=127.0.0.1" ]
}

@test "under systemd SIGTERM waits for running sessions, then exits 0" {
	prog echo 'while IFS= read -r line; do echo "got $line"; done'
	p=$(free_port)
	# STOPPING=1, whether it still runs a second later, the session's
	# reply, and the listener's exit status.
	run timeout 60 python3 "$LIB/notify_stop_waits.py" "$BIN/listener" \
	    "$p" "$T/echo" "$T/notify"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "STOPPING=1" ]
	[ "${lines[1]}" = "running" ]
	[ "${lines[2]}" = "got last" ]
	[ "${lines[3]}" = "exit 0" ]
}

# Spare sessions (-s; always in mysmtpd and mypopd)

# spare_prog: $T/spare, a PROGRAM that speaks the handoff as a spare that
# cannot fork does: it execs $LIB/handoff_spare.py (same pid), which
# appends "PID ARGS" to $T/spares when it starts.  With --handoff it
# takes the connection and its variables from fd 0, answers with its own
# pid, and writes them to the client ("handoff pid=PID", then each
# variable); without, it writes "direct pid=PID" on stdout.  spare_prog
# 0: it answers with pid 0 instead, and holds the connection for 30
# seconds without a word.
spare_prog() {
	prog spare "exec python3 \"$LIB/handoff_spare.py\" \"$T/spares\" \
	    \"${1:-}\" \"\$@\""
}

# wait_lines FILE N: wait up to 10 seconds for FILE to have N lines.
wait_lines() {
	local i
	for i in $(seq 1 100); do
		[ "$(cat "$1" 2>/dev/null | wc -l)" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# handoff_kids PID: the pids of PID's children started with --handoff,
# oldest first: its spare, then the processes the spare forked (the one
# waiting for a connection, and sessions).
handoff_kids() {
	python3 "$LIB/handoff_children.py" "$1"
}

# spare_of PID: the pid of PID's spare, once there is one (at most 10
# seconds).
spare_of() {
	local i c
	for i in $(seq 1 100); do
		c=$(handoff_kids "$1" | head -n 1)
		if [ -n "$c" ]; then
			echo "$c"
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# waiting_of PID: the pid of the process PID's spare has forked to wait
# for the next connection, once the two are all PID's --handoff children
# (at most 10 seconds).
waiting_of() {
	local i k
	for i in $(seq 1 100); do
		k=$(handoff_kids "$1")
		if [ "$(echo "$k" | grep -c .)" -eq 2 ]; then
			echo "$k" | sed -n 2p
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# session_of PID: the pid of PID's child whose fd 0 is a TCP connection.
session_of() {
	python3 "$LIB/tcp_session_child.py" "$1"
}

# gone PID: wait up to 10 seconds for PID to be gone, zombie or not.
gone() {
	local i
	for i in $(seq 1 100); do
		[ -z "$(state "$1")" ] && return 0
		sleep 0.1
	done
	return 1
}

# new_spare PID OLD: wait up to 10 seconds for PID's spare to be another
# than OLD, and print it.
new_spare() {
	local i c
	for i in $(seq 1 100); do
		c=$(handoff_kids "$1" | head -n 1)
		if [ -n "$c" ] && [ "$c" != "$2" ]; then
			echo "$c"
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# SMTP_ONE: a session that delivers one message to alice.
SMTP_ONE=$'HELO client.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\nSubject: t\r\n\r\nhi\r\n.\r\nQUIT\r\n'

# codes_of_output: the reply codes in $output, each followed by a space.
codes_of_output() {
	printf '%s\n' "$output" | cut -c1-3 | tr '\n' ' '
}

# pids_of_messages: the pid in the name of each message of alice (the
# session that delivered it), oldest first.
pids_of_messages() {
	messages alice@example.com | sed 's/^[0-9]*\.M[0-9]*P\([0-9]*\)Q.*/\1/'
}

# daemon_spare PROGRAM [--as-user]: start mysmtpd or mypopd on a free
# port $p with the test's users file and store, wait for it, and set
# $spare to the pid of its spare.  With --as-user it starts as the user
# the handlers run as, so that no -U change is ahead of a session (as
# the systemd units run them).
daemon_spare() {
	local as=() prog=$BIN/$1
	case $1 in
	mysmtpd) need_handler smtp-handler ;;
	*) need_handler pop3-handler ;;
	esac
	if [ "${2:-}" = --as-user ]; then
		as=("${AS_RUN_AS[@]}")
		prog=$REAL_BIN/$1
	fi
	p=$(free_port)
	start "${as[@]}" "$prog" -b 127.0.0.1 "$p" -u "$USERS" -d "$STORE" \
	    -n mx.test
	wait_listening "$p"
	spare=$(spare_of "$LPID")
}

# handoff_to MESSAGE PROGRAM...: run PROGRAM with fd 0 and 1 on a
# SEQPACKET socket pair whose other end sends MESSAGE (Python bytes
# syntax, no connection in it) and closes, or just closes when MESSAGE
# is empty; print its exit status, then its stderr if it wrote any.
handoff_to() {
	timeout 10 python3 "$LIB/handoff_to.py" "$@"
}

@test "-s starts PROGRAM ahead with --handoff; it takes the next connection and its variables" {
	spare_prog
	p=$(free_port)
	start "$BIN/listener" -s -b 127.0.0.1 "$p" "$T/spare" a b
	wait_listening "$p"
	# Started before any client came.
	wait_lines "$T/spares" 1
	first=$(cut -d' ' -f1 "$T/spares")
	[ "$(cut -d' ' -f2- "$T/spares")" = "--handoff a b" ]
	run client 127.0.0.1 "$p"
	[ "$status" -eq 0 ]
	[ "$output" = "handoff pid=$first
PROTO=TCP
TCPREMOTEIP=127.0.0.1
TCPREMOTEPORT=$(cat "$T/cport")
TCPLOCALIP=127.0.0.1
TCPLOCALPORT=$p" ]
	# The next spare follows at once, another process.
	wait_lines "$T/spares" 2
	second=$(sed -n 2p "$T/spares")
	[ "${second#* }" = "--handoff a b" ]
	[ "${second%% *}" != "$first" ]
	run client 127.0.0.1 "$p"
	[ "${lines[0]}" = "handoff pid=${second%% *}" ]
	quiet
}

@test "a spare that ends before its connection is not used; the client is served" {
	spare_prog
	p=$(free_port)
	start "$BIN/listener" -s -b 127.0.0.1 "$p" "$T/spare"
	wait_listening "$p"
	wait_lines "$T/spares" 1
	first=$(cut -d' ' -f1 "$T/spares")
	kill -KILL "$first"
	# Reaped by the listener, so gone, not a zombie.
	for i in $(seq 1 50); do
		[ -z "$(state "$first")" ] && break
		sleep 0.1
	done
	[ -z "$(state "$first")" ]
	run client 127.0.0.1 "$p"
	[ "$status" -eq 0 ]
	[[ "$output" == "direct pid="* ]]
	# Then a new spare, which takes the next client.  It starts beside
	# that session, so their lines come in either order.
	wait_lines "$T/spares" 3
	[ "$(grep -c -- ' --handoff$' "$T/spares")" -eq 2 ]
	next=$(grep -- ' --handoff$' "$T/spares" | sed -n 2p | cut -d' ' -f1)
	run client 127.0.0.1 "$p"
	[ "${lines[0]}" = "handoff pid=$next" ]
	[ "$(state "$LPID")" = S ]
}

@test "mypopd's spare reads the users file only when its client comes" {
	daemon_spare mypopd
	# A user added after the spare started can log in with it.
	echo "frank@example.org frankpw" >>"$USERS"
	run client --greet 127.0.0.1 "$p" \
	    $'USER frank@example.org\r\nPASS frankpw\r\nSTAT\r\nQUIT\r\n'
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 5 ]
	[ "$(printf '%s\n' "${lines[@]}" | cut -c1-3 | sort -u)" = "+OK" ]
	[ "${lines[3]}" = $'+OK 0 0\r' ]
	# The spare forked that session, and stays for the next.
	[ "$(spare_of "$LPID")" = "$spare" ]
	quiet
}

@test "stopping mysmtpd ends its spare; nothing is left running" {
	daemon_spare mysmtpd
	[ -n "$(state "$spare")" ]
	kill -TERM "$LPID"
	wait_exit "$LPID"
	[ "$status" -eq 0 ]
	[ -z "$(state "$spare")" ]
	quiet
}

@test "a handler with --handoff needs the listener's socket on fd 0, and ends quietly when it closes" {
	need_handler smtp-handler
	run timeout 10 "$BIN/smtp-handler" --handoff -u "$USERS" -d "$STORE" \
	    </dev/null
	[ "$status" -eq 100 ]
	[[ "$output" == *"--handoff: unable to receive a connection on fd 0"* ]]
	# The listener let the spare go: no connection, no reply, status 0.
	run handoff_to '' "$BIN/pop3-handler" --handoff -u "$USERS" -d "$STORE"
	[ "$output" = "0" ]
	# A message without a connection in it: a temporary failure of the
	# process that took it; the spare then finds the socket closed.
	run handoff_to 'b"PROTO=TCP\0"' "$BIN/pop3-handler" --handoff \
	    -u "$USERS" -d "$STORE"
	[ "$output" = "0 pop3-handler: fatal: --handoff: no connection in the message" ]
}

@test "mysmtpd's spare forks each session as the listener's child, and stays for the next" {
	daemon_spare mysmtpd
	for i in 1 2; do
		run client --greet 127.0.0.1 "$p" "$SMTP_ONE"
		[ "$status" -eq 0 ]
		[ "$(codes_of_output)" = "220 250 250 250 354 250 221 " ]
	done
	[ "$(count alice@example.com)" -eq 2 ]
	# Two sessions, two processes, neither of them the spare.
	first=$(pids_of_messages | sed -n 1p)
	second=$(pids_of_messages | sed -n 2p)
	[ -n "$first" ] && [ -n "$second" ] && [ "$first" != "$second" ]
	[ "$first" != "$spare" ] && [ "$second" != "$spare" ]
	# The listener collected them (the spare has no children, and
	# nothing is a zombie), and the same spare waits with the next.
	gone "$first"
	gone "$second"
	[ -z "$(children "$spare")" ]
	[ "$(spare_of "$LPID")" = "$spare" ]
	[ -n "$(waiting_of "$LPID")" ]
	quiet
}

@test "after 100 sessions the spare makes way for a new one" {
	daemon_spare mypopd
	sessions() {
		timeout 60 python3 "$LIB/pop3_quit_sessions.py" "$p" "$1"
	}
	sessions 99
	[ "$(spare_of "$LPID")" = "$spare" ]
	sessions 1
	new=$(new_spare "$LPID" "$spare")
	[ -n "$new" ]
	gone "$spare"
	run client --greet 127.0.0.1 "$p" $'QUIT\r\n'
	[ "${lines[0]:0:3}" = "+OK" ]
	[ "$(spare_of "$LPID")" = "$new" ]
	quiet
}

@test "a session killed by a signal makes the listener start a new spare" {
	daemon_spare mysmtpd
	hold 127.0.0.1 "$p" $'HELO client.test\r\n' $'QUIT\r\n'
	wait_file "$T/held"
	session=$(session_of "$LPID")
	[ -n "$session" ] && [ "$session" != "$spare" ]
	# SIGABRT, as the stack protector ends a process whose canary was
	# overwritten (and the sanitizer build leaves it alone).
	kill -ABRT "$session"
	new=$(new_spare "$LPID" "$spare")
	[ -n "$new" ]
	gone "$spare"
	touch "$T/release"
	run client --greet 127.0.0.1 "$p" "$SMTP_ONE"
	[ "$(codes_of_output)" = "220 250 250 250 354 250 221 " ]
	[ "$(pids_of_messages)" != "$new" ]
	quiet
}

@test "a spare whose waiting process dies ends; the next client is served, and a new spare follows" {
	daemon_spare mysmtpd
	waiting=$(waiting_of "$LPID")
	kill -KILL "$waiting"
	gone "$spare"
	grep -q "session pid $waiting ended before its connection" "$T/err"
	run client --greet 127.0.0.1 "$p" "$SMTP_ONE"
	[ "$(codes_of_output)" = "220 250 250 250 354 250 221 " ]
	[ -n "$(new_spare "$LPID" "$spare")" ]
}

@test "a spare that gives no session in time: the connection is closed unserved, the next is served" {
	daemon_spare mysmtpd
	waiting=$(waiting_of "$LPID")
	kill -STOP "$spare" "$waiting"
	# The listener waits a second for an answer, then ends the spare and
	# closes its socket.  The process that was waiting then takes the
	# connection, finds nobody to answer, and drops it unserved.
	(sleep 2; kill -CONT "$waiting") &
	run client 127.0.0.1 "$p"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	gone "$waiting"
	gone "$spare"
	grep -q "unable to answer the listener" "$T/err"
	run client --greet 127.0.0.1 "$p" "$SMTP_ONE"
	[ "$(codes_of_output)" = "220 250 250 250 354 250 221 " ]
	[ "$(count alice@example.com)" -eq 1 ]
}

@test "a spare that cannot fork takes the connection itself, and a new spare follows" {
	need_handler smtp-handler
	# Each spare runs under a limit of one process for its user, which
	# already has more (the listener, the spare): it cannot fork.  The
	# limit binds only a user without privileges.
	printf '#!/bin/sh\nexec prlimit --nproc=1:1 -- "%s" "$@"\n' \
	    "$REAL_BIN/smtp-handler" >"$T/nofork"
	chmod 755 "$T/nofork"
	p=$(free_port)
	start "${AS_RUN_AS[@]}" "$REAL_BIN/listener" -s -b 127.0.0.1 "$p" \
	    "$T/nofork" -u "$USERS" -d "$STORE" -n mx.test
	wait_listening "$p"
	spare=$(spare_of "$LPID")
	run client --greet 127.0.0.1 "$p" "$SMTP_ONE"
	[ "$(codes_of_output)" = "220 250 250 250 354 250 221 " ]
	# The spare was the session, and the listener started another.
	[ "$(pids_of_messages)" = "$spare" ]
	new=$(new_spare "$LPID" "$spare")
	[ -n "$new" ]
	run client --greet 127.0.0.1 "$p" "$SMTP_ONE"
	[ "$(codes_of_output)" = "220 250 250 250 354 250 221 " ]
	[ "$(pids_of_messages | sed -n 2p)" = "$new" ]
}

@test "a spare's answer that is no pid: the connection is closed unserved, the spare ended, the next client served" {
	# A spare that takes the connection and answers with pid 0.
	spare_prog 0
	p=$(free_port)
	start "$BIN/listener" -s -b 127.0.0.1 "$p" "$T/spare"
	wait_listening "$p"
	wait_lines "$T/spares" 1
	first=$(cut -d' ' -f1 "$T/spares")
	# The listener ends that spare at once, and with it the copy of
	# the connection it held: the client sees the close, nothing else.
	run client 127.0.0.1 "$p"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	gone "$first"
	# The next client gets a program started for it, and a new spare
	# starts beside that session.
	run client 127.0.0.1 "$p"
	[[ "$output" == "direct pid="* ]]
	wait_lines "$T/spares" 3
	[ "$(grep -c -- ' --handoff$' "$T/spares")" -eq 2 ]
}

# The first message's file, made before the client comes

# ahead_of PID: the inode of the file without a name that PID holds in
# the store's top directory, if any.
ahead_of() {
	python3 "$LIB/unnamed_store_file.py" "$1" "$(realpath "$STORE")"
}

# deliver_one: SMTP_ONE through the daemon on $p, which must take it.
deliver_one() {
	run client --greet 127.0.0.1 "$p" "$SMTP_ONE"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(codes_of_output)" = "220 250 250 250 354 250 221 " ]
}

@test "mysmtpd's waiting session makes its first message's file before the client comes, and delivers in it" {
	need_tmpfile
	daemon_spare mysmtpd --as-user
	w=$(waiting_of "$LPID")
	ino=$(ahead_of "$w")
	[ -n "$ino" ]
	deliver_one
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$(stat -c %i "$(message_file alice@example.com)")" = "$ino" ]
	[ -z "$(ls -A "$(maildir alice@example.com)/tmp")" ]
	# The next session has a file of its own waiting.
	next=$(waiting_of "$LPID")
	[ "$next" != "$w" ]
	[ -n "$(ahead_of "$next")" ]
	[ "$(ahead_of "$next")" != "$ino" ]
	quiet
}

@test "a waiting session whose connection is already there makes no file ahead; the next, idle, does" {
	need_tmpfile
	# The connection's message is in the spare's socket before the
	# spare starts, so its first session process finds it at once.  The
	# harness prints the greeting's code and the session's pid, and
	# holds the session's client until $T/release (at most 10 seconds).
	python3 "$LIB/handoff_harness.py" "$T" "${AS_RUN_AS[@]}" \
	    "$REAL_BIN/smtp-handler" --handoff -u "$USERS" -d "$STORE" -n mx.test \
	    >"$T/harness" 2>&1 3>&- &
	h=$!
	PIDS="${PIDS:-} $h"
	wait_lines "$T/harness" 1
	cat "$T/harness"
	read -r code session <"$T/harness"
	[ "$code" = 220 ]
	[ -z "$(ahead_of "$session")" ]
	# The spare's next process waits with no connection there.
	for i in $(seq 1 100); do
		w=$(handoff_kids "$h" | grep -vx -e "$session" | sed -n 2p)
		[ -n "$w" ] && [ -n "$(ahead_of "$w")" ] && break
		sleep 0.1
	done
	[ -n "$(ahead_of "$w")" ]
	touch "$T/release"
}

@test "mypopd's waiting session makes no file in the store" {
	need_tmpfile
	daemon_spare mypopd --as-user
	w=$(waiting_of "$LPID")
	[ -z "$(ahead_of "$w")" ]
	quiet
}

@test "started as root with -U, the waiting session makes no file ahead, which would be root's" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to start mysmtpd with -U"
	daemon_spare mysmtpd
	w=$(waiting_of "$LPID")
	[ -z "$(ahead_of "$w")" ]
	deliver_one
	[ "$(stat -c %U "$(message_file alice@example.com)")" = "$RUN_AS" ]
}

@test "a mailbox on another file system than the store: the file made ahead is left, and the message delivered" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to mount"
	need_tmpfile
	mkdir "$STORE/alice@example.com"
	mount -t tmpfs -o "size=1m,mode=0700" tmpfs "$STORE/alice@example.com"
	MOUNTS="$STORE/alice@example.com ${MOUNTS:-}"
	own "$STORE/alice@example.com"
	daemon_spare mysmtpd --as-user
	ino=$(ahead_of "$(waiting_of "$LPID")")
	[ -n "$ino" ]
	# A link to it from the other file system would fail (EXDEV).
	deliver_one
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$(stat -c %d "$(message_file alice@example.com)")" = \
	    "$(stat -c %d "$STORE/alice@example.com")" ]
	[ "$(stat -c %i "$(message_file alice@example.com)")" != "$ino" ]
}

@test "a mailbox of another XFS project than the store: the file made ahead is left, and the message delivered" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to mount"
	command -v mkfs.xfs >/dev/null ||
	    skip "mkfs.xfs is not installed (Debian package: xfsprogs)"
	# 300 MB is the least mkfs.xfs makes; the image is sparse.
	truncate -s 300M "$T/xfs.img"
	mkfs.xfs -q "$T/xfs.img"
	mount -o loop "$T/xfs.img" "$STORE" ||
	    skip "no loop device to mount an XFS image on"
	MOUNTS="$STORE ${MOUNTS:-}"
	chmod 700 "$STORE"
	own "$STORE"
	# The mailbox passes project 7 on to all made in it; the store's
	# top directory has none, nor has a file made there.
	mkdir "$STORE/alice@example.com"
	own "$STORE/alice@example.com"
	xfs_io -c 'chproj 7' -c 'chattr +P' "$STORE/alice@example.com"
	daemon_spare mysmtpd --as-user
	ino=$(ahead_of "$(waiting_of "$LPID")")
	[ -n "$ino" ]
	# A link to it into the mailbox would fail (EXDEV), so that the
	# project's quota holds.
	deliver_one
	[ "$(count alice@example.com)" -eq 1 ]
	f=$(message_file alice@example.com)
	[ "$(stat -c %i "$f")" != "$ino" ]
	[ "$(lsattr -p "$f" | awk '{ print $1 }')" = 7 ]
}
