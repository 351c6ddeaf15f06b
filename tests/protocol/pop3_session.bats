#!/usr/bin/env bats
# POP3 sessions: greeting, CAPA, login, command parsing, and what STAT,
# LIST, RETR, TOP and UIDL serve from the Maildir, whoever delivered it.

bats_require_minimum_version 1.5.0

load ../lib/helper

# elapsed_ms START: milliseconds since START, a "date +%s%N" value.
elapsed_ms() {
	echo $(( ($(date +%s%N) - $1) / 1000000 ))
}

# sizes_match ADDRESS PASSWORD: LIST, LIST n and STAT all give, for every
# message, the octets that RETR sends between its +OK line and the final
# ".", with the dot-stuffing removed.
sizes_match() {
	local stat count n octets listed total=0
	stat=$(pop3_reply "$1" "$2" STAT)
	count=$(echo "$stat" | cut -d' ' -f2)
	pop3_fetch "$1" "$2" LIST | tr -d '\r' >"$T/list"
	[ "$(wc -l <"$T/list")" -eq "$count" ]
	for n in $(seq 1 "$count"); do
		octets=$(( $(pop3_fetch "$1" "$2" "RETR $n" | pop3_unstuff | wc -c) ))
		listed=$(awk -v n="$n" '$1 == n { print $2 }' "$T/list")
		echo "message $n: RETR sends $octets octets, LIST says $listed"
		[ "$listed" = "$octets" ]
		[ "$(pop3_reply "$1" "$2" "LIST $n")" = "+OK $n $octets" ]
		total=$((total + octets))
	done
	echo "STAT: $stat, RETR total $total"
	[ "$stat" = "+OK $count $total" ]
}

# wire_octets FILE...: the RETR size of each stored FILE (its size with
# every LF counted as CRLF), one a line, sorted.
wire_octets() {
	local f
	for f in "$@"; do
		echo $(( $(wc -c <"$f") + $(tr -cd '\n' <"$f" | wc -c) ))
	done | sort -n
}

# served_as_stored ADDRESS PASSWORD: RETR n of every message equals its
# file in the Maildir (found by its unique Subject) with LF turned into
# CRLF and dot-stuffing added.
served_as_stored() {
	local stat count n subject file
	stat=$(pop3_reply "$1" "$2" STAT)
	count=$(echo "$stat" | cut -d' ' -f2)
	[ "$count" -gt 0 ]
	for n in $(seq 1 "$count"); do
		pop3_fetch "$1" "$2" "RETR $n" >"$T/got"
		subject=$(tr -d '\r' <"$T/got" | sed -n 's/^Subject: //p')
		file=$(grep -rlx "Subject: $subject" "$(maildir "$1")/new" "$(maildir "$1")/cur")
		echo "message $n: Subject $subject, file $file"
		pop3_wire "$file" >"$T/want"
		cmp "$T/want" "$T/got"
	done
}

@test "the greeting names the host, every reply ends in CRLF, QUIT exits 0" {
	run pop3 <<EOF
QUIT
EOF
	[ "$status" -eq 0 ]
	[ "$(pop3_line 1)" = "+OK mx.test POP3 ready" ]
	[ "$(status)" = "+OK +OK" ]
	[ -z "$(printf '%s\n' "$output" | grep -v $'\r$')" ]
}

@test "CAPA lists USER UIDL TOP RESP-CODES AUTH-RESP-CODE PIPELINING UTF8" {
	pop3 >"$T/out" <<EOF
CAPA
QUIT
EOF
	pop3_block "$T/out" 2 | tr -d '\r' >"$T/capa"
	cat "$T/capa"
	for cap in USER UIDL TOP RESP-CODES AUTH-RESP-CODE PIPELINING "UTF8 USER"; do
		grep -qx "$cap" "$T/capa"
	done
	[ "$(tr -d '\r' <"$T/out" | tail -n 1 | cut -c1-3)" = "+OK" ]
}

