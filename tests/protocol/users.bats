#!/usr/bin/env bats
# The users file as both handlers see it: its format, malformed and odd
# lines, re-reading when it changes, address lookup and password checks.
# RCPT shows whether an address is a user (250), an unknown user at a
# local domain (550 5.1.1) or not local at all (550 5.7.1); PASS shows
# which password belongs to it.

bats_require_minimum_version 1.5.0

load ../lib/helper

# users_add LINE...: append each LINE, LF-ended, to the users file.
users_add() {
	printf '%s\n' "$@" >>"$USERS"
}

# users_drop ADDRESS: remove the line of ADDRESS from the users file, by
# writing a new file and renaming it over the old one, as an editor does.
users_drop() {
	grep -v "^$1 " "$USERS" >"$T/users.new"
	mv "$T/users.new" "$USERS"
}

# login_ok ADDRESS PASSWORD: a POP3 session logs in as ADDRESS with
# PASSWORD and quits.
login_ok() {
	run pop3 <<EOF
USER $1
PASS $2
QUIT
EOF
	echo "login $1 / $2: $(status)"
	[ "$status" -eq 0 ]
	[ "$(status)" = "+OK +OK +OK +OK" ]
	[[ $(pop3_line 3) == "+OK Maildrop has "* ]]
}

# login_refused ADDRESS PASSWORD: a POP3 session cannot log in as ADDRESS
# with PASSWORD; the refusal is the ordinary -ERR [AUTH] one.
login_refused() {
	run pop3 <<EOF
USER $1
PASS $2
QUIT
EOF
	echo "login $1 / $2: $(status)"
	[ "$status" -eq 0 ]
	[ "$(status)" = "+OK +OK -ERR +OK" ]
	[[ $(pop3_line 3) == "-ERR [AUTH] "* ]]
}

# rcpt_replies ADDRESS...: one SMTP session with a RCPT TO for each
# ADDRESS (MAIL has SMTPUTF8, so any address may be named); prints the
# code and enhanced code of each RCPT reply, one a line.  Fails unless the
# session itself went well (greeting, EHLO, MAIL, QUIT, exit 0).
rcpt_replies() {
	local a out
	out=$({
		echo "EHLO client.test"
		echo "MAIL FROM:<sender@example.net> SMTPUTF8"
		for a in "$@"; do echo "RCPT TO:<$a>"; done
		echo QUIT
	} | smtp) || return 1
	out=$(printf '%s\n' "$out" | tr -d '\r' | grep -E '^[0-9]{3}( |$)')
	[ "$(printf '%s\n' "$out" | sed -n '1p;2p;3p;$p' | cut -c1-3 | paste -sd' ' -)" = "220 250 250 221" ] || return 1
	printf '%s\n' "$out" | sed '1,3d;$d' | cut -d' ' -f1,2
}

# deliver ADDRESS SUBJECT: one SMTP session sends a message with SUBJECT
# to ADDRESS; fails unless it is accepted with 250 2.0.0.
deliver() {
	run smtp <<EOF
EHLO client.test
MAIL FROM:<sender@example.net> SMTPUTF8
RCPT TO:<$1>
DATA
Subject: $2

hello
.
QUIT
EOF
	echo "deliver to $1: $(codes)"
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[[ $(reply 6) == "250 2.0.0"* ]]
}

# Format

# bats test_tags=slow
@test "comment lines, blank lines and indented comments are not users" {
	cat >"$USERS" <<'EOF'
# the first line is a comment
#zed@example.com zedpw

   # an indented comment
	# a comment after a tab
   
	
alice@example.com alicepw
# bob@example.com bobpw
EOF
	got=$(rcpt_replies alice@example.com zed@example.com '#zed@example.com' bob@example.com)
	echo "$got"
	[ "$got" = "$(printf '%s\n' '250 2.1.5' '550 5.1.1' '550 5.1.1' '550 5.1.1')" ]
	# The first user is alice, not anything in a comment.
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
	[ "$(ls "$STORE")" = "alice@example.com" ]
	login_ok alice@example.com alicepw
	login_refused zed@example.com zedpw
}

