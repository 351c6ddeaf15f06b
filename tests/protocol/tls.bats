#!/usr/bin/env bats
# TLS: SMTP STARTTLS (RFC 3207), POP3 STLS (RFC 2595) and implicit TLS
# (RFC 8314, -T), with certificates made for this run (tls.bash), real
# clients (openssl s_client, curl, python's smtplib and poplib, swaks,
# mpop) against listeners on 127.0.0.1, and a scripted client (chat) for
# what no stock client does: commands injected with STARTTLS, records
# split at odd points, a client that never finishes its handshake.  A
# client that is not on loopback is played in a private network namespace
# (as root).

load ../lib/helper
load ../lib/tls

ALICE_PLAIN=$(b64 '\0alice@example.com\0alicepw')

# s_client ARG...: openssl s_client checking the chain against ca.pem,
# turning the LFs of stdin into CRLF, sending it and printing what the
# server sends until it closes; its summary (-brief: "Protocol version:
# ...") goes to stderr.
s_client() {
	timeout 30 openssl s_client -CAfile "$CA" -verify_return_error -crlf \
	    -ign_eof -brief "$@"
}

# no_reply_lines: $output holds no SMTP or POP3 reply line at all.
no_reply_lines() {
	! printf '%s\n' "$output" | grep -aqE '^([0-9]{3}[ -]|\+OK|-ERR)' || false
}

# listener_quiet: nothing reached the listener's stderr, which is the
# handlers' stderr too (under inetd it would be the client's socket).
listener_quiet() {
	if [ -s "$T/listener.err" ]; then
		cat "$T/listener.err"
		return 1
	fi
}

# after_tls: the lines of $output after the "(tls ...)" line.
after_tls() {
	printf '%s\n' "$output" | sed -n '/^(tls /,$p' | sed 1d
}

# make_message FILE MB: a message of about MB megabytes in FILE, CRLF
# line ends, with lines that start with dots; FILE.data is the same
# dot-stuffed and ended with CRLF . CRLF, ready for DATA; FILE.lf the
# message with LF line ends, as the store keeps it.
make_message() {
	python3 "$LIB/large_message.py" "$1" "$2"
}

# Start-up: certificates and options

@test "--cert without --key, --key without --cert, and --tls without both are usage errors, exit 100" {
	for h in smtp-handler pop3-handler; do
		for opts in "-c $CERT" "-k $KEY" "-T" "-T -c $CERT" "-T -k $KEY"; do
			# shellcheck disable=SC2086
			run --separate-stderr timeout 10 "$BIN/$h" -u "$USERS" \
			    -d "$STORE" -n mx.test $opts </dev/null
			echo "$h $opts: $status, stdout '$output', stderr '$stderr'"
			[ "$status" -eq 100 ]
			[ -z "$output" ]
			[ -n "$stderr" ]
		done
	done
}

@test "a missing certificate file: exit 100 naming it, before any greeting" {
	for h in smtp-handler pop3-handler; do
		run --separate-stderr timeout 10 "$BIN/$h" -u "$USERS" -d "$STORE" \
		    -n mx.test -c "$T/nope.pem" -k "$KEY" <<<$'QUIT\r'
		echo "$h: $status, stdout '$output', stderr '$stderr'"
		[ "$status" -eq 100 ]
		[ -z "$output" ]
		[[ "$stderr" == *"unable to load certificate $T/nope.pem"* ]]
	done
}

@test "a missing key file: exit 100 naming it, before any greeting" {
	for h in smtp-handler pop3-handler; do
		run --separate-stderr timeout 10 "$BIN/$h" -u "$USERS" -d "$STORE" \
		    -n mx.test -c "$CERT" -k "$T/nope.key" <<<$'QUIT\r'
		echo "$h: $status, stdout '$output', stderr '$stderr'"
		[ "$status" -eq 100 ]
		[ -z "$output" ]
		[[ "$stderr" == *"unable to load key $T/nope.key"* ]]
	done
}

@test "a certificate or key file that is not PEM: exit 100 naming it" {
	printf 'not a certificate\n' >"$T/bad.pem"
	run --separate-stderr timeout 10 "$BIN/smtp-handler" -u "$USERS" \
	    -d "$STORE" -c "$T/bad.pem" -k "$KEY" </dev/null
	[ "$status" -eq 100 ]
	[ -z "$output" ]
	[[ "$stderr" == *"unable to load certificate $T/bad.pem"* ]]
	# A certificate where the key should be.
	run --separate-stderr timeout 10 "$BIN/pop3-handler" -u "$USERS" \
	    -d "$STORE" -c "$CERT" -k "$CERTS/server.pem" </dev/null
	[ "$status" -eq 100 ]
	[ -z "$output" ]
	[[ "$stderr" == *"unable to load key $CERTS/server.pem"* ]]
}

@test "a key that does not match the certificate: exit 100 naming both" {
	for h in smtp-handler pop3-handler; do
		run --separate-stderr timeout 10 "$BIN/$h" -u "$USERS" -d "$STORE" \
		    -c "$CERT" -k "$CERTS/other.key" </dev/null
		echo "$h: $status, stderr '$stderr'"
		[ "$status" -eq 100 ]
		[ -z "$output" ]
		[[ "$stderr" == *"key $CERTS/other.key does not match certificate $CERT"* ]]
	done
}

@test "a key the user cannot read: exit 100 naming it" {
	cp "$CERT" "$T/cert.pem"
	cp "$KEY" "$T/key.pem"
	if [ -n "$RUN_AS" ]; then
		# Root-owned 0600: unreadable to $RUN_AS, who runs the handler
		# here without -U, as an unprivileged operator would.
		chmod 600 "$T/key.pem"
		run --separate-stderr timeout 10 "${AS_RUN_AS[@]}" \
		    "$REAL_BIN/smtp-handler" -u "$USERS" -d "$STORE" \
		    -c "$T/cert.pem" -k "$T/key.pem" </dev/null
	else
		chmod 000 "$T/key.pem"
		[ ! -r "$T/key.pem" ] || skip "this user reads a mode-000 file"
		run --separate-stderr timeout 10 "$BIN/smtp-handler" \
		    -u "$USERS" -d "$STORE" -c "$T/cert.pem" -k "$T/key.pem" \
		    </dev/null
	fi
	echo "$status, stderr '$stderr'"
	[ "$status" -eq 100 ]
	[ -z "$output" ]
	[[ "$stderr" == *"unable to load key $T/key.pem"* ]]
}

# bats test_tags=slow
@test "a passphrase-protected key is refused at start-up, never prompted for" {
	openssl pkey -in "$KEY" -aes256 -passout pass:secret -out "$T/enc.key"
	# The passphrase on standard input (the client's side) must not be
	# read; with no terminal there is nothing to ask.
	run --separate-stderr timeout 10 setsid "$BIN/smtp-handler" \
	    -u "$USERS" -d "$STORE" -c "$CERT" -k "$T/enc.key" <<<"secret"
	echo "$status, stdout '$output', stderr '$stderr'"
	[ "$status" -eq 100 ]
	[ -z "$output" ]
	[[ "$stderr" == *"$T/enc.key"* ]]
	# Started by inetd, all three descriptors are the client's socket:
	# the client sees nothing, and what it sends is no passphrase.
	run timeout 30 python3 "$LIB/key_prompt_on_socket.py" "$BIN/smtp-handler" "$USERS" \
	    "$STORE" "$CERT" "$T/enc.key"
	echo "$output"
	[ "$status" -eq 0 ]
}

