#!/usr/bin/env bats
# The PROXY protocol (HAProxy's specification, versions 1 and 2) with -x:
# a header from a trusted peer names the client, who then stands for the
# session's peer in the log, in the Received field and in the rule for
# passwords without TLS; a bad or missing header, or one from a peer not
# in the list, ends the session.  Piped sessions take their peer from
# REMOTE_ADDR (a pipe has none), so 127.0.0.9 plays the proxy; the
# listener on loopback carries the cases that need a socket (reading
# exactly the header when the client's bytes come in the same segment,
# implicit TLS).

load ../lib/helper
load ../lib/tls

ALICE_PLAIN=$(b64 '\0alice@example.com\0alicepw')
R_REFUSED='421 4.7.0 mx.test PROXY header refused, closing connection'
P_REFUSED='-ERR PROXY header refused, closing'

# v2 inet|inet6 SRC DST SPORT DPORT [TLVHEX] | v2 local | v2 raw VERCMD
# FAMPROTO LENGTH [HEXBODY]: a version 2 header on stdout.  inet and
# inet6 are the PROXY command over TCP; raw sets octets 13 and 14 and the
# length field as given (hex, decimal) before HEXBODY.
v2() {
	python3 "$LIB/proxy_v2_header.py" "$@"
}

# via_proxy HANDLER [OPTION...]: run HANDLER on stdin, sent as it is, as a
# session whose connection comes from the trusted proxy 127.0.0.9.
via_proxy() {
	local h=$1
	shift
	REMOTE_ADDR=127.0.0.9 timeout 30 "$BIN/$h" -u "$USERS" -d "$STORE" \
	    -n mx.test -x 127.0.0.9 "$@"
}

# mail_after HEADERFILE: pipe HEADERFILE, then a whole SMTP transaction
# for alice, through smtp-handler behind the trusted proxy; output in
# $output, and alice's message must be there.
mail_after() {
	run via_proxy smtp-handler < <(cat "$1"; crlf <<'EOF'
EHLO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
DATA
Subject: proxied

body
.
QUIT
EOF
)
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(count alice@example.com)" -eq 1 ]
}

# received_from: the client part of the Received field of alice's message,
# e.g. "client.test ([192.0.2.7])".
received_from() {
	received_of "$(message_file alice@example.com)" |
	    sed -n 's/^Received: from \(.*)\) by .*/\1/p'
}

# Headers that name a client

@test "v1 TCP4: the Received field names the client, not the proxy; AUTH is not offered to it" {
	printf 'PROXY TCP4 192.0.2.7 127.0.0.1 40000 25\r\n' >"$T/h"
	mail_after "$T/h"
	[ "$(received_from)" = "client.test ([192.0.2.7])" ]
	! grep -q 'AUTH' <<<"$output"
}