# bats test_tags=slow
@test "white space before the address is ignored: an indented user is read" {
	users_add "   frank@example.com frankpw" "	 	grace@example.com gracepw"
	deliver frank@example.com one
	deliver grace@example.com two
	[ "$(ls "$STORE" | sort | paste -sd' ' -)" = "frank@example.com grace@example.com" ]
	login_ok frank@example.com frankpw
	login_ok grace@example.com gracepw
}

# bats test_tags=slow
@test "tabs or several spaces separate address and password; trailing white space is ignored" {
	users_add "frank@example.com	frankpw" \
	    "grace@example.com      gracepw" \
	    "heidi@example.com 	 	 heidipw" \
	    "ivan@example.com ivanpw   " \
	    "judy@example.com	judypw	"
	for u in frank grace heidi ivan judy; do
		login_ok "$u@example.com" "${u}pw"
	done
	login_refused ivan@example.com "ivanpw "
	deliver heidi@example.com one
	[ "$(count heidi@example.com)" -eq 1 ]
	# No mailbox name carries the white space around the address.
	[ "$(ls "$STORE" | grep -c '[[:space:]]')" -eq 0 ]
	[ -d "$STORE/heidi@example.com/new" ]
}

# bats test_tags=slow
@test "a comment after the password is allowed and is not part of it" {
	users_add "frank@example.com frankpw # the comment" \
	    "grace@example.com	gracepw	#another" \
	    "heidi@example.com heidipw #"
	login_ok frank@example.com frankpw
	login_ok grace@example.com gracepw
	login_ok heidi@example.com heidipw
	login_refused frank@example.com "frankpw # the comment"
	login_refused grace@example.com "gracepw	#another"
}

# bats test_tags=slow
@test "a # inside the password, with no white space before it, is part of the password" {
	users_add "frank@example.com frank#pw"
	login_ok frank@example.com "frank#pw"
	login_refused frank@example.com frank
}

# bats test_tags=slow
@test "a CRLF-ended users file works, plain and hashed passwords alike" {
	crlf <"$USERS" >"$T/users.crlf"
	printf '# a comment\r\n\r\n' >>"$T/users.crlf"
	mv "$T/users.crlf" "$USERS"
	[ "$(grep -c $'\r$' "$USERS")" -eq 8 ]
	deliver alice@example.com one
	deliver carol@example.org two
	[ "$(ls "$STORE" | sort | paste -sd' ' -)" = "alice@example.com carol@example.org" ]
	[ -z "$(ls "$STORE" | tr -d -c '\r')" ]
	got=$(rcpt_replies nobody@example.com someone@elsewhere.example)
	[ "$got" = "$(printf '%s\n' '550 5.1.1' '550 5.7.1')" ]
	login_ok alice@example.com alicepw
	login_ok carol@example.org carolpw
	login_ok dave@example.org davepw
	login_ok erin@example.net erinpw
}

# Malformed lines

# bats test_tags=slow
@test "a line with an address and no password is skipped; the lines around it still work" {
	users_add "frank@example.com" "frank@example.info" "ivan@example.com ivanpw"
	got=$(rcpt_replies frank@example.com frank@example.info ivan@example.com alice@example.com)
	echo "$got"
	[ "$got" = "$(printf '%s\n' '550 5.1.1' '550 5.7.1' '250 2.1.5' '250 2.1.5')" ]
	login_refused frank@example.com frank@example.com
	login_ok ivan@example.com ivanpw
}

# bats test_tags=slow
@test "a line with three words is skipped, not read as address and password" {
	users_add "grace@example.com gracepw extra" \
	    "grace@example.info gracepw extra" \
	    "ivan@example.com ivanpw"
	got=$(rcpt_replies grace@example.com grace@example.info ivan@example.com)
	echo "$got"
	[ "$got" = "$(printf '%s\n' '550 5.1.1' '550 5.7.1' '250 2.1.5')" ]
	login_refused grace@example.com gracepw
	login_refused grace@example.com "gracepw extra"
	login_ok ivan@example.com ivanpw
}

