#!/usr/bin/env bats
# SMTP DATA: the exact bytes stored, trace headers, Maildir names, several
# recipients, size and line limits, bad line ends and SMTP smuggling,
# pipelined bodies, and clients that go away.

load ../lib/helper

# Stored bytes

@test "the stored body is the message with CRLF turned into LF" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
DATA
From: Sender <sender@example.net>
To: Alice <alice@example.com>
Subject: exact bytes

first line
	indented line
  spaced line  

last line
.
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[[ "$(reply 6)" == "250 2.0.0"* ]]
	[ "$status" -eq 0 ]
	printf '%s\n' 'From: Sender <sender@example.net>' \
	    'To: Alice <alice@example.com>' 'Subject: exact bytes' '' \
	    'first line' '	indented line' '  spaced line  ' '' 'last line' |
	    stored_body_is alice@example.com
}

@test "DATA gets 354 before the body" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
DATA
hello
.
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[[ "$(reply 5)" == "354"* ]]
}

@test "dot-stuffing is removed from stored lines" {
	run smtp_raw < <(printf '%s\r\n' 'HELO client.test' \
	    'MAIL FROM:<sender@example.net>' 'RCPT TO:<alice@example.com>' DATA \
	    'Subject: dots' '' '..x' '..' '...' '.. .' 'a.' '..' '.' QUIT)
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	printf '%s\n' 'Subject: dots' '' '.x' '.' '..' '. .' 'a.' '.' |
	    stored_body_is alice@example.com
}

@test "a leading dot on an unstuffed line is removed (RFC 5321 4.5.2)" {
	run smtp_raw < <(printf '%s\r\n' 'HELO client.test' \
	    'MAIL FROM:<sender@example.net>' 'RCPT TO:<alice@example.com>' DATA \
	    '.x' '. y' '.' QUIT)
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	printf '%s\n' 'x' ' y' | stored_body_is alice@example.com
}

@test "a line of a single dot ends the message, so it never appears in a body" {
	run smtp_raw < <(printf '%s\r\n' 'HELO client.test' \
	    'MAIL FROM:<sender@example.net>' 'RCPT TO:<alice@example.com>' DATA \
	    'before' '.' 'NOOP' 'QUIT')
	[ "$(codes)" = "220 250 250 250 354 250 250 221" ]
	printf 'before\n' | stored_body_is alice@example.com
}

@test "an 8-bit body is stored byte for byte" {
	run smtp_raw < <(printf '%b' 'EHLO client.test\r\n' \
	    'MAIL FROM:<sender@example.net> BODY=8BITMIME\r\n' \
	    'RCPT TO:<alice@example.com>\r\n' 'DATA\r\n' \
	    'Subject: \xc3\xa9t\xc3\xa9\r\n' '\r\n' \
	    '\x80\x81\xfe\xff\x7f\x01\x1b[0m\r\n' 'latin1 \xe9\xe8\r\n' \
	    '.\r\n' 'QUIT\r\n')
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	printf '%b' 'Subject: \xc3\xa9t\xc3\xa9\n' '\n' \
	    '\x80\x81\xfe\xff\x7f\x01\x1b[0m\n' 'latin1 \xe9\xe8\n' |
	    stored_body_is alice@example.com
}

@test "an empty message is stored with only the trace headers" {
	run smtp_raw < <(printf '%s\r\n' 'HELO client.test' \
	    'MAIL FROM:<sender@example.net>' 'RCPT TO:<alice@example.com>' DATA \
	    . QUIT)
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	stored_body_is alice@example.com </dev/null
	f=$(message_file alice@example.com)
	[ "$(head -n 1 "$f")" = "Return-Path: <sender@example.net>" ]
	[ "$(sed -n 2p "$f")" = "X-Original-To: alice@example.com" ]
	[ "$(sed -n 3p "$f")" = "Delivered-To: alice@example.com" ]
	[ "$(sed -n 4p "$f" | cut -c 1-10)" = "Received: " ]
	# Nothing after the Received line and its continuations.
	[ "$(awk 'NR > 4 && !/^\t/' "$f" | wc -l)" -eq 0 ]
}

