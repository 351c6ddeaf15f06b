#!/usr/bin/env bats
# The PROXY protocol (-x): first the listener's look at the header, with
# scripted clients that write it as a proxy would; then HAProxy in front
# of two listeners of each protocol (mysmtpd and mypopd on two ports,
# two host names, one store), with send-proxy-v2 on one frontend and
# send-proxy (v1) on another.  The clients connect from 127.0.0.2 or
# 127.0.0.3 and HAProxy from 127.0.0.1, so the logs can tell the real
# client from the proxy.  The listeners and their sessions log to a
# stand-in for journald in a private mount namespace, which needs root;
# tests that read no log run without it.  Every server binds loopback on
# a free port, HAProxy runs in the foreground with a configuration in the
# test's directory, and every wait is bounded in rounds and seconds.

load ../lib/helper

bats_require_minimum_version 1.5.0

# HAProxy lives in sbin, which a user's PATH may lack.
PATH=$PATH:/usr/sbin:/sbin

# need COMMAND PACKAGE: skip the test unless COMMAND is installed.
need() {
	command -v "$1" >/dev/null 2>&1 ||
	    skip "$1 is not installed (Debian package: $2)"
}

# ports N: N different free TCP ports on 127.0.0.1, one a line (all
# bound at once, so none is given twice).
ports() {
	python3 "$LIB/free_ports.py" "$1"
}

# journal_start: a stand-in for journald, bound in a private mount
# namespace; its entries go to $T/journal (one field a line, entries
# separated by blank lines), and bg starts servers in its namespace, so
# that they and their sessions log there; teardown kills it (a lost one
# ends after 10 quiet minutes).  Skips the test without root.
journal_start() {
	[ "$(id -u)" -eq 0 ] || skip "needs root for a mount namespace"
	need unshare util-linux
	need nsenter util-linux
	journal_collector
	unshare -m sh -c 'mount -t tmpfs none /run &&
	    exec python3 "$1/collect.py" "$1/journal" 600' sh "$T" \
	    </dev/null >"$T/collect.err" 2>&1 3>&- &
	JNS=$!
	PIDS="${PIDS:-} $JNS"
	for i in $(seq 1 100); do
		[ -e "$T/journal.ready" ] && return 0
		sleep 0.05
	done
	cat "$T/collect.err" >&2
	return 1
}

# bg NAME COMMAND...: run COMMAND in the background (in the journal's
# namespace, once journal_start ran), its output in $T/NAME.out; its
# pid is left in BG_PID, and teardown kills it.  nsenter execs COMMAND,
# so the pid is the server's own.
bg() {
	local name=$1
	shift
	if [ -n "${JNS:-}" ]; then
		set -- nsenter -t "$JNS" -m -- "$@"
	fi
	"$@" </dev/null >"$T/$name.out" 2>&1 3>&- &
	BG_PID=$!
	PIDS="${PIDS:-} $BG_PID"
}

# messages_logged: every MESSAGE in the journal, one a line.
messages_logged() {
	sed -n 's/^MESSAGE=//p' "$T/journal" 2>/dev/null
}

# logged REGEX [SECONDS]: wait up to SECONDS (5) for a logged MESSAGE
# that matches the extended REGEX; on failure show what was logged.
logged() {
	local i
	for i in $(seq 1 $((${2:-5} * 10))); do
		messages_logged | grep -qE -- "$1" && return 0
		sleep 0.1
	done
	echo "nothing logged matches '$1' after ${2:-5} s; logged:" >&2
	messages_logged >&2
	return 1
}

# not_logged REGEX: no logged MESSAGE matches REGEX.
not_logged() {
	if messages_logged | grep -E -- "$1" >&2; then
		echo "logged, but should not be: '$1'" >&2
		return 1
	fi
}

# prog NAME BODY: an executable shell script $T/NAME running BODY.
prog() {
	printf '#!/bin/sh\n%s\n' "$2" >"$T/$1"
	chmod +x "$T/$1"
}

