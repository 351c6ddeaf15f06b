#!/usr/bin/env bats
# SMTP session: greeting, HELO/EHLO, the command table and its state and
# argument checks, error and idle limits, command lines, and the options
# of smtp-handler.

load ../lib/helper

bats_require_minimum_version 1.5.0

# Greeting and HELO/EHLO

@test "the greeting is 220 with the host name and ESMTP" {
	run smtp <<'EOF'
QUIT
EOF
	[ "$(codes)" = "220 221" ]
	[[ "$(reply 1)" == "220 mx.test ESMTP"* ]]
	[ "$status" -eq 0 ]
}

@test "HELO gets 250 with the host name and no enhanced code" {
	run smtp <<'EOF'
HELO client.test
QUIT
EOF
	[ "$(codes)" = "220 250 221" ]
	[[ "$(reply 2)" == "250 mx.test"* ]]
	! [[ "$(reply 2)" =~ ^250\ [0-9]\.[0-9] ]] || false
}

@test "EHLO lists PIPELINING, SIZE, 8BITMIME, ENHANCEDSTATUSCODES and SMTPUTF8" {
	run smtp <<'EOF'
EHLO client.test
QUIT
EOF
	[ "$(codes)" = "220 250 221" ]
	[[ "${lines[1]}" == "250-mx.test"* ]]
	grep -q $'^250[- ]PIPELINING\r$' <<<"$output"
	grep -q $'^250[- ]SIZE 67108864\r$' <<<"$output"
	grep -q $'^250[- ]8BITMIME\r$' <<<"$output"
	grep -q $'^250[- ]ENHANCEDSTATUSCODES\r$' <<<"$output"
	grep -q $'^250[- ]SMTPUTF8\r$' <<<"$output"
	# Every line but the last of a multi-line reply has a hyphen.
	[ "$(grep -c '^250-' <<<"$output")" -eq $((${#lines[@]} - 3)) ]
}

@test "EHLO advertises the -s limit in SIZE" {
	run smtp -s 1000 <<'EOF'
EHLO client.test
QUIT
EOF
	grep -q $'^250[- ]SIZE 1000\r$' <<<"$output"
}

@test "EHLO without a certificate advertises no STARTTLS or CHUNKING; AUTH to a local client" {
	run smtp <<'EOF'
EHLO client.test
QUIT
EOF
	[ "$(codes)" = "220 250 221" ]
	! grep -qE '^250[- ](STARTTLS|CHUNKING)' <<<"$output" || false
	# A pipe is a client on this host (tls.bats covers remote ones).
	grep -q $'^250-AUTH PLAIN LOGIN\r$' <<<"$output"
}

@test "HELO without an argument gets 501 5.5.4" {
	run smtp <<'EOF'
HELO
QUIT
EOF
	[ "$(codes)" = "220 501 221" ]
	[[ "$(reply 2)" == "501 5.5.4"* ]]
}

@test "EHLO without an argument gets 501 5.5.4" {
	run smtp <<'EOF'
EHLO
QUIT
EOF
	[ "$(codes)" = "220 501 221" ]
	[[ "$(reply 2)" == "501 5.5.4"* ]]
}

@test "a second EHLO resets the transaction" {
	run smtp <<'EOF'
EHLO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
EHLO client.test
DATA
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 250 503 221" ]
	[[ "$(reply 6)" == "503 5.5.1"* ]]
}

# Verbs

@test "verbs are case-insensitive" {
	run smtp <<'EOF'
hElO client.test
nOoP
Rset
vrfy alice
hElP
qUiT
EOF
	[ "$(codes)" = "220 250 250 250 252 214 221" ]
	[ "$status" -eq 0 ]
}

@test "an unknown verb gets 500 5.5.1 and the session goes on" {
	run smtp <<'EOF'
HELO client.test
FROB x
NOOP
QUIT
EOF
	[ "$(codes)" = "220 250 500 250 221" ]
	[[ "$(reply 3)" == "500 5.5.1"* ]]
}

@test "HELOABC is an unknown verb, not HELO" {
	run smtp <<'EOF'
HELOABC client.test
EHLOX client.test
MAIL FROM:<a@example.net>
QUIT
EOF
	[ "$(codes)" = "220 500 500 503 221" ]
	[[ "$(reply 2)" == "500 5.5.1"* ]]
	[[ "$(reply 3)" == "500 5.5.1"* ]]
}

@test "a verb glued to its argument with a tab gets 500" {
	run smtp_raw < <(printf 'HELO\tclient.test\r\nNOOP\tx\r\nQUIT\r\n')
	[ "$(codes)" = "220 500 500 221" ]
}

@test "an empty command line gets 500" {
	run smtp_raw < <(printf '\r\nNOOP\r\nQUIT\r\n')
	[ "$(codes)" = "220 500 250 221" ]
}

@test "EXPN, TURN, ETRN, BDAT, SEND, SOML, SAML, and STARTTLS without a certificate get 502 5.5.1" {
	run smtp <<'EOF'
EHLO client.test
EXPN staff
TURN
ETRN example.com
BDAT 10 LAST
STARTTLS
SEND FROM:<a@example.net>
SOML FROM:<a@example.net>
SAML FROM:<a@example.net>
NOOP
QUIT
EOF
	[ "$(codes)" = "220 250 502 502 502 502 502 502 502 502 250 221" ]
	[ "$(grep -c '^502 5\.5\.1' <<<"$output")" -eq 8 ]
}

@test "NOOP gets 250 2.0.0, with or without an argument" {
	run smtp <<'EOF'
NOOP
NOOP anything at all
QUIT
EOF
	[ "$(codes)" = "220 250 250 221" ]
	[[ "$(reply 2)" == "250 2.0.0"* ]]
	[[ "$(reply 3)" == "250 2.0.0"* ]]
}

@test "NOOP works before HELO" {
	run smtp <<'EOF'
NOOP
RSET
VRFY alice
HELP
QUIT
EOF
	[ "$(codes)" = "220 250 250 252 214 221" ]
}

@test "VRFY gets 252 2.5.0 and the same text for a user and a stranger" {
	run smtp <<'EOF'
HELO client.test
VRFY alice@example.com
VRFY nobody@example.com
QUIT
EOF
	[ "$(codes)" = "220 250 252 252 221" ]
	[[ "$(reply 3)" == "252 2.5.0"* ]]
	[ "$(reply 3)" = "$(reply 4)" ]
	! grep -qi 'alice' <<<"$output" || false
}

@test "VRFY without an argument gets 501 5.5.4" {
	run smtp <<'EOF'
VRFY
QUIT
EOF
	[ "$(codes)" = "220 501 221" ]
	[[ "$(reply 2)" == "501 5.5.4"* ]]
}

@test "HELP gets 214 2.0.0" {
	run smtp <<'EOF'
HELP
QUIT
EOF
	[ "$(codes)" = "220 214 221" ]
	[[ "$(reply 2)" == "214 2.0.0"* ]]
}

@test "RSET gets 250 2.0.0 and ends the transaction" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
RSET
DATA
RCPT TO:<alice@example.com>
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 250 503 503 221" ]
	[[ "$(reply 5)" == "250 2.0.0"* ]]
}

@test "RSET keeps the HELO: MAIL works after it" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RSET
MAIL FROM:<other@example.net>
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 250 221" ]
	[[ "$(reply 5)" == "250 2.1.0"* ]]
}

@test "RSET with an argument gets 501 5.5.4" {
	run smtp <<'EOF'
RSET now
QUIT
EOF
	[ "$(codes)" = "220 501 221" ]
	[[ "$(reply 2)" == "501 5.5.4"* ]]
}

@test "DATA with an argument gets 501 5.5.4" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
DATA now
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 501 221" ]
	[[ "$(reply 5)" == "501 5.5.4"* ]]
	[ "$(count alice@example.com)" -eq 0 ]
}

@test "QUIT with an argument gets 501 5.5.4 and the session goes on" {
	run smtp <<'EOF'
QUIT now
NOOP
QUIT
EOF
	[ "$(codes)" = "220 501 250 221" ]
	[[ "$(reply 2)" == "501 5.5.4"* ]]
	[ "$status" -eq 0 ]
}

@test "QUIT gets 221 2.0.0, exits 0 and nothing after it is answered" {
	run smtp <<'EOF'
QUIT
NOOP
HELO client.test
EOF
	[ "$(codes)" = "220 221" ]
	[[ "$(reply 2)" == "221 2.0.0"* ]]
	[ "$status" -eq 0 ]
}

@test "EOF without QUIT exits 1" {
	run smtp <<'EOF'
HELO client.test
NOOP
EOF
	[ "$(codes)" = "220 250 250" ]
	[ "$status" -eq 1 ]
}

# Order of commands

@test "MAIL before HELO gets 503 5.5.1" {
	run smtp <<'EOF'
MAIL FROM:<sender@example.net>
QUIT
EOF
	[ "$(codes)" = "220 503 221" ]
	[[ "$(reply 2)" == "503 5.5.1"* ]]
}

@test "MAIL twice gets 503 5.5.1" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
MAIL FROM:<other@example.net>
QUIT
EOF
	[ "$(codes)" = "220 250 250 503 221" ]
	[[ "$(reply 4)" == "503 5.5.1"* ]]
}