@test "a body that does not end in an empty line keeps its last line intact" {
	run smtp_raw < <(printf '%b' 'HELO client.test\r\n' \
	    'MAIL FROM:<s@example.net>\r\n' 'RCPT TO:<alice@example.com>\r\n' \
	    'DATA\r\n' 'no final blank\r\n' '.\r\n' 'QUIT\r\n')
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	f=$(message_file alice@example.com)
	[ "$(tail -c 15 "$f")" = "no final blank" ]
	[ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" = '\n' ]
}

# Several recipients

# bats test_tags=slow
@test "one message for alice and Bob: a file each, naming its recipient, the same body, one id in the 250" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
RCPT TO:<bob.smith@example.com>
DATA
Subject: for two

hello both
.
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 250 354 250 221" ]
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$(count Bob.Smith@Example.COM)" -eq 1 ]
	a=$(message_file alice@example.com)
	b=$(message_file Bob.Smith@Example.COM)
	[ "$(stat -c %i "$a")" != "$(stat -c %i "$b")" ]
	[ "$(stat -c %h "$a")" -eq 1 ]
	[ "$(stat -c %h "$b")" -eq 1 ]
	[ "$(sed -n 2,3p "$a")" = "$(printf 'X-Original-To: alice@example.com\nDelivered-To: alice@example.com')" ]
	# Bob as the client spelled him, and his mailbox as the users file does.
	[ "$(sed -n 2,3p "$b")" = "$(printf 'X-Original-To: bob.smith@example.com\nDelivered-To: Bob.Smith@Example.COM')" ]
	grep -qx '	for <bob.smith@example.com>;' "$b"
	cmp <(body_of "$a") <(body_of "$b")
	printf '%s\n' 'Subject: for two' '' 'hello both' | cmp - <(body_of "$a")
	# The 250 names the first copy.
	[[ "$(reply 7)" == "250 2.0.0 Ok: delivered as $(basename "$a" | sed 's/,S=.*//')" ]]
}

@test "the same recipient twice gets one copy" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
RCPT TO:<alice@example.com>
DATA
hello
.
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 250 354 250 221" ]
	[[ "$(reply 5)" == "250 2.1.5"* ]]
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$(stat -c %h "$(message_file alice@example.com)")" -eq 1 ]
}

@test "the same recipient in two spellings gets one copy" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<Bob.Smith@Example.COM>
RCPT TO:<bob.smith@example.com>
DATA
hello
.
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 250 354 250 221" ]
	[ "$(count Bob.Smith@Example.COM)" -eq 1 ]
}

# bats test_tags=slow
@test "refused recipients do not stop delivery to the accepted ones" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<nobody@example.com>
RCPT TO:<carol@example.org>
RCPT TO:<someone@elsewhere.example>
DATA
hello
.
QUIT
EOF
	[ "$(codes)" = "220 250 250 550 250 550 354 250 221" ]
	[ "$(count carol@example.org)" -eq 1 ]
	[ "$(all_messages | wc -l)" -eq 1 ]
}

# Trace headers and file names

@test "the first line is Return-Path with the sender" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<Sender.Name@Example.NET>
RCPT TO:<alice@example.com>
DATA
hello
.
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	f=$(message_file alice@example.com)
	[ "$(head -n 1 "$f")" = "Return-Path: <Sender.Name@Example.NET>" ]
}

@test "a message from the null sender has Return-Path: <>" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<>
RCPT TO:<alice@example.com>
DATA
bounce
.
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(head -n 1 "$(message_file alice@example.com)")" = "Return-Path: <>" ]
}

@test "Return-Path, X-Original-To, Delivered-To, then a Received line that names mx.test and the recipient" {
	run smtp <<'EOF'
EHLO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
DATA
Subject: trace

hello
.
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	f=$(message_file alice@example.com)
	[ "$(sed -n 1p "$f")" = "Return-Path: <sender@example.net>" ]
	[ "$(sed -n 2p "$f")" = "X-Original-To: alice@example.com" ]
	[ "$(sed -n 3p "$f")" = "Delivered-To: alice@example.com" ]
	[[ "$(sed -n 4p "$f")" == "Received: from client.test ("* ]]
	# The Received header with its continuation lines.
	awk 'NR == 4 { print; next } NR > 4 && /^\t/ { print; next } NR > 4 { exit }' "$f" >"$T/rcvd"
	grep -q '^	by mx\.test (smtp-handler) with ESMTP id ' "$T/rcvd"
	grep -qx '	for <alice@example.com>;' "$T/rcvd"
	[ "$(awk 'NR > 4 && !/^\t/ { print; exit }' "$f")" = "Subject: trace" ]
}

@test "the file name is a Maildir name with S= the size and W= the wire size" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
DATA
Subject: names