# bats test_tags=slow
@test "v1 TCP6: the client's IPv6 address; an IPv4-mapped one is written as IPv4" {
	printf 'PROXY TCP6 2001:db8::7 2001:db8::1 40000 25\r\n' >"$T/h"
	mail_after "$T/h"
	[ "$(received_from)" = "client.test ([2001:db8::7])" ]
	rm -rf "$STORE"/*
	printf 'PROXY TCP6 ::ffff:192.0.2.7 ::1 40000 25\r\n' >"$T/h"
	mail_after "$T/h"
	[ "$(received_from)" = "client.test ([192.0.2.7])" ]
}

# bats test_tags=slow
@test "v1 UNKNOWN, with or without more on the line, keeps the connection's own address" {
	printf 'PROXY UNKNOWN\r\n' >"$T/h"
	mail_after "$T/h"
	[ "$(received_from)" = "client.test ([127.0.0.9])" ]
	rm -rf "$STORE"/*
	printf 'PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n' >"$T/h"
	mail_after "$T/h"
	[ "$(received_from)" = "client.test ([127.0.0.9])" ]
}

# bats test_tags=slow
@test "v2 PROXY over TCP/IPv4 and TCP/IPv6 names the client" {
	v2 inet 192.0.2.8 127.0.0.1 40000 25 >"$T/h"
	mail_after "$T/h"
	[ "$(received_from)" = "client.test ([192.0.2.8])" ]
	rm -rf "$STORE"/*
	v2 inet6 2001:db8::8 2001:db8::1 40000 25 >"$T/h"
	mail_after "$T/h"
	[ "$(received_from)" = "client.test ([2001:db8::8])" ]
}

# bats test_tags=slow
@test "v2 LOCAL, and PROXY with the UNSPEC family, keep the connection's own address" {
	v2 local >"$T/h"
	mail_after "$T/h"
	[ "$(received_from)" = "client.test ([127.0.0.9])" ]
	rm -rf "$STORE"/*
	v2 raw 21 00 0 >"$T/h"
	mail_after "$T/h"
	[ "$(received_from)" = "client.test ([127.0.0.9])" ]
}

# bats test_tags=slow
@test "v2 with TLVs after the addresses: they are skipped, up to the 2048-octet limit" {
	# PP2_TYPE_ALPN "smtp", PP2_TYPE_AUTHORITY "mx.test", a NOOP of 3.
	v2 inet 192.0.2.9 127.0.0.1 40000 25 \
	    010004736d74700200076d782e74657374040003000000 >"$T/h"
	mail_after "$T/h"
	[ "$(received_from)" = "client.test ([192.0.2.9])" ]
	rm -rf "$STORE"/*
	# 12 octets of addresses and 2036 of one TLV: exactly 16 + 2048.
	v2 inet 192.0.2.10 127.0.0.1 40000 25 "0407f1$(chars 4066 0)" >"$T/h"
	[ "$(stat -c %s "$T/h")" -eq 2064 ]
	mail_after "$T/h"
	[ "$(received_from)" = "client.test ([192.0.2.10])" ]
}

# bats test_tags=slow
@test "the log names the client and the proxy for every kind of header" {
	printf 'PROXY TCP4 192.0.2.1 127.0.0.1 1 25\r\nQUIT\r\n' >"$T/in1"
	printf 'PROXY TCP6 2001:db8::2 ::1 1 25\r\nQUIT\r\n' >"$T/in2"
	printf 'PROXY UNKNOWN\r\nQUIT\r\n' >"$T/in3"
	{ v2 inet 192.0.2.4 127.0.0.1 1 25; printf 'QUIT\r\n'; } >"$T/in4"
	{ v2 inet6 2001:db8::5 ::1 1 25; printf 'QUIT\r\n'; } >"$T/in5"
	{ v2 local; printf 'QUIT\r\n'; } >"$T/in6"
	{ v2 inet 192.0.2.7 127.0.0.1 1 25 0400020000; printf 'QUIT\r\n'; } >"$T/in7"
	printf 'PROXY TCP4 192.0.2.8 127.0.0.1 1 110\r\nQUIT\r\n' >"$T/in8"
	journal_listen <<'EOF'
for i in 1 2 3 4 5 6 7; do
	REMOTE_ADDR=127.0.0.9 "$BIN/smtp-handler" -u "$USERS" -d "$STORE" \
	    -n mx.test -x 127.0.0.9 <"$T/in$i" >"$T/out$i"
done
REMOTE_ADDR=127.0.0.9 "$BIN/pop3-handler" -u "$USERS" -d "$STORE" \
    -n mx.test -x 127.0.0.9 <"$T/in8" >"$T/out8"
EOF
	for p in 192.0.2.1 2001:db8::2 192.0.2.4 2001:db8::5 192.0.2.7; do
		grep -q "^MESSAGE=connect peer=$p proxy=127.0.0.9 session=" "$T/journal"
		grep -q "^PEER=$p\$" "$T/journal"
	done
	[ "$(grep -c '^MESSAGE=connect peer=127.0.0.9 proxy=127.0.0.9 session=' "$T/journal")" -eq 2 ]
	grep -A3 '^MESSAGE=connect peer=192.0.2.8 proxy=127.0.0.9' "$T/journal" |
	    grep -q '^SYSLOG_IDENTIFIER=pop3-handler$'
	[ "$(grep -c '^RESULT=quit$' "$T/journal")" -eq 8 ]
}

# Reading the header

# bats test_tags=slow
@test "a header split over several writes is put together" {
	run via_proxy smtp-handler < <(
		printf 'PROXY TCP4 192.0.2.7 '; sleep 0.3
		printf '127.0.0.1 40000'; sleep 0.3
		printf ' 25\r'; sleep 0.3
		printf '\nEHLO client.test\r\nQUIT\r\n')
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 250 221" ]
	v2 inet 192.0.2.8 127.0.0.1 40000 25 >"$T/h"
	run via_proxy smtp-handler < <(
		head -c 5 "$T/h"; sleep 0.3
		tail -c +6 "$T/h" | head -c 10; sleep 0.3
		tail -c +16 "$T/h"; sleep 0.3
		printf 'EHLO client.test\r\nQUIT\r\n')
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 250 221" ]
}

# bats test_tags=slow
@test "the client's first command in the same write as the header is kept (SMTP EHLO, POP3 USER)" {
	run via_proxy smtp-handler < <(printf 'PROXY TCP4 127.0.0.5 127.0.0.1 40000 25\r\nEHLO client.test\r\nQUIT\r\n')
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 250 221" ]
	run via_proxy pop3-handler < <(v2 inet 127.0.0.5 127.0.0.1 40000 110; printf 'USER alice@example.com\r\nPASS alicepw\r\nQUIT\r\n')
	[ "$status" -eq 0 ]
	[ "$(status)" = "+OK +OK +OK +OK" ]
}

# bats test_tags=slow
@test "a header cut short by the end of input: 421 or -ERR, exit 1, no greeting" {
	for h in 'PROXY TCP4 192.0.2.7 127.0.0.1 40000 25' 'PROXY TCP4 192.0.2.7 127.0.0.1 40000 25\r' 'PRO'; do
		run via_proxy smtp-handler < <(printf "$h")
		[ "$status" -eq 1 ]
		[ "$output" = "$R_REFUSED"$'\r' ]
	done
	v2 inet 192.0.2.7 127.0.0.1 40000 25 >"$T/h"
	run via_proxy pop3-handler < <(head -c 20 "$T/h")
	[ "$status" -eq 1 ]
	[ "$output" = "$P_REFUSED"$'\r' ]
	run via_proxy pop3-handler </dev/null
	[ "$status" -eq 1 ]
	[ "$output" = "$P_REFUSED"$'\r' ]
}

# bats test_tags=slow
@test "a proxy that stops in its header times out after -t seconds (PROXY_TIMEOUT, 10, when -t is longer)" {
	start=$(date +%s%N)
	run via_proxy smtp-handler -t 1 < <(printf 'PROXY TCP4 192.0.2.7 '; sleep 4)
	[ "$status" -eq 1 ]
	[ "$output" = "$R_REFUSED"$'\r' ]
	ms=$(elapsed_ms "$start")
	[ "$ms" -ge 900 ] && [ "$ms" -lt 3000 ]
}

# bats test_tags=slow
@test "malformed v1 headers are refused: spacing, ports, addresses, line end, length, case" {
	long="PROXY UNKNOWN $(chars 92 x)"		# 106 octets, 108 with CRLF
	for h in \
	    'PROXY TCP4  192.0.2.7 127.0.0.1 40000 25\r\n' \
	    'PROXY TCP4 192.0.2.7 127.0.0.1 40000 25 \r\n' \
	    'PROXY  TCP4 192.0.2.7 127.0.0.1 40000 25\r\n' \
	    'PROXY TCP4 192.0.2.7 127.0.0.1 65536 25\r\n' \
	    'PROXY TCP4 192.0.2.7 127.0.0.1 040000 25\r\n' \
	    'PROXY TCP4 192.0.2.7 127.0.0.1 -1 25\r\n' \
	    'PROXY TCP4 192.0.2.7 127.0.0.1 40000\r\n' \
	    'PROXY TCP4 192.0.2.7 127.0.0.1 40000 25 1\r\n' \
	    'PROXY TCP4 256.0.2.7 127.0.0.1 40000 25\r\n' \
	    'PROXY TCP4 192.0.2.07 127.0.0.1 40000 25\r\n' \
	    'PROXY TCP4 2001:db8::7 127.0.0.1 40000 25\r\n' \
	    'PROXY TCP6 192.0.2.7 ::1 40000 25\r\n' \
	    'PROXY TCP5 192.0.2.7 127.0.0.1 40000 25\r\n' \
	    'PROXY TCP4 192.0.2.7 127.0.0.1 40000 25\n' \
	    'PROXY TCP4 192.0.2.7 127.0.0.1 40000 25\rX\n' \
	    'PROXY TCP4 192.0.2.7\t127.0.0.1 40000 25\r\n' \
	    'proxy TCP4 192.0.2.7 127.0.0.1 40000 25\r\n' \
	    "$long"'\r\n'; do
		run via_proxy smtp-handler < <(printf "$h"; printf 'EHLO client.test\r\nQUIT\r\n')
		echo "header: $h -> $output"
		[ "$status" -eq 1 ]
		[ "$output" = "$R_REFUSED"$'\r' ]
	done
	# 107 octets with the CRLF is the longest allowed.
	run via_proxy smtp-handler < <(printf '%s\r\nQUIT\r\n' "${long:0:105}")
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 221" ]
}

# bats test_tags=slow
@test "malformed v2 headers are refused: version, command, family, transport, length" {
	addrs=c0000207 ; addrs+=7f000001 ; addrs+=9c400019
	for args in \
	    "11 11 12 $addrs" \
	    "31 11 12 $addrs" \
	    "22 11 12 $addrs" \
	    "2f 11 12 $addrs" \
	    "21 41 12 $addrs" \
	    "21 12 12 $addrs" \
	    "21 10 12 $addrs" \
	    "21 13 12 $addrs" \
	    "21 11 11 ${addrs:0:22}" \
	    "21 21 12 $addrs" \
	    "21 31 12 $addrs" \
	    "21 11 2049 $addrs"; do
		# shellcheck disable=SC2086
		run via_proxy smtp-handler < <(v2 raw $args; printf 'EHLO client.test\r\nQUIT\r\n')
		echo "v2 raw $args -> $output"
		[ "$status" -eq 1 ]
		[ "$output" = "$R_REFUSED"$'\r' ]
	done
	# A signature with one octet wrong is no header at all.
	run via_proxy smtp-handler < <(v2 inet 192.0.2.7 127.0.0.1 1 25 | sed 's/QUIT/QUIX/'; printf 'QUIT\r\n')
	[ "$status" -eq 1 ]
	[ "$output" = "$R_REFUSED"$'\r' ]
}

@test "a trusted peer that sends no header but a command is refused before the greeting" {
	run via_proxy smtp-handler < <(printf 'EHLO client.test\r\nQUIT\r\n')
	[ "$status" -eq 1 ]
	[ "$output" = "$R_REFUSED"$'\r' ]
	run via_proxy pop3-handler < <(printf 'CAPA\r\nQUIT\r\n')
	[ "$status" -eq 1 ]
	[ "$output" = "$P_REFUSED"$'\r' ]
}

# bats test_tags=slow
@test "a refused header is logged at warning with the proxy and the reason, and ends the session" {
	printf 'EHLO client.test\r\nQUIT\r\n' >"$T/in1"
	printf 'PROXY TCP4 192.0.2.7 127.0.0.1 65536 25\r\nQUIT\r\n' >"$T/in2"
	printf 'PROXY TCP4 192.0.2.7 127.0.0.1 40000 25\r\nQUIT\r\n' >"$T/in3"
	{ v2 raw 11 11 0; printf 'QUIT\r\n'; } >"$T/in4"
	journal_listen <<'EOF'
for i in 1 2; do
	REMOTE_ADDR=127.0.0.9 "$BIN/smtp-handler" -u "$USERS" -d "$STORE" \
	    -n mx.test -x 127.0.0.9 <"$T/in$i" >"$T/out$i"
done
REMOTE_ADDR=127.0.0.8 "$BIN/smtp-handler" -u "$USERS" -d "$STORE" \
    -n mx.test -x 127.0.0.9 <"$T/in3" >"$T/out3"
REMOTE_ADDR=::ffff:127.0.0.9 "$BIN/pop3-handler" -u "$USERS" -d "$STORE" \
    -n mx.test -x 127.0.0.0/24 <"$T/in4" >"$T/out4"
(printf 'PROXY TCP4 192.0.2.7 '; sleep 3) | REMOTE_ADDR=127.0.0.9 \
    "$BIN/pop3-handler" -u "$USERS" -d "$STORE" -n mx.test -x 127.0.0.9 \
    -t 1 >"$T/out5"
EOF
	grep -q '^MESSAGE=proxy header from 127.0.0.9 refused: no PROXY header session=' "$T/journal"
	grep -q '^MESSAGE=proxy header from 127.0.0.9 refused: bad port in v1 header session=' "$T/journal"
	grep -q '^MESSAGE=proxy header from untrusted 127.0.0.8 refused session=' "$T/journal"
	grep -q '^MESSAGE=proxy header from ::ffff:127.0.0.9 refused: not version 2 session=' "$T/journal"
	grep -q '^MESSAGE=proxy header from 127.0.0.9 refused: timeout session=' "$T/journal"
	# Priority 4, warning, for each of the five.
	[ "$(grep -A1 '^MESSAGE=proxy header' "$T/journal" | grep -c '^PRIORITY=4$')" -eq 5 ]
	[ "$(grep -c '^RESULT=proxy-refused$' "$T/journal")" -eq 4 ]
	[ "$(grep -c '^RESULT=proxy-untrusted$' "$T/journal")" -eq 1 ]
	# No connect line for a session whose client is not known.
	! grep -q '^MESSAGE=connect peer=192.0.2.7' "$T/journal"
	[ "$(tr -d '\r' <"$T/out3")" = "220 mx.test ESMTP ready
421 4.7.0 mx.test PROXY header refused, closing connection" ]
}

# Peers not in the list

@test "with -x, a PROXY line from a peer not in the list ends the session (SMTP and POP3)" {
	run env REMOTE_ADDR=127.0.0.8 timeout 30 "$BIN/smtp-handler" -u "$USERS" \
	    -d "$STORE" -n mx.test -x 127.0.0.9 < <(printf 'PROXY TCP4 192.0.2.7 127.0.0.1 40000 25\r\nEHLO client.test\r\nQUIT\r\n')
	[ "$status" -eq 1 ]
	[ "$(codes)" = "220 421" ]
	[ "$(reply 2)" = "$R_REFUSED" ]
	run env REMOTE_ADDR=127.0.0.8 timeout 30 "$BIN/pop3-handler" -u "$USERS" \
	    -d "$STORE" -n mx.test -x 127.0.0.9 < <(printf 'PROXY TCP4 192.0.2.7 127.0.0.1 40000 110\r\nQUIT\r\n')
	[ "$status" -eq 1 ]
	[ "$(status)" = "+OK -ERR" ]
	[ "$(pop3_line 2)" = "$P_REFUSED" ]
}

# bats test_tags=slow
@test "with -x, a v2 signature from a peer not in the list ends the session at its third line" {
	run env REMOTE_ADDR=127.0.0.8 timeout 30 "$BIN/smtp-handler" -u "$USERS" \
	    -d "$STORE" -n mx.test -x 127.0.0.9 < <(v2 inet 192.0.2.7 127.0.0.1 1 25; printf 'EHLO client.test\r\nQUIT\r\n')
	[ "$status" -eq 1 ]
	[ "$(codes)" = "220 500 500 421" ]
	run env REMOTE_ADDR=127.0.0.8 timeout 30 "$BIN/pop3-handler" -u "$USERS" \
	    -d "$STORE" -n mx.test -x 127.0.0.9 < <(v2 local; printf 'QUIT\r\n')
	[ "$status" -eq 1 ]
	[ "$(pop3_line 4)" = "$P_REFUSED" ]
}

@test "with -x, a peer not in the list may still send empty lines and commands" {
	run env REMOTE_ADDR=127.0.0.8 timeout 30 "$BIN/smtp-handler" -u "$USERS" \
	    -d "$STORE" -n mx.test -x 127.0.0.9 < <(printf '\r\n\r\nEHLO client.test\r\nNOOP PROXY x\r\nQUIT\r\n')
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 500 500 250 250 221" ]
}

@test "without -x, a PROXY line is an unknown command and the session goes on" {
	run smtp <<'EOF'
PROXY TCP4 192.0.2.7 127.0.0.1 40000 25
EHLO client.test
QUIT
EOF
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 500 250 221" ]
	[ "$(reply 2)" = "500 5.5.1 Unknown command" ]
	run pop3 <<'EOF'
PROXY TCP4 192.0.2.7 127.0.0.1 40000 110
QUIT
EOF
	[ "$status" -eq 0 ]
	[ "$(status)" = "+OK -ERR +OK" ]
	[ "$(pop3_line 2)" = "-ERR Unknown command" ]
}

# The client's address decides about passwords in clear

# bats test_tags=slow
@test "a proxied client that is not on loopback gets no AUTH without TLS (538), nor POP3 USER" {
	run via_proxy smtp-handler < <(printf 'PROXY TCP4 192.0.2.7 127.0.0.1 40000 25\r\n'; crlf <<EOF
EHLO client.test
AUTH PLAIN $ALICE_PLAIN
QUIT
EOF
)
	[ "$(codes)" = "220 250 538 221" ]
	[ "$(reply 3)" = "538 5.7.11 Encryption required for requested authentication mechanism" ]
	! grep -q AUTH <<<"$(printf '%s\n' "$output" | sed -n '/^250-/p')"
	run via_proxy pop3-handler < <(v2 inet 192.0.2.7 127.0.0.1 40000 110; crlf <<'EOF'
CAPA
USER alice@example.com
QUIT
EOF
)
	! grep -q '^USER' <<<"$output"
	grep -q '^-ERR \[AUTH\] Plain-text login needs TLS' <<<"$output"
}

# bats test_tags=slow
@test "a proxied loopback client (127.0.0.5, ::1, ::ffff:127.0.0.1) may log in without TLS" {
	for h in 'PROXY TCP4 127.0.0.5 127.0.0.1 40000 25' 'PROXY TCP6 ::1 ::1 40000 25' \
	    'PROXY TCP6 ::ffff:127.0.0.1 ::1 40000 25'; do
		run via_proxy smtp-handler < <(printf '%s\r\n' "$h"; crlf <<EOF
EHLO client.test
AUTH PLAIN $ALICE_PLAIN
QUIT
EOF
)
		[ "$(codes)" = "220 250 235 221" ]
	done
	run via_proxy pop3-handler < <(v2 inet6 ::1 ::1 40000 110; crlf <<'EOF'
USER alice@example.com
PASS alicepw
QUIT
EOF
)
	[ "$(status)" = "+OK +OK +OK +OK" ]
}

@test "-P still offers passwords in clear to a proxied remote client" {
	run via_proxy smtp-handler -P < <(printf 'PROXY TCP4 192.0.2.7 127.0.0.1 40000 25\r\n'; crlf <<EOF
EHLO client.test
AUTH PLAIN $ALICE_PLAIN
QUIT
EOF
)
	[ "$(codes)" = "220 250 235 221" ]
}

# The option

# bats test_tags=slow
@test "-x takes addresses and prefixes, IPv4 and IPv6, repeated; a peer given as IPv4-mapped matches IPv4" {
	for x in 127.0.0.9 127.0.0.0/8 10.0.0.0/8,127.0.0.8/29 ::1,127.0.0.9/32 ::ffff:127.0.0.0/104; do
		run via_proxy smtp-handler -x "$x" < <(printf 'PROXY TCP4 192.0.2.7 127.0.0.1 1 25\r\nQUIT\r\n')
		[ "$(codes)" = "220 221" ]
	done
	run env REMOTE_ADDR=::ffff:127.0.0.9 timeout 30 "$BIN/smtp-handler" -u "$USERS" \
	    -d "$STORE" -n mx.test -x 10.0.0.1 --proxy=127.0.0.9 < <(printf 'PROXY UNKNOWN\r\nQUIT\r\n')
	[ "$(codes)" = "220 221" ]
	run env REMOTE_ADDR=2001:db8::9 timeout 30 "$BIN/pop3-handler" -u "$USERS" \
	    -d "$STORE" -n mx.test -x 2001:db8::/32 < <(v2 local; printf 'QUIT\r\n')
	[ "$(status)" = "+OK +OK" ]
}

@test "a bad -x list is a usage error (exit 100)" {
	for x in '' , 127.0.0.1, ',127.0.0.1' 127.0.0.1/33 127.0.0.1/08 127.0.0.1/ \
	    10.0.0.5/8 ::1/129 example.com '127.0.0.1 ' 127.1 300.0.0.1 \
	    "$(seq -s, 1 33 | sed 's/[0-9]*/10.0.0.&/g')"; do
		run "$BIN/smtp-handler" -u "$USERS" -d "$STORE" --check -x "$x"
		echo "-x '$x': $status $output"
		[ "$status" -eq 100 ]
		[[ "$output" == *"-x needs"* ]]
	done
	run "$BIN/pop3-handler" -u "$USERS" -d "$STORE" --check \
	    -x "$(seq -s, 1 20 | sed 's/[0-9]*/10.0.0.&/g')" \
	    -x "$(seq -s, 21 33 | sed 's/[0-9]*/10.0.0.&/g')"
	[ "$status" -eq 100 ]
	run "$BIN/pop3-handler" -u "$USERS" -d "$STORE" --check -x 127.0.0.1 \
	    --proxy=::1,10.0.0.0/8
	[ "$status" -eq 0 ]
	run "$BIN/smtp-handler" --help
	[[ "$output" == *"-x, --proxy LIST"* ]]
	run "$BIN/pop3-handler" --help
	[[ "$output" == *"-x, --proxy LIST"* ]]
}