@test "UTF8 in AUTHORIZATION gets +OK and the login goes on" {
	run pop3 <<EOF
UTF8
USER alice@example.com
PASS alicepw
STAT
QUIT
EOF
	[ "$(status)" = "+OK +OK +OK +OK +OK +OK" ]
}

@test "a plain-text password logs in (alice)" {
	run pop3 <<EOF
USER alice@example.com
PASS alicepw
STAT
QUIT
EOF
	[ "$status" -eq 0 ]
	[ "$(status)" = "+OK +OK +OK +OK +OK" ]
	[ "$(pop3_line 4)" = "+OK 0 0" ]
}

# bats test_tags=slow
@test "a SHA-512 crypt hash logs in with its password only (carol)" {
	run pop3 <<EOF
USER carol@example.org
PASS carolpw
STAT
QUIT
EOF
	[ "$(status)" = "+OK +OK +OK +OK +OK" ]
	run pop3 <<EOF
USER carol@example.org
PASS carolpw2
QUIT
EOF
	[ "$(status)" = "+OK +OK -ERR +OK" ]
}

# bats test_tags=slow
@test "a yescrypt hash logs in with its password only (dave)" {
	run pop3 <<EOF
USER dave@example.org
PASS davepw
STAT
QUIT
EOF
	[ "$(status)" = "+OK +OK +OK +OK +OK" ]
	run pop3 <<EOF
USER dave@example.org
PASS \$y\$j9T\$ObN5ZPs4AzuKsdMAJn6pI/\$fj2lrP/.sgoy7/JTFgF3uty1vEsiV.UuSXAd08ef1c.
QUIT
EOF
	[ "$(status)" = "+OK +OK -ERR +OK" ]
}

# bats test_tags=slow
@test "a bcrypt hash logs in with its password only (erin)" {
	run pop3 <<EOF
USER erin@example.net
PASS erinpw
STAT
QUIT
EOF
	[ "$(status)" = "+OK +OK +OK +OK +OK" ]
	run pop3 <<EOF
USER erin@example.net
PASS erinp
QUIT
EOF
	[ "$(status)" = "+OK +OK -ERR +OK" ]
}

@test "USER BOB.SMITH@EXAMPLE.COM opens the maildrop of Bob.Smith@Example.COM" {
	pop3_drop Bob.Smith@Example.COM <<'EOF'
Subject: for bob

hello bob
EOF
	run pop3 <<EOF
USER BOB.SMITH@EXAMPLE.COM
PASS bobpw
STAT
QUIT
EOF
	[ "$(status)" = "+OK +OK +OK +OK +OK" ]
	[ "$(pop3_line 4)" = "+OK 1 $(wire_octets "$(maildir Bob.Smith@Example.COM)"/new/*)" ]
}

# bats test_tags=slow
@test "the password is not case-insensitive like the address" {
	run pop3 <<EOF
USER bob.smith@example.com
PASS BOBPW
QUIT
EOF
	[ "$(status)" = "+OK +OK -ERR +OK" ]
}

# bats test_tags=slow
@test "a wrong password and an unknown user get the same -ERR [AUTH] line, each after >= 1 s" {
	start=$(date +%s%N)
	run pop3 <<EOF
USER alice@example.com
PASS wrongpw
QUIT
EOF
	wrong_ms=$(elapsed_ms "$start")
	[ "$(status)" = "+OK +OK -ERR +OK" ]
	wrong=${lines[2]}

	start=$(date +%s%N)
	run pop3 <<EOF
USER nobody@example.com
PASS alicepw
QUIT
EOF
	unknown_ms=$(elapsed_ms "$start")
	[ "$(status)" = "+OK +OK -ERR +OK" ]
	unknown=${lines[2]}

	echo "wrong password ($wrong_ms ms): $wrong"
	echo "unknown user ($unknown_ms ms): $unknown"
	[ "$wrong" = "$unknown" ]
	[[ $wrong == "-ERR [AUTH]"* ]]
	[ "$wrong_ms" -ge 1000 ]
	[ "$unknown_ms" -ge 1000 ]
}