line one
line two
.
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	f=$(message_file alice@example.com)
	[[ "$f" == "$STORE/alice@example.com/new/"* ]]
	[ -d "$STORE/alice@example.com/tmp" ]
	[ -d "$STORE/alice@example.com/cur" ]
	name=${f##*/}
	[[ "$name" =~ ^[0-9]+\.M[0-9]+P[0-9]+Q[0-9]+\.[^,/]+,S=([0-9]+),W=([0-9]+)$ ]]
	[ "${BASH_REMATCH[1]}" -eq "$(stat -c %s "$f")" ]
	[ "${BASH_REMATCH[2]}" -eq "$(wire_size "$f")" ]
}

@test "a long host name is cut to 24 octets in the file name" {
	run smtp -n "$(chars 40 h).example.org" <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
DATA
hello
.
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	name=$(messages alice@example.com)
	[[ "$name" =~ ^[0-9]+\.M[0-9]+P[0-9]+Q[0-9]+\.([^,/]+),S=[0-9]+,W=[0-9]+$ ]]
	[ "${#BASH_REMATCH[1]}" -ge 1 ]
	[ "${#BASH_REMATCH[1]}" -le 24 ]
}

@test "QUIT in the middle of a transaction delivers nothing" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 221" ]
	[ "$status" -eq 0 ]
	[ -z "$(all_messages)" ]
}

@test "two messages in one session get two different names" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
DATA
one
.
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
DATA
two
.
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 354 250 250 250 354 250 221" ]
	[ "$(count alice@example.com)" -eq 2 ]
	[ "$(messages alice@example.com | sed 's/,.*//' | sort -u | wc -l)" -eq 2 ]
}

@test "nothing is left in tmp/ after a delivery" {
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
RCPT TO:<carol@example.org>
DATA
hello
.
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 250 354 250 221" ]
	[ "$(all_messages | wc -l)" -eq 2 ]
	[ -z "$(tmp_files)" ]
}

# Size limit

# bats test_tags=slow
@test "a message over -s gets 552 5.3.4 after the dot, nothing is stored, the session goes on" {
	run smtp_raw -s 1000 < <(printf '%s\r\n' 'EHLO client.test' \
	    'MAIL FROM:<sender@example.net>' 'RCPT TO:<alice@example.com>' DATA
	    for i in $(seq 40); do printf '%s\r\n' "$(chars 48 x)"; done
	    printf '%s\r\n' . \
	    'MAIL FROM:<sender@example.net>' 'RCPT TO:<alice@example.com>' DATA \
	    small . QUIT)
	[ "$(codes)" = "220 250 250 250 354 552 250 250 354 250 221" ]
	[[ "$(reply 6)" == "552 5.3.4"* ]]
	[ "$(count alice@example.com)" -eq 1 ]
	printf 'small\n' | stored_body_is alice@example.com
	[ -z "$(tmp_files)" ]
}

# bats test_tags=slow
@test "command-like lines after the size limit are body, not commands" {
	run smtp_raw -s 1000 < <(printf '%s\r\n' 'EHLO client.test' \
	    'MAIL FROM:<sender@example.net>' 'RCPT TO:<alice@example.com>' DATA
	    for i in $(seq 30); do printf '%s\r\n' "$(chars 48 x)"; done
	    printf '%s\r\n' 'RCPT TO:<carol@example.org>' 'RSET' 'QUIT' . NOOP QUIT)
	[ "$(codes)" = "220 250 250 250 354 552 250 221" ]
	[[ "$(reply 6)" == "552 5.3.4"* ]]
	[ -z "$(all_messages)" ]
	[ "$status" -eq 0 ]
}

@test "a message under -s is delivered" {
	run smtp_raw -s 1000 < <(printf '%s\r\n' 'EHLO client.test' \
	    'MAIL FROM:<sender@example.net>' 'RCPT TO:<alice@example.com>' DATA
	    for i in $(seq 10); do printf '%s\r\n' "$(chars 48 x)"; done
	    printf '%s\r\n' . QUIT)
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(count alice@example.com)" -eq 1 ]
}

# Line limits and bad line ends

@test "a body line of 998 octets plus CRLF is stored intact" {
	line=$(chars 998 y)
	run smtp_raw < <(printf '%s\r\n' 'HELO client.test' \
	    'MAIL FROM:<sender@example.net>' 'RCPT TO:<alice@example.com>' DATA \
	    "$line" . QUIT)
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	printf '%s\n' "$line" | stored_body_is alice@example.com
}