@test "RCPT before MAIL gets 503" {
	run smtp <<'EOF'
HELO client.test
RCPT TO:<alice@example.com>
QUIT
EOF
	[ "$(codes)" = "220 250 503 221" ]
	[[ "$(reply 3)" == "503 5.5.1"* ]]
}

@test "RCPT before HELO gets 503" {
	run smtp <<'EOF'
RCPT TO:<alice@example.com>
QUIT
EOF
	[ "$(codes)" = "220 503 221" ]
	[[ "$(reply 2)" == "503 5.5.1"* ]]
}

@test "DATA before MAIL gets 503 5.5.1" {
	run smtp <<'EOF'
HELO client.test
DATA
QUIT
EOF
	[ "$(codes)" = "220 250 503 221" ]
	[[ "$(reply 3)" == "503 5.5.1"* ]]
}

@test "DATA before RCPT gets 503 5.5.1" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
DATA
QUIT
EOF
	[ "$(codes)" = "220 250 250 503 221" ]
	[[ "$(reply 4)" == "503 5.5.1"* ]]
}

# bats test_tags=slow
@test "DATA after only refused recipients gets 503 and the body lines are commands" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<nobody@example.com>
DATA
NOOP
QUIT
EOF
	[ "$(codes)" = "220 250 250 550 503 250 221" ]
	[ -z "$(all_messages)" ]
}