# bats test_tags=slow
@test "a key readable only by root is loaded before -U drops privileges" {
	[ -n "$RUN_AS" ] || skip "needs root (handlers run with -U)"
	cp "$CERT" "$T/cert.pem"
	cp "$KEY" "$T/key.pem"
	chown root:root "$T/cert.pem" "$T/key.pem"
	chmod 600 "$T/cert.pem" "$T/key.pem"
	run timeout 10 "$BIN/smtp-handler" --check -u "$USERS" -d "$STORE" \
	    -c "$T/cert.pem" -k "$T/key.pem"
	[ "$status" -eq 0 ]
	serve smtp -c "$T/cert.pem" -k "$T/key.pem"
	run chat smtp "$PORT" <<'EOF'
<
> EHLO client.test
<
> STARTTLS
<
tls
> EHLO client.test
<
> QUIT
<
EOF
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 250 220 250 221" ]
}

@test "--check loads the certificate: 0 with a good pair, 100 with a bad one" {
	for h in smtp-handler pop3-handler; do
		run timeout 10 "$BIN/$h" --check -u "$USERS" -d "$STORE" \
		    -c "$CERT" -k "$KEY"
		[ "$status" -eq 0 ]
		run timeout 10 "$BIN/$h" --check -u "$USERS" -d "$STORE" \
		    -c "$CERT" -k "$CERTS/other.key"
		[ "$status" -eq 100 ]
		[[ "$output" == *"$CERTS/other.key"* ]]
	done
}

# bats test_tags=slow
@test "mysmtpd and mypopd with a bad key exit 100 at once and never listen" {
	for d in mysmtpd mypopd; do
		p=$(free_port)
		start=$(date +%s%N)
		run timeout 10 "$BIN/$d" -b 127.0.0.1 "$p" -u "$USERS" -d "$STORE" \
		    -c "$CERT" -k "$T/missing.key"
		echo "$d: $status $output"
		[ "$status" -eq 100 ]
		[[ "$output" == *"$T/missing.key"* ]]
		[ "$(elapsed_ms "$start")" -lt 5000 ]
		! is_listening "$p" || false
		run timeout 10 "$BIN/$d" -b 127.0.0.1 "$p" -u "$USERS" -d "$STORE" \
		    -c "$CERT" -k "$CERTS/other.key"
		[ "$status" -eq 100 ]
		! is_listening "$p" || false
	done
}

# bats test_tags=slow
@test "mysmtpd with a certificate serves STARTTLS" {
	p=$(free_port)
	"$BIN/mysmtpd" -b 127.0.0.1 "$p" -u "$USERS" -d "$STORE" -n mx.test \
	    -c "$CERT" -k "$KEY" </dev/null >"$T/mysmtpd.log" 2>&1 3>&- &
	PIDS="${PIDS:-} $!"
	wait_listening "$p"
	run --separate-stderr s_client -connect "127.0.0.1:$p" -starttls smtp <<'EOF'
EHLO client.test
QUIT
EOF
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"Verification: OK"* ]]
	[ "$(codes)" = "250 221" ]
}

# What is offered, on a pipe

@test "EHLO lists STARTTLS only when a certificate and key are configured" {
	run smtp -c "$CERT" -k "$KEY" <<'EOF'
EHLO client.test
QUIT
EOF
	[ "$(codes)" = "220 250 221" ]
	grep -qx $'250-STARTTLS\r' <<<"$output"
	grep -q $'^250[- ]AUTH PLAIN LOGIN\r$' <<<"$output"
	run smtp <<'EOF'
EHLO client.test
QUIT
EOF
	! grep -q STARTTLS <<<"$output" || false
}

@test "STARTTLS without a certificate gets 502 5.5.1; with an argument 501 5.5.4" {
	run smtp <<'EOF'
EHLO client.test
STARTTLS
QUIT
EOF
	[ "$(codes)" = "220 250 502 221" ]
	[ "$(reply 3)" = "502 5.5.1 Command not implemented" ]
	run smtp -c "$CERT" -k "$KEY" <<'EOF'
EHLO client.test
STARTTLS now
QUIT
EOF
	[ "$(codes)" = "220 250 501 221" ]
	[ "$(reply 3)" = "501 5.5.4 No argument allowed" ]
}

@test "POP3 CAPA lists STLS only when configured; STLS without a certificate or after login gets -ERR" {
	run pop3 -c "$CERT" -k "$KEY" <<'EOF'
CAPA
USER alice@example.com
PASS alicepw
CAPA
STLS
QUIT
EOF
	[ "$(pop3_block <(printf '%s\n' "$output") 2 | grep -c $'^STLS\r$')" -eq 1 ]
	# After login: CAPA without STLS, and STLS not valid.
	n=$(printf '%s\n' "$output" | grep -n '^+OK Capability' | tail -n 1 | cut -d: -f1)
	! pop3_block <(printf '%s\n' "$output") "$n" | grep -q STLS || false
	[ "$(printf '%s\n' "$output" | tr -d '\r' | grep -c '^-ERR Command not valid in this state$')" -eq 1 ]
	run pop3 <<'EOF'
CAPA
STLS
QUIT
EOF
	! grep -q STLS <<<"$(pop3_block <(printf '%s\n' "$output") 2)" || false
	[ "$(status)" = "+OK +OK -ERR +OK" ]
}

@test "STARTTLS answered by plain text instead of a handshake ends the session, exit 1, nothing more in clear" {
	run --separate-stderr smtp -c "$CERT" -k "$KEY" <<'EOF'
EHLO client.test
STARTTLS
RSET
NOOP
QUIT
EOF
	echo "$output"
	[ "$status" -eq 1 ]
	# The last reply in clear is the 220 of STARTTLS.
	[ "$(printf '%s\n' "$output" | grep -a -E '^[0-9]{3}[ -]' | tail -n 1)" = $'220 2.0.0 Ready to start TLS\r' ]
	[ -z "$stderr" ]
}

@test "POP3 STLS answered by plain text ends the session, exit 1, nothing more in clear" {
	run --separate-stderr pop3 -c "$CERT" -k "$KEY" <<'EOF'
STLS
USER alice@example.com
QUIT
EOF
	[ "$status" -eq 1 ]
	[ -z "$stderr" ]
	[ "$(printf '%s\n' "$output" | grep -a -E '^(\+OK|-ERR)' | tail -n 1)" = $'+OK Begin TLS negotiation\r' ]
}

@test "-T with a plain-text client: no greeting in clear, exit 1" {
	for proto in smtp pop3; do
		run --separate-stderr "$proto" -c "$CERT" -k "$KEY" -T <<'EOF'
EHLO client.test
QUIT
EOF
		[ "$status" -eq 1 ]
		no_reply_lines
		[ -z "$stderr" ]
	done
}

