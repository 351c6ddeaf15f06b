#!/usr/bin/env bats
# Authentication: SMTP AUTH PLAIN and LOGIN (RFC 4954, RFC 4616), the
# submission role (RFC 6409), and POP3 AUTH PLAIN (RFC 5034) beside
# USER/PASS, all against the users file.  The sessions here are piped
# through the handlers: standard input that is a pipe is a local client,
# to whom AUTH is offered without TLS.  What changes with TLS and with a
# client that is not local is in tls.bats.

load ../lib/helper
load ../lib/tls

# The SASL responses of the test users.
ALICE_PLAIN=$(b64 '\0alice@example.com\0alicepw')
ALICE_USER=$(b64 'alice@example.com')
ALICE_PASS=$(b64 'alicepw')
WRONG_PLAIN=$(b64 '\0alice@example.com\0wrongpw')
UNKNOWN_PLAIN=$(b64 '\0zed@example.com\0alicepw')

# The fixed replies, as the spec gives them.
R_AUTH_OK='235 2.7.0 Authentication successful'
R_AUTH_FAIL='535 5.7.8 Authentication credentials invalid'
R_CANCEL='501 5.0.0 Authentication cancelled'
R_DECODE='501 5.5.2 Cannot decode response'
R_TOO_MANY='421 4.7.0 mx.test Too many failed logins, closing connection'
P_AUTH_FAIL='-ERR [AUTH] Invalid user name or password'

# ehlo_lists KEYWORD: the EHLO reply in $output has a line for KEYWORD
# (the whole line, e.g. "AUTH PLAIN LOGIN").
ehlo_lists() {
	grep -q "^250[- ]$1"$'\r$' <<<"$output"
}

# SMTP AUTH: what is offered

@test "EHLO from a local client lists AUTH PLAIN LOGIN" {
	run smtp <<'EOF'
EHLO client.test
QUIT
EOF
	[ "$(codes)" = "220 250 221" ]
	ehlo_lists 'AUTH PLAIN LOGIN'
}

@test "EHLO after a successful AUTH no longer lists AUTH" {
	run smtp <<EOF
EHLO client.test
AUTH PLAIN $ALICE_PLAIN
EHLO client.test
QUIT
EOF
	[ "$(codes)" = "220 250 235 250 221" ]
	[ "$(printf '%s\n' "$output" | grep -c 'AUTH PLAIN LOGIN')" -eq 1 ]
}

# SMTP AUTH PLAIN

@test "AUTH PLAIN with an initial response logs in with 235 2.7.0" {
	run smtp <<EOF
EHLO client.test
AUTH PLAIN $ALICE_PLAIN
QUIT
EOF
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 250 235 221" ]
	[ "$(reply 3)" = "$R_AUTH_OK" ]
}

@test "AUTH PLAIN without an initial response gets an empty 334 and reads the response line" {
	run smtp <<EOF
EHLO client.test
AUTH PLAIN
$ALICE_PLAIN
QUIT
EOF
	[ "$(codes)" = "220 250 334 235 221" ]
	# "334" and a space, nothing after it (RFC 4954 section 4).
	grep -qx $'334 \r' <<<"$output"
	[ "$(reply 4)" = "$R_AUTH_OK" ]
}

@test "AUTH PLAIN with the authorization identity equal to the user logs in" {
	run smtp <<EOF
EHLO client.test
AUTH PLAIN $(b64 'alice@example.com\0alice@example.com\0alicepw')
QUIT
EOF
	[ "$(codes)" = "220 250 235 221" ]
}

# bats test_tags=slow
@test "AUTH PLAIN asking to act as another user fails like a wrong password" {
	start=$(date +%s%N)
	run smtp <<EOF
EHLO client.test
AUTH PLAIN $(b64 'Bob.Smith@Example.COM\0alice@example.com\0alicepw')
QUIT
EOF
	ms=$(elapsed_ms "$start")
	[ "$(codes)" = "220 250 535 221" ]
	[ "$(reply 3)" = "$R_AUTH_FAIL" ]
	[ "$ms" -ge 1000 ]
}

