#!/usr/bin/env bats
# Aliases and subaddresses (mailserver-aliases(5)): the aliases file's
# format and every kind of malformed entry, expansion (recursive, bounded
# in depth and in mailboxes, duplicate-free, loop-safe), what a list's
# copy looks like in the store (one file hard-linked into every member's
# maildir, X-Original-To and Delivered-To), the options -a,
# --recipient-delimiter and --check, and user+tag addresses.  Scripted
# sessions throughout, and one real client through a listener.

load ../lib/helper

# aliases_file LINE...: write the aliases file beside the users file,
# where the handlers look for it by default, one LINE a line.
aliases_file() {
	printf '%s\n' "$@" >"$T/aliases"
}

# send ADDRESS...: one session from sender@example.net with a RCPT TO for
# each ADDRESS, then DATA with the test message; run it with run.  The
# handler also gets the words of the array SMTP_OPTS.
send() {
	local a
	{
		echo "HELO client.test"
		echo "MAIL FROM:<sender@example.net>"
		for a in "$@"; do echo "RCPT TO:<$a>"; done
		printf '%s\n' DATA "Subject: list test" "" "hello, list" . QUIT
	} | smtp "${SMTP_OPTS[@]}"
}

# rcpts ADDRESS...: the same session without DATA: RCPT TO each ADDRESS,
# then QUIT.
rcpts() {
	local a
	{
		echo "HELO client.test"
		echo "MAIL FROM:<sender@example.net>"
		for a in "$@"; do echo "RCPT TO:<$a>"; done
		echo QUIT
	} | smtp "${SMTP_OPTS[@]}"
}