# openssl s_client

# bats test_tags=slow
@test "s_client -starttls smtp: the chain verifies, and the session starts over after TLS" {
	tls_session smtp
	run --separate-stderr s_client -connect "127.0.0.1:$PORT" -starttls smtp \
	    -verify_hostname mx.test <<'EOF'
MAIL FROM:<alice@example.com>
EHLO client.test
STARTTLS
MAIL FROM:<alice@example.com>
QUIT
EOF
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"Verification: OK"* ]]
	[ "$(codes)" = "503 250 503 250 221" ]
	[ "$(reply 1)" = "503 5.5.1 Send HELO or EHLO first" ]
	[ "$(reply 3)" = "503 5.5.1 TLS already active" ]
	! grep -q STARTTLS <<<"$output" || false
	grep -q $'^250[- ]AUTH PLAIN LOGIN\r$' <<<"$output"
}

# bats test_tags=slow
@test "s_client -starttls pop3: log in, STAT; CAPA has USER and SASL PLAIN but no STLS; STLS again is refused" {
	printf 'Subject: hi\n\nhello\n' | pop3_drop alice@example.com >/dev/null
	tls_session pop3
	run --separate-stderr s_client -connect "127.0.0.1:$PORT" -starttls pop3 <<'EOF'
CAPA
STLS
USER alice@example.com
PASS alicepw
STAT
QUIT
EOF
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"Verification: OK"* ]]
	[ "$(pop3_line 1)" = "+OK Capability list follows" ]
	pop3_block <(printf '%s\n' "$output") 1 | tr -d '\r' >"$T/capa"
	grep -qx USER "$T/capa"
	grep -qx 'SASL PLAIN' "$T/capa"
	! grep -q STLS "$T/capa" || false
	[ "$(printf '%s\n' "$output" | tr -d '\r' | grep -E '^(\+OK|-ERR)' | sed 1d | paste -sd'|' -)" = \
	    "-ERR TLS already active|+OK Send PASS|+OK Maildrop has 1 messages ($(wire_size "$(message_file alice@example.com)") octets)|+OK 1 $(wire_size "$(message_file alice@example.com)")|+OK Bye" ]
}

# bats test_tags=slow
@test "implicit TLS (-T): the SMTP and POP3 greetings come over TLS, and STARTTLS is neither offered nor allowed" {
	tls_session smtp -T
	run --separate-stderr s_client -connect "127.0.0.1:$PORT" <<'EOF'
EHLO client.test
STARTTLS
QUIT
EOF
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"Verification: OK"* ]]
	[ "$(codes)" = "220 250 503 221" ]
	[ "$(reply 1)" = "220 mx.test ESMTP ready" ]
	! grep -q STARTTLS <<<"$output" || false
	grep -q 'AUTH PLAIN LOGIN' <<<"$output"
	tls_session pop3 -T
	run --separate-stderr s_client -connect "127.0.0.1:$PORT" <<'EOF'
CAPA
USER alice@example.com
PASS alicepw
QUIT
EOF
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(pop3_line 1)" = "+OK mx.test POP3 ready" ]
	! grep -q STLS <<<"$output" || false
	[ "$(status)" = "+OK +OK +OK +OK +OK" ]
}

# bats test_tags=slow
@test "TLS 1.2 and 1.3 are accepted; TLS 1.1 and 1.0 are refused" {
	tls_session smtp -T
	for v in tls1_2 tls1_3; do
		run --separate-stderr s_client -connect "127.0.0.1:$PORT" "-$v" <<<'QUIT'
		echo "$v: $output $stderr"
		[ "$status" -eq 0 ]
		[[ "$stderr" == *"Protocol version: TLSv1.${v#tls1_}"* ]]
		[ "$(codes)" = "220 221" ]
	done
	# OpenSSL 3 speaks TLS 1.0 and 1.1 only at security level 0; prove
	# that this client can, against s_server, before asking ours.
	cp=$(free_port)
	timeout 10 openssl s_server -accept "127.0.0.1:$cp" -cert "$CERTS/server.pem" \
	    -key "$KEY" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' -naccept 1 -www \
	    </dev/null >"$T/s_server.out" 2>&1 &
	PIDS="${PIDS:-} $!"
	wait_listening "$cp"
	if ! timeout 10 openssl s_client -connect "127.0.0.1:$cp" -tls1_1 \
	    -cipher 'DEFAULT:@SECLEVEL=0' </dev/null >"$T/control" 2>&1; then
		cat "$T/control"
		skip "this openssl cannot speak TLS 1.1 even at security level 0"
	fi
	for v in tls1_1 tls1; do
		run timeout 10 openssl s_client -connect "127.0.0.1:$PORT" "-$v" \
		    -cipher 'DEFAULT:@SECLEVEL=0' <<<'QUIT'
		echo "$v: $output"
		[ "$status" -ne 0 ]
		[[ "$output" == *"alert protocol version"* ]]
		no_reply_lines
	done
	# And through STARTTLS.
	tls_session smtp
	run timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -starttls smtp \
	    -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' <<<'QUIT'
	[ "$status" -ne 0 ]
	[[ "$output" == *"alert protocol version"* ]]
	listener_quiet
}

# bats test_tags=slow
@test "client-initiated renegotiation is refused" {
	tls_session smtp -T
	run timeout 20 sh -c '(sleep 0.5; echo "EHLO client.test"; sleep 0.5; echo R;
	    sleep 1; echo NOOP; sleep 0.5; echo QUIT; sleep 0.5) |
	    openssl s_client -connect "127.0.0.1:$1" -tls1_2 -crlf -CAfile "$2"' \
	    sh "$PORT" "$CA"
	echo "$output"
	[[ "$output" == *RENEGOTIATING* ]]
	[[ "$output" == *"no renegotiation"* ]]
	! grep -q '^250 2.0.0 Ok' <<<"$output" || false
	listener_quiet
}

# bats test_tags=slow
@test "no session is resumed, and no session tickets are issued (TLS 1.2 and 1.3)" {
	tls_session smtp -T
	run timeout 30 python3 "$LIB/tls_no_resumption.py" "$PORT" "$CA"
	echo "$output"
	[ "$status" -eq 0 ]
}

# bats test_tags=slow
@test "the configured chain is sent: the server certificate, then the intermediate" {
	tls_session smtp -T
	run timeout 30 openssl s_client -connect "127.0.0.1:$PORT" -showcerts \
	    -CAfile "$CA" -verify_return_error <<<'QUIT'
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" |
	    sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' >"$T/sent.pem"
	cmp "$T/sent.pem" "$CERT"
}

# bats test_tags=slow
@test "a self-signed certificate (openssl req -x509) works when the client trusts it" {
	serve smtp -c "$CERTS/self.pem" -k "$CERTS/self.key"
	run chat smtp --ca "$CERTS/self.pem" --name mx.test "$PORT" <<'EOF'
<
> EHLO client.test
<
> STARTTLS
<
tls
> EHLO client.test
<
> QUIT
<
EOF
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 250 220 250 221" ]
}