# bats test_tags=slow
@test "AUTH PLAIN with a wrong password gets 535 5.7.8 after at least 1 s" {
	start=$(date +%s%N)
	run smtp <<EOF
EHLO client.test
AUTH PLAIN $WRONG_PLAIN
QUIT
EOF
	ms=$(elapsed_ms "$start")
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 250 535 221" ]
	[ "$(reply 3)" = "$R_AUTH_FAIL" ]
	[ "$ms" -ge 1000 ]
}

# bats test_tags=slow
@test "AUTH PLAIN for an unknown user gets the same 535 line" {
	run smtp <<EOF
EHLO client.test
AUTH PLAIN $UNKNOWN_PLAIN
QUIT
EOF
	[ "$(codes)" = "220 250 535 221" ]
	[ "$(reply 3)" = "$R_AUTH_FAIL" ]
}

# bats test_tags=slow
@test "passwords are case-sensitive; user names match without regard to case" {
	run smtp <<EOF
EHLO client.test
AUTH PLAIN $(b64 '\0alice@example.com\0ALICEPW')
AUTH PLAIN $(b64 '\0ALICE@EXAMPLE.COM\0alicepw')
QUIT
EOF
	[ "$(codes)" = "220 250 535 235 221" ]
	run smtp <<EOF
EHLO client.test
AUTH PLAIN $(b64 '\0bob.smith@example.com\0bobpw')
QUIT
EOF
	[ "$(codes)" = "220 250 235 221" ]
}

@test "AUTH works for crypt(3) passwords: SHA-512, yescrypt and bcrypt" {
	for up in carol@example.org:carolpw dave@example.org:davepw \
	    erin@example.net:erinpw; do
		run smtp <<EOF
EHLO client.test
AUTH PLAIN $(b64 "\\0${up%%:*}\\0${up#*:}")
QUIT
EOF
		echo "$up: $(codes)"
		[ "$(codes)" = "220 250 235 221" ]
	done
}

@test "libcrypt is loaded only for a hash: if it cannot be, a hashed password gets 454 4.7.0 or -ERR [SYS/TEMP], a plain one still works" {
	# Found first through LD_LIBRARY_PATH, and no library: dlopen fails.
	mkdir "$T/lib"
	echo 'not a library' >"$T/lib/libcrypt.so.1"
	export LD_LIBRARY_PATH=$T/lib
	run smtp <<EOF
EHLO client.test
AUTH PLAIN $(b64 '\0carol@example.org\0carolpw')
AUTH PLAIN $ALICE_PLAIN
QUIT
EOF
	[ "$(codes)" = "220 250 454 235 221" ]
	[ "$(reply 3)" = "454 4.7.0 Temporary authentication failure" ]
	run pop3 <<'EOF'
USER carol@example.org
PASS carolpw
USER alice@example.com
PASS alicepw
QUIT
EOF
	[ "${lines[2]}" = $'-ERR [SYS/TEMP] Temporary failure, try again later\r' ]
	[[ "${lines[4]}" == "+OK"* ]]
}

@test "AUTH PLAIN = (an empty initial response) cannot be decoded: 501 5.5.2" {
	run smtp <<EOF
EHLO client.test
AUTH PLAIN =
QUIT
EOF
	[ "$(codes)" = "220 250 501 221" ]
	[ "$(reply 3)" = "$R_DECODE" ]
}

@test "a PLAIN response that is not authzid NUL authcid NUL password gets 501 5.5.2" {
	run smtp <<EOF
EHLO client.test
AUTH PLAIN $(b64 'alicepw')
AUTH PLAIN $(b64 'alice@example.com\0alicepw')
AUTH PLAIN $(b64 '\0alice@example.com\0alicepw\0x')
AUTH PLAIN $ALICE_PLAIN
QUIT
EOF
	[ "$(codes)" = "220 250 501 501 501 235 221" ]
	[ "$(reply 3)" = "$R_DECODE" ]
	[ "$(reply 4)" = "$R_DECODE" ]
	[ "$(reply 5)" = "$R_DECODE" ]
}