# bats test_tags=slow
@test "a line whose address is not a valid mailbox is skipped, and no directory is made for it" {
	users_add "a@@b atatpw" \
	    ".x@example.com dotpw" \
	    "a/b@example.com slashpw" \
	    "../../x@example.com dotdotpw" \
	    '"quoted"@example.com quotedpw' \
	    '"quoted"@example.info quotedpw' \
	    "ivan@example.com ivanpw"
	got=$(rcpt_replies a/b@example.com '"quoted"@example.com' '"quoted"@example.info' ivan@example.com)
	echo "$got"
	[ "$got" = "$(printf '%s\n' '550 5.1.1' '550 5.1.1' '550 5.7.1' '250 2.1.5')" ]
	# These are not even addresses at RCPT.
	got=$(rcpt_replies a@@b .x@example.com ../../x@example.com)
	echo "$got"
	[ "$got" = "$(printf '%s\n' '501 5.1.3' '501 5.1.3' '501 5.1.3')" ]
	login_refused a/b@example.com slashpw
	login_refused '"quoted"@example.com' quotedpw
	login_refused .x@example.com dotpw
	login_refused a@@b atatpw
	deliver ivan@example.com one
	# Nothing but ivan's mailbox, and the store's own durability mark.
	[ "$(ls -A "$STORE" | grep -vx .mailstore-synced)" = "ivan@example.com" ]
	login_ok ivan@example.com ivanpw
}

# bats test_tags=slow
@test "a line with a password over 512 octets is skipped" {
	users_add "frank@example.com $(chars 513 p)" \
	    "grace@example.com $(chars 512 g)"
	got=$(rcpt_replies frank@example.com grace@example.com)
	[ "$got" = "$(printf '%s\n' '550 5.1.1' '250 2.1.5')" ]
}

# Long lines and odd bytes

# bats test_tags=slow
@test "a 3000-octet line is skipped whole, neither its start nor its tail is a user, and the next line works" {
	# Cut into pieces of 1024 or 1025 octets, the first piece would be
	# a good line for long@, and the last one a good line for tail@.
	head=$(printf 'long@example.com longpw #%s' "$(chars 999 c)")
	middle="$(chars 1024 c)  "
	tail=$(printf 'tail@example.com tailpw #%s' "$(chars 925 c)")
	[ "${#head}" -eq 1024 ] && [ "${#middle}" -eq 1026 ]
	printf '%s%s%s\n' "$head" "$middle" "$tail" >>"$USERS"
	[ "$(tail -n 1 "$USERS" | wc -c)" -eq 3001 ]
	users_add "ivan@example.com ivanpw"
	got=$(rcpt_replies long@example.com tail@example.com ivan@example.com alice@example.com)
	echo "$got"
	[ "$got" = "$(printf '%s\n' '550 5.1.1' '550 5.1.1' '250 2.1.5' '250 2.1.5')" ]
	login_refused long@example.com longpw
	login_refused tail@example.com tailpw
	login_ok ivan@example.com ivanpw
}

# bats test_tags=slow
@test "a 1-MB last line without a newline is skipped without a crash" {
	users_add "ivan@example.com ivanpw"
	{ printf 'big@example.com bigpw #'; chars $((1048576 - 23)) c; } >>"$USERS"
	[ "$(tail -c 1 "$USERS")" = c ]
	got=$(rcpt_replies big@example.com ivan@example.com alice@example.com)
	echo "$got"
	[ "$got" = "$(printf '%s\n' '550 5.1.1' '250 2.1.5' '250 2.1.5')" ]
	deliver ivan@example.com one
	login_refused big@example.com bigpw
	login_ok ivan@example.com ivanpw
}

