#!/usr/bin/env bats
# SMTP addresses: the MAIL and RCPT grammar, length limits, parameters,
# UTF-8, local users, postmaster, relaying and the recipient limit.

load ../lib/helper

# MAIL FROM grammar

@test "MAIL FROM:<> is accepted with 250 2.1.0" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<>
QUIT
EOF
	[ "$(codes)" = "220 250 250 221" ]
	[[ "$(reply 3)" == "250 2.1.0"* ]]
}

@test "MAIL FROM: with one space before the path is accepted" {
	run smtp <<'EOF'
EHLO client.test
MAIL FROM: <sender@example.net>
RSET
MAIL FROM: <sender@example.net> SIZE=10
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 250 221" ]
	[[ "$(reply 3)" == "250 2.1.0"* ]]
}

@test "MAIL FROM without brackets gets 501 5.5.4" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:sender@example.net
MAIL FROM:<sender@example.net
MAIL FROM:sender@example.net>
QUIT
EOF
	[ "$(codes)" = "220 250 501 501 501 221" ]
	[[ "$(reply 3)" == "501 5.5.4"* ]]
	[[ "$(reply 4)" == "501 5.5.4"* ]]
	[[ "$(reply 5)" == "501 5.5.4"* ]]
}

@test "MAIL without FROM: gets 501 5.5.4" {
	run smtp <<'EOF'
HELO client.test
MAIL
MAIL <sender@example.net>
MAIL TO:<sender@example.net>
MAIL FROM<sender@example.net>
QUIT
EOF
	[ "$(codes)" = "220 250 501 501 501 501 221" ]
	[ "$(grep -c '^501 5\.5\.4' <<<"$output")" -eq 4 ]
}

@test "MAIL FROM with an empty local part gets 501 5.1.7" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<@example.net>
QUIT
EOF
	[ "$(codes)" = "220 250 501 221" ]
	[[ "$(reply 3)" == "501 5.1.7"* ]]
}

@test "MAIL FROM with an empty domain gets 501 5.1.7" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@>
QUIT
EOF
	[ "$(codes)" = "220 250 501 221" ]
	[[ "$(reply 3)" == "501 5.1.7"* ]]
}

@test "MAIL FROM without a domain gets 501 5.1.7" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender>
QUIT
EOF
	[ "$(codes)" = "220 250 501 221" ]
	[[ "$(reply 3)" == "501 5.1.7"* ]]
}

@test "MAIL FROM with a double @ gets 501 5.1.7" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@@example.net>
MAIL FROM:<sender@relay@example.net>
QUIT
EOF
	[ "$(codes)" = "220 250 501 501 221" ]
	[[ "$(reply 3)" == "501 5.1.7"* ]]
	[[ "$(reply 4)" == "501 5.1.7"* ]]
}

@test "MAIL FROM with a source route gets 501 5.1.7" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<@relay.example:sender@example.net>
MAIL FROM:<@one.example,@two.example:sender@example.net>
QUIT
EOF
	[ "$(codes)" = "220 250 501 501 221" ]
	[[ "$(reply 3)" == "501 5.1.7"* ]]
	[[ "$(reply 4)" == "501 5.1.7"* ]]
}

@test "MAIL FROM with misplaced dots gets 501 5.1.7" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<.sender@example.net>
MAIL FROM:<sender.@example.net>
MAIL FROM:<sen..der@example.net>
MAIL FROM:<sender@.example.net>
MAIL FROM:<sender@example..net>
MAIL FROM:<sender@example.net.>
QUIT
EOF
	[ "$(codes)" = "220 250 501 501 501 501 501 501 221" ]
	[ "$(grep -c '^501 5\.1\.7' <<<"$output")" -eq 6 ]
}

@test "MAIL FROM with a space inside the path gets 501" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sen der@example.net>
MAIL FROM:<sender@exa mple.net>
QUIT
EOF
	[ "$(codes)" = "220 250 501 501 221" ]
}

@test "text glued to the closing bracket is refused" {
	run smtp <<'EOF'
EHLO client.test
MAIL FROM:<sender@example.net>junk
MAIL FROM:<sender@example.net>SIZE=10
QUIT
EOF
	[[ "$(codes)" =~ ^220\ 250\ (501|555)\ (501|555)\ 221$ ]]
}

@test "a refused MAIL opens no transaction: the next MAIL gets 250" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@@example.net>
MAIL FROM:<sender@example.net>
QUIT
EOF
	[ "$(codes)" = "220 250 501 250 221" ]
}