@test "a body line of 999 octets plus CRLF gets 554 5.6.0 and nothing is stored" {
	run smtp_raw < <(printf '%s\r\n' 'HELO client.test' \
	    'MAIL FROM:<sender@example.net>' 'RCPT TO:<alice@example.com>' DATA \
	    before "$(chars 999 y)" after . NOOP QUIT)
	[ "$(codes)" = "220 250 250 250 354 554 250 221" ]
	[[ "$(reply 6)" == "554 5.6.0"* ]]
	[ -z "$(all_messages)" ]
	[ -z "$(tmp_files)" ]
}

@test "a 998-octet line stuffed with a leading dot is stored intact (RFC 5321 4.5.3.1.6)" {
	line=.$(chars 997 y)
	run smtp_raw < <(printf '%s\r\n' 'HELO client.test' \
	    'MAIL FROM:<sender@example.net>' 'RCPT TO:<alice@example.com>' DATA \
	    ".$line" . QUIT)
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	printf '%s\n' "$line" | stored_body_is alice@example.com
}

@test "a 999-octet line gets 554 5.6.0 even when stuffed with a dot" {
	run smtp_raw < <(printf '%s\r\n' 'HELO client.test' \
	    'MAIL FROM:<sender@example.net>' 'RCPT TO:<alice@example.com>' DATA \
	    "..$(chars 998 y)" . QUIT)
	[ "$(codes)" = "220 250 250 250 354 554 221" ]
	[ -z "$(all_messages)" ]
}

@test "a 100 KB body line gets 554 5.6.0 and the session goes on" {
	run smtp_raw < <(printf '%s\r\n' 'HELO client.test' \
	    'MAIL FROM:<sender@example.net>' 'RCPT TO:<alice@example.com>' DATA \
	    "$(chars 102400 y)" . NOOP QUIT)
	[ "$(codes)" = "220 250 250 250 354 554 250 221" ]
	[ -z "$(all_messages)" ]
}

@test "a LF alone in the body ends a line and is stored as any line end" {
	run smtp_raw < <(printf '%b' 'HELO client.test\r\n' \
	    'MAIL FROM:<s@example.net>\r\n' 'RCPT TO:<alice@example.com>\r\n' \
	    'DATA\r\n' 'line one\nline two\r\n' 'line three\n' '\n' \
	    'last\r\n' '.\r\n' 'NOOP\r\n' 'QUIT\r\n')
	[ "$(codes)" = "220 250 250 250 354 250 250 221" ]
	[[ "$(reply 6)" == "250 2.0.0"* ]]
	printf '%s\n' 'line one' 'line two' 'line three' '' last |
	    stored_body_is alice@example.com
	# One line end on disk, so the sizes in the name stay exact.
	f=$(message_file alice@example.com)
	! grep -q $'\r' "$f" || false
	[[ $f == *",S=$(stat -c %s "$f"),W=$(wire_size "$f")" ]]
}

@test "a message written with LF line ends only is stored whole" {
	run smtp_raw < <(printf '%b' 'HELO client.test\r\n' \
	    'MAIL FROM:<s@example.net>\r\n' 'RCPT TO:<alice@example.com>\r\n' \
	    'DATA\r\n' 'Subject: from an editor\n\nhello\n..stuffed\n' \
	    '\r\n.\r\n' 'QUIT\r\n')
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	printf '%s\n' 'Subject: from an editor' '' hello .stuffed '' |
	    stored_body_is alice@example.com
}

@test "a dot line ended by a LF alone never ends the data" {
	# No CRLF "." CRLF ever comes: the message is cut short and nothing
	# is delivered.
	run smtp_raw < <(printf '%b' 'HELO client.test\r\n' \
	    'MAIL FROM:<s@example.net>\r\n' 'RCPT TO:<alice@example.com>\r\n' \
	    'DATA\r\n' 'Subject: x\n\nhello\n.\n' 'QUIT\r\n' '.\n')
	[ "$(codes)" = "220 250 250 250 354" ]
	[ -z "$(all_messages)" ]
	[ -z "$(tmp_files)" ]
}

@test "a bare CR in the body gets 554 5.6.0 and nothing is stored" {
	run smtp_raw < <(printf '%b' 'HELO client.test\r\n' \
	    'MAIL FROM:<s@example.net>\r\n' 'RCPT TO:<alice@example.com>\r\n' \
	    'DATA\r\n' 'line one\rline two\r\n' '.\r\n' 'NOOP\r\n' 'QUIT\r\n')
	[ "$(codes)" = "220 250 250 250 354 554 250 221" ]
	[[ "$(reply 6)" == "554 5.6.0"* ]]
	[ -z "$(all_messages)" ]
}