@test "bad base64 gets 501 5.5.2, as an initial response and at the prompt" {
	run smtp <<EOF
EHLO client.test
AUTH PLAIN !!!notbase64!!!
AUTH PLAIN
AGFsaWNlQGV4YW1wbGUuY29tAGFsaWNlcHc
AUTH LOGIN
%%%
AUTH PLAIN $ALICE_PLAIN
QUIT
EOF
	[ "$(codes)" = "220 250 501 334 501 334 501 235 221" ]
	[ "$(reply 3)" = "$R_DECODE" ]
	[ "$(reply 5)" = "$R_DECODE" ]
	[ "$(reply 7)" = "$R_DECODE" ]
}

@test "* cancels AUTH PLAIN and AUTH LOGIN at either prompt: 501 5.0.0" {
	run smtp <<EOF
EHLO client.test
AUTH PLAIN
*
AUTH LOGIN
*
AUTH LOGIN
$ALICE_USER
*
AUTH LOGIN $ALICE_USER
*
AUTH LOGIN
$ALICE_USER
$ALICE_PASS
QUIT
EOF
	[ "$(codes)" = "220 250 334 501 334 501 334 334 501 334 501 334 334 235 221" ]
	[ "$(reply 4)" = "$R_CANCEL" ]
	[ "$(reply 6)" = "$R_CANCEL" ]
	[ "$(reply 9)" = "$R_CANCEL" ]
	[ "$(reply 11)" = "$R_CANCEL" ]
}

@test "a cancelled AUTH takes no second and is not a failed login" {
	start=$(date +%s%N)
	run smtp <<EOF
EHLO client.test
AUTH PLAIN
*
AUTH PLAIN
*
AUTH PLAIN
*
AUTH PLAIN
*
AUTH PLAIN $ALICE_PLAIN
QUIT
EOF
	ms=$(elapsed_ms "$start")
	[ "$(codes)" = "220 250 334 501 334 501 334 501 334 501 235 221" ]
	[ "$ms" -lt 1000 ]
}

# SMTP AUTH LOGIN

@test "AUTH LOGIN asks Username: and Password: in base64 and logs in" {
	run smtp <<EOF
EHLO client.test
AUTH LOGIN
$ALICE_USER
$ALICE_PASS
QUIT
EOF
	[ "$(codes)" = "220 250 334 334 235 221" ]
	[ "$(reply 3)" = "334 VXNlcm5hbWU6" ]
	[ "$(reply 4)" = "334 UGFzc3dvcmQ6" ]
	[ "$(reply 5)" = "$R_AUTH_OK" ]
}

@test "AUTH LOGIN with the user name as initial response asks only for the password" {
	run smtp <<EOF
EHLO client.test
AUTH LOGIN $ALICE_USER
$ALICE_PASS
QUIT
EOF
	[ "$(codes)" = "220 250 334 235 221" ]
	[ "$(reply 3)" = "334 UGFzc3dvcmQ6" ]
}

# bats test_tags=slow
@test "AUTH LOGIN with a wrong password or an unknown user gets the PLAIN failure line" {
	run smtp <<EOF
EHLO client.test
AUTH LOGIN
$ALICE_USER
$(b64 wrongpw)
AUTH LOGIN
$(b64 zed@example.com)
$ALICE_PASS
QUIT
EOF
	[ "$(codes)" = "220 250 334 334 535 334 334 535 221" ]
	[ "$(reply 5)" = "$R_AUTH_FAIL" ]
	[ "$(reply 8)" = "$R_AUTH_FAIL" ]
}

@test "the mechanism name is case-insensitive" {
	run smtp <<EOF
EHLO client.test
auth plain $ALICE_PLAIN
QUIT
EOF
	[ "$(codes)" = "220 250 235 221" ]
}

# SMTP AUTH: state, mechanisms, limits

@test "an unknown mechanism gets 504 5.5.4; AUTH without one gets 501" {
	run smtp <<EOF
EHLO client.test
AUTH CRAM-MD5
AUTH
AUTH PLAIN $ALICE_PLAIN
QUIT
EOF
	[ "$(codes)" = "220 250 504 501 235 221" ]
	[ "$(reply 3)" = "504 5.5.4 Unrecognized authentication type" ]
}