# Over a socket

# bats test_tags=slow
@test "over TCP, the header is taken and the EHLO sent in the same segment is answered" {
	serve smtp -x 127.0.0.1
	run chat smtp "$PORT" <<'EOF'
> PROXY TCP4 192.0.2.7 127.0.0.1 40000 25\r\nEHLO client.test\r\nMAIL FROM:<s@example.net>\r\nRCPT TO:<alice@example.com>\r\nDATA
<
<
<
<
<
> Subject: tcp\r\n\r\nbody\r\n.\r\nQUIT
<
<
EOF
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(received_from)" = "client.test ([192.0.2.7])" ]
}

# tls_after_header PORT HEXHEADER smtp|pop3: connect to PORT, send the header
# and the TLS ClientHello in one write (one segment), finish the
# handshake, then run a short session; prints the replies and the TLS
# version.
tls_after_header() {
	timeout 30 python3 "$LIB/tls_after_header.py" "$@" "$CA"
}

# bats test_tags=slow
@test "implicit TLS: a v2 header and the ClientHello in one segment; not an octet of the handshake is lost" {
	serve smtp -T -c "$CERT" -k "$KEY" -x 127.0.0.1
	hdr=$(v2 inet 192.0.2.7 127.0.0.1 40000 465 | od -An -tx1 | tr -d ' \n')
	run tls_after_header "$PORT" "$hdr" smtp
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[[ "$(received_from)" == "client.test ([192.0.2.7]"*TLS* ]]
	# The v1 header is found by looking ahead for its LF.
	serve pop3 -T -c "$CERT" -k "$KEY" -x 127.0.0.1
	hdr=$(printf 'PROXY TCP4 127.0.0.5 127.0.0.1 40000 995\r\n' | od -An -tx1 | tr -d ' \n')
	run tls_after_header "$PORT" "$hdr" pop3
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(status)" = "+OK +OK +OK +OK" ]
}

# bats test_tags=slow
@test "implicit TLS: a bad header gets no reply in clear, only the close" {
	serve smtp -T -c "$CERT" -k "$KEY" -x 127.0.0.1
	run chat smtp "$PORT" <<'EOF'
> PROXY TCP4 192.0.2.7 127.0.0.1 40000 465 junk
eof
EOF
	[ "$output" = "(closed)" ]
}