@test "a local part of 64 octets is accepted" {
	local64=$(chars 64 l)
	run smtp <<EOF
HELO client.test
MAIL FROM:<$local64@example.net>
QUIT
EOF
	[ "$(codes)" = "220 250 250 221" ]
	[[ "$(reply 3)" == "250 2.1.0"* ]]
}

@test "a local part of 65 octets gets 501 5.1.7" {
	local65=$(chars 65 l)
	run smtp <<EOF
HELO client.test
MAIL FROM:<$local65@example.net>
QUIT
EOF
	[ "$(codes)" = "220 250 501 221" ]
	[[ "$(reply 3)" == "501 5.1.7"* ]]
}

@test "a path of 256 octets with its brackets is accepted" {
	path="<$(chars 64 l)@$(domain_of_length 189)>"
	[ "${#path}" -eq 256 ]
	run smtp <<EOF
HELO client.test
MAIL FROM:$path
QUIT
EOF
	[ "$(codes)" = "220 250 250 221" ]
	[[ "$(reply 3)" == "250 2.1.0"* ]]
}

@test "a path of 257 octets with its brackets gets 501 5.1.7" {
	path="<$(chars 64 l)@$(domain_of_length 190)>"
	[ "${#path}" -eq 257 ]
	run smtp <<EOF
HELO client.test
MAIL FROM:$path
QUIT
EOF
	[ "$(codes)" = "220 250 501 221" ]
	[[ "$(reply 3)" == "501 5.1.7"* ]]
}

# RCPT TO grammar

@test "RCPT TO without brackets or without TO: gets 501 5.5.4" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:alice@example.com
RCPT <alice@example.com>
RCPT
RCPT FROM:<alice@example.com>
RCPT TO:<alice@example.com>
DATA
hello
.
QUIT
EOF
	[ "$(codes)" = "220 250 250 501 501 501 501 250 354 250 221" ]
	[ "$(grep -c '^501 5\.5\.4' <<<"$output")" -eq 4 ]
	[ "$(count alice@example.com)" -eq 1 ]
}

@test "RCPT TO with a bad address gets 501 5.1.3" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<@example.com>
RCPT TO:<alice@>
RCPT TO:<alice@@example.com>
RCPT TO:<alice@relay@example.com>
RCPT TO:<alice..x@example.com>
QUIT
EOF
	[ "$(codes)" = "220 250 250 501 501 501 501 501 221" ]
	[ "$(grep -c '^501 5\.1\.3' <<<"$output")" -eq 5 ]
}

@test "RCPT TO:<> gets 501 5.1.3" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<>
QUIT
EOF
	[ "$(codes)" = "220 250 250 501 221" ]
	[[ "$(reply 4)" == "501 5.1.3"* ]]
}

@test "RCPT TO with a source route gets 501 5.1.3, even to a local user" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<@relay.example:alice@example.com>
DATA
QUIT
EOF
	[ "$(codes)" = "220 250 250 501 503 221" ]
	[[ "$(reply 4)" == "501 5.1.3"* ]]
}

# bats test_tags=slow
@test "RCPT TO with a local part of 64 octets is parsed, 65 is refused" {
	local64=$(chars 64 l)
	run smtp <<EOF
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<$local64@example.com>
RCPT TO:<${local64}x@example.com>
QUIT
EOF
	[ "$(codes)" = "220 250 250 550 501 221" ]
	[[ "$(reply 4)" == "550 5.1.1"* ]]
	[[ "$(reply 5)" == "501 5.1.3"* ]]
}

@test "RCPT TO with a path of 256 octets is parsed, 257 is refused" {
	ok="<$(chars 64 l)@$(domain_of_length 189)>"
	long="<$(chars 64 l)@$(domain_of_length 190)>"
	run smtp <<EOF
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:$ok
RCPT TO:$long
QUIT
EOF
	[ "$(codes)" = "220 250 250 550 501 221" ]
	[[ "$(reply 4)" == "550 5.7.1"* ]]
	[[ "$(reply 5)" == "501 5.1.3"* ]]
}

# Local users, relaying, postmaster

@test "RCPT to another domain gets 550 5.7.1 (relaying denied)" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<someone@elsewhere.example>
RCPT TO:<alice@mail.example.com>
RCPT TO:<alice@example.com.elsewhere.example>
RCPT TO:<postmaster@elsewhere.example>
DATA
QUIT
EOF
	[ "$(codes)" = "220 250 250 550 550 550 550 503 221" ]
	[ "$(grep -c '^550 5\.7\.1' <<<"$output")" -eq 4 ]
	[ -z "$(all_messages)" ]
}