@test "AUTH before EHLO gets 503 5.5.1" {
	run smtp <<EOF
AUTH PLAIN $ALICE_PLAIN
QUIT
EOF
	[ "$(codes)" = "220 503 221" ]
	[ "$(reply 2)" = "503 5.5.1 Send HELO or EHLO first" ]
}

@test "AUTH during a mail transaction gets 503 5.5.1" {
	run smtp <<EOF
EHLO client.test
MAIL FROM:<alice@example.com>
AUTH PLAIN $ALICE_PLAIN
RCPT TO:<alice@example.com>
RSET
AUTH PLAIN $ALICE_PLAIN
QUIT
EOF
	[ "$(codes)" = "220 250 250 503 250 250 235 221" ]
	[ "$(reply 4)" = "503 5.5.1 AUTH not allowed during a mail transaction" ]
}

@test "a second AUTH after a login gets 503 5.5.1 Already authenticated" {
	run smtp <<EOF
EHLO client.test
AUTH PLAIN $ALICE_PLAIN
AUTH PLAIN $(b64 '\0bob.smith@example.com\0bobpw')
QUIT
EOF
	[ "$(codes)" = "220 250 235 503 221" ]
	[ "$(reply 4)" = "503 5.5.1 Already authenticated" ]
}

# bats test_tags=slow
@test "the third failed AUTH gets 535, then 421 4.7.0, and the session ends" {
	run smtp <<EOF
EHLO client.test
AUTH PLAIN $WRONG_PLAIN
AUTH LOGIN
$ALICE_USER
$(b64 wrongpw)
AUTH PLAIN $UNKNOWN_PLAIN
AUTH PLAIN $ALICE_PLAIN
NOOP
QUIT
EOF
	[ "$status" -eq 1 ]
	[ "$(codes)" = "220 250 535 334 334 535 535 421" ]
	[ "$(reply 7)" = "$R_AUTH_FAIL" ]
	[ "$(reply 8)" = "$R_TOO_MANY" ]
}

# bats test_tags=slow
@test "two failed AUTHs leave the session open for a right one" {
	run smtp <<EOF
EHLO client.test
AUTH PLAIN $WRONG_PLAIN
AUTH PLAIN $UNKNOWN_PLAIN
AUTH PLAIN $ALICE_PLAIN
QUIT
EOF
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 250 535 535 235 221" ]
}

# bats test_tags=slow
@test "a response line longer than a command line is read whole (RFC 4954: up to 12288 octets)" {
	# 600 octets of base64: a 430-octet password, wrong.
	long=$(b64 "\\0alice@example.com\\0$(chars 430 p)")
	[ "${#long}" -gt 512 ]
	run smtp <<EOF
EHLO client.test
AUTH PLAIN
$long
AUTH PLAIN $ALICE_PLAIN
QUIT
EOF
	[ "$(codes)" = "220 250 334 535 235 221" ]
}

@test "an AUTH command line over 512 octets is refused as too long, not run" {
	long=$(b64 "\\0alice@example.com\\0alicepw$(chars 400 p)")
	run smtp <<EOF
EHLO client.test
AUTH PLAIN $long
AUTH PLAIN $ALICE_PLAIN
QUIT
EOF
	[ "$(codes)" = "220 250 500 235 221" ]
	[[ "$(reply 3)" == "500 5.5.2 "* ]]
}

@test "a response line over 12288 octets gets 500 5.5.6 once; its tail is never run as a command" {
	{
		printf 'EHLO client.test\r\nAUTH PLAIN\r\n'
		chars 13000 A
		printf 'NOOP\r\n'
		printf 'AUTH PLAIN %s\r\nQUIT\r\n' "$ALICE_PLAIN"
	} >"$T/session"
	run smtp_raw <"$T/session"
	[ "$(codes)" = "220 250 334 500 235 221" ]
	[[ "$(reply 4)" == "500 5.5.6 "* ]]
}

# Submission role (-S)

@test "-S: MAIL before AUTH gets 530 5.7.0 Authentication required" {
	run smtp -S <<EOF
EHLO client.test
MAIL FROM:<alice@example.com>
RCPT TO:<alice@example.com>
QUIT
EOF
	[ "$(codes)" = "220 250 530 503 221" ]
	[ "$(reply 3)" = "530 5.7.0 Authentication required" ]
	ehlo_lists 'AUTH PLAIN LOGIN'
}