@test "PASS without USER gets -ERR and the session goes on" {
	run pop3 <<EOF
PASS alicepw
USER alice@example.com
PASS alicepw
STAT
QUIT
EOF
	[ "$status" -eq 0 ]
	[ "$(status)" = "+OK -ERR +OK +OK +OK +OK" ]
}

# bats test_tags=slow
@test "the third failed login gets -ERR and closes the session" {
	run pop3 <<EOF
USER alice@example.com
PASS one
USER alice@example.com
PASS two
USER alice@example.com
PASS three
USER alice@example.com
PASS alicepw
STAT
QUIT
EOF
	[ "$status" -eq 1 ]
	[ "$(status)" = "+OK +OK -ERR +OK -ERR +OK -ERR" ]
}

# bats test_tags=slow
@test "two failed logins leave the session open for a right one" {
	run pop3 <<EOF
USER alice@example.com
PASS one
USER nobody@example.com
PASS two
USER alice@example.com
PASS alicepw
STAT
QUIT
EOF
	[ "$status" -eq 0 ]
	[ "$(status)" = "+OK +OK -ERR +OK -ERR +OK +OK +OK +OK" ]
}

@test "transaction commands before login get -ERR and the session goes on" {
	run pop3 <<EOF
STAT
LIST
LIST 1
RETR 1
TOP 1 0
DELE 1
UIDL
RSET
NOOP
USER alice@example.com
PASS alicepw
STAT
QUIT
EOF
	[ "$status" -eq 0 ]
	[ "$(status)" = "+OK -ERR -ERR -ERR -ERR -ERR -ERR -ERR -ERR -ERR +OK +OK +OK +OK" ]
}

@test "QUIT in AUTHORIZATION gets +OK and deletes nothing" {
	pop3_drop alice@example.com <<'EOF'
Subject: stays

body
EOF
	run pop3 <<EOF
USER alice@example.com
QUIT
EOF
	[ "$status" -eq 0 ]
	[ "$(status)" = "+OK +OK +OK" ]
	[ "$(count alice@example.com)" -eq 1 ]
}

@test "an unknown verb gets -ERR before and after login" {
	run pop3 <<EOF
XYZZY
STATUS
USER alice@example.com
PASS alicepw
XYZZY 1
STATX
NOOP
QUIT
EOF
	[ "$status" -eq 0 ]
	[ "$(status)" = "+OK -ERR -ERR +OK +OK -ERR -ERR +OK +OK" ]
}

@test "verbs are case-insensitive" {
	pop3_drop alice@example.com <<'EOF'
Subject: one

body
EOF
	run pop3 <<EOF
user alice@example.com
pass alicepw
stat
List 1
uidl 1
noop
quit
EOF
	[ "$status" -eq 0 ]
	[ "$(status)" = "+OK +OK +OK +OK +OK +OK +OK +OK" ]
	[ "$(pop3_line 4)" = "+OK 1 $(wire_octets "$(maildir alice@example.com)"/new/*)" ]
}

@test "message numbers must be plain decimal in range, with no extra arguments" {
	pop3_drop alice@example.com <<'EOF'
Subject: one

body
EOF
	run pop3 <<EOF
USER alice@example.com
PASS alicepw
LIST 4294967297
LIST 18446744073709551617
RETR 0
RETR -1
RETR 1a
RETR +1
RETR 2
TOP 1 -5
TOP 1 x
TOP 1
LIST 1 2
RETR 1 1
DELE 1 1
UIDL 1 1
LIST 1
QUIT
EOF
	[ "$status" -eq 0 ]
	[ "$(status)" = "+OK +OK +OK$(printf ' -ERR%.0s' $(seq 1 14)) +OK +OK" ]
	[ "$(pop3_line 18)" = "+OK 1 $(wire_octets "$(maildir alice@example.com)"/new/*)" ]
	[ "$(count alice@example.com)" -eq 1 ]
}