# curl

# bats test_tags=slow
@test "curl --ssl-reqd smtp:// delivers over STARTTLS, verified for 127.0.0.1 and mx.test" {
	tls_session smtp
	printf 'From: x@elsewhere.test\r\nSubject: curl tls\r\n\r\nover STARTTLS\r\n' >"$T/mail.txt"
	timeout 30 curl -sS --max-time 20 --ssl-reqd --cacert "$CA" \
	    "smtp://127.0.0.1:$PORT/client.test" --mail-from x@elsewhere.test \
	    --mail-rcpt alice@example.com -T "$T/mail.txt"
	timeout 30 curl -sS --max-time 20 --ssl-reqd --cacert "$CA" \
	    --resolve "mx.test:$PORT:127.0.0.1" "smtp://mx.test:$PORT/client.test" \
	    --mail-from x@elsewhere.test --mail-rcpt alice@example.com -T "$T/mail.txt"
	[ "$(count alice@example.com)" -eq 2 ]
	for f in $(all_messages); do
		[[ "$(received_of "$f")" == *" with ESMTPS "* ]]
		[ "$(body_of "$f")" = "$(tr -d '\r' <"$T/mail.txt")" ]
	done
	# A name the certificate does not carry fails before any mail.
	run timeout 30 curl -sS --max-time 20 --ssl-reqd --cacert "$CA" \
	    --resolve "other.test:$PORT:127.0.0.1" "smtp://other.test:$PORT/client.test" \
	    --mail-from x@elsewhere.test --mail-rcpt alice@example.com -T "$T/mail.txt"
	[ "$status" -ne 0 ]
	[ "$(count alice@example.com)" -eq 2 ]
}

# bats test_tags=slow
@test "curl --ssl-reqd smtp:// with --user authenticates by PLAIN and by LOGIN in the submission role" {
	tls_session smtp -S
	printf 'Subject: curl auth\r\n\r\nauthenticated\r\n' >"$T/mail.txt"
	timeout 30 curl -sS --max-time 20 --ssl-reqd --cacert "$CA" \
	    "smtp://127.0.0.1:$PORT/client.test" --user alice@example.com:alicepw \
	    --mail-from alice@example.com --mail-rcpt Bob.Smith@Example.COM -T "$T/mail.txt"
	timeout 30 curl -sS --max-time 20 --ssl-reqd --cacert "$CA" \
	    "smtp://127.0.0.1:$PORT/client.test" --user alice@example.com:alicepw \
	    --login-options AUTH=LOGIN \
	    --mail-from alice@example.com --mail-rcpt Bob.Smith@Example.COM -T "$T/mail.txt"
	[ "$(count Bob.Smith@Example.COM)" -eq 2 ]
	for f in $(all_messages); do
		[[ "$(received_of "$f")" == *" with ESMTPSA "* ]]
	done
	# Wrong password: curl fails (67, login denied) and nothing arrives.
	run timeout 30 curl -sS --max-time 20 --ssl-reqd --cacert "$CA" \
	    "smtp://127.0.0.1:$PORT/client.test" --user alice@example.com:wrong \
	    --mail-from alice@example.com --mail-rcpt Bob.Smith@Example.COM -T "$T/mail.txt"
	[ "$status" -eq 67 ]
	# Without --user, submission refuses the sender.
	run timeout 30 curl -sS --max-time 20 --ssl-reqd --cacert "$CA" \
	    "smtp://127.0.0.1:$PORT/client.test" \
	    --mail-from alice@example.com --mail-rcpt Bob.Smith@Example.COM -T "$T/mail.txt"
	[ "$status" -ne 0 ]
	[ "$(count Bob.Smith@Example.COM)" -eq 2 ]
}

# bats test_tags=slow
@test "curl smtps:// delivers over implicit TLS with AUTH (port 465 style: -T -S)" {
	tls_session smtp -T -S
	printf 'Subject: smtps\r\n\r\nimplicit\r\n' >"$T/mail.txt"
	timeout 30 curl -sS --max-time 20 --cacert "$CA" "smtps://127.0.0.1:$PORT/client.test" \
	    --user alice@example.com:alicepw --mail-from alice@example.com \
	    --mail-rcpt alice@example.com -T "$T/mail.txt"
	[ "$(count alice@example.com)" -eq 1 ]
	[[ "$(received_of "$(message_file alice@example.com)")" == *" with ESMTPSA "* ]]
}

# bats test_tags=slow
@test "curl --ssl-reqd pop3:// fetches (by SASL PLAIN, which curl prefers); pop3s:// too" {
	printf 'Subject: fetch me\n\nover TLS\n' | pop3_drop alice@example.com >/dev/null
	f=$(message_file alice@example.com)
	tls_session pop3
	timeout 30 curl -sS --max-time 20 --ssl-reqd --cacert "$CA" \
	    --user alice@example.com:alicepw "pop3://127.0.0.1:$PORT/1" >"$T/got1"
	timeout 30 curl -sS --max-time 20 --ssl-reqd --cacert "$CA" \
	    --user alice@example.com:alicepw --login-options 'AUTH=PLAIN' \
	    "pop3://127.0.0.1:$PORT/1" >"$T/got3"
	pop3_wire "$f" | pop3_unstuff >"$T/want"
	cmp "$T/want" "$T/got1"
	cmp "$T/want" "$T/got3"
	run timeout 30 curl -sS --max-time 20 --ssl-reqd --cacert "$CA" \
	    --user alice@example.com:wrong "pop3://127.0.0.1:$PORT/1"
	[ "$status" -ne 0 ]
	tls_session pop3 -T
	timeout 30 curl -sS --max-time 20 --cacert "$CA" \
	    --user alice@example.com:alicepw "pop3s://127.0.0.1:$PORT/1" >"$T/got4"
	cmp "$T/want" "$T/got4"
}

# bats test_tags=slow
@test "curl --ssl-reqd refuses a server that offers no STARTTLS; nothing is sent in clear" {
	serve smtp
	printf 'Subject: never\r\n\r\nx\r\n' >"$T/mail.txt"
	run timeout 30 curl -sS --max-time 20 --ssl-reqd --cacert "$CA" \
	    "smtp://127.0.0.1:$PORT/client.test" --mail-from x@elsewhere.test \
	    --mail-rcpt alice@example.com -T "$T/mail.txt"
	[ "$status" -eq 64 ]
	[ -z "$(all_messages)" ]
	serve pop3
	run timeout 30 curl -sS --max-time 20 --ssl-reqd --cacert "$CA" \
	    --user alice@example.com:alicepw "pop3://127.0.0.1:$PORT/"
	[ "$status" -eq 64 ]
}

# python3 smtplib and poplib