# hex TEXT: the octets of TEXT, with printf's escapes, in hexadecimal;
# the programs below show their input so, NULs and all.
hex() {
	printf '%b' "$1" | od -An -tx1 -v | tr -d ' \n'
}

# hexprog: $T/hex, a program for the listener that prints its
# TCPREMOTEIP, then all of its input in hexadecimal (hex).
hexprog() {
	prog hex 'echo "ip=$TCPREMOTEIP"; od -An -tx1 -v | tr -d " \n"; echo'
}

# ticks PID: the CPU time PID has used, in clock ticks.
ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# backends smtp|pop3 [LISTENER-OPTION...]: two listeners of the protocol
# (mysmtpd or mypopd from $BIN) on loopback ports A and B, host names
# mx-a.test and mx-b.test, sharing this test's users file and store, each
# trusting HAProxy's address (-x 127.0.0.1) and given the OPTIONs.
backends() {
	local proto=$1 prog=mysmtpd
	shift
	[ "$proto" = pop3 ] && prog=mypopd
	set -- $(ports 2) "$@"
	A=$1
	B=$2
	shift 2
	bg "$prog-a" "$BIN/$prog" -b 127.0.0.1 -x 127.0.0.1 "$@" "$A" \
	    -u "$USERS" -d "$STORE" -n mx-a.test
	bg "$prog-b" "$BIN/$prog" -b 127.0.0.1 -x 127.0.0.1 "$@" "$B" \
	    -u "$USERS" -d "$STORE" -n mx-b.test
	wait_listening "$A"
	wait_listening "$B"
}

# hap_listen NAME PORT SEND SERVER-PORT...: add to HAProxy's
# configuration a TCP proxy on 127.0.0.1 PORT, round robin over servers
# on 127.0.0.1, which it connects to from 127.0.0.1 and tells the client
# with SEND (send-proxy-v2 or send-proxy), checking each every 500 ms.
hap_listen() {
	local name=$1 port=$2 send=$3 i=0 s
	shift 3
	{
		printf 'listen %s\n' "$name"
		printf '\tbind 127.0.0.1:%s\n' "$port"
		printf '\tbalance roundrobin\n'
		printf '\tsource 127.0.0.1\n'
		for s in "$@"; do
			i=$((i + 1))
			printf '\tserver s%d 127.0.0.1:%s %s check inter 500ms\n' \
			    "$i" "$s" "$send"
		done
	} >>"$T/haproxy.sections"
	HAP_PORTS="${HAP_PORTS:-} $port"
}

# hap_start: run HAProxy in the foreground (-db) with the proxies that
# hap_listen added: no daemon, no chroot, no user change, no names to
# look up, its pid file in $T; wait until every frontend listens.
hap_start() {
	local p
	need haproxy haproxy
	{
		printf 'global\n'
		printf '\tpidfile %s/haproxy.pid\n' "$T"
		printf '\tmaxconn 256\n'
		printf 'defaults\n'
		printf '\tmode tcp\n'
		printf '\ttimeout connect 5s\n'
		printf '\ttimeout client 60s\n'
		printf '\ttimeout server 60s\n'
		printf '\ttimeout check 2s\n'
		cat "$T/haproxy.sections"
	} >"$T/haproxy.cfg"
	timeout 10 haproxy -c -q -f "$T/haproxy.cfg" || {
		cat "$T/haproxy.cfg" >&2
		return 1
	}
	# HAProxy needs no journal: started outside its namespace.
	haproxy -f "$T/haproxy.cfg" -db </dev/null >"$T/haproxy.out" 2>&1 3>&- &
	PIDS="${PIDS:-} $!"
	for p in $HAP_PORTS; do
		wait_listening "$p"
	done
}

# client COMMAND ARG...: run the scripted client, which connects from a
# chosen address: send, fetch, lock or raw, as its docstring tells.
client() {
	timeout 90 python3 "$LIB/proxy_client.py" "$@"
}