# bats test_tags=slow
@test "RCPT to an unknown user at a local domain gets 550 5.1.1" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<nobody@example.com>
RCPT TO:<alice@example.org>
RCPT TO:<carol@example.net>
QUIT
EOF
	[ "$(codes)" = "220 250 250 550 550 550 221" ]
	[ "$(grep -c '^550 5\.1\.1' <<<"$output")" -eq 3 ]
}

@test "RCPT to a local user gets 250 2.1.5" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<carol@example.org>
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 221" ]
	[[ "$(reply 4)" == "250 2.1.5"* ]]
}

@test "postmaster at each local domain and bare postmaster reach the first user" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<postmaster@example.com>
DATA
one
.
MAIL FROM:<sender@example.net>
RCPT TO:<POSTMASTER@example.org>
DATA
two
.
MAIL FROM:<sender@example.net>
RCPT TO:<PostMaster@Example.NET>
DATA
three
.
MAIL FROM:<sender@example.net>
RCPT TO:<postmaster>
DATA
four
.
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 354 250 250 250 354 250 250 250 354 250 250 250 354 250 221" ]
	[ "$(count alice@example.com)" -eq 4 ]
	[ "$(all_messages | wc -l)" -eq 4 ]
	! ls "$STORE" | grep -qi postmaster || false
}

@test "bare postmaster in any case is accepted" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<PostMaster>
DATA
hello
.
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(count alice@example.com)" -eq 1 ]
}

@test "with -p postmaster mail goes to the named user" {
	run smtp -p dave@example.org <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<postmaster>
DATA
one
.
MAIL FROM:<sender@example.net>
RCPT TO:<postmaster@example.com>
DATA
two
.
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 354 250 250 250 354 250 221" ]
	[ "$(count dave@example.org)" -eq 2 ]
	[ "$(count alice@example.com)" -eq 0 ]
}

@test "postmaster is the first user of the users file, whoever that is" {
	printf 'erin@example.net erinpw\nalice@example.com alicepw\n' >"$USERS"
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<postmaster>
DATA
hello
.
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(count erin@example.net)" -eq 1 ]
	[ "$(count alice@example.com)" -eq 0 ]
}

@test "case-variant recipients land in the users-file spelling's mailbox" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<bob.smith@example.com>
DATA
one
.
MAIL FROM:<sender@example.net>
RCPT TO:<ALICE@EXAMPLE.COM>
DATA
two
.
MAIL FROM:<sender@example.net>
RCPT TO:<BOB.SMITH@EXAMPLE.COM>
DATA
three
.
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 354 250 250 250 354 250 250 250 354 250 221" ]
	[ "$(count Bob.Smith@Example.COM)" -eq 2 ]
	[ "$(count alice@example.com)" -eq 1 ]
	[ ! -e "$STORE/bob.smith@example.com" ]
	[ ! -e "$STORE/BOB.SMITH@EXAMPLE.COM" ]
	[ ! -e "$STORE/ALICE@EXAMPLE.COM" ]
}

# Parameters

@test "SIZE under or at the limit is accepted" {
	run smtp -s 1000 <<'EOF'
EHLO client.test
MAIL FROM:<sender@example.net> SIZE=500
RSET
MAIL FROM:<sender@example.net> SIZE=1000
RSET
MAIL FROM:<sender@example.net> SIZE=0
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 250 250 250 221" ]
}

@test "SIZE over the limit gets 552 5.3.4" {
	run smtp -s 1000 <<'EOF'
EHLO client.test
MAIL FROM:<sender@example.net> SIZE=1001
RCPT TO:<alice@example.com>
QUIT
EOF
	[ "$(codes)" = "220 250 552 503 221" ]
	[[ "$(reply 3)" == "552 5.3.4"* ]]
}

@test "an absurdly huge SIZE gets 552 5.3.4" {
	run smtp <<'EOF'
EHLO client.test
MAIL FROM:<sender@example.net> SIZE=18446744073709551616
MAIL FROM:<sender@example.net> SIZE=99999999999999999999999999999999999999
QUIT
EOF
	[ "$(codes)" = "220 250 552 552 221" ]
	[[ "$(reply 3)" == "552 5.3.4"* ]]
	[[ "$(reply 4)" == "552 5.3.4"* ]]
}