@test "RCPT after a refused MAIL gets 503" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<@route.example:sender@example.net>
RCPT TO:<alice@example.com>
QUIT
EOF
	[ "$(codes)" = "220 250 501 503 221" ]
}

# Pipelining

# bats test_tags=slow
@test "a whole transaction pipelined in one write gets every reply in order" {
	run smtp_raw < <(printf '%s\r\n' 'EHLO client.test' \
	    'MAIL FROM:<sender@example.net>' 'RCPT TO:<alice@example.com>' \
	    'RCPT TO:<nobody@example.com>' 'DATA' 'Subject: pipelined' '' \
	    'body' '.' 'NOOP' 'QUIT')
	[ "$(codes)" = "220 250 250 250 550 354 250 250 221" ]
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$status" -eq 0 ]
}

@test "two transactions pipelined in one write deliver two messages" {
	run smtp_raw < <(printf '%s\r\n' 'EHLO client.test' \
	    'MAIL FROM:<one@example.net>' 'RCPT TO:<alice@example.com>' \
	    'DATA' 'first' '.' \
	    'MAIL FROM:<two@example.net>' 'RCPT TO:<alice@example.com>' \
	    'DATA' 'second' '.' 'QUIT')
	[ "$(codes)" = "220 250 250 250 354 250 250 250 354 250 221" ]
	[ "$(count alice@example.com)" -eq 2 ]
	[ "$(all_messages | xargs grep -lx first | wc -l)" -eq 1 ]
	[ "$(all_messages | xargs grep -lx second | wc -l)" -eq 1 ]
}

# Error limit

@test "19 bad commands do not close the session" {
	run smtp < <(for i in $(seq 19); do echo BOGUS; done; echo NOOP; echo QUIT)
	[ "$(codes)" = "220 $(printf '500 %.0s' $(seq 19))250 221" ]
	[ "$status" -eq 0 ]
}

@test "after 20 bad commands the session closes with 421 4.7.0" {
	run smtp < <(for i in $(seq 25); do echo BOGUS; done; echo NOOP; echo QUIT)
	[ "$(codes)" = "220 $(printf '500 %.0s' $(seq 20))421" ]
	[[ "$(reply 22)" == "421 4.7.0"* ]]
	[ "$status" -eq 1 ]
}

# bats test_tags=slow
@test "any 5xx reply counts toward the error limit" {
	run smtp < <(echo HELO client.test; echo 'MAIL FROM:<s@example.net>'
	    for i in $(seq 25); do echo "RCPT TO:<nobody$i@example.com>"; done
	    echo QUIT)
	[ "$(codes)" = "220 250 250 $(printf '550 %.0s' $(seq 20))421" ]
	[ "$status" -eq 1 ]
}