# bats test_tags=slow
@test "smtplib: starttls, login by PLAIN and by LOGIN, sendmail; SMTP_SSL to -T -S" {
	tls_session smtp -S
	SPORT=$PORT
	tls_session smtp -T -S
	timeout 60 python3 "$LIB/smtplib_tls.py" "$SPORT" "$PORT" "$CA"
	[ "$(count alice@example.com)" -eq 3 ]
	for how in PLAIN LOGIN SMTP_SSL; do
		grep -l "sent with $how" "$(maildir alice@example.com)"/new/*
	done
}

# bats test_tags=slow
@test "poplib: stls then user/pass and retr; POP3_SSL; the bytes are the store's" {
	printf 'Subject: poplib\n\n.dotted\nline\n' | pop3_drop alice@example.com >/dev/null
	pop3_wire "$(message_file alice@example.com)" >"$T/wire"
	tls_session pop3
	PPORT=$PORT
	tls_session pop3 -T
	timeout 60 python3 "$LIB/poplib_tls.py" "$PPORT" "$PORT" "$CA" "$T/wire"
}

# swaks

# bats test_tags=slow
@test "swaks -tls with --auth PLAIN and LOGIN submits; --tls-on-connect to -T" {
	command -v swaks >/dev/null || skip "needs swaks"
	tls_session smtp -S
	for mech in PLAIN LOGIN; do
		run timeout 60 swaks --server "127.0.0.1:$PORT" -tls --tls-verify \
		    --tls-ca-path "$CA" --helo client.test --from alice@example.com \
		    --to Bob.Smith@Example.COM --auth "$mech" \
		    --auth-user alice@example.com --auth-password alicepw \
		    --body "swaks $mech"
		echo "$output"
		[ "$status" -eq 0 ]
		grep -q 'TLS started' <<<"$output"
	done
	tls_session smtp -T -S
	run timeout 60 swaks --server "127.0.0.1:$PORT" --tls-on-connect --tls-verify \
	    --tls-ca-path "$CA" --helo client.test --from alice@example.com \
	    --to Bob.Smith@Example.COM --auth PLAIN \
	    --auth-user alice@example.com --auth-password alicepw --body "swaks 465"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(count Bob.Smith@Example.COM)" -eq 3 ]
	for f in $(all_messages); do
		[[ "$(received_of "$f")" == *" with ESMTPSA "* ]]
	done
}

# bats test_tags=slow
@test "swaks -tls: a sender that is not the user's own gets 553 and nothing is delivered" {
	command -v swaks >/dev/null || skip "needs swaks"
	tls_session smtp -S
	run timeout 60 swaks --server "127.0.0.1:$PORT" -tls --tls-verify \
	    --tls-ca-path "$CA" --helo client.test --from Bob.Smith@Example.COM \
	    --to alice@example.com --auth PLAIN \
	    --auth-user alice@example.com --auth-password alicepw
	echo "$output"
	[ "$status" -ne 0 ]
	grep -q '553 5.7.1' <<<"$output"
	[ -z "$(all_messages)" ]
}

# mpop

# mpoprc PORT STARTTLS AUTH: an mpop configuration in $T/mpoprc for
# alice on 127.0.0.1 PORT, delivering into the Maildir $T/fetched.
mpoprc() {
	mkdir -p "$T/fetched/new" "$T/fetched/cur" "$T/fetched/tmp"
	cat >"$T/mpoprc" <<EOF
defaults
timeout 20
tls on
tls_trust_file $CA
received_header off
keep off
uidls_file $T/uidls

account test
host 127.0.0.1
port $1
tls_starttls $2
auth $3
user alice@example.com
passwordeval echo alicepw
delivery maildir $T/fetched
EOF
	chmod 600 "$T/mpoprc"
}

# fetched_match: the messages mpop put in $T/fetched are the store's
# $T/before copies, byte for byte, in any order.
fetched_match() {
	local want got
	want=$(for f in "$T"/before/*; do sha256sum <"$f"; done | sort)
	got=$(for f in "$T"/fetched/new/*; do sha256sum <"$f"; done | sort)
	echo "want: $want"
	echo "got: $got"
	[ -n "$want" ] && [ "$want" = "$got" ]
}

# bats test_tags=slow
@test "mpop with STARTTLS and USER/PASS fetches every message byte for byte and deletes them" {
	command -v mpop >/dev/null || skip "needs mpop"
	printf 'Subject: one\n\nfirst\n' | pop3_drop alice@example.com >/dev/null
	printf 'Subject: two\n\n.dot line\nsecond\n' | pop3_drop alice@example.com >/dev/null
	mkdir "$T/before"
	cp "$(maildir alice@example.com)"/new/* "$T/before/"
	tls_session pop3
	mpoprc "$PORT" on user
	run timeout 60 mpop -C "$T/mpoprc" test
	echo "$output"
	[ "$status" -eq 0 ]
	fetched_match
	[ "$(count alice@example.com)" -eq 0 ]
}

# bats test_tags=slow
@test "mpop with implicit TLS and SASL PLAIN fetches the messages" {
	command -v mpop >/dev/null || skip "needs mpop"
	printf 'Subject: three\n\nthird\n' | pop3_drop alice@example.com >/dev/null
	mkdir "$T/before"
	cp "$(maildir alice@example.com)"/new/* "$T/before/"
	tls_session pop3 -T
	mpoprc "$PORT" off plain
	run timeout 60 mpop -C "$T/mpoprc" test
	echo "$output"
	[ "$status" -eq 0 ]
	fetched_match
	[ "$(count alice@example.com)" -eq 0 ]
}

# Injection (CVE-2011-0411) and the reset after STARTTLS

# bats test_tags=slow
@test "commands sent in one write with STARTTLS are discarded, not run after the handshake" {
	tls_session smtp
	run chat smtp "$PORT" <<'EOF'
<
> EHLO client.test
<
> STARTTLS\r\nRSET\r\nMAIL FROM:<alice@example.com>\r\nRCPT TO:<alice@example.com>
<
tls
quiet 1
> EHLO client.test
<
> RCPT TO:<alice@example.com>
<
> QUIT
<
EOF
	echo "$output"
	[ "$status" -eq 0 ]
	! grep -q '^(before tls' <<<"$output" || false
	[ "$(reply 3)" = "220 2.0.0 Ready to start TLS" ]
	after_tls >"$T/after"
	[ "$(sed -n 1p "$T/after")" = "(quiet)" ]
	[ "$(sed -n 2p "$T/after")" = "250-mx.test" ]
	[ "$(tail -n 2 "$T/after" | paste -sd'|' -)" = "503 5.5.1 Need MAIL first|221 2.0.0 Bye" ]
	listener_quiet
}

# bats test_tags=slow
@test "POP3: USER and CAPA sent with STLS are discarded; PASS after the handshake gets -ERR" {
	tls_session pop3
	run chat pop3 "$PORT" <<'EOF'
<
> STLS\r\nCAPA\r\nUSER alice@example.com
<
tls
quiet 1
> PASS alicepw
<
> QUIT
<
EOF
	echo "$output"
	[ "$status" -eq 0 ]
	! grep -q '^(before tls' <<<"$output" || false
	[ "$(pop3_line 2)" = "+OK Begin TLS negotiation" ]
	[ "$(after_tls | paste -sd'|' -)" = "(quiet)|-ERR Send USER first|+OK Bye" ]
}

# bats test_tags=slow
@test "a login before STARTTLS is forgotten: AUTH is offered again and submission needs it again" {
	# On loopback AUTH is allowed without TLS.
	tls_session smtp -S
	run chat smtp "$PORT" <<EOF
<
> EHLO client.test
<
> AUTH PLAIN $ALICE_PLAIN
<
> STARTTLS
<
tls
> EHLO client.test
<
> MAIL FROM:<alice@example.com>
<
> AUTH PLAIN $ALICE_PLAIN
<
> MAIL FROM:<alice@example.com>
<
> QUIT
<
EOF
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 250 235 220 250 530 235 250 221" ]
	[ "$(after_tls | grep -c 'AUTH PLAIN LOGIN')" -eq 1 ]
}

# bats test_tags=slow
@test "STARTTLS in the middle of a transaction starts over: the sender and recipients are forgotten" {
	tls_session smtp
	run chat smtp "$PORT" <<'EOF'
<
> EHLO client.test
<
> MAIL FROM:<x@elsewhere.test>
<
> RCPT TO:<alice@example.com>
<
> STARTTLS
<
tls
> EHLO client.test
<
> DATA
<
> RCPT TO:<alice@example.com>
<
> QUIT
<
EOF
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 250 250 250 220 250 503 503 221" ]
	[ "$(reply 7)" = "503 5.5.1 Need MAIL first" ]
	[ -z "$(all_messages)" ]
}

# bats test_tags=slow
@test "POP3: a USER before STLS is forgotten" {
	tls_session pop3
	run chat pop3 "$PORT" <<'EOF'
<
> USER alice@example.com
<
> STLS
<
tls
> PASS alicepw
<
> USER alice@example.com
<
> PASS alicepw
<
> STLS
<
> QUIT
<
EOF
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(after_tls | paste -sd'|' -)" = "-ERR Send USER first|+OK Send PASS|$(after_tls | sed -n 3p)|-ERR Command not valid in this state|+OK Bye" ]
	[[ "$(after_tls | sed -n 3p)" == "+OK"* ]]
}

# bats test_tags=slow
@test "STLS in a session with TLS gets -ERR TLS already active" {
	tls_session pop3
	run chat pop3 "$PORT" <<'EOF'
<
> STLS
<
tls
> STLS
<
> QUIT
<
EOF
	[ "$(after_tls | paste -sd'|' -)" = "-ERR TLS already active|+OK Bye" ]
}

# Records and the line buffer

# bats test_tags=slow
@test "SMTP commands and DATA split across TLS records at odd points are each run once" {
	tls_session smtp
	run chat smtp "$PORT" <<'EOF'
<
> EHLO client.test
<
> STARTTLS
<
tls
>> EH
sleep 0.1
>> LO client.test\r
sleep 0.1
>> \nMAIL FROM:<alice@exa
sleep 0.1
>> mple.com>\r\nRCPT TO:<alice@example.com>\r\nDA
sleep 0.1
>> TA\r\n
<
<
<
<
>> Subject: split\r\n\r\nline one\r\n.
sleep 0.1
>> .dotted\r\nlast\r
sleep 0.1
>> \n.\r
sleep 0.1
>> \n
<
>> N
>> O
>> O
>> P
>> \r
>> \n
<
> QUIT
<
EOF
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 250 220 250 250 250 354 250 250 221" ]
	printf 'Subject: split\n\nline one\n.dotted\nlast\n' | stored_body_is alice@example.com
}

# bats test_tags=slow
@test "200 commands in one TLS record, and 48 KB of them in one write, are all answered without more input" {
	tls_session smtp
	{
		printf '<\n> EHLO client.test\n<\n> STARTTLS\n<\ntls\n'
		printf '> EHLO client.test\n<\n'
		printf '> '
		for i in $(seq 1 199); do printf 'NOOP\\r\\n'; done
		printf 'NOOP\n'
		for i in $(seq 1 200); do printf '<\n'; done
		printf '> '
		for i in $(seq 1 7999); do printf 'RSET\\r\\n'; done
		printf 'RSET\n'
		for i in $(seq 1 8000); do printf '<\n'; done
		printf '> QUIT\n<\n'
	} >"$T/script"
	run chat smtp "$PORT" <"$T/script"
	[ "$status" -eq 0 ]
	after_tls | sed '1,/^250 /d' >"$T/after"
	[ "$(grep -c '^250 2.0.0 Ok$' "$T/after")" -eq 8200 ]
	[ "$(wc -l <"$T/after")" -eq 8201 ]
	[ "$(tail -n 1 "$T/after")" = "221 2.0.0 Bye" ]
}

# bats test_tags=slow
@test "POP3 commands split across TLS records are each run once" {
	printf 'Subject: x\n\ny\n' | pop3_drop alice@example.com >/dev/null
	tls_session pop3
	run chat pop3 "$PORT" <<'EOF'
<
> STLS
<
tls
>> US
sleep 0.1
>> ER alice@example.com\r\nPA
sleep 0.1
>> SS alicepw\r\nSTAT\r
sleep 0.1
>> \n
<
<
<
> QUIT
<
EOF
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(status)" = "+OK +OK +OK +OK +OK +OK" ]
	[[ "$(after_tls | sed -n 3p)" == "+OK 1 "* ]]
}

# Large messages through TLS

# bats test_tags=slow
@test "a 20 MB message through STARTTLS is stored byte for byte, at the speed of plain text" {
	make_message "$T/big" 20
	for mode in plain tls; do
		rm -rf "${STORE:?}"/*
		if [ "$mode" = tls ]; then
			tls_session smtp
			steps=$'> STARTTLS\n<\ntls\n> EHLO client.test\n<'
		else
			serve smtp
			steps=
		fi
		start=$(date +%s%N)
		run chat smtp --timeout 60 "$PORT" <<EOF
<
> EHLO client.test
<
$steps
> MAIL FROM:<alice@example.com> SIZE=$(wc -c <"$T/big")
<
> RCPT TO:<alice@example.com>
<
> DATA
<
>@ $T/big.data
<
> QUIT
<
EOF
		ms=$(elapsed_ms "$start")
		echo "$mode: $ms ms; $(printf '%s\n' "$output" | tail -n 3)"
		[ "$status" -eq 0 ]
		if [ "$mode" = tls ]; then tls_ms=$ms; else plain_ms=$ms; fi
		[ "$(count alice@example.com)" -eq 1 ]
		body_of "$(message_file alice@example.com)" >"$T/got"
		cmp "$T/big.lf" "$T/got"
	done
	echo "plain $plain_ms ms, TLS $tls_ms ms"
	[ "$tls_ms" -le $((3 * plain_ms + 3000)) ]
}

# bats test_tags=slow
@test "RETR of a 20 MB message through TLS gives the exact bytes, at the speed of plain text" {
	make_message "$T/big" 20
	pop3_drop alice@example.com <"$T/big.lf" >/dev/null
	pop3_wire "$(message_file alice@example.com)" >"$T/want"
	for mode in plain tls; do
		if [ "$mode" = tls ]; then
			tls_session pop3
			steps=$'> STLS\n<\ntls'
		else
			serve pop3
			steps=
		fi
		start=$(date +%s%N)
		run chat pop3 --timeout 60 "$PORT" <<EOF
<
$steps
> USER alice@example.com
<
> PASS alicepw
<
> RETR 1
<. $T/got.$mode
> QUIT
<
EOF
		ms=$(elapsed_ms "$start")
		echo "$mode: $ms ms"
		echo "$output"
		[ "$status" -eq 0 ]
		if [ "$mode" = tls ]; then tls_ms=$ms; else plain_ms=$ms; fi
		cmp "$T/want" "$T/got.$mode"
	done
	echo "plain $plain_ms ms, TLS $tls_ms ms"
	[ "$tls_ms" -le $((3 * plain_ms + 3000)) ]
}

# Handshake time limits

# bats test_tags=slow
@test "-T: a client that never starts the handshake is cut after -t seconds, nothing sent in clear" {
	for proto in smtp pop3; do
		tls_session "$proto" -T -t 2
		start=$(date +%s%N)
		run chat "$proto" "$PORT" <<'EOF'
quiet 1
eof
EOF
		ms=$(elapsed_ms "$start")
		echo "$proto $ms ms: $output"
		[ "$(printf '%s\n' "$output" | head -n 1)" = "(quiet)" ]
		[ "$(printf '%s\n' "$output" | tail -n 1)" = "(closed)" ]
		no_reply_lines
		[ "$ms" -ge 1900 ]
		[ "$ms" -lt 8000 ]
	done
}

# bats test_tags=slow
@test "-T: plain text from the client gets no reply in clear" {
	tls_session smtp -T
	run chat smtp "$PORT" <<'EOF'
> EHLO client.test
eof
EOF
	echo "$output"
	[ "$(printf '%s\n' "$output" | tail -n 1)" = "(closed)" ]
	no_reply_lines
	listener_quiet
}

# bats test_tags=slow
@test "after STARTTLS, a client that never sends its hello is cut after -t seconds" {
	tls_session smtp -t 2
	start=$(date +%s%N)
	run chat smtp "$PORT" <<'EOF'
<
> EHLO client.test
<
> STARTTLS
<
eof
EOF
	ms=$(elapsed_ms "$start")
	echo "$ms ms: $output"
	[ "$(printf '%s\n' "$output" | tail -n 1)" = "(closed)" ]
	[ "$(reply 3)" = "220 2.0.0 Ready to start TLS" ]
	[ "$(printf '%s\n' "$output" | grep -cE '^[0-9]{3} ')" -eq 3 ]
	[ "$ms" -ge 1900 ]
	[ "$ms" -lt 8000 ]
	listener_quiet
}

# The trace header

# bats test_tags=slow
@test "Received says ESMTPS with the TLS version and cipher, and ESMTPSA after AUTH" {
	tls_session smtp
	for v in 1.3 1.2; do
		run chat smtp --max "$v" "$PORT" <<EOF
<
> EHLO client.test
<
> STARTTLS
<
tls
> EHLO client.test
<
> MAIL FROM:<x@elsewhere.test>
<
> RCPT TO:<alice@example.com>
<
> DATA
<
> Subject: tls $v\r\n\r\nx\r\n.
<
> AUTH PLAIN $ALICE_PLAIN
<
> MAIL FROM:<alice@example.com>
<
> RCPT TO:<Bob.Smith@Example.COM>
<
> DATA
<
> Subject: tls $v auth\r\n\r\nx\r\n.
<
> QUIT
<
EOF
		echo "$output"
		[ "$status" -eq 0 ]
		[ "$(codes)" = "220 250 220 250 250 250 354 250 235 250 250 354 250 221" ]
		cipher=$(sed -n 's/^(tls TLSv[0-9.]* \(.*\))$/\1/p' <<<"$output")
		a=$(received_of "$(message_file alice@example.com)")
		b=$(received_of "$(message_file Bob.Smith@Example.COM)")
		echo "$a"
		echo "$b"
		[[ "$a" == *" with ESMTPS "* ]]
		[[ "$a" == *"(using TLSv$v with cipher $cipher)"* ]]
		[[ "$b" == *" with ESMTPSA "* ]]
		[[ "$b" == *"(using TLSv$v with cipher $cipher)"* ]]
		rm -rf "${STORE:?}"/*
	done
}

# bats test_tags=slow
@test "Received says UTF8SMTPS, and UTF8SMTPSA after AUTH, for SMTPUTF8 messages over TLS" {
	tls_session smtp -T
	run chat smtp --implicit "$PORT" <<EOF
<
> EHLO client.test
<
> MAIL FROM:<x@elsewhere.test> SMTPUTF8
<
> RCPT TO:<alice@example.com>
<
> DATA
<
> Subject: utf8\r\n\r\nx\r\n.
<
> AUTH PLAIN $ALICE_PLAIN
<
> MAIL FROM:<alice@example.com> SMTPUTF8
<
> RCPT TO:<Bob.Smith@Example.COM>
<
> DATA
<
> Subject: utf8 auth\r\n\r\nx\r\n.
<
> QUIT
<
EOF
	echo "$output"
	[ "$(codes)" = "220 250 250 250 354 250 235 250 250 354 250 221" ]
	[[ "$(received_of "$(message_file alice@example.com)")" == *" with UTF8SMTPS "* ]]
	[[ "$(received_of "$(message_file Bob.Smith@Example.COM)")" == *" with UTF8SMTPSA "* ]]
}

# bats test_tags=slow
@test "the session summary logs TLS= with the version and USER= with the login" {
	PORT=$(free_port)
	journal_listen <<'EOF'
"$BIN/listener" -b 127.0.0.1 "$PORT" "$BIN/smtp-handler" -u "$USERS" \
    -d "$STORE" -n mx.test -c "$CERT" -k "$KEY" </dev/null >/dev/null 2>&1 &
L=$!
want=$(printf ':%04X 00000000:0000 0A' "$PORT")
i=0
while ! grep -q "$want" /proc/net/tcp && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
printf '%s\n' '<' '> EHLO client.test' '<' '> STARTTLS' '<' 'tls' \
    '> EHLO client.test' '<' "> AUTH PLAIN $(printf '\0alice@example.com\0alicepw' | base64 -w0)" \
    '<' '> QUIT' '<' | python3 "$CHAT" smtp --ca "$CA" "$PORT"
sleep 0.5
kill $L
EOF
	cat "$T/script.out"
	grep -q '^221 ' "$T/script.out"
	awk -v RS= '/MESSAGE=session end/' "$T/journal" >"$T/summary"
	cat "$T/summary"
	grep -qx 'TLS=TLSv1.3' "$T/summary"
	grep -qx 'USER=alice@example.com' "$T/summary"
	! grep -q alicepw "$T/journal" || false
}

# Who is local: loopback, pipes and Unix sockets, and the rest

# bats test_tags=slow
@test "on loopback TCP without TLS, AUTH and USER/PASS are offered (a local client)" {
	serve smtp
	run chat smtp "$PORT" <<EOF
<
> EHLO client.test
<
> AUTH PLAIN $ALICE_PLAIN
<
> QUIT
<
EOF
	[ "$(codes)" = "220 250 235 221" ]
	grep -q '^250-AUTH PLAIN LOGIN$' <<<"$output"
	serve pop3
	run chat pop3 "$PORT" <<'EOF'
<
> USER alice@example.com
<
> PASS alicepw
<
> QUIT
<
EOF
	[ "$(status)" = "+OK +OK +OK +OK" ]
}

# bats test_tags=slow
@test "over IPv6 loopback (::1) AUTH is offered without TLS" {
	has_ipv6=$(python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null && echo yes || true)
	[ -n "$has_ipv6" ] || skip "no IPv6 loopback"
	PORT=$(free_port)
	"$BIN/listener" -b ::1 "$PORT" "$BIN/smtp-handler" -u "$USERS" \
	    -d "$STORE" -n mx.test </dev/null >>"$T/listener.out" 2>&1 3>&- &
	PIDS="${PIDS:-} $!"
	wait_listening "$PORT"
	run chat smtp --host ::1 "$PORT" <<EOF
<
> EHLO client.test
<
> AUTH PLAIN $ALICE_PLAIN
<
> QUIT
<
EOF
	echo "$output"
	[ "$(codes)" = "220 250 235 221" ]
}

@test "a Unix socket is a local client: AUTH is offered without TLS" {
	run timeout 30 python3 "$LIB/unix_socket_session.py" "$BIN/smtp-handler" "$USERS" \
	    "$STORE" "$ALICE_PLAIN"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 250 235 221" ]
}

# bats test_tags=slow
@test "from a non-loopback address without TLS: no AUTH (538 5.7.11); after STARTTLS it is offered and works" {
	netns_up
	netns_serve 192.0.2.1 25 smtp -c "$CERT" -k "$KEY"
	run netns_chat smtp --host 192.0.2.1 25 <<EOF
<
> EHLO client.test
<
> AUTH PLAIN $ALICE_PLAIN
<
> AUTH LOGIN
<
> MAIL FROM:<x@elsewhere.test>
<
> RSET
<
> STARTTLS
<
tls
> EHLO client.test
<
> AUTH PLAIN $ALICE_PLAIN
<
> QUIT
<
EOF
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 250 538 538 250 250 220 250 235 221" ]
	[ "$(reply 3)" = "538 5.7.11 Encryption required for requested authentication mechanism" ]
	before=$(printf '%s\n' "$output" | sed -n '1,/^(tls /p')
	! grep -q 'AUTH' <<<"$(grep '^250' <<<"$before")" || false
	grep -q '^250-STARTTLS$' <<<"$before"
	after_tls | grep -q '^250-AUTH PLAIN LOGIN$'
}

# bats test_tags=slow
@test "submission from a non-loopback address without TLS cannot send: 530, and AUTH gets 538" {
	netns_up
	netns_serve 192.0.2.1 587 smtp -c "$CERT" -k "$KEY" -S
	run netns_chat smtp --host 192.0.2.1 587 <<EOF
<
> EHLO client.test
<
> MAIL FROM:<alice@example.com>
<
> AUTH PLAIN $ALICE_PLAIN
<
> QUIT
<
EOF
	echo "$output"
	[ "$(codes)" = "220 250 530 538 221" ]
}

# bats test_tags=slow
@test "receiving from a non-loopback address needs neither TLS nor AUTH" {
	netns_up
	netns_serve 192.0.2.1 25 smtp -c "$CERT" -k "$KEY"
	run netns_chat smtp --host 192.0.2.1 25 <<'EOF'
<
> EHLO client.test
<
> MAIL FROM:<x@elsewhere.test>
<
> RCPT TO:<alice@example.com>
<
> DATA
<
> Subject: remote\r\n\r\nplain\r\n.
<
> QUIT
<
EOF
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(count alice@example.com)" -eq 1 ]
}

# bats test_tags=slow
@test "POP3 from a non-loopback address: no USER or SASL until STLS; USER and AUTH get -ERR [AUTH] ... send STLS first" {
	netns_up
	netns_serve 192.0.2.1 110 pop3 -c "$CERT" -k "$KEY"
	run netns_chat pop3 --host 192.0.2.1 110 <<EOF
<
> CAPA
<.
> USER alice@example.com
<
> PASS alicepw
<
> AUTH PLAIN $ALICE_PLAIN
<
> STLS
<
tls
> CAPA
<.
> USER alice@example.com
<
> PASS alicepw
<
> QUIT
<
EOF
	echo "$output"
	[ "$status" -eq 0 ]
	before=$(printf '%s\n' "$output" | sed -n '1,/^(tls /p')
	grep -qx 'STLS' <<<"$before"
	! grep -qxE 'USER|SASL.*' <<<"$before" || false
	need='-ERR [AUTH] Plain-text login needs TLS: send STLS first'
	[ "$(printf '%s\n' "$before" | grep -E '^(\+OK|-ERR)' | paste -sd'|' -)" = \
	    "+OK mx.test POP3 ready|+OK Capability list follows|$need|$(grep -E '^-ERR' <<<"$before" | sed -n 2p)|$need|+OK Begin TLS negotiation" ]
	after_tls >"$T/after"
	grep -qx 'USER' "$T/after"
	grep -qx 'SASL PLAIN' "$T/after"
	! grep -qx 'STLS' "$T/after" || false
	[ "$(grep -E '^(\+OK|-ERR)' "$T/after" | cut -c1-3 | paste -sd' ' -)" = "+OK +OK +OK +OK" ]
}

# bats test_tags=slow
@test "-P offers AUTH and USER/PASS without TLS to a non-loopback client" {
	netns_up
	netns_serve 192.0.2.1 25 smtp -P
	netns_serve 192.0.2.1 110 pop3 -P
	run netns_chat smtp --host 192.0.2.1 25 <<EOF
<
> EHLO client.test
<
> AUTH PLAIN $ALICE_PLAIN
<
> QUIT
<
EOF
	echo "$output"
	[ "$(codes)" = "220 250 235 221" ]
	grep -q '^250-AUTH PLAIN LOGIN$' <<<"$output"
	run netns_chat pop3 --host 192.0.2.1 110 <<EOF
<
> CAPA
<.
> AUTH PLAIN $ALICE_PLAIN
<
> QUIT
<
EOF
	echo "$output"
	grep -qx 'USER' <<<"$output"
	grep -qx 'SASL PLAIN' <<<"$output"
	[ "$(status)" = "+OK +OK +OK +OK" ]
}

# bats test_tags=slow
@test "a dual-stack listener: ::ffff:127.0.0.1 counts as loopback, ::ffff:192.0.2.1 does not" {
	netns_up
	netns_serve - 25 smtp -c "$CERT" -k "$KEY"
	for host in 127.0.0.1 192.0.2.1; do
		run netns_chat smtp --host "$host" 25 <<EOF
<
> EHLO client.test
<
> AUTH PLAIN $ALICE_PLAIN
<
> QUIT
<
EOF
		echo "$host: $output"
		case $host in
		127.*) [ "$(codes)" = "220 250 235 221" ] ;;
		*) [ "$(codes)" = "220 250 538 221" ] ;;
		esac
	done
}