@test "a NUL in the body gets 554 5.6.0 and nothing is stored" {
	run smtp_raw < <(printf '%b' 'HELO client.test\r\n' \
	    'MAIL FROM:<s@example.net>\r\n' 'RCPT TO:<alice@example.com>\r\n' \
	    'DATA\r\n' 'line\0one\r\n' '.\r\n' 'NOOP\r\n' 'QUIT\r\n')
	[ "$(codes)" = "220 250 250 250 354 554 250 221" ]
	[[ "$(reply 6)" == "554 5.6.0"* ]]
	[ -z "$(all_messages)" ]
}

@test "a body ending in a bare CR before the final dot gets 554 5.6.0" {
	run smtp_raw < <(printf '%b' 'HELO client.test\r\n' \
	    'MAIL FROM:<s@example.net>\r\n' 'RCPT TO:<alice@example.com>\r\n' \
	    'DATA\r\n' 'line\r\r\n' '.\r\n' 'QUIT\r\n')
	[ "$(codes)" = "220 250 250 250 354 554 221" ]
	[ -z "$(all_messages)" ]
}

@test "after a rejected body the next transaction is delivered" {
	run smtp_raw < <(printf '%b' 'HELO client.test\r\n' \
	    'MAIL FROM:<s@example.net>\r\n' 'RCPT TO:<alice@example.com>\r\n' \
	    'DATA\r\n' 'bad\rline\r\n' '.\r\n' 'MAIL FROM:<s@example.net>\r\n' \
	    'RCPT TO:<alice@example.com>\r\n' 'DATA\r\n' 'good line\r\n' \
	    '.\r\n' 'QUIT\r\n')
	[ "$(codes)" = "220 250 250 250 354 554 250 250 354 250 221" ]
	printf 'good line\n' | stored_body_is alice@example.com
}

# SMTP smuggling: only CRLF "." CRLF ends DATA.  Each body hides a second
# transaction behind a fake end of data.  Behind a CR alone or a NUL, the
# body is rejected for it; behind a LF alone, the fake end and the hidden
# transaction are lines of the one message, stored whole.  Either way the
# hidden transaction is never run.

# smuggle_session END: the session, with END as the fake end of data.
smuggle_session() {
	printf '%b' 'EHLO client.test\r\n' \
	    'MAIL FROM:<sender@example.net>\r\n' \
	    'RCPT TO:<alice@example.com>\r\n' 'DATA\r\n' \
	    'Subject: real\r\n' '\r\n' 'real body'
	printf '%b' "$1"
	printf '%b' 'MAIL FROM:<x@example.com>\r\n' \
	    'RCPT TO:<alice@example.com>\r\n' 'DATA\r\n' 'smuggled\r\n' \
	    '.\r\n'
	printf '%b' '\r\n.\r\n' 'QUIT\r\n'
}

# smuggle END: the body is rejected and nothing is stored.
smuggle() {
	run smtp_raw < <(smuggle_session "$1")
	[ "$(count alice@example.com)" -eq 0 ]
	[ -z "$(all_messages)" ]
	! grep -rq smuggled "$STORE" || false
	[ "$(grep -c '^354' <<<"$output")" -eq 1 ]
	grep -q '^554 5\.6\.0' <<<"$output"
	! grep -q '^250 2\.0\.0' <<<"$output" || false
	[[ "$(codes)" == *" 221" ]]
	[ -z "$(tmp_files)" ]
}

# smuggle_lf END: END holds a LF alone, so the body is one message that
# holds the fake end and the hidden commands as its own lines; the CRLF
# "." CRLF after "smuggled" ends it, and what follows is read as commands
# (an empty line and a dot: both unknown).
smuggle_lf() {
	run smtp_raw < <(smuggle_session "$1")
	[ "$(codes)" = "220 250 250 250 354 250 500 500 221" ]
	[ "$(grep -c '^354' <<<"$output")" -eq 1 ]
	[ "$(grep -c '^250 2\.0\.0' <<<"$output")" -eq 1 ]
	printf '%s\n' 'Subject: real' '' 'real body' . \
	    'MAIL FROM:<x@example.com>' 'RCPT TO:<alice@example.com>' DATA \
	    smuggled | stored_body_is alice@example.com
	# The one message has the real sender; no second transaction ran.
	[ "$(head -1 "$(message_file alice@example.com)")" = \
	    'Return-Path: <sender@example.net>' ]
	[ -z "$(tmp_files)" ]
}