# bats test_tags=slow
@test "-S: after AUTH the user's own sender is accepted and the message delivered with ESMTPA" {
	run smtp -S <<EOF
EHLO client.test
AUTH PLAIN $ALICE_PLAIN
MAIL FROM:<alice@example.com>
RCPT TO:<Bob.Smith@Example.COM>
DATA
Subject: submitted

sent by alice
.
QUIT
EOF
	[ "$(codes)" = "220 250 235 250 250 354 250 221" ]
	[ "$(count Bob.Smith@Example.COM)" -eq 1 ]
	f=$(message_file Bob.Smith@Example.COM)
	[ "$(head -n 1 "$f")" = "Return-Path: <alice@example.com>" ]
	[[ "$(received_of "$f")" == *" with ESMTPA "* ]]
	printf 'Subject: submitted\n\nsent by alice\n' | stored_body_is Bob.Smith@Example.COM
}

@test "-S: a sender that is not the user's own gets 553 5.7.1; so does the null sender" {
	run smtp -S <<EOF
EHLO client.test
AUTH PLAIN $ALICE_PLAIN
MAIL FROM:<Bob.Smith@Example.COM>
MAIL FROM:<alice@example.org>
MAIL FROM:<alice@elsewhere.test>
MAIL FROM:<>
MAIL FROM:<alice@example.com>
QUIT
EOF
	[ "$(codes)" = "220 250 235 553 553 553 553 250 221" ]
	[ "$(reply 4)" = "553 5.7.1 Sender address is not yours" ]
	[ "$(reply 7)" = "553 5.7.1 Sender address is not yours" ]
	[ -z "$(all_messages)" ]
}

@test "-S: the sender matches the user as addresses do, without regard to case" {
	run smtp -S <<EOF
EHLO client.test
AUTH PLAIN $(b64 '\0bob.smith@example.com\0bobpw')
MAIL FROM:<BOB.SMITH@example.com>
RCPT TO:<alice@example.com>
DATA
Subject: case

x
.
QUIT
EOF
	[ "$(codes)" = "220 250 235 250 250 354 250 221" ]
	[ "$(count alice@example.com)" -eq 1 ]
}

@test "-S: recipients are still local users only; nothing is relayed" {
	run smtp -S <<EOF
EHLO client.test
AUTH PLAIN $ALICE_PLAIN
MAIL FROM:<alice@example.com>
RCPT TO:<someone@elsewhere.test>
QUIT
EOF
	[ "$(codes)" = "220 250 235 250 550 221" ]
	[ "$(reply 5)" = "550 5.7.1 Relaying denied" ]
}

@test "-S: RSET keeps the login" {
	run smtp -S <<EOF
EHLO client.test
AUTH PLAIN $ALICE_PLAIN
MAIL FROM:<alice@example.com>
RSET
MAIL FROM:<alice@example.com>
QUIT
EOF
	[ "$(codes)" = "220 250 235 250 250 250 221" ]
}

# bats test_tags=slow
@test "-S: a failed AUTH does not open MAIL" {
	run smtp -S <<EOF
EHLO client.test
AUTH PLAIN $WRONG_PLAIN
MAIL FROM:<alice@example.com>
QUIT
EOF
	[ "$(codes)" = "220 250 535 530 221" ]
}

@test "receiving role (no -S): mail for a local user needs no AUTH" {
	run smtp <<EOF
EHLO client.test
MAIL FROM:<stranger@elsewhere.test>
RCPT TO:<alice@example.com>
DATA
Subject: inbound

x
.
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(count alice@example.com)" -eq 1 ]
	[[ "$(received_of "$(message_file alice@example.com)")" == *" with ESMTP "* ]]
}

@test "receiving role: a session that did AUTH must also send as its user" {
	run smtp <<EOF
EHLO client.test
AUTH PLAIN $ALICE_PLAIN
MAIL FROM:<stranger@elsewhere.test>
MAIL FROM:<alice@example.com>
QUIT
EOF
	[ "$(codes)" = "220 250 235 553 250 221" ]
	[ "$(reply 4)" = "553 5.7.1 Sender address is not yours" ]
}