# check_store TAG...: alice's maildrop holds exactly the messages the
# send runs with these TAGs kept in $T/sent, each byte for byte under
# its trace fields, which name the client 127.0.0.2 and one of the two
# backends; both backends must have taken some.
check_store() {
	local f subject want hosts= tag n=0
	for tag in "$@"; do
		n=$((n + $(ls "$T/sent" | grep -c "^$tag-")))
	done
	[ "$(count alice@example.com)" -eq "$n" ]
	for f in $(all_messages); do
		subject=$(body_of "$f" | sed -n 's/^Subject: //p' | head -n 1)
		want=$T/sent/${subject% *}-${subject##* }
		[ -f "$want" ]
		body_of "$f" >"$T/got"
		cmp "$want" "$T/got"
		sed -n 4p "$f" | grep -qF 'Received: from client.test ([127.0.0.2])'
		hosts="$hosts $(sed -n 5p "$f" | sed -n 's/^\tby \([^ ]*\) .*/\1/p')"
	done
	[[ "$hosts" == *" mx-a.test"* ]]
	[[ "$hosts" == *" mx-b.test"* ]]
	[ -z "$(printf '%s\n' $hosts | grep -v '^mx-[ab]\.test$')" ]
}

# The listener's look at the header (plain listener, scripted proxies)

@test "a header written in pieces reaches PROGRAM whole; -C counts the client it names" {
	hexprog
	p=$(free_port)
	bg listener "$BIN/listener" -b 127.0.0.1 -x 127.0.0.1 -C 1 \
	    -m "too many from you" "$p" "$T/hex"
	wait_listening "$p"
	# Version 1 in four writes, then the client's first line.
	run client raw 127.0.0.1 "$p" 'send:PROXY TCP4 ' sleep:0.3 \
	    'send:127.0.0.2 127.0.0.1 ' sleep:0.3 'send:40000 25\r' sleep:0.3 \
	    'send:\nhello\n' shut eof
	[ "$status" -eq 0 ]
	[ "$output" = "ip=127.0.0.1
$(hex 'PROXY TCP4 127.0.0.2 127.0.0.1 40000 25\r\nhello\n')
(closed)" ]
	# Version 2: the signature, then the rest with the addresses.
	v2sig='\r\n\r\n\x00\r\nQUIT\n'
	v2rest='\x21\x11\x00\x0c\x7f\x00\x00\x02\x7f\x00\x00\x01\x9c\x40\x00\x19'
	run client raw 127.0.0.1 "$p" "send:$v2sig" sleep:0.3 "send:$v2rest" \
	    sleep:0.3 'send:hello\n' shut eof
	[ "$status" -eq 0 ]
	[ "$output" = "ip=127.0.0.1
$(hex "${v2sig}${v2rest}hello\n")
(closed)" ]
	# One session named 127.0.0.2 held open: a second for it is refused,
	# one for 127.0.0.3 and one from an untrusted address are served.
	client raw 127.0.0.1 "$p" \
	    'send:PROXY TCP4 127.0.0.2 127.0.0.1 40001 25\r\n' line \
	    sleep:3 shut eof >"$T/held" &
	PIDS="$PIDS $!"
	for i in $(seq 1 50); do
		[ -s "$T/held" ] && break
		sleep 0.1
	done
	[ "$(cat "$T/held")" = "ip=127.0.0.1" ]
	run client raw 127.0.0.1 "$p" \
	    'send:PROXY TCP4 127.0.0.2 127.0.0.1 40002 25\r\n' eof
	[ "$output" = $'too many from you\r\n(closed)' ]
	run client raw 127.0.0.1 "$p" \
	    'send:PROXY TCP4 127.0.0.3 127.0.0.1 40003 25\r\n' shut eof
	[ "$output" = "ip=127.0.0.1
$(hex 'PROXY TCP4 127.0.0.3 127.0.0.1 40003 25\r\n')
(closed)" ]
	# 127.0.0.2 straight, not through the proxy: the same client.
	run client raw 127.0.0.2 "$p" eof
	[ "$output" = $'too many from you\r\n(closed)' ]
	# An untrusted client's header is no header to the listener: its
	# program (a handler with -x) deals with it.
	run client raw 127.0.0.4 "$p" \
	    'send:PROXY TCP4 127.0.0.2 127.0.0.1 40004 25\r\n' shut eof
	[ "$output" = "ip=127.0.0.4
$(hex 'PROXY TCP4 127.0.0.2 127.0.0.1 40004 25\r\n')
(closed)" ]
}

@test "a LOCAL or UNKNOWN header counts under the proxy's own address" {
	hexprog
	p=$(free_port)
	bg listener "$BIN/listener" -b 127.0.0.1 -x 127.0.0.1 -C 1 \
	    -m "too many from you" "$p" "$T/hex"
	wait_listening "$p"
	client raw 127.0.0.1 "$p" \
	    'send:\r\n\r\n\x00\r\nQUIT\n\x20\x00\x00\x00' line sleep:3 shut \
	    eof >"$T/held" &
	PIDS="$PIDS $!"
	for i in $(seq 1 50); do
		[ -s "$T/held" ] && break
		sleep 0.1
	done
	[ "$(cat "$T/held")" = "ip=127.0.0.1" ]
	run client raw 127.0.0.1 "$p" 'send:PROXY UNKNOWN\r\n' eof
	[ "$output" = $'too many from you\r\n(closed)' ]
	run client raw 127.0.0.1 "$p" \
	    'send:PROXY TCP4 127.0.0.2 127.0.0.1 40000 25\r\n' shut eof
	[ "$output" = "ip=127.0.0.1
$(hex 'PROXY TCP4 127.0.0.2 127.0.0.1 40000 25\r\n')
(closed)" ]
}

@test "a silent trusted connection holds up nobody, and is closed after 10 s with a log line" {
	journal_start
	prog cat 'echo "ip=$TCPREMOTEIP"; exec cat'
	p=$(free_port)
	bg listener "$BIN/listener" -b 127.0.0.1 -x 127.0.0.1 "$p" "$T/cat"
	LPID=$BG_PID
	wait_listening "$p"
	client raw 127.0.0.1 "$p" eof >"$T/silent" &
	PIDS="$PIDS $!"
	client raw 127.0.0.1 "$p" 'send:PROXY TCP4 ' eof >"$T/partial" &
	PIDS="$PIDS $!"
	sleep 0.5
	before=$(ticks "$LPID")
	start=$(date +%s%N)
	run client raw 127.0.0.1 "$p" \
	    'send:PROXY TCP4 127.0.0.2 127.0.0.1 40000 25\r\n' shut eof
	[ "$output" = $'ip=127.0.0.1\nPROXY TCP4 127.0.0.2 127.0.0.1 40000 25\r\n(closed)' ]
	[ $(($(date +%s%N) - start)) -lt 3000000000 ]
	# Waiting on a partial header must not spin: 1 s of CPU is 100
	# ticks.
	sleep 1
	[ $(($(ticks "$LPID") - before)) -lt 20 ]
	[ ! -s "$T/silent" ]
	logged "no whole PROXY header from 127\.0\.0\.1 port [0-9]+ in 10 s; closed" 15
	for i in $(seq 1 50); do
		[ -s "$T/silent" ] && [ -s "$T/partial" ] && break
		sleep 0.1
	done
	[[ "$(cat "$T/silent")" == "(closed)" || "$(cat "$T/silent")" == "(reset)" ]]
	[[ "$(cat "$T/partial")" == "(closed)" || "$(cat "$T/partial")" == "(reset)" ]]
	[ "$(messages_logged | grep -c 'no whole PROXY header')" -eq 2 ]
	[ "$(messages_logged | grep -c 'connection from')" -eq 1 ]
}

@test "garbage from a trusted address is closed with a log line, and runs nothing" {
	journal_start
	prog cat 'touch "$0.ran"; exec cat'
	p=$(free_port)
	bg listener "$BIN/listener" -b 127.0.0.1 -x 127.0.0.1 "$p" "$T/cat"
	wait_listening "$p"
	run client raw 127.0.0.1 "$p" 'send:GET / HTTP/1.0\r\n\r\n' eof
	[[ "$output" == "(closed)" || "$output" == "(reset)" ]]
	logged "bad PROXY header from 127\.0\.0\.1 port [0-9]+: no PROXY header; closed"
	run client raw 127.0.0.1 "$p" 'send:PROXY TCP4 127.0.0.2 nonsense\r\n' eof
	[[ "$output" == "(closed)" || "$output" == "(reset)" ]]
	logged "bad PROXY header from 127\.0\.0\.1 port [0-9]+: .*v1 header; closed"
	# A proxy that leaves halfway is no refusal.
	run client raw 127.0.0.1 "$p" 'send:PROXY TCP4 127.0.0.2' shut eof
	[[ "$output" == "(closed)" || "$output" == "(reset)" ]]
	logged "127\.0\.0\.1 port [0-9]+: closed before its PROXY header ended"
	[ ! -e "$T/cat.ran" ]
	not_logged "connection from"
}

@test "SIGTERM closes the connections still waiting for a header; the listener exits 0, quietly" {
	prog cat 'exec cat'
	p=$(free_port)
	bg listener "$BIN/listener" -b 127.0.0.1 -x 127.0.0.1 "$p" "$T/cat"
	LPID=$BG_PID
	wait_listening "$p"
	client raw 127.0.0.1 "$p" 'send:PROXY TCP4 127.0.0.2' eof >"$T/partial" &
	PIDS="$PIDS $!"
	client raw 127.0.0.1 "$p" eof >"$T/silent" &
	PIDS="$PIDS $!"
	# Both clients connected (python may take a while to start on a
	# busy machine), and the partial header had time to arrive.
	for i in $(seq 1 100); do
		[ "$(ss -Htn state established "( dport = :$p )" | wc -l)" -ge 2 ] && break
		sleep 0.1
	done
	[ "$(ss -Htn state established "( dport = :$p )" | wc -l)" -ge 2 ]
	sleep 0.3
	kill -TERM "$LPID"
	for i in $(seq 1 50); do
		[ -s "$T/partial" ] && [ -s "$T/silent" ] && break
		sleep 0.1
	done
	[[ "$(cat "$T/partial")" == "(closed)" || "$(cat "$T/partial")" == "(reset)" ]]
	[ "$(cat "$T/silent")" = "(closed)" ]
	wait "$LPID" || status=$?
	[ "${status:-0}" -eq 0 ]
	# Nothing on stderr: under the sanitizer build, no error and no leak.
	[ ! -s "$T/listener.out" ]
}

@test "mysmtpd passes -x on to smtp-handler, which reads the header itself" {
	p=$(free_port)
	run timeout 10 "$BIN/mysmtpd" -x 127.0.0.1/33 "$p"
	[ "$status" -eq 100 ]
	[[ "$output" == *"bad -x list: 127.0.0.1/33"* ]]
	bg mysmtpd "$BIN/mysmtpd" -b 127.0.0.1 -x 10.9.9.9 -x 127.0.0.1 "$p" \
	    -u "$USERS" -d "$STORE" -n mx.test
	wait_listening "$p"
	run client raw 127.0.0.1 "$p" \
	    'send:PROXY TCP4 127.0.0.2 127.0.0.1 40000 25\r\n' line \
	    'send:QUIT\r\n' eof
	[ "$output" = $'220 mx.test ESMTP ready\r\n221 2.0.0 Bye\r\n(closed)' ]
	[ ! -s "$T/mysmtpd.out" ]
}

# Through HAProxy

@test "SMTP through HAProxy, v2 and v1, reaches both backends; every message is stored byte for byte from the real client" {
	journal_start
	backends smtp
	set -- $(ports 2)
	hap_listen smtp2 "$1" send-proxy-v2 "$A" "$B"
	hap_listen smtp1 "$2" send-proxy "$A" "$B"
	hap_start
	mkdir "$T/sent"
	run client send 127.0.0.2 "$1" 4 v2 "$T/sent"
	[ "$status" -eq 0 ]
	[[ "$output" == *"greeting mx-a.test"* ]]
	[[ "$output" == *"greeting mx-b.test"* ]]
	run client send 127.0.0.2 "$2" 4 v1 "$T/sent"
	[ "$status" -eq 0 ]
	[[ "$output" == *"greeting mx-a.test"* ]]
	[[ "$output" == *"greeting mx-b.test"* ]]
	check_store v2 v1
	# Listeners and handlers name the client, and the proxy beside it.
	[ "$(messages_logged | grep -cE '^pid [0-9]+: connection from 127\.0\.0\.2 port [0-9]+ via proxy 127\.0\.0\.1 port [0-9]+$')" -eq 8 ]
	[ "$(messages_logged | grep -cE '^connect peer=127\.0\.0\.2 proxy=127\.0\.0\.1 ')" -eq 8 ]
	not_logged "peer=127\.0\.0\.1 session"
}

@test "POP3 through HAProxy, v2 and v1, retrieves and deletes the messages; logs name the real client" {
	journal_start
	backends pop3
	set -- $(ports 2)
	hap_listen pop2 "$1" send-proxy-v2 "$A" "$B"
	hap_listen pop1 "$2" send-proxy "$A" "$B"
	hap_start
	for i in 1 2 3; do
		printf 'Subject: first %d\n\nBody %d.\n.dot\n' "$i" "$i" |
		    pop3_drop alice@example.com >/dev/null
	done
	mkdir "$T/before" "$T/got2" "$T/got1"
	cp $(all_messages) "$T/before/"
	run client fetch 127.0.0.2 "$1" alice@example.com alicepw "$T/got2"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "fetched 3" ]
	first=${lines[0]}
	[ "$(count alice@example.com)" -eq 0 ]
	for i in 4 5; do
		printf 'Subject: second %d\n\nBody %d.\n' "$i" "$i" |
		    pop3_drop alice@example.com >/dev/null
	done
	cp $(all_messages) "$T/before/"
	run client fetch 127.0.0.3 "$2" alice@example.com alicepw "$T/got1"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "fetched 2" ]
	[ "$(count alice@example.com)" -eq 0 ]
	# Every message came out byte for byte (the order is the store's).
	[ "$(ls "$T/before" | wc -l)" -eq 5 ]
	for f in "$T"/before/*; do
		found=
		for g in "$T"/got2/* "$T"/got1/*; do
			cmp -s "$f" "$g" && found=1
		done
		[ -n "$found" ]
	done
	[[ "$first" == "greeting mx-"[ab]".test" ]]
	[[ "${lines[0]}" == "greeting mx-"[ab]".test" ]]
	logged "^connect peer=127\.0\.0\.2 proxy=127\.0\.0\.1 "
	logged "^connect peer=127\.0\.0\.3 proxy=127\.0\.0\.1 "
	logged "^pid [0-9]+: connection from 127\.0\.0\.3 port [0-9]+ via proxy 127\.0\.0\.1 "
}

@test "two POP3 sessions for one user on the two backends cannot both hold the maildrop" {
	backends pop3
	set -- $(ports 1)
	hap_listen pop2 "$1" send-proxy-v2 "$A" "$B"
	hap_start
	printf 'Subject: locked\n\nBody.\n' | pop3_drop alice@example.com >/dev/null
	run client lock 127.0.0.2 "$1" alice@example.com alicepw
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "first +OK" ]
	# Round robin: the second session is on the other backend.
	[[ "${lines[0]}" == "first mx-"[ab]".test" ]]
	[[ "${lines[2]}" == "second mx-"[ab]".test" ]]
	[ "${lines[0]#first }" != "${lines[2]#second }" ]
	[ "${lines[3]}" = "second -ERR [IN-USE] Maildrop is locked by another session" ]
	[ "$(count alice@example.com)" -eq 1 ]
}

@test "behind HAProxy, -C limits each real client: two from 127.0.0.2 hit it, 127.0.0.2 and 127.0.0.3 both run" {
	journal_start
	backends smtp -C 1
	set -- $(ports 2)
	# Both frontends on backend A only, one with each header version.
	hap_listen lim2 "$1" send-proxy-v2 "$A"
	hap_listen lim1 "$2" send-proxy "$A"
	hap_start
	client raw 127.0.0.2 "$1" line sleep:4 'send:QUIT\r\n' eof \
	    >"$T/held" &
	PIDS="$PIDS $!"
	for i in $(seq 1 100); do
		[ -s "$T/held" ] && break
		sleep 0.1
	done
	[ "$(cat "$T/held")" = $'220 mx-a.test ESMTP ready\r' ]
	run client raw 127.0.0.2 "$2" eof
	[ "$output" = $'421 4.3.2 Too many sessions, try again later\r\n(closed)' ]
	run client raw 127.0.0.3 "$2" line 'send:QUIT\r\n' eof
	[ "$output" = $'220 mx-a.test ESMTP ready\r\n221 2.0.0 Bye\r\n(closed)' ]
	logged "^refused 127\.0\.0\.2 port [0-9]+ via proxy 127\.0\.0\.1 port [0-9]+: 1 sessions running, [0-9]+ waiting for a PROXY header, 1 from that address$"
	# Once the first has gone, 127.0.0.2 is served again.
	for i in $(seq 1 100); do
		grep -q '^221 ' "$T/held" && break
		sleep 0.1
	done
	for i in $(seq 1 50); do
		run client raw 127.0.0.2 "$1" line 'send:QUIT\r\n' eof
		[[ "$output" == "421 "* ]] || break
		sleep 0.1
	done
	[ "$output" = $'220 mx-a.test ESMTP ready\r\n221 2.0.0 Bye\r\n(closed)' ]
}

@test "a PROXY line straight from an untrusted client is refused by the handler; a trusted address without a header by the listener" {
	journal_start
	backends smtp
	# 127.0.0.2 is no proxy: the listener serves it as any client, and
	# the handler refuses the header it sends as its first line.
	run client raw 127.0.0.2 "$A" line \
	    'send:PROXY TCP4 192.0.2.7 127.0.0.1 40000 25\r\n' eof
	[ "${lines[0]}" = $'220 mx-a.test ESMTP ready\r' ]
	[[ "${lines[1]}" == "421 4.7.0 "* ]]
	logged "^proxy header from untrusted 127\.0\.0\.2 refused "
	not_logged "peer=192\.0\.2\.7"
	# From 127.0.0.1, the proxy's address, a client that speaks first
	# without a header gets nothing, not even a greeting.
	run client raw 127.0.0.1 "$B" 'send:EHLO client.test\r\n' eof
	[[ "$output" == "(closed)" || "$output" == "(reset)" ]]
	logged "^bad PROXY header from 127\.0\.0\.1 port [0-9]+: no PROXY header; closed$"
	[ "$(count alice@example.com)" -eq 0 ]
}

@test "HAProxy's health checks, v2 LOCAL and v1, are served quietly" {
	journal_start
	backends smtp
	set -- $(ports 2)
	hap_listen chk2 "$1" send-proxy-v2 "$A"
	hap_listen chk1 "$2" send-proxy "$B"
	hap_start
	# Checks every 500 ms: a few of each within 3 s.  HAProxy 2.2 and
	# later send version 2's LOCAL; version 1 checks name the check's
	# own connection, from the proxy to itself.
	logged "^pid [0-9]+: connection from proxy 127\.0\.0\.1 port [0-9]+ \(PROXY header without a client\)$"
	logged "^pid [0-9]+: connection from 127\.0\.0\.1 port ([0-9]+) via proxy 127\.0\.0\.1 port \1$"
	sleep 2
	[ "$(messages_logged | grep -c 'connection from')" -ge 4 ]
	not_logged "bad PROXY header|no whole PROXY header|refused|proxy header from"
	# Nothing at warning or above, from the listeners or the sessions.
	! grep -E '^PRIORITY=[0-4]$' "$T/journal" || false
	# The mail still goes through both, named by the client.
	mkdir "$T/sent"
	run client send 127.0.0.2 "$1" 1 v2 "$T/sent"
	[ "$output" = "greeting mx-a.test" ]
	run client send 127.0.0.2 "$2" 1 v1 "$T/sent"
	[ "$output" = "greeting mx-b.test" ]
	check_store v2 v1
}