@test "452 for too many recipients does not count toward the error limit" {
	run smtp -r 1 < <(echo HELO client.test; echo 'MAIL FROM:<s@example.net>'
	    echo 'RCPT TO:<alice@example.com>'
	    for i in $(seq 25); do echo 'RCPT TO:<carol@example.org>'; done
	    echo DATA; echo hello; echo .; echo QUIT)
	[ "$(codes)" = "220 250 250 250 $(printf '452 %.0s' $(seq 25))354 250 221" ]
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$(count carol@example.org)" -eq 0 ]
}

# Timeouts

# bats test_tags=slow
@test "an idle client is dropped after -t seconds with 421 4.4.2" {
	start=$SECONDS
	run smtp_raw -t 1 < <(exec 3>&-; printf 'EHLO client.test\r\n'; sleep 6)
	[ $((SECONDS - start)) -lt 5 ]
	[ "$(codes)" = "220 250 421" ]
	[[ "$(reply 3)" == "421 4.4.2"* ]]
	[ "$status" -eq 1 ]
}

# bats test_tags=slow
@test "a line sent a byte at a time cannot outlast the timeout" {
	start=$SECONDS
	run smtp_raw -t 2 < <(exec 3>&-; printf 'EHLO client.test\r\n'
	    for c in N O O P; do sleep 0.8; printf %s "$c"; done
	    sleep 0.8; printf '\r\n'; sleep 4)
	[ $((SECONDS - start)) -lt 7 ]
	[ "$(codes)" = "220 250 421" ]
	[[ "$(reply 3)" == "421 4.4.2"* ]]
	[ "$status" -eq 1 ]
}

# bats test_tags=slow
@test "a client silent in DATA is dropped after -t seconds and nothing is stored" {
	start=$SECONDS
	run smtp_raw -t 1 < <(exec 3>&-; printf '%s\r\n' 'HELO client.test' \
	    'MAIL FROM:<s@example.net>' 'RCPT TO:<alice@example.com>' DATA \
	    'Subject: slow'; sleep 6)
	[ $((SECONDS - start)) -lt 5 ]
	[ "$(codes)" = "220 250 250 250 354 421" ]
	[[ "$(reply 6)" == "421 4.4.2"* ]]
	[ "$status" -eq 1 ]
	[ -z "$(all_messages)" ]
	[ -z "$(tmp_files)" ]
}

# Command lines

@test "a command line of 512 octets with CRLF is accepted" {
	run smtp_raw < <(printf 'NOOP %s\r\nQUIT\r\n' "$(chars 505 x)")
	[ "$(codes)" = "220 250 221" ]
}

@test "a command line of 513 octets gets 500 5.5.2 and the session goes on" {
	run smtp_raw < <(printf 'NOOP %s\r\nNOOP\r\nQUIT\r\n' "$(chars 506 x)")
	[ "$(codes)" = "220 500 250 221" ]
	[[ "$(reply 2)" == "500 5.5.2"* ]]
}

@test "a 4 KB command line is answered once, not split into commands" {
	run smtp_raw < <(printf 'NOOP %s\r\nNOOP\r\nQUIT\r\n' "$(chars 4096 x)")
	[ "$(codes)" = "220 500 250 221" ]
	[[ "$(reply 2)" == "500 5.5.2"* ]]
}

@test "1 MB without a line end, then EOF, ends the session without a crash" {
	run smtp_raw < <(chars 1048576 x)
	[ "$status" -eq 0 ] || [ "$status" -eq 1 ]
	[[ "$(reply 1)" == "220 "* ]]
	! grep -q '^250' <<<"$output" || false
}

@test "a NUL byte in a command gets 500 5.5.2" {
	run smtp_raw < <(printf 'NOOP\0\r\nNO\0OP\r\nNOOP\r\nQUIT\r\n')
	[ "$(codes)" = "220 500 500 250 221" ]
	[[ "$(reply 2)" == "500 5.5.2"* ]]
	[[ "$(reply 3)" == "500 5.5.2"* ]]
}

@test "a bare CR inside a command gets 500 5.5.2" {
	run smtp_raw < <(printf 'NO\rOP\r\nNOOP\r\r\nNOOP\r\nQUIT\r\n')
	[ "$(codes)" = "220 500 500 250 221" ]
	[[ "$(reply 2)" == "500 5.5.2"* ]]
	[[ "$(reply 3)" == "500 5.5.2"* ]]
}