@test "Received says UTF8SMTPA for an authenticated SMTPUTF8 message" {
	run smtp -S <<EOF
EHLO client.test
AUTH PLAIN $ALICE_PLAIN
MAIL FROM:<alice@example.com> SMTPUTF8
RCPT TO:<alice@example.com>
DATA
Subject: utf8

x
.
QUIT
EOF
	[ "$(codes)" = "220 250 235 250 250 354 250 221" ]
	[[ "$(received_of "$(message_file alice@example.com)")" == *" with UTF8SMTPA "* ]]
}

@test "swaks over a pipe logs in with PLAIN and with LOGIN and submits (-S)" {
	command -v swaks >/dev/null || skip "needs swaks"
	for mech in PLAIN LOGIN; do
		run timeout 60 swaks --pipe "$BIN/smtp-handler -u $USERS -d $STORE -n mx.test -S" \
		    --helo client.test --from alice@example.com \
		    --to Bob.Smith@Example.COM --auth "$mech" \
		    --auth-user alice@example.com --auth-password alicepw \
		    --header "Subject: swaks $mech" --body "by swaks $mech"
		echo "$output"
		[ "$status" -eq 0 ]
		grep -q '235 2.7.0' <<<"$output"
	done
	[ "$(count Bob.Smith@Example.COM)" -eq 2 ]
	grep -l 'by swaks PLAIN' "$(maildir Bob.Smith@Example.COM)"/new/*
	grep -l 'by swaks LOGIN' "$(maildir Bob.Smith@Example.COM)"/new/*
}

# bats test_tags=slow
@test "swaks over a pipe with a wrong password fails at 535 and sends nothing" {
	command -v swaks >/dev/null || skip "needs swaks"
	run timeout 60 swaks --pipe "$BIN/smtp-handler -u $USERS -d $STORE -n mx.test -S" \
	    --helo client.test --from alice@example.com --to alice@example.com \
	    --auth PLAIN --auth-user alice@example.com --auth-password nope
	echo "$output"
	[ "$status" -ne 0 ]
	grep -q '535 5.7.8' <<<"$output"
	[ -z "$(all_messages)" ]
}

# Timing

# bats test_tags=slow
@test "SMTP AUTH fails in 1.0 to 1.5 s for known and unknown users, PLAIN and LOGIN; medians differ by < 150 ms" {
	run python3 "$LIB/auth_fail_timing.py" smtp "$BIN/smtp-handler" "$USERS" "$STORE"
	echo "$output"
	[ "$status" -eq 0 ]
}

# bats test_tags=slow
@test "POP3 AUTH PLAIN fails in 1.0 to 1.5 s for known and unknown users, with PASS's reply" {
	run python3 "$LIB/auth_fail_timing.py" pop3 "$BIN/pop3-handler" "$USERS" "$STORE"
	echo "$output"
	[ "$status" -eq 0 ]
}

# POP3 AUTH (RFC 5034)

@test "POP3 CAPA from a local client lists USER and SASL PLAIN, and no STLS without a certificate" {
	run pop3 <<'EOF'
CAPA
QUIT
EOF
	[ "$(status)" = "+OK +OK +OK" ]
	grep -qx $'USER\r' <<<"$output"
	grep -qx $'SASL PLAIN\r' <<<"$output"
	! grep -q '^STLS' <<<"$output" || false
}

@test "POP3 AUTH PLAIN with an initial response logs in" {
	printf 'Subject: one\n\nbody\n' | pop3_drop alice@example.com >/dev/null
	run pop3 <<EOF
AUTH PLAIN $ALICE_PLAIN
STAT
QUIT
EOF
	[ "$status" -eq 0 ]
	[ "$(status)" = "+OK +OK +OK +OK" ]
	[[ "$(pop3_line 2)" == "+OK"* ]]
	[[ "$(pop3_line 3)" == "+OK 1 "* ]]
}

@test "POP3 AUTH PLAIN without an initial response gets '+ ' and reads the response" {
	run pop3 <<EOF
AUTH PLAIN
$ALICE_PLAIN
STAT
QUIT
EOF
	[ "$(pop3_line 2)" = "+ " ]
	[[ "$(pop3_line 3)" == "+OK"* ]]
	[ "$(pop3_line 4)" = "+OK 0 0" ]
}

@test "POP3 AUTH without a mechanism lists PLAIN; an unknown one is refused" {
	run pop3 <<EOF
AUTH
AUTH CRAM-MD5
AUTH PLAIN $ALICE_PLAIN
QUIT
EOF
	[ "$(pop3_line 2)" = "+OK" ]
	[ "$(pop3_line 3)" = "PLAIN" ]
	[ "$(pop3_line 4)" = "." ]
	[ "$(pop3_line 5)" = "-ERR Unsupported authentication mechanism" ]
	[[ "$(pop3_line 6)" == "+OK"* ]]
}

@test "POP3 AUTH PLAIN: * cancels; bad base64 and a wrong shape are refused" {
	run pop3 <<EOF
AUTH PLAIN
*
AUTH PLAIN !!!
AUTH PLAIN $(b64 'alice@example.com\0alicepw')
AUTH PLAIN $ALICE_PLAIN
QUIT
EOF
	[ "$(pop3_line 2)" = "+ " ]
	[ "$(pop3_line 3)" = "-ERR Authentication cancelled" ]
	[[ "$(pop3_line 4)" == "-ERR"* ]]
	[[ "$(pop3_line 5)" == "-ERR"* ]]
	[[ "$(pop3_line 6)" == "+OK"* ]]
}

# bats test_tags=slow
@test "POP3 AUTH PLAIN: wrong password, unknown user and a foreign authzid get PASS's -ERR [AUTH] line" {
	run pop3 <<EOF
AUTH PLAIN $WRONG_PLAIN
AUTH PLAIN $UNKNOWN_PLAIN
QUIT
EOF
	[ "$(pop3_line 2)" = "$P_AUTH_FAIL" ]
	[ "$(pop3_line 3)" = "$P_AUTH_FAIL" ]
	run pop3 <<EOF
AUTH PLAIN $(b64 'Bob.Smith@Example.COM\0alice@example.com\0alicepw')
QUIT
EOF
	[ "$(pop3_line 2)" = "$P_AUTH_FAIL" ]
}

@test "POP3 AUTH PLAIN with the authzid equal to the user, and any case of the address, logs in" {
	run pop3 <<EOF
AUTH PLAIN $(b64 'ALICE@example.com\0ALICE@EXAMPLE.COM\0alicepw')
QUIT
EOF
	[[ "$(pop3_line 2)" == "+OK"* ]]
}

# bats test_tags=slow
@test "POP3 failed AUTH PLAIN and PASS count together: the third closes the session" {
	run pop3 <<EOF
AUTH PLAIN $WRONG_PLAIN
USER alice@example.com
PASS wrong
AUTH PLAIN $UNKNOWN_PLAIN
AUTH PLAIN $ALICE_PLAIN
STAT
QUIT
EOF
	[ "$status" -eq 1 ]
	[ "$(status)" = "+OK -ERR +OK -ERR -ERR" ]
	[ "$(pop3_line 5)" = "-ERR [AUTH] Too many failed logins, closing" ]
}

@test "POP3 AUTH PLAIN of a locked maildrop gets -ERR [IN-USE]" {
	pop3_start
	pop3_login alice@example.com alicepw
	run pop3 <<EOF
AUTH PLAIN $ALICE_PLAIN
QUIT
EOF
	[[ "$(pop3_line 2)" == "-ERR [IN-USE]"* ]]
	pop3_say QUIT
	pop3_expect "+OK"
}

@test "POP3 AUTH after login is not valid in this state" {
	run pop3 <<EOF
AUTH PLAIN $ALICE_PLAIN
AUTH PLAIN $ALICE_PLAIN
USER alice@example.com
QUIT
EOF
	[[ "$(pop3_line 2)" == "+OK"* ]]
	[ "$(pop3_line 3)" = "-ERR Command not valid in this state" ]
	[[ "$(pop3_line 4)" == "-ERR"* ]]
}

# bats test_tags=slow
@test "POP3 AUTH PLAIN reads a response line longer than the 255-octet command limit" {
	long=$(b64 "\\0alice@example.com\\0$(chars 300 p)")
	[ "${#long}" -gt 255 ]
	run pop3 <<EOF
AUTH PLAIN
$long
AUTH PLAIN $ALICE_PLAIN
QUIT
EOF
	[ "$(pop3_line 2)" = "+ " ]
	[ "$(pop3_line 3)" = "$P_AUTH_FAIL" ]
	[[ "$(pop3_line 4)" == "+OK"* ]]
}

# Logs

# bats test_tags=slow
@test "a failed SMTP AUTH logs 'login failed' and the name, never the password or what was wrong" {
	# journal_raw skips without root, but not from inside a pipeline.
	[ "$(id -u)" -eq 0 ] || skip "needs root for a mount namespace"
	printf 'EHLO client.test\r\nAUTH PLAIN %s\r\nQUIT\r\n' \
	    "$(b64 '\0alice@example.com\0Sekr1tWrong')" |
	    journal_raw smtp-handler
	mv "$T/journal" "$T/journal.wrong"
	printf 'EHLO client.test\r\nAUTH LOGIN\r\n%s\r\n%s\r\nQUIT\r\n' \
	    "$(b64 zed@example.com)" "$(b64 Sekr1tAlso)" |
	    journal_raw smtp-handler
	mv "$T/journal" "$T/journal.unknown"
	cat "$T/journal.wrong" "$T/journal.unknown"
	wrong=$(grep '^MESSAGE=login failed' "$T/journal.wrong")
	unknown=$(grep '^MESSAGE=login failed' "$T/journal.unknown")
	[[ "$wrong" == *alice@example.com* ]]
	[[ "$unknown" == *zed@example.com* ]]
	# The same line but for the name (and the session's own id).
	norm() { sed -e 's/alice@example.com\|zed@example.com/NAME/' \
	    -e 's/session=[^ ]*/session=ID/'; }
	[ "$(norm <<<"$wrong")" = "$(norm <<<"$unknown")" ]
	! sed 's/peer=[^ ]*//' <<<"$wrong" |
	    grep -qiE 'password|unknown|no such|mismatch|mechanism' || false
	! grep -q 'Sekr1t' "$T/journal.wrong" "$T/journal.unknown" || false
	for pw in Sekr1tWrong Sekr1tAlso; do
		! grep -qF "$(b64 "$pw")" "$T/journal.wrong" "$T/journal.unknown" || false
	done
	! grep -qF "$(b64 '\0alice@example.com\0Sekr1tWrong')" "$T/journal.wrong" || false
}