# stored_is FILE GIVEN DELIVERED: FILE is the test message of send as
# stored for the recipient given at RCPT as GIVEN, delivered to DELIVERED:
# byte for byte, but for the date of its Received field, which must have
# the RFC 5322 shape.  The id in the Received field is the file's own.
stored_is() {
	local id date
	id=${1##*/}
	id=${id%%,*}
	date=$(sed -n 7p "$1")
	if ! [[ $date =~ ^$'\t'[A-Z][a-z]{2},\ [0-9]{2}\ [A-Z][a-z]{2}\ [0-9]{4}\ [0-9]{2}:[0-9]{2}:[0-9]{2}\ [-+][0-9]{4}$ ]]; then
		echo "not a date line: '$date'"
		return 1
	fi
	printf '%s\n' "Return-Path: <sender@example.net>" \
	    "X-Original-To: $2" "Delivered-To: $3" \
	    "Received: from client.test (unknown)" \
	    "	by mx.test (smtp-handler) with SMTP id $id" \
	    "	for <$2>;" "	DATE" \
	    "Subject: list test" "" "hello, list" >"$T/want"
	sed '7s/.*/\tDATE/' "$1" >"$T/got"
	diff -u "$T/want" "$T/got"
}

# inode FILE: the inode number and link count of FILE, "INODE LINKS".
inode() {
	stat -c '%i %h' "$1"
}

# links FILE: the link count of FILE.
links() {
	stat -c %h "$1"
}

# store_dirs: the mailbox directories in the store, one a line, sorted.
store_dirs() {
	find "$STORE" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort
}

# check_aliases [OPTION...]: smtp-handler --check on the test's users
# file and aliases file, its stderr on stdout (run it with run).
check_aliases() {
	timeout 30 "$BIN/smtp-handler" --check -u "$USERS" -d "$STORE" \
	    -n mx.test "$@" 2>&1
}

# big_users: add 1001 users, u0001@big.test to u1001@big.test, to the
# users file.
big_users() {
	local i
	for i in $(seq -f %04g 1 1001); do
		echo "u$i@big.test pw"
	done >>"$USERS"
}

# addresses FORMAT FROM TO: the addresses seq -f FORMAT makes of FROM to
# TO as an alias's members, on lines of at most 160 octets, every line
# after the first indented and every line but the last ending in a comma.
addresses() {
	seq -f "$1" "$2" "$3" | paste -sd, - | sed 's/,/, /g' |
	    fold -s -w 160 | sed -e '2,$s/^/	/' -e 's/ *$//'
}

# members FROM TO: uFROM@big.test to uTO@big.test, as addresses has them.
members() {
	addresses 'u%04g@big.test' "$1" "$2"
}

# Format

# bats test_tags=slow
@test "a list delivers one file, hard-linked into every member's maildir, with X-Original-To and Delivered-To" {
	aliases_file 'team@example.com: alice@example.com, bob.smith@example.com, carol@example.org'
	run send team@example.com
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(reply 4)" = "250 2.1.5 Recipient ok" ]
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$(count Bob.Smith@Example.COM)" -eq 1 ]
	[ "$(count carol@example.org)" -eq 1 ]
	[ "$(store_dirs)" = "$(printf '%s\n' Bob.Smith@Example.COM alice@example.com carol@example.org)" ]
	a=$(message_file alice@example.com)
	b=$(message_file Bob.Smith@Example.COM)
	c=$(message_file carol@example.org)
	# One file: the same inode, three links, one per member.
	[ "$(inode "$a")" = "$(inode "$b")" ]
	[ "$(inode "$a")" = "$(inode "$c")" ]
	[ "$(links "$a")" -eq 3 ]
	stored_is "$a" team@example.com team@example.com
	# The 250 names the file delivered.
	id=${a##*/}
	[ "$(reply 6)" = "250 2.0.0 Ok: delivered as ${id%%,*}" ]
}

# bats test_tags=slow
@test "comments, blank lines, continuation lines and trailing commas are read as aliases(5) has them" {
	aliases_file '# the lists of the department' \
	    '' \
	    'team@example.com: alice@example.com,   # a comment after a member' \
	    '	bob.smith@example.com,' \
	    '    carol@example.org,' \
	    '		dave@example.org' \
	    '   ' \
	    '# solo ends in a comma, with nothing after it' \
	    'solo@example.com: erin@example.net,' \
	    'crlf@example.com: erin@example.net'$'\r' \
	    'spaced@example.com :alice@example.com'
	run send team@example.com
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	for u in alice@example.com Bob.Smith@Example.COM carol@example.org dave@example.org; do
		[ "$(count "$u")" -eq 1 ]
		[ "$(links "$(message_file "$u")")" -eq 4 ]
	done
	[ "$(count erin@example.net)" -eq 0 ]
	run send solo@example.com crlf@example.com spaced@example.com
	[ "$(codes)" = "220 250 250 250 250 250 354 250 221" ]
	[ "$(count erin@example.net)" -eq 1 ]
	[ "$(count alice@example.com)" -eq 2 ]
	stored_is "$(message_file erin@example.net)" solo@example.com solo@example.com
}

@test "a bare local part as a name is that name at every local domain, and nowhere else" {
	aliases_file 'info: dave@example.org'
	run rcpts info@example.com INFO@Example.NET info@example.org info@elsewhere.test
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 250 250 250 250 250 550 221" ]
	[ "$(reply 7)" = "550 5.7.1 Relaying denied" ]
	run send INFO@Example.NET
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(count dave@example.org)" -eq 1 ]
	stored_is "$(message_file dave@example.org)" INFO@Example.NET INFO@Example.NET
}

# bats test_tags=slow
@test "a bare local part as a member is at the domain of the address looked up" {
	aliases_file 'staff: carol, dave'
	run send staff@example.org
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(count carol@example.org)" -eq 1 ]
	[ "$(count dave@example.org)" -eq 1 ]
	# At example.com, carol and dave are no users: nobody is left.
	run rcpts staff@example.com
	[ "$(codes)" = "220 250 250 550 221" ]
	[ "$(reply 4)" = "550 5.1.1 No such user here" ]
}

# bats test_tags=slow
@test "names and members are matched without regard to ASCII case, and mail goes to the users file's spelling" {
	aliases_file 'Team@Example.COM: ALICE@EXAMPLE.COM, bob.smith@example.com' \
	    'OPS@EXAMPLE.ORG: Team@example.com'
	run send tEaM@example.com
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(store_dirs)" = "$(printf '%s\n' Bob.Smith@Example.COM alice@example.com)" ]
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$(count Bob.Smith@Example.COM)" -eq 1 ]
	stored_is "$(message_file alice@example.com)" tEaM@example.com Team@Example.COM
	run send ops@example.org
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(count alice@example.com)" -eq 2 ]
	[ "$(count Bob.Smith@Example.COM)" -eq 2 ]
}

# Expansion

# bats test_tags=slow
@test "aliases within aliases are expanded, into one file for the whole list" {
	aliases_file 'all@example.com: team@example.com, erin@example.net' \
	    'team@example.com: alice@example.com, sub@example.org' \
	    'sub@example.org: carol@example.org'
	run send all@example.com
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(store_dirs)" = "$(printf '%s\n' alice@example.com carol@example.org erin@example.net)" ]
	a=$(message_file alice@example.com)
	[ "$(inode "$a")" = "$(inode "$(message_file carol@example.org)")" ]
	[ "$(inode "$a")" = "$(inode "$(message_file erin@example.net)")" ]
	[ "$(links "$a")" -eq 3 ]
	stored_is "$a" all@example.com all@example.com
}

# bats test_tags=slow
@test "a user reached by two paths through a list gets one copy" {
	aliases_file 'all@example.com: team@example.com, alice@example.com, ops@example.com' \
	    'team@example.com: alice@example.com, bob.smith@example.com' \
	    'ops@example.com: BOB.SMITH@example.com, ALICE@example.com'
	run send all@example.com
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$(count Bob.Smith@Example.COM)" -eq 1 ]
	[ "$(links "$(message_file alice@example.com)")" -eq 2 ]
}

# bats test_tags=slow
@test "a user given twice at RCPT and reached through a list as well gets one copy" {
	aliases_file 'team@example.com: alice@example.com, bob.smith@example.com'
	run send alice@example.com ALICE@example.com team@example.com
	[ "$(codes)" = "220 250 250 250 250 250 354 250 221" ]
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$(count Bob.Smith@Example.COM)" -eq 1 ]
	a=$(message_file alice@example.com)
	b=$(message_file Bob.Smith@Example.COM)
	# alice's copy is the one her own RCPT made; the list's is bob's
	# alone.
	stored_is "$a" alice@example.com alice@example.com
	stored_is "$b" team@example.com team@example.com
	[ "$(links "$a")" -eq 1 ]
	[ "$(links "$b")" -eq 1 ]
	[ "$(inode "$a")" != "$(inode "$b")" ]
	# The list first: alice's RCPT after it adds nothing.
	rm -rf "$STORE"/*
	run send team@example.com alice@example.com
	[ "$(codes)" = "220 250 250 250 250 354 250 221" ]
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$(count Bob.Smith@Example.COM)" -eq 1 ]
	stored_is "$(message_file alice@example.com)" team@example.com team@example.com
	[ "$(links "$(message_file alice@example.com)")" -eq 2 ]
}

# bats test_tags=slow
@test "aliases 10 levels deep are expanded; the 11th level is cut and the members found so far get the mail" {
	lines=()
	for i in $(seq 1 9); do
		lines+=("d$i@example.com: d$((i + 1))@example.com")
	done
	lines+=("d10@example.com: carol@example.org")
	lines+=("e1@example.com: alice@example.com, e2@example.com")
	for i in $(seq 2 10); do
		lines+=("e$i@example.com: e$((i + 1))@example.com")
	done
	lines+=("e11@example.com: dave@example.org")
	aliases_file "${lines[@]}"
	run send d1@example.com
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(count carol@example.org)" -eq 1 ]
	run send e1@example.com
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$(count dave@example.org)" -eq 0 ]
	# e2 is only 10 levels above dave: he is reached from there.
	run send e2@example.com
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(count dave@example.org)" -eq 1 ]
}

# bats test_tags=slow
@test "a list of 1000 mailboxes is delivered; one of 1001 is refused with 550 5.5.3, and 1000 fill the transaction" {
	big_users
	{
		echo "half1@big.test: $(members 1 500)"
		echo "half2@big.test: $(members 501 1000)"
		echo "thousand@big.test: half1@big.test, half2@big.test"
		echo "over@big.test: thousand@big.test, u1001@big.test"
		echo "again@big.test: thousand@big.test, half1@big.test, u0001@big.test"
	} >"$T/aliases"
	run rcpts over@big.test
	[ "$(codes)" = "220 250 250 550 221" ]
	[ "$(reply 4)" = "550 5.5.3 List has too many members" ]
	# A mailbox reached twice counts once towards the limit.
	run rcpts again@big.test
	[ "$(codes)" = "220 250 250 250 221" ]
	run send thousand@big.test alice@example.com u0001@big.test
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 250 250 250 452 250 354 250 221" ]
	[ "$(reply 5)" = "452 4.5.3 Too many recipients" ]
	[ "$(count u0001@big.test)" -eq 1 ]
	[ "$(count u1000@big.test)" -eq 1 ]
	[ "$(count u1001@big.test)" -eq 0 ]
	[ "$(count alice@example.com)" -eq 0 ]
	f=$(message_file u0001@big.test)
	[ "$(links "$f")" -eq 1000 ]
	[ "$(inode "$f")" = "$(inode "$(message_file u1000@big.test)")" ]
	[ "$(all_messages | wc -l)" -eq 1000 ]
}

# bats test_tags=slow
@test "a loop is cut with no hang, and the real members on it still get the mail" {
	aliases_file 'a@example.com: b@example.com, alice@example.com' \
	    'b@example.com: a@example.com, bob.smith@example.com' \
	    'self@example.com: self@example.com, carol@example.org' \
	    'c@example.com: d@example.com' 'd@example.com: c@example.com'
	SECONDS=0
	# send runs the handler under timeout: a hang fails, not waits.
	run send a@example.com self@example.com
	[ "$status" -eq 0 ]
	[ "$SECONDS" -lt 5 ]
	[ "$(codes)" = "220 250 250 250 250 354 250 221" ]
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$(count Bob.Smith@Example.COM)" -eq 1 ]
	[ "$(count carol@example.org)" -eq 1 ]
	# A loop of nothing but aliases leads to nobody.
	run rcpts c@example.com
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 250 250 550 221" ]
	[ "$(reply 4)" = "550 5.1.1 No such user here" ]
}

@test "a member that is not local is skipped, never relayed, and the others get the mail" {
	aliases_file 'team@example.com: alice@example.com, stranger@elsewhere.test, nobody@example.com, bob.smith@example.com'
	run send team@example.com
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(store_dirs)" = "$(printf '%s\n' Bob.Smith@Example.COM alice@example.com)" ]
	[ "$(links "$(message_file alice@example.com)")" -eq 2 ]
	[ "$(all_messages | wc -l)" -eq 2 ]
}

# bats test_tags=slow
@test "an alias with no deliverable member is refused like an unknown user" {
	aliases_file 'ghost@example.com: stranger@elsewhere.test, nobody@example.com' \
	    'shadow@example.com: ghost@example.com'
	run rcpts ghost@example.com shadow@example.com nobody@example.com
	[ "$(codes)" = "220 250 250 550 550 550 221" ]
	[ "$(reply 4)" = "550 5.1.1 No such user here" ]
	[ "$(reply 4)" = "$(reply 6)" ]
	[ "$(reply 5)" = "$(reply 6)" ]
	[ -z "$(store_dirs)" ]
}

# bats test_tags=slow
@test "a user and an alias of the same address: the user gets the mail" {
	aliases_file 'alice@example.com: carol@example.org' \
	    'bob.smith: dave@example.org'
	run send alice@example.com Bob.Smith@example.com
	[ "$(codes)" = "220 250 250 250 250 354 250 221" ]
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$(count Bob.Smith@Example.COM)" -eq 1 ]
	[ "$(count carol@example.org)" -eq 0 ]
	[ "$(count dave@example.org)" -eq 0 ]
	stored_is "$(message_file alice@example.com)" alice@example.com alice@example.com
	# Where bob.smith is no user, the bare alias counts.
	run send bob.smith@example.org
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(count dave@example.org)" -eq 1 ]
}

# bats test_tags=slow
@test "one RCPT of a list is one recipient for -r, however many members it has" {
	aliases_file 'team@example.com: alice@example.com, bob.smith@example.com, carol@example.org'
	SMTP_OPTS=(-r 2)
	run send team@example.com dave@example.org erin@example.net
	[ "$(codes)" = "220 250 250 250 250 452 354 250 221" ]
	[ "$(reply 6)" = "452 4.5.3 Too many recipients" ]
	for u in alice@example.com Bob.Smith@Example.COM carol@example.org dave@example.org; do
		[ "$(count "$u")" -eq 1 ]
	done
	[ "$(count erin@example.net)" -eq 0 ]
	stored_is "$(message_file dave@example.org)" dave@example.org dave@example.org
}

@test "a list's delivery is all or none: a member whose maildir cannot take it fails the whole message" {
	[ -n "$RUN_AS" ] || skip "needs root, to make a maildir its handler may not write"
	aliases_file 'team@example.com: alice@example.com, bob.smith@example.com'
	d=$(maildir Bob.Smith@Example.COM)
	mkdir -p "$d/tmp" "$d/new" "$d/cur"
	own "$d" "$d/tmp" "$d/cur"
	chmod 755 "$d/new"
	run send team@example.com
	[ "$(codes)" = "220 250 250 250 354 451 221" ]
	[ "$(count alice@example.com)" -eq 0 ]
	[ "$(count Bob.Smith@Example.COM)" -eq 0 ]
	[ -z "$(tmp_files)" ]
}

# Malformed entries

# bats test_tags=slow
@test "every kind of malformed entry is skipped whole, and the rest of the file still counts" {
	{
		echo '# each malformed entry is followed by a good one'
		echo 'nocolon@example.com alice@example.com'
		echo 'good1@example.com: alice@example.com'
		echo 'bad key@example.com: alice@example.com'
		echo 'good2@example.com: bob.smith@example.com'
		echo 'prog@example.com: alice@example.com, |cmd'
		echo 'progpath@example.com: alice@example.com, "|/usr/bin/vacation alice"'
		echo 'file@example.com: alice@example.com, /var/mail/alice'
		echo 'incl@example.com: alice@example.com, :include:/etc/mail/list'
		echo 'gap@example.com: alice@example.com,, bob.smith@example.com'
		echo 'none@example.com:'
		echo 'good3@example.com: carol@example.org'
		echo "toomany@example.com: alice@example.com, $(addresses 'm%g@example.com' 2 1001)"
		echo 'good4@example.com: dave@example.org'
	} >"$T/aliases"
	run send nocolon@example.com good1@example.com good2@example.com \
	    prog@example.com progpath@example.com file@example.com \
	    incl@example.com gap@example.com none@example.com \
	    good3@example.com toomany@example.com good4@example.com
	[ "$(codes)" = "220 250 250 550 250 250 550 550 550 550 550 550 250 550 250 354 250 221" ]
	[ "$(reply 4)" = "550 5.1.1 No such user here" ]
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$(count Bob.Smith@Example.COM)" -eq 1 ]
	[ "$(count carol@example.org)" -eq 1 ]
	[ "$(count dave@example.org)" -eq 1 ]
	stored_is "$(message_file alice@example.com)" good1@example.com good1@example.com
}

@test "--check names every malformed entry by file and line, and exits 100" {
	{
		echo '# a comment, which is no entry'
		echo '	a continuation with no entry before it'
		echo 'nocolon@example.com alice@example.com'
		echo 'good1@example.com: alice@example.com'
		echo 'bad key@example.com: alice@example.com'
		echo 'prog@example.com: alice@example.com, |cmd'
		echo 'file@example.com: alice@example.com, /var/mail/alice'
		echo 'incl@example.com: alice@example.com, :include:/etc/mail/list'
		echo 'none@example.com:'
		echo "toomany@example.com: alice@example.com, $(addresses 'm%g@example.com' 2 1001)"
		echo 'good1@example.com: bob.smith@example.com'
		echo "long@example.com: alice@example.com, $(chars 1000 x)@example.com"
	} >"$T/aliases"
	A=$T/aliases
	# The lines of the second good1 and of the long one.
	dup=$(grep -n '^good1@example.com: bob' "$A" | cut -d: -f1)
	long=$(grep -n '^long@' "$A" | cut -d: -f1)
	[ "$long" -eq "$((dup + 1))" ] && [ "$long" -eq "$(wc -l <"$A")" ]
	run check_aliases
	[ "$status" -eq 100 ]
	diff -u - <(printf '%s\n' "$output") <<EOF
smtp-handler: $A:2: a continuation with no entry before it, skipped
smtp-handler: $A:3: no "name:" at its start, skipped
smtp-handler: $A:5: the name is not an address or local part, skipped
smtp-handler: $A:6: a member is not an address or local part (programs, files and :include: are not allowed), skipped
smtp-handler: $A:7: a member is not an address or local part (programs, files and :include: are not allowed), skipped
smtp-handler: $A:8: a member is not an address or local part (programs, files and :include: are not allowed), skipped
smtp-handler: $A:9: no members, skipped
smtp-handler: $A:10: more members than allowed, skipped
smtp-handler: $A:$dup: a second entry for the same name, skipped
smtp-handler: $A:$long: line too long or has a NUL, skipped
smtp-handler: fatal: 10 errors in aliases file $A
EOF
	# At run time the same entries are skipped: good1 is alice's.
	run send good1@example.com
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$(count Bob.Smith@Example.COM)" -eq 0 ]
}

# bats test_tags=slow
@test "an entry of 1000 members is kept, one of 1001 is skipped" {
	big_users
	{
		echo "thousand@big.test: $(members 1 1000)"
		echo "toomany@big.test: $(members 1 1001)"
	} >"$T/aliases"
	run rcpts thousand@big.test
	[ "$(codes)" = "220 250 250 250 221" ]
	run rcpts toomany@big.test
	[ "$(codes)" = "220 250 250 550 221" ]
	[ "$(reply 4)" = "550 5.1.1 No such user here" ]
	run check_aliases
	[ "$status" -eq 100 ]
	[ "$output" = "smtp-handler: $T/aliases:101: more members than allowed, skipped
smtp-handler: fatal: 1 error in aliases file $T/aliases" ]
}

# bats test_tags=slow
@test "skipped entries, members that lead nowhere and loops are logged with their line" {
	aliases_file 'team@example.com: alice@example.com, stranger@elsewhere.test' \
	    'broken@example.com' \
	    'a@example.com: b@example.com, carol@example.org' \
	    'b@example.com: a@example.com'
	journal_raw smtp-handler < <(printf '%s\r\n' 'HELO client.test' \
	    'MAIL FROM:<sender@example.net>' 'RCPT TO:<team@example.com>' \
	    'RCPT TO:<a@example.com>' QUIT)
	[ "$(tr -d '\r' <"$T/client" | cut -c1-3 | paste -sd' ')" = "220 250 250 250 250 221" ]
	A=$T/aliases
	grep -Fx "MESSAGE=$A:2: no \"name:\" at its start, skipped" "$T/journal"
	grep -Fx "MESSAGE=$A:1: member stranger@elsewhere.test of team@example.com is not a local user or alias; skipped (looking up team@example.com)" "$T/journal"
	# A loop is logged once.
	[ "$(grep -c '^MESSAGE=.*the loop is cut' "$T/journal")" -eq 1 ]
	grep -Fx "MESSAGE=$A:3: alias a@example.com leads back to itself through b@example.com; the loop is cut (looking up a@example.com)" "$T/journal"
}

# Reading the file

# bats test_tags=slow
@test "edits of the aliases file take effect at the next session, with no reload" {
	run rcpts team@example.com
	[ "$(codes)" = "220 250 250 550 221" ]
	aliases_file 'team@example.com: alice@example.com'
	run send team@example.com
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(count alice@example.com)" -eq 1 ]
	# Rewritten in place, to the same size.
	printf 'team@example.com: carol@example.org\n' >"$T/aliases"
	run send team@example.com
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$(count carol@example.org)" -eq 1 ]
	# Replaced by another file, as an editor saves.
	printf 'team@example.com: dave@example.org\n' >"$T/aliases.new"
	mv "$T/aliases.new" "$T/aliases"
	run send team@example.com
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(count dave@example.org)" -eq 1 ]
	rm "$T/aliases"
	run rcpts team@example.com
	[ "$(codes)" = "220 250 250 550 221" ]
}

# bats test_tags=slow
@test "an aliases file that cannot be read: 421 4.3.0 at the start, 451 4.3.0 at RCPT mid-session, 250 once it is back" {
	aliases_file 'team@example.com: alice@example.com'
	# A directory opens but cannot be read (EISDIR), for root as well.
	mv "$T/aliases" "$T/aliases.saved"
	mkdir "$T/aliases"
	run rcpts alice@example.com
	[ "$(codes)" = "421" ]
	[[ "$(reply 1)" == "421 4.3.0 mx.test "* ]]
	[ "$(count alice@example.com)" -eq 0 ]
	rmdir "$T/aliases"
	mv "$T/aliases.saved" "$T/aliases"
	smtp_start
	smtp_expect "220 "
	smtp_say EHLO client.test;			smtp_expect "250 "
	smtp_say "MAIL FROM:<sender@example.net>";	smtp_expect "250 2.1.0"
	smtp_say "RCPT TO:<team@example.com>";	smtp_expect "250 2.1.5"
	mv "$T/aliases" "$T/aliases.saved"
	mkdir "$T/aliases"
	# Every RCPT, a user's too: which wins cannot be known without it.
	smtp_say "RCPT TO:<carol@example.org>";	smtp_expect "451 4.3.0"
	[ "$SMTP_REPLY" = "451 4.3.0 Aliases file unavailable, try again later" ]
	rmdir "$T/aliases"
	mv "$T/aliases.saved" "$T/aliases"
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

# bats test_tags=slow
@test "an entry over ALIAS_ENTRY_MAX (256 KiB) over its continuation lines is skipped whole; the next entry counts" {
	{
		echo 'big@example.com: alice@example.com,'
		# 300 continuation lines of 1000 octets: 300 KB in all.
		for i in $(seq 1 300); do
			printf '  %s,\n' "$(chars 1000 x)"
		done
		echo 'ok@example.com: carol@example.org'
	} >"$T/aliases"
	run send big@example.com ok@example.com
	echo "$output"
	[ "$(codes)" = "220 250 250 550 250 354 250 221" ]
	[ "$(count alice@example.com)" -eq 0 ]
	[ "$(count carol@example.org)" -eq 1 ]
	run "$BIN/smtp-handler" -u "$USERS" -d "$STORE" --check
	[ "$status" -eq 100 ]
	[[ "$output" == *"$T/aliases:1: entry too long, skipped"* ]]
}

@test "EXPN is not implemented and VRFY does not disclose a list's members" {
	aliases_file 'team@example.com: alice@example.com, bob.smith@example.com'
	run smtp <<'EOF'
EHLO client.test
EXPN team@example.com
EXPN team
VRFY team@example.com
QUIT
EOF
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 250 502 502 252 221" ]
	[ "$(reply 3)" = "502 5.5.1 Command not implemented" ]
	[[ $output != *alice* ]]
	[[ $output != *[Bb]ob* ]]
}

# --check

@test "--check reports members that lead nowhere by file and line, warns of a user that is an alias too, and exits 100" {
	aliases_file '# lists' \
	    'team@example.com: alice@example.com, stranger@elsewhere.test' \
	    'alice@example.com: carol@example.org' \
	    'ops: dave@example.org, nobody' \
	    'fine@example.org: team@example.com'
	run check_aliases
	[ "$status" -eq 100 ]
	A=$T/aliases
	# Each member that leads nowhere is reported once, by its own
	# entry: fine@example.org leads to team's, and says nothing.
	diff -u - <(printf '%s\n' "$output") <<EOF
smtp-handler: $A:2: member stranger@elsewhere.test of team@example.com is not a local user or alias; skipped
smtp-handler: $A:3: warning: alice@example.com is a user too; the user gets its mail, not the alias
smtp-handler: $A:4: member nobody of ops is not a local user or alias; skipped
smtp-handler: fatal: 2 errors in aliases file $A
EOF
}

@test "--check of a good file exits 0; a user that is an alias too is only a warning" {
	aliases_file 'team@example.com: alice@example.com, carol@example.org' \
	    'abuse: postmaster'
	run check_aliases
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	aliases_file 'team@example.com: alice@example.com' \
	    'Alice@Example.com: carol@example.org'
	run check_aliases
	[ "$status" -eq 0 ]
	[ "$output" = "smtp-handler: $T/aliases:2: warning: Alice@Example.com is a user too; the user gets its mail, not the alias" ]
	# No aliases file at all is no aliases, and nothing to report.
	rm "$T/aliases"
	run check_aliases
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

# -a and the default file

@test "the default aliases file is the one beside the users file" {
	mkdir "$T/etc"
	mv "$USERS" "$T/etc/users.txt"
	USERS=$T/etc/users.txt
	printf 'team@example.com: carol@example.org\n' >"$T/etc/aliases"
	aliases_file 'team@example.com: alice@example.com'
	run send team@example.com
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(count carol@example.org)" -eq 1 ]
	[ "$(count alice@example.com)" -eq 0 ]
	# A users file named without a directory: aliases in the current one.
	cd "$T/etc"
	SMTP_OPTS=(-u users.txt)
	run send team@example.com
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(count carol@example.org)" -eq 2 ]
}

# bats test_tags=slow
@test "-a FILE and --aliases FILE name another aliases file, which replaces the default one" {
	aliases_file 'team@example.com: alice@example.com'
	printf 'team@example.com: dave@example.org\n' >"$T/other"
	SMTP_OPTS=(-a "$T/other")
	run send team@example.com
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(count dave@example.org)" -eq 1 ]
	[ "$(count alice@example.com)" -eq 0 ]
	SMTP_OPTS=(--aliases "$T/other")
	run send team@example.com
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(count dave@example.org)" -eq 2 ]
	[ "$(count alice@example.com)" -eq 0 ]
	# A file that does not exist is no aliases; the default one is not
	# read instead.
	SMTP_OPTS=(-a "$T/missing")
	run rcpts team@example.com
	[ "$(codes)" = "220 250 250 550 221" ]
	run check_aliases -a "$T/missing"
	[ "$status" -eq 0 ]
}

@test "pop3-handler takes -a too, and --check checks the file it names" {
	printf 'broken\n' >"$T/other"
	run timeout 30 "$BIN/pop3-handler" --check -u "$USERS" -d "$STORE" -a "$T/other"
	[ "$status" -eq 100 ]
	[[ $output == *"$T/other:1: no \"name:\" at its start, skipped"* ]]
	printf 'team@example.com: alice@example.com\n' >"$T/other"
	run timeout 30 "$BIN/pop3-handler" --check -u "$USERS" -d "$STORE" --aliases "$T/other"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "a POP3 session does not read the aliases file: an unreadable or malformed one does not stop a login" {
	mkdir "$T/aliases"
	run pop3 <<'EOF'
USER alice@example.com
PASS alicepw
STAT
QUIT
EOF
	[ "$status" -eq 0 ]
	[ "$(status)" = "+OK +OK +OK +OK +OK" ]
	rmdir "$T/aliases"
	printf 'broken\n' >"$T/aliases"
	run pop3 <<'EOF'
USER alice@example.com
PASS alicepw
QUIT
EOF
	[ "$(status)" = "+OK +OK +OK +OK" ]
}

# Subaddresses

# bats test_tags=slow
@test "user+tag reaches the user's INBOX, and X-Original-To keeps the tag" {
	run send alice+news@example.com Bob.Smith+Lists@EXAMPLE.com
	[ "$(codes)" = "220 250 250 250 250 354 250 221" ]
	[ "$(store_dirs)" = "$(printf '%s\n' Bob.Smith@Example.COM alice@example.com)" ]
	stored_is "$(message_file alice@example.com)" alice+news@example.com alice@example.com
	stored_is "$(message_file Bob.Smith@Example.COM)" Bob.Smith+Lists@EXAMPLE.com Bob.Smith@Example.COM
	# In new/ of the maildir itself: no folder is made for the tag.
	d=$(maildir alice@example.com)
	[ "$(find "$d" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort | paste -sd' ')" = "cur new tmp" ]
	[ -f "$d/new/$(messages alice@example.com)" ]
	[ "$(pop3_reply alice@example.com alicepw STAT)" = "+OK 1 $(wire_size "$(message_file alice@example.com)")" ]
}

@test "a user literally named user+tag gets its own mail" {
	echo 'alice+tag@example.com tagpw' >>"$USERS"
	run send alice+tag@example.com alice+other@example.com
	[ "$(codes)" = "220 250 250 250 250 354 250 221" ]
	[ "$(count alice+tag@example.com)" -eq 1 ]
	[ "$(count alice@example.com)" -eq 1 ]
	stored_is "$(message_file alice+tag@example.com)" alice+tag@example.com alice+tag@example.com
	stored_is "$(message_file alice@example.com)" alice+other@example.com alice@example.com
}

# bats test_tags=slow
@test "alias+tag reaches the alias's members; an alias literally named with the tag wins" {
	aliases_file 'team@example.com: alice@example.com, bob.smith@example.com' \
	    'team+vip@example.com: dave@example.org' \
	    'info: carol@example.org'
	run send team+news@example.com
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$(count Bob.Smith@Example.COM)" -eq 1 ]
	stored_is "$(message_file alice@example.com)" team+news@example.com team@example.com
	[ "$(links "$(message_file alice@example.com)")" -eq 2 ]
	run send team+vip@example.com info+x@example.org
	[ "$(codes)" = "220 250 250 250 250 354 250 221" ]
	[ "$(count dave@example.org)" -eq 1 ]
	[ "$(count alice@example.com)" -eq 1 ]
	stored_is "$(message_file dave@example.org)" team+vip@example.com team+vip@example.com
	stored_is "$(message_file carol@example.org)" info+x@example.org info@example.org
}

# bats test_tags=slow
@test "--recipient-delimiter takes several characters, the local part cut at the first" {
	run rcpts alice-x@example.com
	[ "$(codes)" = "220 250 250 550 221" ]
	SMTP_OPTS=(--recipient-delimiter '+-')
	run send alice-x@example.com alice+y@example.com carol-a+b@example.org
	[ "$(codes)" = "220 250 250 250 250 250 354 250 221" ]
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$(count carol@example.org)" -eq 1 ]
	stored_is "$(message_file alice@example.com)" alice-x@example.com alice@example.com
	stored_is "$(message_file carol@example.org)" carol-a+b@example.org carol@example.org
	# No character an address cannot hold in its local part.
	run smtp_raw --recipient-delimiter '+@' </dev/null
	[ "$status" -eq 100 ]
	[ "$output" = "smtp-handler: --recipient-delimiter needs up to 16 characters of a local part (see --help)" ]
}

# bats test_tags=slow
@test "an empty --recipient-delimiter turns subaddresses off" {
	SMTP_OPTS=(--recipient-delimiter '')
	run rcpts alice+x@example.com alice@example.com
	[ "$(codes)" = "220 250 250 550 250 221" ]
	[ "$(reply 4)" = "550 5.1.1 No such user here" ]
	SMTP_OPTS=(--recipient-delimiter=)
	run rcpts alice+x@example.com
	[ "$(codes)" = "220 250 250 550 221" ]
}

# bats test_tags=slow
@test "nobody+x@ is refused like nobody@, at a local domain and elsewhere" {
	run rcpts nobody@example.com nobody+x@example.com +x@example.com \
	    nobody@elsewhere.test nobody+x@elsewhere.test alice+x@elsewhere.test
	[ "$(codes)" = "220 250 250 550 550 550 550 550 550 221" ]
	[ "$(reply 4)" = "550 5.1.1 No such user here" ]
	[ "$(reply 5)" = "550 5.1.1 No such user here" ]
	[ "$(reply 6)" = "550 5.1.1 No such user here" ]
	[ "$(reply 7)" = "550 5.7.1 Relaying denied" ]
	[ "$(reply 8)" = "550 5.7.1 Relaying denied" ]
	[ "$(reply 9)" = "550 5.7.1 Relaying denied" ]
	[ -z "$(store_dirs)" ]
}

# postmaster

# bats test_tags=slow
@test "abuse: postmaster reaches the postmaster at every local domain" {
	aliases_file 'abuse: postmaster'
	SMTP_OPTS=(-p carol@example.org)
	run send abuse@example.net
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(count carol@example.org)" -eq 1 ]
	[ "$(count alice@example.com)" -eq 0 ]
	stored_is "$(message_file carol@example.org)" abuse@example.net abuse@example.net
	# Without -p the postmaster is the users file's first user.
	SMTP_OPTS=()
	run send ABUSE@example.com
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(count alice@example.com)" -eq 1 ]
	run rcpts abuse@elsewhere.test
	[ "$(codes)" = "220 250 250 550 221" ]
	[ "$(reply 4)" = "550 5.7.1 Relaying denied" ]
}

# bats test_tags=slow
@test "an alias named postmaster takes postmaster's mail, <postmaster> alone too" {
	aliases_file 'postmaster: dave@example.org' 'abuse: postmaster'
	run rcpts postmaster Postmaster@example.net postmaster@example.com abuse@example.org
	[ "$(codes)" = "220 250 250 250 250 250 250 221" ]
	run send postmaster
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	[ "$(count dave@example.org)" -eq 1 ]
	[ "$(count alice@example.com)" -eq 0 ]
	stored_is "$(message_file dave@example.org)" postmaster postmaster@example.com
	run send abuse@example.org
	[ "$(count dave@example.org)" -eq 2 ]
	[ "$(count alice@example.com)" -eq 0 ]
}

# A real client

# bats test_tags=slow
@test "swaks sends to a list through mysmtpd on loopback, and each member gets the bytes" {
	command -v swaks >/dev/null || skip "swaks is not installed"
	printf 'team@example.com: alice@example.com, bob.smith@example.com\n' >"$T/lists"
	port=$(free_port)
	"$BIN/mysmtpd" -b 127.0.0.1 "$port" -u "$USERS" -d "$STORE" -n mx.test \
	    -a "$T/lists" >"$T/mysmtpd.log" 2>&1 3>&- </dev/null &
	PIDS="${PIDS:-} $!"
	wait_port "$port"
	printf '%s\n' 'From: Sender <sender@example.net>' 'To: team@example.com' \
	    'Subject: via swaks' '' 'line one' '.dot line' 'last' >"$T/msg"
	run timeout 30 swaks --server 127.0.0.1 --port "$port" --timeout 10 \
	    --helo client.test --from sender@example.net \
	    --to team@example.com,alice+cc@example.com --data "@$T/msg"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"<-  250 2.1.5 Recipient ok"*"<-  250 2.1.5 Recipient ok"*"<-  250 2.0.0 Ok: delivered as "* ]]
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$(count Bob.Smith@Example.COM)" -eq 1 ]
	f=$(message_file alice@example.com)
	[ "$(inode "$f")" = "$(inode "$(message_file Bob.Smith@Example.COM)")" ]
	[ "$(links "$f")" -eq 2 ]
	id=${f##*/}
	id=${id%%,*}
	printf '%s\n' 'Return-Path: <sender@example.net>' \
	    'X-Original-To: team@example.com' 'Delivered-To: team@example.com' \
	    'Received: from client.test ([127.0.0.1])' \
	    "	by mx.test (smtp-handler) with ESMTP id $id" \
	    '	for <team@example.com>;' '	DATE' \
	    'From: Sender <sender@example.net>' 'To: team@example.com' \
	    'Subject: via swaks' '' 'line one' '.dot line' 'last' '' >"$T/want"
	sed '7s/^\t[A-Z][a-z][a-z], [0-9][0-9] .*[-+][0-9]\{4\}$/\tDATE/' "$f" >"$T/got"
	diff -u "$T/want" "$T/got"
}