# bats test_tags=slow
@test "an empty users file: every recipient is refused as relaying, nobody logs in, nothing crashes" {
	: >"$USERS"
	run smtp <<'EOF'
EHLO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
RCPT TO:<postmaster@example.com>
RCPT TO:<someone@elsewhere.example>
RCPT TO:<postmaster>
DATA
QUIT
EOF
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 250 250 550 550 550 550 503 221" ]
	[[ $(reply 4) == "550 5.7.1"* ]]
	[[ $(reply 5) == "550 5.7.1"* ]]
	[[ $(reply 6) == "550 5.7.1"* ]]
	[ -z "$(ls -A "$STORE")" ]
	login_refused alice@example.com alicepw
	run timeout 10 "$BIN/smtp-handler" -u "$USERS" -d "$STORE" --check </dev/null
	[ "$status" -eq 0 ]
}

# bats test_tags=slow
@test "a users file of comments only is as good as empty" {
	printf '# nobody here yet\n\n' >"$USERS"
	got=$(rcpt_replies alice@example.com someone@elsewhere.example)
	[ "$got" = "$(printf '%s\n' '550 5.7.1' '550 5.7.1')" ]
	login_refused alice@example.com alicepw
}

# bats test_tags=slow
@test "a line with a NUL in it is skipped, and the next line still works" {
	printf 'nul@example.com nul\0pw\nfrank@example.com frankpw\nivan@example.com ivanpw\n' >>"$USERS"
	got=$(rcpt_replies nul@example.com frank@example.com ivan@example.com)
	echo "$got"
	[ "$got" = "$(printf '%s\n' '550 5.1.1' '250 2.1.5' '250 2.1.5')" ]
	login_refused nul@example.com nul
	login_ok frank@example.com frankpw
	login_ok ivan@example.com ivanpw
}

# bats test_tags=slow
@test "a NUL in a last line without a newline skips the line; it is not cut short at the NUL" {
	printf 'ivan@example.com ivanpw\nnul@example.com nulpw\0junk' >>"$USERS"
	got=$(rcpt_replies nul@example.com ivan@example.com)
	echo "$got"
	[ "$got" = "$(printf '%s\n' '550 5.1.1' '250 2.1.5')" ]
	login_refused nul@example.com nulpw
	login_ok ivan@example.com ivanpw
}

# Re-reading the file

# bats test_tags=slow
@test "a user added mid-session: RCPT gets 550, then 250 in the same session, and the message is delivered" {
	smtp_start
	smtp_expect "220 "
	smtp_say EHLO client.test;			smtp_expect "250 "
	smtp_say "MAIL FROM:<sender@example.net>";	smtp_expect "250 2.1.0"
	smtp_say "RCPT TO:<frank@example.com>";	smtp_expect "550 5.1.1"
	users_add "frank@example.com frankpw"
	smtp_say "RCPT TO:<frank@example.com>";	smtp_expect "250 2.1.5"
	smtp_say DATA;					smtp_expect "354"
	smtp_say "Subject: added"
	smtp_say ""
	smtp_say "hello frank"
	smtp_say ".";					smtp_expect "250 2.0.0"
	smtp_say QUIT;					smtp_expect "221 2.0.0"
	smtp_wait
	[ "$SMTP_STATUS" -eq 0 ]
	[ "$(count frank@example.com)" -eq 1 ]
	printf 'Subject: added\n\nhello frank\n' | stored_body_is frank@example.com
}

@test "a user added mid-session at a new domain: 550 5.7.1 before, 250 after" {
	smtp_start
	smtp_expect "220 "
	smtp_say HELO client.test;			smtp_expect "250 "
	smtp_say "MAIL FROM:<sender@example.net>";	smtp_expect "250 2.1.0"
	smtp_say "RCPT TO:<frank@example.info>";	smtp_expect "550 5.7.1"
	users_add "frank@example.info frankpw"
	smtp_say "RCPT TO:<frank@example.info>";	smtp_expect "250 2.1.5"
	smtp_say QUIT;					smtp_expect "221 2.0.0"
	smtp_wait
	[ "$SMTP_STATUS" -eq 0 ]
}

# bats test_tags=slow
@test "a user added between two POP3 sessions logs in in the second" {
	login_refused frank@example.com frankpw
	users_add "frank@example.com frankpw"
	login_ok frank@example.com frankpw
}