@test "a bad SIZE value gets 501 5.5.4" {
	run smtp <<'EOF'
EHLO client.test
MAIL FROM:<sender@example.net> SIZE=abc
MAIL FROM:<sender@example.net> SIZE=-1
MAIL FROM:<sender@example.net> SIZE=
MAIL FROM:<sender@example.net> SIZE=12abc
MAIL FROM:<sender@example.net> SIZE=+5
QUIT
EOF
	[ "$(codes)" = "220 250 501 501 501 501 501 221" ]
	[ "$(grep -c '^501 5\.5\.4' <<<"$output")" -eq 5 ]
}

@test "BODY=7BIT and BODY=8BITMIME are accepted" {
	run smtp <<'EOF'
EHLO client.test
MAIL FROM:<sender@example.net> BODY=7BIT
RSET
MAIL FROM:<sender@example.net> BODY=8BITMIME
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 250 221" ]
}

@test "BODY=foo gets 501 5.5.4" {
	run smtp <<'EOF'
EHLO client.test
MAIL FROM:<sender@example.net> BODY=foo
RCPT TO:<alice@example.com>
QUIT
EOF
	[ "$(codes)" = "220 250 501 503 221" ]
	[[ "$(reply 3)" == "501 5.5.4"* ]]
}

@test "a duplicated parameter gets 501 5.5.4" {
	run smtp <<'EOF'
EHLO client.test
MAIL FROM:<sender@example.net> SIZE=10 SIZE=10
MAIL FROM:<sender@example.net> BODY=7BIT BODY=8BITMIME
MAIL FROM:<sender@example.net> SMTPUTF8 SMTPUTF8
QUIT
EOF
	[ "$(codes)" = "220 250 501 501 501 221" ]
	[ "$(grep -c '^501 5\.5\.4' <<<"$output")" -eq 3 ]
}

@test "an unknown MAIL parameter gets 555 5.5.4" {
	run smtp <<'EOF'
EHLO client.test
MAIL FROM:<sender@example.net> FOO=bar
MAIL FROM:<sender@example.net> AUTH=<>
QUIT
EOF
	[ "$(codes)" = "220 250 555 555 221" ]
	[[ "$(reply 3)" == "555 5.5.4"* ]]
	[[ "$(reply 4)" == "555 5.5.4"* ]]
}

@test "an unknown RCPT parameter gets 555 5.5.4" {
	run smtp <<'EOF'
EHLO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com> NOTIFY=NEVER
RCPT TO:<alice@example.com> FOO
QUIT
EOF
	[ "$(codes)" = "220 250 250 555 555 221" ]
	[[ "$(reply 4)" == "555 5.5.4"* ]]
}

@test "parameter keywords are case-insensitive" {
	run smtp -s 1000 <<'EOF'
EHLO client.test
MAIL FROM:<sender@example.net> size=100 body=8bitmime smtputf8
RSET
MAIL FROM:<sender@example.net> size=2000
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 552 221" ]
}

# UTF-8 addresses (RFC 6531)

@test "a non-ASCII sender without SMTPUTF8 gets 553 5.6.7" {
	run smtp <<'EOF'
EHLO client.test
MAIL FROM:<jösé@example.net>
MAIL FROM:<sender@exämple.net>
QUIT
EOF
	[ "$(codes)" = "220 250 553 553 221" ]
	[[ "$(reply 3)" == "553 5.6.7"* ]]
	[[ "$(reply 4)" == "553 5.6.7"* ]]
}

@test "a non-ASCII recipient without SMTPUTF8 on MAIL gets 553 5.6.7" {
	run smtp <<'EOF'
EHLO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<jösé@example.com>
QUIT
EOF
	[ "$(codes)" = "220 250 250 553 221" ]
	[[ "$(reply 4)" == "553 5.6.7"* ]]
}

# bats test_tags=slow
@test "with SMTPUTF8 a non-ASCII sender is accepted and delivered" {
	run smtp <<'EOF'
EHLO client.test
MAIL FROM:<jösé@exämple.net> SMTPUTF8
RCPT TO:<jösé@example.com>
RCPT TO:<alice@example.com>
DATA
Subject: grüße

hello
.
QUIT
EOF
	[ "$(codes)" = "220 250 250 550 250 354 250 221" ]
	[[ "$(reply 3)" == "250 2.1.0"* ]]
	[[ "$(reply 4)" == "550 5.1.1"* ]]
	[ "$(count alice@example.com)" -eq 1 ]
	f=$(message_file alice@example.com)
	[ "$(head -n 1 "$f")" = "Return-Path: <jösé@exämple.net>" ]
}