@test "smuggling with LF . LF does not start a second message" {
	smuggle_lf '\n.\n'
}

@test "smuggling with LF . CRLF does not start a second message" {
	smuggle_lf '\n.\r\n'
}

@test "smuggling with CRLF . LF does not start a second message" {
	smuggle_lf '\r\n.\n'
}

@test "smuggling with LF .. LF does not start a second message" {
	# The stuffed dot is unstuffed, as on any line: "." is stored.
	smuggle_lf '\n..\n'
}

@test "smuggling with CR . CR does not start a second message" {
	smuggle '\r.\r'
}

@test "smuggling with CR LF . CR does not start a second message" {
	smuggle '\r\n.\r'
}

@test "smuggling with CR . CRLF does not start a second message" {
	smuggle '\r.\r\n'
}

@test "smuggling with CRLF NUL . CRLF does not start a second message" {
	smuggle '\r\n\0.\r\n'
}

# Pipelined bodies and clients that go away

@test "bytes buffered after 354 are read as the body" {
	run smtp_raw < <(printf '%b' 'EHLO client.test\r\n' \
	    'MAIL FROM:<sender@example.net>\r\n' \
	    'RCPT TO:<alice@example.com>\r\n' 'DATA\r\n' \
	    'Subject: one write\r\n' '\r\n' 'body\r\n' '.\r\n' 'QUIT\r\n')
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$status" -eq 0 ]
	printf 'Subject: one write\n\nbody\n' | stored_body_is alice@example.com
}

# bats test_tags=slow
@test "a body much larger than the input buffer is stored intact" {
	for i in $(seq 3000); do printf 'line %06d %s\r\n' "$i" "$(chars 60 z)"; done >"$T/body"
	run smtp_raw < <(printf '%b' 'HELO client.test\r\n' \
	    'MAIL FROM:<s@example.net>\r\n' 'RCPT TO:<alice@example.com>\r\n' \
	    'DATA\r\n'
	    cat "$T/body"; printf '.\r\nQUIT\r\n')
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	tr -d '\r' <"$T/body" | stored_body_is alice@example.com
}

@test "EOF before the final dot stores nothing and leaves nothing in tmp/" {
	run smtp_raw < <(printf '%b' 'HELO client.test\r\n' \
	    'MAIL FROM:<s@example.net>\r\n' 'RCPT TO:<alice@example.com>\r\n' \
	    'DATA\r\n' 'Subject: cut\r\n' '\r\n' 'half a mess')
	[ "$(codes)" = "220 250 250 250 354" ]
	[ "$status" -eq 1 ]
	[ -z "$(all_messages)" ]
	[ -z "$(tmp_files)" ]
}

@test "EOF right after a complete last line but before the dot stores nothing" {
	run smtp_raw < <(printf '%b' 'HELO client.test\r\n' \
	    'MAIL FROM:<s@example.net>\r\n' 'RCPT TO:<alice@example.com>\r\n' \
	    'DATA\r\n' 'line\r\n')
	[ "$(codes)" = "220 250 250 250 354" ]
	[ "$status" -eq 1 ]
	[ -z "$(all_messages)" ]
	[ -z "$(tmp_files)" ]
}

@test "1 MB of body without a line end, then EOF, stores nothing and does not crash" {
	run smtp_raw < <(printf '%b' 'HELO client.test\r\n' \
	    'MAIL FROM:<s@example.net>\r\n' 'RCPT TO:<alice@example.com>\r\n' \
	    'DATA\r\n'; chars 1048576 x)
	[ "$status" -eq 1 ]
	[ -z "$(all_messages)" ]
	[ -z "$(tmp_files)" ]
}

# Store failures

@test "a store failure gets 451 4.3.0, nothing is stored and the session goes on" {
	touch "$STORE/alice@example.com"
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
DATA
hello
.
HELP
QUIT
EOF
	# The failure may show at RCPT, DATA or the final dot; it must be a
	# 451 4.3.0 in any case, never a 250 2.0.0.
	grep -q '^451 4\.3\.0' <<<"$output"
	! grep -q '^250 2\.0\.0' <<<"$output" || false
	[[ "$(codes)" == *" 214 221" ]]
	[ -z "$(all_messages)" ]
	[ -z "$(tmp_files)" ]
}