# bats test_tags=slow
@test "a user added during a POP3 session, before PASS, logs in" {
	pop3_start
	pop3_expect "+OK"
	pop3_say USER frank@example.com;	pop3_expect "+OK"
	pop3_say PASS frankpw;			pop3_expect "-ERR [AUTH]"
	pop3_say USER frank@example.com;	pop3_expect "+OK"
	users_add "frank@example.com frankpw"
	pop3_say PASS frankpw;			pop3_expect "+OK"
	pop3_say STAT;				pop3_expect "+OK 0 0"
	pop3_say QUIT;				pop3_expect "+OK"
	pop3_wait
	[ "$POP3_STATUS" -eq 0 ]
}

# bats test_tags=slow
@test "a password changed in place, to one of the same length, counts at the next PASS" {
	pop3_start
	pop3_expect "+OK"
	pop3_say USER alice@example.com;	pop3_expect "+OK"
	# A later clock tick than the file's last write, as any real edit is.
	sleep 0.1
	sed 's/^alice@example.com alicepw$/alice@example.com alicepx/' "$USERS" >"$T/users.new"
	cat "$T/users.new" >"$USERS"
	grep -qx 'alice@example.com alicepx' "$USERS"
	pop3_say PASS alicepw;			pop3_expect "-ERR [AUTH]"
	pop3_say USER alice@example.com;	pop3_expect "+OK"
	pop3_say PASS alicepx;			pop3_expect "+OK"
	pop3_say QUIT;				pop3_expect "+OK"
	pop3_wait
	[ "$POP3_STATUS" -eq 0 ]
}

# bats test_tags=slow
@test "a user removed from the file can no longer log in or get mail" {
	users_add "frank@example.com frankpw"
	login_ok frank@example.com frankpw
	deliver frank@example.com one
	users_drop frank@example.com
	! grep -q frank "$USERS" || false
	login_refused frank@example.com frankpw
	got=$(rcpt_replies frank@example.com alice@example.com)
	[ "$got" = "$(printf '%s\n' '550 5.1.1' '250 2.1.5')" ]
}

# bats test_tags=slow
@test "a user removed mid-session: the next RCPT gets 550 5.1.1" {
	users_add "frank@example.com frankpw"
	smtp_start
	smtp_expect "220 "
	smtp_say HELO client.test;			smtp_expect "250 "
	smtp_say "MAIL FROM:<sender@example.net>";	smtp_expect "250 2.1.0"
	smtp_say "RCPT TO:<frank@example.com>";	smtp_expect "250 2.1.5"
	users_drop frank@example.com
	smtp_say "RCPT TO:<frank@example.com>";	smtp_expect "550 5.1.1"
	smtp_say QUIT;					smtp_expect "221 2.0.0"
	smtp_wait
	[ "$SMTP_STATUS" -eq 0 ]
}

@test "the users file deleted mid-session: RCPT gets 451 4.3.0, not 550, and 250 once it is back" {
	cp "$USERS" "$T/users.saved"
	smtp_start
	smtp_expect "220 "
	smtp_say EHLO client.test;			smtp_expect "250 "
	smtp_say "MAIL FROM:<sender@example.net>";	smtp_expect "250 2.1.0"
	smtp_say "RCPT TO:<alice@example.com>";	smtp_expect "250 2.1.5"
	rm "$USERS"
	smtp_say "RCPT TO:<carol@example.org>";	smtp_expect "451 4.3.0"
	smtp_say "RCPT TO:<nobody@example.com>";	smtp_expect "451 4.3.0"
	smtp_say "RCPT TO:<someone@elsewhere.example>";	smtp_expect "451 4.3.0"
	smtp_say "RCPT TO:<postmaster>";		smtp_expect "451 4.3.0"
	mv "$T/users.saved" "$USERS"
	smtp_say "RCPT TO:<carol@example.org>";	smtp_expect "250 2.1.5"
	smtp_say DATA;					smtp_expect "354"
	smtp_say "Subject: back"
	smtp_say ""
	smtp_say "hello"
	smtp_say ".";					smtp_expect "250 2.0.0"
	smtp_say QUIT;					smtp_expect "221 2.0.0"
	smtp_wait
	[ "$SMTP_STATUS" -eq 0 ]
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$(count carol@example.org)" -eq 1 ]
}