@test "an address that is not valid UTF-8 is refused even with SMTPUTF8" {
	run smtp_raw < <(printf '%s\r\n' 'EHLO client.test' \
	    "$(printf 'MAIL FROM:<j\xffs@example.net> SMTPUTF8')" \
	    "$(printf 'MAIL FROM:<j\xc3@example.net> SMTPUTF8')" QUIT)
	[[ "$(codes)" =~ ^220\ 250\ 5[0-9][0-9]\ 5[0-9][0-9]\ 221$ ]]
}

# Recipient limit

@test "with -r 3 the 4th distinct RCPT gets 452 4.5.3 and the first 3 get the message" {
	run smtp -r 3 <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
RCPT TO:<Bob.Smith@Example.COM>
RCPT TO:<carol@example.org>
RCPT TO:<dave@example.org>
DATA
hello
.
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 250 250 452 354 250 221" ]
	[[ "$(reply 7)" == "452 4.5.3"* ]]
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$(count Bob.Smith@Example.COM)" -eq 1 ]
	[ "$(count carol@example.org)" -eq 1 ]
	[ "$(count dave@example.org)" -eq 0 ]
}

@test "a repeated recipient does not count toward the recipient limit" {
	run smtp -r 2 <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
RCPT TO:<alice@example.com>
RCPT TO:<ALICE@example.com>
RCPT TO:<carol@example.org>
RCPT TO:<dave@example.org>
DATA
hello
.
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 250 250 250 452 354 250 221" ]
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$(count carol@example.org)" -eq 1 ]
	[ "$(count dave@example.org)" -eq 0 ]
}

@test "the recipient limit is per transaction" {
	run smtp -r 1 <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
RCPT TO:<carol@example.org>
RSET
MAIL FROM:<sender@example.net>
RCPT TO:<carol@example.org>
DATA
hello
.
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 452 250 250 250 354 250 221" ]
	[ "$(count carol@example.org)" -eq 1 ]
	[ "$(count alice@example.com)" -eq 0 ]
}

# bats test_tags=slow
@test "100 recipients are accepted by default and the 101st gets 452 4.5.3" {
	for i in $(seq -w 1 101); do
		echo "user$i@example.com pw$i"
	done >>"$USERS"
	run smtp < <(echo HELO client.test; echo 'MAIL FROM:<sender@example.net>'
	    for i in $(seq -w 1 101); do echo "RCPT TO:<user$i@example.com>"; done
	    echo DATA; echo hello; echo .; echo QUIT)
	[ "$(codes)" = "220 250 250 $(printf '250 %.0s' $(seq 100))452 354 250 221" ]
	[[ "$(reply 104)" == "452 4.5.3"* ]]
	[ "$(count user001@example.com)" -eq 1 ]
	[ "$(count user050@example.com)" -eq 1 ]
	[ "$(count user100@example.com)" -eq 1 ]
	[ "$(count user101@example.com)" -eq 0 ]
	[ "$(all_messages | wc -l)" -eq 100 ]
}

@test "MAIL parameters after HELO get 555 5.5.4: extensions need EHLO" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net> SIZE=100
MAIL FROM:<sender@example.net> BODY=8BITMIME
MAIL FROM:<sender@example.net>
QUIT
EOF
	[ "$(codes)" = "220 250 555 555 250 221" ]
	[[ "$(reply 3)" == "555 5.5.4"* ]]
}

@test "an address with bytes that are not UTF-8 gets 553 5.6.7 without SMTPUTF8" {
	run smtp_raw < <(printf 'EHLO client.test\r\nMAIL FROM:<\xe9@example.net>\r\nMAIL FROM:<s@example.net>\r\nRCPT TO:<\xff@example.com>\r\nQUIT\r\n')
	[ "$(codes)" = "220 250 553 250 553 221" ]
	[[ "$(reply 3)" == "553 5.6.7"* ]]
	[[ "$(reply 5)" == "553 5.6.7"* ]]
}

# bats test_tags=slow
@test "a quoted local part that needs no quotes names the same user" {
	run smtp <<'EOF'
EHLO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<"alice"@example.com>
RCPT TO:<"bob.smith"@example.com>
RCPT TO:<"al ice"@example.com>
DATA
Subject: quoted

body
.
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 250 550 354 250 221" ]
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$(count Bob.Smith@Example.COM)" -eq 1 ]
}