@test "a command ended by a bare LF gets 500 5.5.2, not 250" {
	run smtp_raw < <(printf 'NOOP\nQUIT\r\nQUIT\r\n')
	[ "$(codes)" = "220 500 221" ]
	[[ "$(reply 2)" == "500 5.5.2"* ]]
}

@test "only CRLF ends a command line: NOOP LF NOOP CRLF is one bad line" {
	run smtp_raw < <(printf 'NOOP\nNOOP\r\nQUIT\r\n')
	[ "$(codes)" = "220 500 221" ]
	[[ "$(reply 2)" == "500 5.5.2"* ]]
}

@test "a bad line does not hide a pipelined command after it" {
	run smtp_raw < <(printf 'NO\0OP\r\nHELO client.test\r\nQUIT\r\n')
	[ "$(codes)" = "220 500 250 221" ]
}

# Options

@test "an unknown option exits 100 with a message on stderr" {
	run --separate-stderr "$BIN/smtp-handler" -u "$USERS" -d "$STORE" \
	    --frobnicate </dev/null
	[ "$status" -eq 100 ]
	[[ "$stderr" == *smtp-handler*frobnicate* ]]
	[ -z "$output" ]
}

@test "an option without its value exits 100" {
	run --separate-stderr "$BIN/smtp-handler" -d "$STORE" -u </dev/null
	[ "$status" -eq 100 ]
	[ -n "$stderr" ]
	[[ "$output" != *220* ]]
}

@test "a non-numeric -s, -r or -t exits 100" {
	run "$BIN/smtp-handler" -u "$USERS" -d "$STORE" -s lots </dev/null
	[ "$status" -eq 100 ]
	run "$BIN/smtp-handler" -u "$USERS" -d "$STORE" -r many </dev/null
	[ "$status" -eq 100 ]
	run "$BIN/smtp-handler" -u "$USERS" -d "$STORE" -t long </dev/null
	[ "$status" -eq 100 ]
}

@test "a missing users file exits 100 with a message on stderr" {
	run --separate-stderr "$BIN/smtp-handler" -u "$T/no-such-file" \
	    -d "$STORE" -n mx.test </dev/null
	[ "$status" -eq 100 ]
	[[ "$stderr" == *smtp-handler*no-such-file* ]]
	[ "$output" = $'421 4.3.0 mx.test Service not available\r' ]
}

@test "--check with a good users file exits 0 without a session" {
	run --separate-stderr "$BIN/smtp-handler" -u "$USERS" -d "$STORE" \
	    --check </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" != *220* ]]
}

@test "--check with a missing users file exits 100" {
	run --separate-stderr "$BIN/smtp-handler" -u "$T/no-such-file" \
	    -d "$STORE" --check </dev/null
	[ "$status" -eq 100 ]
	[ -n "$stderr" ]
}

@test "--check with an unknown option exits 100" {
	run "$BIN/smtp-handler" -u "$USERS" -d "$STORE" --check --frobnicate \
	    </dev/null
	[ "$status" -eq 100 ]
}

@test "--help prints the usage and exits 0 without a session" {
	run "$BIN/smtp-handler" --help </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *-u* ]]
	[[ "$output" != 220* ]]
	run "$BIN/smtp-handler" -h </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *-u* ]]
}

@test "long options work like the short ones" {
	run timeout 30 "$BIN/smtp-handler" --users "$USERS" --store "$STORE" \
	    --hostname long.test --max-size 1000 --max-recipients 1 \
	    --postmaster dave@example.org --timeout 30 < <(printf '%s\r\n' \
	    'EHLO client.test' 'MAIL FROM:<s@example.net>' \
	    'RCPT TO:<postmaster>' 'RCPT TO:<alice@example.com>' DATA x . QUIT)
	[ "$(codes)" = "220 250 250 250 452 354 250 221" ]
	[[ "$(reply 1)" == "220 long.test "* ]]
	grep -q $'^250[- ]SIZE 1000\r$' <<<"$output"
	[ "$(count dave@example.org)" -eq 1 ]
	[ "$(count alice@example.com)" -eq 0 ]
}

@test "the host name defaults to the node name" {
	run timeout 30 "$BIN/smtp-handler" -u "$USERS" -d "$STORE" \
	    < <(printf 'QUIT\r\n')
	[[ "$(reply 1)" == "220 $(uname -n) "* ]]
}

# Terminals

# bats test_tags=slow
@test "on a terminal a line ended by LF alone is accepted" {
	run smtp_tty < <(printf 'HELO client.test\nNOOP\nQUIT\n')
	[ "$(codes)" = "220 250 250 221" ]
	[ "$status" -eq 0 ]
}