@test "the users file deleted before PASS: -ERR [SYS/TEMP], not [AUTH]" {
	pop3_start
	pop3_expect "+OK"
	pop3_say USER alice@example.com;	pop3_expect "+OK"
	rm "$USERS"
	pop3_say PASS alicepw;			pop3_expect "-ERR [SYS/TEMP]"
	pop3_say QUIT;				pop3_expect "+OK"
	pop3_wait
	[ "$POP3_STATUS" -eq 0 ]
}

# Lookups

# bats test_tags=slow
@test "a duplicate address: the first line wins, with its password and its spelling" {
	users_add "ALICE@EXAMPLE.COM secondpw" "alice@example.com thirdpw"
	login_ok alice@example.com alicepw
	login_refused alice@example.com secondpw
	login_refused ALICE@EXAMPLE.COM secondpw
	login_refused alice@example.com thirdpw
	deliver ALICE@EXAMPLE.COM one
	[ "$(ls "$STORE")" = "alice@example.com" ]
	[ "$(count alice@example.com)" -eq 1 ]
}

# bats test_tags=slow
@test "the address matches without case: USER ALICE@EXAMPLE.COM and RCPT ALICE@Example.Com reach alice@example.com/" {
	deliver ALICE@Example.Com one
	[ "$(ls "$STORE")" = "alice@example.com" ]
	[ "$(count alice@example.com)" -eq 1 ]
	run pop3 <<'EOF'
USER ALICE@EXAMPLE.COM
PASS alicepw
STAT
RETR 1
QUIT
EOF
	[ "$status" -eq 0 ]
	[[ $(status) == "+OK +OK +OK +OK +OK"* ]]
	[[ $(pop3_line 4) == "+OK 1 "* ]]
	[[ $output == *"Subject: one"* ]]
	login_refused ALICE@EXAMPLE.COM ALICEPW
}

# bats test_tags=slow
@test "a UTF-8 user gets mail with SMTPUTF8 in jörg@example.com/ and logs in" {
	users_add "jörg@example.com pw"
	run smtp <<'EOF'
EHLO client.test
MAIL FROM:<x@example.net> SMTPUTF8
RCPT TO:<jörg@example.com>
DATA
Subject: für jörg

hallo
.
QUIT
EOF
	echo "$output"
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(ls "$STORE")" = "jörg@example.com" ]
	[ -d "$STORE/jörg@example.com/new" ]
	[ "$(count jörg@example.com)" -eq 1 ]
	run pop3 <<'EOF'
USER jörg@example.com
PASS pw
STAT
QUIT
EOF
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(status)" = "+OK +OK +OK +OK +OK" ]
	[[ $(pop3_line 4) == "+OK 1 "* ]]
	login_refused jorg@example.com pw
}

# Passwords

# bats test_tags=slow
@test "a \$ password that is not a valid hash never matches, not even itself" {
	users_add 'frank@example.com $nothash' 'grace@example.com $'
	login_refused frank@example.com '$nothash'
	login_refused frank@example.com nothash
	login_refused frank@example.com '*0'
	login_refused frank@example.com '*'
	login_refused grace@example.com '$'
	login_refused grace@example.com '*0'
}

# bats test_tags=slow
@test "a crypt hash given as the password does not log in" {
	hash=$(awk '$1 == "carol@example.org" { print $2 }' "$USERS")
	[[ $hash == '$6$'* ]]
	login_refused carol@example.org "$hash"
	login_ok carol@example.org carolpw
}

# bats test_tags=slow
@test "a plain password matches exactly: a prefix, a longer one, or one with spaces is refused" {
	login_refused alice@example.com alice
	login_refused alice@example.com alicepw2
	login_refused alice@example.com alicepwalicepw
	login_refused alice@example.com " alicepw"
	login_refused alice@example.com "alicepw "
	login_refused alice@example.com ""
	login_ok alice@example.com alicepw
}