# bats test_tags=slow
@test "a failed POP3 AUTH PLAIN logs like a failed PASS, without the password" {
	# journal_raw skips without root, but not from inside a pipeline.
	[ "$(id -u)" -eq 0 ] || skip "needs root for a mount namespace"
	printf 'AUTH PLAIN %s\r\nQUIT\r\n' \
	    "$(b64 '\0alice@example.com\0Sekr1tWrong')" | journal_raw pop3-handler
	cat "$T/journal"
	grep -q '^MESSAGE=login failed.*alice@example.com' "$T/journal"
	! grep -q 'Sekr1t' "$T/journal" || false
	! grep -qF "$(b64 '\0alice@example.com\0Sekr1tWrong')" "$T/journal" || false
}

# bats test_tags=slow
@test "the SMTP session summary names the authenticated user, and TLS=none" {
	# journal_raw skips without root, but not from inside a pipeline.
	[ "$(id -u)" -eq 0 ] || skip "needs root for a mount namespace"
	printf 'EHLO client.test\r\nAUTH PLAIN %s\r\nQUIT\r\n' "$ALICE_PLAIN" |
	    journal_raw smtp-handler
	cat "$T/journal"
	grep -q '^MESSAGE=session end' "$T/journal"
	grep -qx 'USER=alice@example.com' "$T/journal"
	grep -qx 'TLS=none' "$T/journal"
	! grep -q 'alicepw' "$T/journal" || false
	rm -f "$T/journal"
	printf 'EHLO client.test\r\nQUIT\r\n' | journal_raw smtp-handler
	grep -qx 'USER=-' "$T/journal"
}