@test "a 255-octet command line is accepted" {
	x248=$(printf 'x%.0s' $(seq 1 248))
	run pop3 <<EOF
USER $x248
QUIT
EOF
	[ "$status" -eq 0 ]
	[ "$(status)" = "+OK +OK +OK" ]
}

@test "a command line over 255 octets gets one -ERR and the session goes on" {
	x249=$(printf 'x%.0s' $(seq 1 249))
	x2000=$(printf 'STAT%.0s' $(seq 1 500))
	run pop3 <<EOF
USER $x249
USER $x2000
USER alice@example.com
PASS alicepw
STAT
QUIT
EOF
	[ "$status" -eq 0 ]
	[ "$(status)" = "+OK -ERR -ERR +OK +OK +OK +OK" ]
}

@test "a command line with a NUL in it gets -ERR" {
	run pop3_raw < <(printf 'USER alice@example.com\r\nPASS alicepw\r\nNOOP\0\r\nSTAT\0 junk\r\nNOOP\r\nQUIT\r\n')
	[ "$status" -eq 0 ]
	[ "$(status)" = "+OK +OK +OK -ERR -ERR +OK +OK" ]
}

# bats test_tags=slow
@test "STAT and LIST give the exact octets RETR sends, for mail from the SMTP handler" {
	smtp <<'EOF'
EHLO client.test
MAIL FROM:<sender@x.test>
RCPT TO:<alice@example.com>
DATA
Subject: one

first body line
..a line that starts with a dot
...

last line
.
MAIL FROM:<>
RCPT TO:<alice@example.com>
DATA
Subject: two

short
.
QUIT
EOF
	[ "$(count alice@example.com)" -eq 2 ]
	sizes_match alice@example.com alicepw
	stat=$(pop3_reply alice@example.com alicepw STAT)
	total=$(wire_octets "$(maildir alice@example.com)"/new/* | awk '{ t += $1 } END { print t }')
	[ "$stat" = "+OK 2 $total" ]
}

# bats test_tags=slow
@test "STAT and LIST are exact for dropped files: own names, foreign names, cur/ with flags" {
	pop3_drop alice@example.com <<'EOF'
Subject: own name
From: someone@x.test

.dot first
..two dots
.
body
EOF
	pop3_drop alice@example.com new 1700000000.foreign.host <<'EOF'
Subject: foreign name
	folded header line

.
text with trailing spaces   
EOF
	pop3_drop alice@example.com cur '1700000001.flagged.host:2,S' <<'EOF'
Subject: foreign name in cur

seen before
.
EOF
	own=$(pop3_drop alice@example.com <<'EOF'
Subject: own name moved to cur

.
read before
EOF
	)
	mv "$own" "$(maildir alice@example.com)/cur/$(basename "$own"):2,RS"
	sizes_match alice@example.com alicepw
	pop3_fetch alice@example.com alicepw LIST | tr -d '\r' | cut -d' ' -f2 | sort -n >"$T/listed"
	wire_octets "$(maildir alice@example.com)"/new/* "$(maildir alice@example.com)"/cur/* >"$T/want"
	cmp "$T/want" "$T/listed"
}

@test "a name whose S= is not its file's size: RETR announces and sends the file as it is" {
	# Another agent's name (Dovecot's zlib plugin gives a packed file
	# its size unpacked): the listing trusts the name, RETR the file.
	file=$(printf 'Subject: packed\n\nx\n' |
	    pop3_drop alice@example.com new "1700000000.M1P1.other.test,S=5000,W=5100")
	run pop3_reply alice@example.com alicepw "LIST 1"
	[ "$output" = "+OK 1 5100" ]
	printf 'USER alice@example.com\nPASS alicepw\nRETR 1\nLIST 1\nQUIT\n' |
	    pop3 | tr -d '\r' >"$T/out"
	cat "$T/out"
	[ "$(sed -n 4p "$T/out")" = "+OK 22 octets" ]
	pop3_fetch alice@example.com alicepw "RETR 1" >"$T/got"
	pop3_wire "$file" >"$T/want"
	cmp "$T/want" "$T/got"
	grep -qx '+OK 1 22' "$T/out"
}

# bats test_tags=slow
@test "login, STAT, LIST and UIDL take the sizes from the names: no stat() of a message" {
	need_strace
	python3 "$LIB/bulk_maildir.py" "$(maildir alice@example.com)" 300 fixed100
	own -R "$(maildir alice@example.com)"
	printf 'USER alice@example.com\nPASS alicepw\nSTAT\nLIST\nUIDL\nQUIT\n' |
	    crlf | strace -f -qq -o "$T/trace" \
	    -e trace=stat,lstat,newfstatat,statx,readlink,readlinkat \
	    timeout 30 "$BIN/pop3-handler" -u "$USERS" -d "$STORE" -n mx.test \
	    >"$T/out"
	grep -q $'^+OK 300 30900\r$' "$T/out"
	run grep -c 'bulk' "$T/trace"
	echo "stat-like calls naming a message: $output"
	[ "$output" -eq 0 ]
}

@test "RETR sends the stored file with CRLF line ends and dot-stuffing" {
	file=$(printf '%b' 'Received: from a by b;\n\tThu, 1 Jan 2026 00:00:00 +0000\n' \
	    'Subject: tricky\nFrom: a@x.test\n\n' \
	    '.\n..\n.starts with a dot\nends with a dot.\n' \
	    'Gr\xfc\xdfe, caf\xe9, \xc3\xbcber 8-bit \xff\n' \
	    '\ta tab and a trailing space \n\n.\n\n' | pop3_drop alice@example.com)
	pop3_fetch alice@example.com alicepw "RETR 1" >"$T/got"
	pop3_wire "$file" >"$T/want"
	cmp "$T/want" "$T/got"
	grep -q $'^\\.\\.starts with a dot\r$' "$T/got"
	LC_ALL=C grep -q $'^Gr\xfc\xdfe, caf\xe9, \xc3\xbcber 8-bit \xff\r$' "$T/got"
}

# bats test_tags=slow
@test "RETR of every kind of dropped file serves the file as stored" {
	pop3_drop alice@example.com <<'EOF'
Subject: own

.own
EOF
	pop3_drop alice@example.com new 1700000000.foreign.host <<'EOF'
Subject: foreign

.foreign body
EOF
	pop3_drop alice@example.com cur '1700000001.flagged.host:2,S' <<'EOF'
Subject: flagged

flagged body
.
EOF
	run pop3_reply alice@example.com alicepw STAT
	[[ $output == "+OK 3 "* ]]
	served_as_stored alice@example.com alicepw
}

# bats test_tags=slow
@test "a message larger than the I/O buffers is served whole" {
	file=$(python3 "$LIB/dotted_lines.py" |
	    { printf 'Subject: big\n\n'; cat; } | pop3_drop alice@example.com)
	[ "$(wc -c <"$file")" -gt 200000 ]
	pop3_fetch alice@example.com alicepw "RETR 1" >"$T/got"
	pop3_wire "$file" >"$T/want"
	cmp "$T/want" "$T/got"
	[ "$(pop3_reply alice@example.com alicepw "LIST 1")" = "+OK 1 $(pop3_unstuff <"$T/got" | wc -c)" ]
}

@test "TOP n 0 gives the header and the blank line; TOP n 2 adds two body lines" {
	pop3_drop alice@example.com <<'EOF'
Subject: top
X-Folded: first
	second

line one
.line two
line three
EOF
	pop3_fetch alice@example.com alicepw "TOP 1 0" >"$T/top0"
	printf 'Subject: top\r\nX-Folded: first\r\n\tsecond\r\n\r\n' >"$T/want0"
	cmp "$T/want0" "$T/top0"

	pop3_fetch alice@example.com alicepw "TOP 1 2" >"$T/top2"
	printf 'Subject: top\r\nX-Folded: first\r\n\tsecond\r\n\r\nline one\r\n..line two\r\n' >"$T/want2"
	cmp "$T/want2" "$T/top2"

	pop3_fetch alice@example.com alicepw "TOP 1 100" >"$T/top100"
	pop3_fetch alice@example.com alicepw "RETR 1" >"$T/retr"
	cmp "$T/retr" "$T/top100"
}

@test "UIDL lists one id a message and UIDL n agrees with it" {
	pop3_drop alice@example.com <<'EOF'
Subject: one

1
EOF
	pop3_drop alice@example.com new 1700000000.foreign.host <<'EOF'
Subject: two

2
EOF
	pop3_drop alice@example.com cur '1700000001.flagged.host:2,S' <<'EOF'
Subject: three

3
EOF
	pop3_fetch alice@example.com alicepw UIDL | tr -d '\r' >"$T/uidl"
	cat "$T/uidl"
	[ "$(wc -l <"$T/uidl")" -eq 3 ]
	# RFC 1939 section 7: "n id", id of 1 to 70 characters 0x21..0x7E.
	[ "$(LC_ALL=C grep -cE '^[1-3] [!-~]{1,70}$' "$T/uidl")" -eq 3 ]
	[ "$(cut -d' ' -f1 "$T/uidl" | paste -sd' ' -)" = "1 2 3" ]
	[ -z "$(cut -d' ' -f2 "$T/uidl" | sort | uniq -d)" ]
	for n in 1 2 3; do
		[ "$(pop3_reply alice@example.com alicepw "UIDL $n")" = "+OK $(sed -n "${n}p" "$T/uidl")" ]
	done
}

# bats test_tags=slow
@test "UIDL ids stay the same in the next session, after every message was read" {
	pop3_drop alice@example.com <<'EOF'
Subject: one

1
EOF
	pop3_drop alice@example.com new 1700000000.foreign.host <<'EOF'
Subject: two

2
EOF
	pop3_drop alice@example.com cur '1700000001.flagged.host:2,S' <<'EOF'
Subject: three

3
EOF
	# Pair every id with the Subject of its message.
	for n in 1 2 3; do
		echo "$(pop3_reply alice@example.com alicepw "UIDL $n" | cut -d' ' -f3) $(pop3_subject alice@example.com alicepw $n)"
	done | sort >"$T/before"
	run pop3 <<EOF
USER alice@example.com
PASS alicepw
RETR 1
RETR 2
RETR 3
QUIT
EOF
	[ "$(status)" = "+OK +OK +OK +OK +OK +OK +OK" ]
	for n in 1 2 3; do
		echo "$(pop3_reply alice@example.com alicepw "UIDL $n" | cut -d' ' -f3) $(pop3_subject alice@example.com alicepw $n)"
	done | sort >"$T/after"
	cat "$T/before" "$T/after"
	[ "$(cut -d' ' -f1 "$T/before" | sort -u | wc -l)" -eq 3 ]
	cmp "$T/before" "$T/after"
}

@test "dot files and symlinks in new/ are neither listed nor served" {
	pop3_drop alice@example.com <<'EOF'
Subject: real

real body
EOF
	pop3_drop alice@example.com new .1700000000.hidden.host <<'EOF'
Subject: hidden

hidden body
EOF
	printf 'Subject: outside\n\nsecret outside the store\n' >"$T/outside"
	ln -s "$T/outside" "$(maildir alice@example.com)/new/1700000001.link.host"
	size=$(wire_octets "$(maildir alice@example.com)"/new/*.drop.test,*)
	run pop3 <<EOF
USER alice@example.com
PASS alicepw
STAT
LIST
RETR 2
RETR 3
TOP 2 0
RETR 1
DELE 1
QUIT
EOF
	[ "$(status)" = "+OK +OK +OK +OK +OK -ERR -ERR -ERR +OK +OK +OK" ]
	[ "$(pop3_line 6)" = "1 $(pop3_line 4 | cut -d' ' -f3)" ]
	[ "$(pop3_line 7)" = "." ]
	[ "$(pop3_line 4)" = "+OK 1 $size" ]
	[[ $output != *secret* ]]
	[[ $output != *hidden* ]]
	[ "$(cat "$T/outside")" = "$(printf 'Subject: outside\n\nsecret outside the store')" ]
}

@test "49 -ERR replies leave the session open" {
	for i in $(seq 1 49); do echo "XYZZY $i"; done >"$T/script"
	echo QUIT >>"$T/script"
	run pop3 <"$T/script"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | grep -c '^-ERR')" -eq 49 ]
	[[ $(pop3_line 51) == "+OK"* ]]
}

@test "the 50th -ERR reply closes the session" {
	for i in $(seq 1 50); do echo "XYZZY $i"; done >"$T/script"
	printf 'USER alice@example.com\nPASS alicepw\nSTAT\nQUIT\n' >>"$T/script"
	run pop3 <"$T/script"
	[ "$status" -eq 1 ]
	errors=$(printf '%s\n' "$output" | grep -c '^-ERR')
	echo "$errors -ERR replies"
	[ "$errors" -ge 50 ]
	[ "$errors" -le 51 ]
	[ "$(printf '%s\n' "$output" | grep -c '^+OK')" -eq 1 ]
}

# bats test_tags=slow
@test "-t 1: an idle session is closed and its pending deletions are not done" {
	pop3_drop alice@example.com <<'EOF'
Subject: keep

body
EOF
	pop3_start -t 1
	pop3_login alice@example.com alicepw
	pop3_say DELE 1; pop3_expect "+OK"
	start=$(date +%s%N)
	pop3_expect_close 5
	pop3_wait 5
	echo "closed after $(elapsed_ms "$start") ms, exit $POP3_STATUS"
	[ "$POP3_STATUS" -eq 1 ]
	[ "$(count alice@example.com)" -eq 1 ]
}

# bats test_tags=slow
@test "-t 2: a line trickled one byte at a time cannot outlast the timeout" {
	pop3_start -t 2
	pop3_login alice@example.com alicepw
	(for i in $(seq 1 20); do printf N; sleep 0.5; done) >&7 3>&- 8<&- &
	PIDS="$PIDS $!"
	start=$(date +%s%N)
	pop3_expect_close 8
	ms=$(elapsed_ms "$start")
	echo "closed after $ms ms"
	[ "$ms" -lt 6000 ]
}

@test "an unknown option exits 100 with a message on stderr and no greeting" {
	run --separate-stderr timeout 10 "$BIN/pop3-handler" -u "$USERS" -d "$STORE" --no-such-option </dev/null
	[ "$status" -eq 100 ]
	[ -z "$output" ]
	[ -n "$stderr" ]
}

@test "a missing users file exits 100 with a message on stderr and -ERR [SYS/TEMP] to the client" {
	run --separate-stderr timeout 10 "$BIN/pop3-handler" -u "$T/no-such-users.txt" -d "$STORE" </dev/null
	[ "$status" -eq 100 ]
	[ "$output" = $'-ERR [SYS/TEMP] Service not available\r' ]
	[[ "$stderr" == *no-such-users.txt* ]]
}

@test "--check exits 0 for good options and 100 for a missing users file" {
	run timeout 10 "$BIN/pop3-handler" -u "$USERS" -d "$STORE" --check </dev/null
	[ "$status" -eq 0 ]
	run timeout 10 "$BIN/pop3-handler" -u "$T/no-such-users.txt" -d "$STORE" --check </dev/null
	[ "$status" -eq 100 ]
}

@test "pop3-handler refuses the SMTP-only options, long or short" {
	for opt in "--max-size 5" "--postmaster alice@example.com" \
	    "--max-recipients 3" "-s 5" "-p alice@example.com" "-r 3"; do
		run --separate-stderr timeout 10 "$BIN/pop3-handler" \
		    -u "$USERS" -d "$STORE" $opt </dev/null
		[ "$status" -eq 100 ]
		[ -z "$output" ]
		[ -n "$stderr" ]
	done
}
