#!/usr/bin/env bats
# Quotas (issue 21, section 3): the default limit -q, a mailbox's own
# limit in its Maildir++ maildirsize, what RCPT answers when a mailbox is
# full or a declared SIZE= would not fit, the one message of grace, lists,
# the maildirsize kept line by line and recalculated, the count limit,
# the notice at 90%, mailquota(8), and Dovecot's maildir quota reading
# the same file.

load ../lib/helper
load ../lib/dovecot

# mdsize ADDRESS: the path of the maildirsize of ADDRESS.
mdsize() {
	printf '%s/maildirsize' "$(maildir "$1")"
}

# quota_file ADDRESS TEXT: make the Maildir of ADDRESS if it is not there
# and write TEXT (printf %b escapes) as its maildirsize, as another
# program would.
quota_file() {
	local d
	d=$(maildir "$1")
	mkdir -p "$d/tmp" "$d/new" "$d/cur"
	printf '%b' "$2" >"$d/maildirsize"
	own "$d" "$d/tmp" "$d/new" "$d/cur" "$d/maildirsize"
}

# deliver ADDRESS SUBJECT [OPTION...]: one message to ADDRESS in its own
# session, which must be accepted; extra options go to the handler.
deliver() {
	local rcpt=$1 subject=$2 out
	shift 2
	out=$(printf '%s\n' 'HELO client.test' 'MAIL FROM:<sender@example.net>' \
	    "RCPT TO:<$rcpt>" DATA "Subject: $subject" '' "body of $subject" \
	    . QUIT | smtp "$@")
	output=$out
	[ "$(codes)" = "220 250 250 250 354 250 221" ] || {
		echo "delivery to $rcpt refused: $out" >&2
		return 1
	}
}

# used ADDRESS: the sum of the sizes on disk of the messages of ADDRESS.
used() {
	local d n total=0
	d=$(maildir "$1")
	for n in $(messages "$1"); do
		if [ -f "$d/new/$n" ]; then
			total=$((total + $(stat -c %s "$d/new/$n")))
		else
			total=$((total + $(stat -c %s "$d/cur/$n")))
		fi
	done
	echo "$total"
}

# size_of ADDRESS SUBJECT: the size on disk of the message of ADDRESS
# with that Subject (there must be one).
size_of() {
	local d f
	d=$(maildir "$1")
	f=$(grep -lx "Subject: $2" "$d"/new/* "$d"/cur/* 2>/dev/null)
	[ "$(printf '%s\n' "$f" | grep -c .)" -eq 1 ] || return 1
	stat -c %s "$f"
}

# mq [OPTION...]: run mailquota on the test's users file and store; its
# stderr goes to $T/mq.err, so that $output is its stdout alone.
mq() {
	timeout 30 "$REAL_BIN/mailquota" -u "$USERS" -d "$STORE" "$@" \
	    2>"$T/mq.err"
}

# notices ADDRESS: how many quota notices ADDRESS holds.
notices() {
	local f n=0
	for f in $(maildir "$1")/new/* $(maildir "$1")/cur/*; do
		[ -f "$f" ] || continue
		if grep -q '^Subject: Your mailbox is [0-9]*% full$' "$f"; then
			n=$((n + 1))
		fi
	done
	echo "$n"
}

# Sizes: -q and its suffixes

# rcpt_with_size SIZE...: one session that asks, for each SIZE in turn,
# MAIL FROM with SIZE=SIZE and RCPT TO alice, then RSET.
rcpt_with_size() {
	local s
	{
		echo 'EHLO client.test'
		for s; do
			echo "MAIL FROM:<sender@example.net> SIZE=$s"
			echo 'RCPT TO:<alice@example.com>'
			echo RSET
		done
		echo QUIT
	}
}

# bats test_tags=slow
@test "-q takes octets, K, M and G (powers of 1024): the limit is exact" {
	local q octets
	for q in 2048:2048 2K:2048 3M:3145728 1G:1073741824; do
		octets=${q#*:}
		# 10 octets left under the limit, by a maildirsize that says so.
		quota_file alice@example.com "\n$((octets - 10)) 1\n"
		run smtp -q "${q%%:*}" < <(rcpt_with_size 10 11)
		[ "$status" -eq 0 ]
		[ "$(codes)" = "220 250 250 250 250 250 452 250 221" ]
		[ "$(reply 7)" = "452 4.2.2 Mailbox full, try again later" ]
	done
}

@test "-q 0 is no limit, and without -q there is none" {
	quota_file alice@example.com '\n1073741824 1\n'
	run smtp -q 0 < <(rcpt_with_size 1000)
	[ "$(codes)" = "220 250 250 250 250 221" ]
	run smtp < <(rcpt_with_size 1000)
	[ "$(codes)" = "220 250 250 250 250 221" ]
}

@test "--quota is -q" {
	quota_file alice@example.com '\n1000 1\n'
	run smtp --quota 1K < <(rcpt_with_size 24 25)
	[ "$(codes)" = "220 250 250 250 250 250 452 250 221" ]
}

@test "a bad -q is a usage error, exit 100, with a clear message" {
	local v
	for v in abc 10k 1.5M -1 10KB K ' 10' '' 10G5; do
		run timeout 10 "$BIN/smtp-handler" -u "$USERS" -d "$STORE" -q "$v" </dev/null
		[ "$status" -eq 100 ]
		[ "$output" = "smtp-handler: -q needs a size in octets, such as 104857600, 100M or 1G: $v (see --help)" ]
	done
	for v in 1048577G 1125899906842625; do
		run timeout 10 "$BIN/smtp-handler" -u "$USERS" -d "$STORE" --quota "$v" </dev/null
		[ "$status" -eq 100 ]
		[ "$output" = "smtp-handler: -q is too large: $v (see --help)" ]
	done
	[ -z "$(ls "$STORE")" ]
}

@test "-q of 2^50 octets (1048576G) is accepted" {
	run smtp -q 1048576G < <(rcpt_with_size 1000)
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 250 250 250 250 221" ]
}

# RCPT

@test "a limit of the mailbox's own in maildirsize wins over -q, either way" {
	quota_file alice@example.com '1000S\n0 0\n'
	run smtp -q 1M < <(rcpt_with_size 1000 1001)
	[ "$(codes)" = "220 250 250 250 250 250 552 250 221" ]
	# 0S: a limit of its own that is none, with -q tiny.
	quota_file alice@example.com '0S\n500 1\n'
	run smtp -q 100 < <(rcpt_with_size 5000)
	[ "$(codes)" = "220 250 250 250 250 221" ]
	# An empty first line: no limit of its own, so -q counts.
	quota_file alice@example.com '\n500 1\n'
	run smtp -q 1000 < <(rcpt_with_size 500 501)
	[ "$(codes)" = "220 250 250 250 250 250 452 250 221" ]
}

@test "a full mailbox gets 452 4.2.2 at RCPT; the other recipients get the message" {
	deliver alice@example.com one
	quota_file carol@example.org '0S\n'
	s1=$(size_of alice@example.com one)
	run smtp -q "$s1" <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
RCPT TO:<carol@example.org>
DATA
Subject: two

body
.
QUIT
EOF
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 250 250 452 250 354 250 221" ]
	[ "$(reply 4)" = "452 4.2.2 Mailbox full, try again later" ]
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$(count carol@example.org)" -eq 1 ]
	# One octet more of room, and alice is not full.
	run smtp -q "$((s1 + 1))" < <(rcpt_with_size 1)
	[ "$(codes)" = "220 250 250 250 250 221" ]
}

@test "a mailbox over its limit by a wrong usage line is full too" {
	quota_file alice@example.com '1000S\n1500 2\n'
	run smtp < <(rcpt_with_size 0)
	[ "$(codes)" = "220 250 250 452 250 221" ]
}

@test "452 4.2.2 when MAIL's SIZE= would take the mailbox over its limit" {
	deliver alice@example.com one
	s1=$(size_of alice@example.com one)
	run smtp -q 4000 < <(rcpt_with_size $((4000 - s1 + 1)) $((4000 - s1)))
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 250 250 452 250 250 250 250 221" ]
	[ "$(reply 4)" = "452 4.2.2 Mailbox full, try again later" ]
}

@test "552 5.2.2 when SIZE= alone is over the whole limit, for that recipient only" {
	quota_file carol@example.org '0S\n'
	run smtp -q 4000 <<'EOF'
EHLO client.test
MAIL FROM:<sender@example.net> SIZE=4001
RCPT TO:<alice@example.com>
RCPT TO:<carol@example.org>
RSET
MAIL FROM:<sender@example.net> SIZE=4000
RCPT TO:<alice@example.com>
QUIT
EOF
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 250 250 552 250 250 250 250 221" ]
	[ "$(reply 4)" = "552 5.2.2 Message exceeds the mailbox's whole limit" ]
	[ "$(reply 5)" = "250 2.1.5 Recipient ok" ]
	# Over a mailbox's own limit as well, and even a full one gets the
	# permanent code, for it could never take the message.
	quota_file carol@example.org '100S\n100 1\n'
	run smtp < <(printf '%s\n' 'EHLO client.test' \
	    'MAIL FROM:<sender@example.net> SIZE=101' 'RCPT TO:<carol@example.org>' \
	    'RCPT TO:<alice@example.com>' QUIT)
	[ "$(codes)" = "220 250 250 552 250 221" ]
	[ "$(reply 4)" = "552 5.2.2 Message exceeds the mailbox's whole limit" ]
}

# Grace: an accepted recipient gets its message

@test "without SIZE=, a message that ends over the limit is delivered (grace), and the next RCPT gets 452" {
	deliver alice@example.com one
	s1=$(size_of alice@example.com one)
	big=$(chars 900 x)
	run smtp -q "$((s1 + 10))" <<EOF
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
DATA
Subject: two

$big
.
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
QUIT
EOF
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 250 250 250 354 250 250 452 221" ]
	[[ "$(reply 6)" == "250 2.0.0 Ok: delivered as "* ]]
	[ "$(reply 8)" = "452 4.2.2 Mailbox full, try again later" ]
	[ "$(count alice@example.com)" -eq 2 ]
	s2=$(size_of alice@example.com two)
	[ "$s2" -gt 910 ]
	[ "$((s1 + s2))" -gt "$((s1 + 10))" ]
	# The first RCPT made the file (a limit now applies), the delivery
	# added its line.
	[ "$(cat "$(mdsize alice@example.com)")" = "$(printf '\n%s 1\n%s 1' "$s1" "$s2")" ]
}

@test "a SIZE= that said less than the message is still delivered once accepted" {
	run smtp -q 300 <<EOF
EHLO client.test
MAIL FROM:<sender@example.net> SIZE=10
RCPT TO:<alice@example.com>
DATA
Subject: larger than it said

$(chars 500 y)
.
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 354 250 221" ]
	# It and the notice of its crossing 90%.
	[ "$(count alice@example.com)" -eq 2 ]
	[ "$(notices alice@example.com)" -eq 1 ]
	[ "$(size_of alice@example.com 'larger than it said')" -gt 500 ]
	run smtp -q 300 < <(rcpt_with_size 1)
	[ "$(codes)" = "220 250 250 452 250 221" ]
}

# Lists

# bats test_tags=slow
@test "a list with a member whose mailbox is full gets 452 4.2.2 for the whole RCPT: nobody gets it, the sender is told" {
	printf 'team@example.com: alice@example.com, carol@example.org\n' >"$T/aliases"
	quota_file alice@example.com '1000S\n1000 3\n'
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<team@example.com>
RCPT TO:<dave@example.org>
DATA
Subject: to the team

hello
.
QUIT
EOF
	[ "$status" -eq 0 ]
	[ "$(codes)" = "220 250 250 452 250 354 250 221" ]
	[ "$(reply 4)" = "452 4.2.2 Mailbox of a list member full, try again later" ]
	[ "$(count alice@example.com)" -eq 0 ]
	[ "$(count carol@example.org)" -eq 0 ]
	[ "$(count dave@example.org)" -eq 1 ]
	# Room again: the retry reaches every member.
	quota_file alice@example.com '1000S\n0 0\n'
	deliver team@example.com retry
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$(count carol@example.org)" -eq 1 ]
}

@test "a list with a member whose whole limit is below SIZE= gets 552 5.2.2 for the whole RCPT" {
	printf 'team@example.com: alice@example.com, carol@example.org\n' >"$T/aliases"
	quota_file carol@example.org '500S\n0 0\n'
	run smtp < <(printf '%s\n' 'EHLO client.test' \
	    'MAIL FROM:<sender@example.net> SIZE=501' 'RCPT TO:<team@example.com>' \
	    RSET 'MAIL FROM:<sender@example.net> SIZE=500' \
	    'RCPT TO:<team@example.com>' QUIT)
	[ "$(codes)" = "220 250 250 552 250 250 250 221" ]
	[ "$(reply 4)" = "552 5.2.2 Message exceeds the mailbox's whole limit" ]
}

# maildirsize, line by line

# bats test_tags=slow
@test "maildirsize gets a line per delivery and a negative one at POP3 QUIT; room is free at once" {
	deliver alice@example.com one
	deliver alice@example.com two
	s1=$(size_of alice@example.com one)
	s2=$(size_of alice@example.com two)
	run mq set alice@example.com $((s1 + s2))
	[ "$status" -eq 0 ]
	[ "$(cat "$(mdsize alice@example.com)")" = "$(printf '%sS\n%s 2' $((s1 + s2)) $((s1 + s2)))" ]
	run smtp < <(rcpt_with_size 1)
	[ "$(codes)" = "220 250 250 452 250 221" ]
	run pop3 <<'EOF'
USER alice@example.com
PASS alicepw
DELE 1
QUIT
EOF
	[ "$(status)" = "+OK +OK +OK +OK +OK" ]
	[ "$(count alice@example.com)" -eq 1 ]
	# Which one is left says which size was taken off.
	if grep -qx 'Subject: two' "$(message_file alice@example.com 1)"; then
		gone=$s1
	else
		gone=$s2
	fi
	[ "$(cat "$(mdsize alice@example.com)")" = "$(printf '%sS\n%s 2\n-%s -1' $((s1 + s2)) $((s1 + s2)) "$gone")" ]
	deliver alice@example.com three
	s3=$(size_of alice@example.com three)
	# It crossed 90%, so the notice came after it, and is counted too.
	[ "$(notices alice@example.com)" -eq 1 ]
	sn=$(stat -c %s "$(grep -l '^Auto-Submitted: auto-generated$' "$(maildir alice@example.com)"/new/*)")
	[ "$(cat "$(mdsize alice@example.com)")" = "$(printf '%sS\n%s 2\n-%s -1\n%s 1\n%s 1' $((s1 + s2)) $((s1 + s2)) "$gone" "$s3" "$sn")" ]
	[ "$(used alice@example.com)" -eq $((s1 + s2 - gone + s3 + sn)) ]
}

@test "RSET and a QUIT with nothing deleted add no line" {
	deliver alice@example.com one
	run mq set alice@example.com 10K
	before=$(cat "$(mdsize alice@example.com)")
	run pop3 <<'EOF'
USER alice@example.com
PASS alicepw
DELE 1
RSET
QUIT
EOF
	[ "$(status)" = "+OK +OK +OK +OK +OK +OK" ]
	[ "$(cat "$(mdsize alice@example.com)")" = "$before" ]
	[ "$(count alice@example.com)" -eq 1 ]
}

@test "a mailbox without a limit gets no maildirsize; a delivery to one without the file adds none" {
	deliver alice@example.com one
	deliver alice@example.com two
	[ ! -e "$(mdsize alice@example.com)" ]
	run mq get alice@example.com
	[ ! -e "$(mdsize alice@example.com)" ]
}

@test "deletion takes off the S= size of the name, as recalculation counts it" {
	# Another agent's file whose S= is not its size on disk (Dovecot's
	# zlib plugin names compressed files with the size unpacked).
	printf 'Subject: packed\n\nx\n' |
	    pop3_drop alice@example.com new "1700000000.M1P1.other.test,S=5000,W=5100" >/dev/null
	run mq set alice@example.com 10000
	[ "$(cat "$(mdsize alice@example.com)")" = "$(printf '10000S\n5000 1')" ]
	run pop3 <<'EOF'
USER alice@example.com
PASS alicepw
DELE 1
QUIT
EOF
	[ "$(status)" = "+OK +OK +OK +OK +OK" ]
	[ "$(count alice@example.com)" -eq 0 ]
	[ "$(cat "$(mdsize alice@example.com)")" = "$(printf '10000S\n5000 1\n-5000 -1')" ]
}

# Recalculation

@test "a missing maildirsize is made from the messages at RCPT" {
	deliver alice@example.com one
	deliver alice@example.com two
	u=$(used alice@example.com)
	run smtp -q 1M < <(rcpt_with_size 1)
	[ "$(codes)" = "220 250 250 250 250 221" ]
	[ "$(cat "$(mdsize alice@example.com)")" = "$(printf '\n%s 2' "$u")" ]
	[ -z "$(tmp_files)" ]
}

# bats test_tags=slow
@test "a maildirsize that does not parse is made again, its limit kept" {
	deliver alice@example.com one
	u=$(used alice@example.com)
	local bad
	for bad in '5000S\ngarbage\n' '5000S\n12\n' '5000S\n-9999 -1\n' '5000S\n100 -5\n' \
	    '5000S\n9223372036854775807 1\n9223372036854775807 1\n' \
	    '5000S\n1 9223372036854775807\n1 9223372036854775807\n'; do
		quota_file alice@example.com "$bad"
		run smtp < <(rcpt_with_size 1)
		[ "$(codes)" = "220 250 250 250 250 221" ]
		[ "$(cat "$(mdsize alice@example.com)")" = "$(printf '5000S\n%s 1' "$u")" ]
	done
}

# bats test_tags=slow
@test "a maildirsize whose first line does not parse is made again without a limit of its own" {
	deliver alice@example.com one
	u=$(used alice@example.com)
	local bad
	for bad in 'lots\n999999 9\n' '100X\n999999 9\n' '100S;5C\n999999 9\n' 'no newline at all'; do
		quota_file alice@example.com "$bad"
		run smtp -q 1M < <(rcpt_with_size 1)
		[ "$(codes)" = "220 250 250 250 250 221" ]
		[ "$(cat "$(mdsize alice@example.com)")" = "$(printf '\n%s 1' "$u")" ]
	done
}

# bats test_tags=slow
@test "a maildirsize past 5120 octets is made again, two lines" {
	deliver alice@example.com one
	u=$(used alice@example.com)
	{
		printf '100000S\n'
		for i in $(seq 1 1300); do printf '1 0\n'; done
	} >"$(mdsize alice@example.com)"
	own "$(mdsize alice@example.com)"
	[ "$(stat -c %s "$(mdsize alice@example.com)")" -gt 5120 ]
	run smtp < <(rcpt_with_size 1)
	[ "$(codes)" = "220 250 250 250 250 221" ]
	[ "$(cat "$(mdsize alice@example.com)")" = "$(printf '100000S\n%s 1' "$u")" ]
}

# bats test_tags=slow
@test "a maildirsize of exactly 5120 octets is kept as it is" {
	deliver alice@example.com one
	{
		printf '100000S\n'		# 8 octets
		for i in $(seq 1 1278); do printf '1 0\n'; done
	} >"$(mdsize alice@example.com)"
	own "$(mdsize alice@example.com)"
	[ "$(stat -c %s "$(mdsize alice@example.com)")" -eq 5120 ]
	cp "$(mdsize alice@example.com)" "$T/before"
	run smtp < <(rcpt_with_size 1)
	[ "$(codes)" = "220 250 250 250 250 221" ]
	cmp "$T/before" "$(mdsize alice@example.com)"
}

@test "a stale maildirsize that says over is recalculated; a fresh one is believed" {
	deliver alice@example.com one
	u=$(used alice@example.com)
	# Over, fresh: believed.
	quota_file alice@example.com '1000S\n5000 4\n'
	run smtp < <(rcpt_with_size 1)
	[ "$(codes)" = "220 250 250 452 250 221" ]
	[ "$(cat "$(mdsize alice@example.com)")" = "$(printf '1000S\n5000 4')" ]
	# Over, older than 15 minutes: another program may have removed
	# messages, so the messages are counted again.
	touch -d '16 minutes ago' "$(mdsize alice@example.com)"
	run smtp < <(rcpt_with_size 1)
	[ "$(codes)" = "220 250 250 250 250 221" ]
	[ "$(cat "$(mdsize alice@example.com)")" = "$(printf '1000S\n%s 1' "$u")" ]
}

@test "a stale maildirsize that says under is kept as it is" {
	deliver alice@example.com one
	quota_file alice@example.com '100000S\n7 1\n'
	touch -d '1 hour ago' "$(mdsize alice@example.com)"
	run smtp < <(rcpt_with_size 1)
	[ "$(codes)" = "220 250 250 250 250 221" ]
	[ "$(cat "$(mdsize alice@example.com)")" = "$(printf '100000S\n7 1')" ]
}

# bats test_tags=slow
@test "a message removed by hand is caught up with when the stale file says full" {
	deliver alice@example.com one
	deliver alice@example.com two
	s1=$(size_of alice@example.com one)
	s2=$(size_of alice@example.com two)
	run mq set alice@example.com $((s1 + s2))
	run smtp < <(rcpt_with_size 0)
	[ "$(codes)" = "220 250 250 452 250 221" ]
	rm "$(message_file alice@example.com 1)"
	left=$(used alice@example.com)
	touch -d '20 minutes ago' "$(mdsize alice@example.com)"
	run smtp < <(rcpt_with_size 0)
	[ "$(codes)" = "220 250 250 250 250 221" ]
	[ "$(cat "$(mdsize alice@example.com)")" = "$(printf '%sS\n%s 1' $((s1 + s2)) "$left")" ]
}

# The count limit

# bats test_tags=slow
@test "NNNC limits the messages: 452 4.2.2 at the limit, room again after a deletion" {
	quota_file alice@example.com '100000S,2C\n'
	deliver alice@example.com one
	deliver alice@example.com two
	run smtp < <(rcpt_with_size 1)
	[ "$(codes)" = "220 250 250 452 250 221" ]
	[ "$(reply 4)" = "452 4.2.2 Mailbox full, try again later" ]
	s1=$(size_of alice@example.com one)
	s2=$(size_of alice@example.com two)
	run pop3 < <(printf '%s\n' 'USER alice@example.com' 'PASS alicepw' 'DELE 2' QUIT)
	[ "$(status)" = "+OK +OK +OK +OK +OK" ]
	run smtp < <(rcpt_with_size 1)
	[ "$(codes)" = "220 250 250 250 250 221" ]
	gone=$((s1 + s2 - $(used alice@example.com)))
	[ "$gone" -eq "$s1" ] || [ "$gone" -eq "$s2" ]
	[ "$(cat "$(mdsize alice@example.com)")" = "$(printf '100000S,2C\n%s 1\n%s 1\n-%s -1' "$s1" "$s2" "$gone")" ]
}

# bats test_tags=slow
@test "a count limit alone (NNNC, either order with NNNS) is understood" {
	local def
	for def in '3C' '3C,100000S' '0S,3C'; do
		quota_file alice@example.com "$def\n0 2\n"
		run smtp < <(rcpt_with_size 1)
		[ "$(codes)" = "220 250 250 250 250 221" ]
		quota_file alice@example.com "$def\n0 3\n"
		run smtp < <(rcpt_with_size 1)
		[ "$(codes)" = "220 250 250 452 250 221" ]
	done
}

# The notice at 90%

# bats test_tags=slow
@test "crossing 90% leaves one notice from postmaster, once per crossing" {
	# 100000 octets, of which 89999 used: the next message crosses 90000.
	quota_file alice@example.com '100000S\n89999 0\n'
	deliver alice@example.com one
	[ "$(count alice@example.com)" -eq 2 ]
	[ "$(notices alice@example.com)" -eq 1 ]
	n=$(grep -l '^Auto-Submitted: auto-generated$' "$(maildir alice@example.com)"/new/*)
	s1=$(size_of alice@example.com one)
	sn=$(stat -c %s "$n")
	after=$((89999 + s1))
	[ "$(sed -n 1p "$n")" = "Return-Path: <>" ]
	[ "$(grep -c '^From: ' "$n")" -eq 1 ]
	grep -qx 'From: Mail system <alice@example.com>' "$n"
	grep -qx 'To: <alice@example.com>' "$n"
	grep -qx 'Delivered-To: alice@example.com' "$n"
	grep -qx "Subject: Your mailbox is $((after / 1000))% full" "$n"
	grep -qx "Your mailbox alice@example.com now holds $(awk -v v="$after" 'BEGIN { printf "%.1f KB", v / 1024 }') of its limit of 97.7 KB." "$n"
	# The notice is counted like any message.
	[ "$(cat "$(mdsize alice@example.com)")" = "$(printf '100000S\n89999 0\n%s 1\n%s 1' "$s1" "$sn")" ]
	# Past 90% already: no second notice.
	deliver alice@example.com two
	[ "$(count alice@example.com)" -eq 3 ]
	[ "$(notices alice@example.com)" -eq 1 ]
	# Below 90% again, then across again: a new notice, one.
	run pop3 < <(printf '%s\n' 'USER alice@example.com' 'PASS alicepw' 'DELE 1' 'DELE 2' 'DELE 3' QUIT)
	[ "$(status)" = "+OK +OK +OK +OK +OK +OK +OK" ]
	[ "$(count alice@example.com)" -eq 0 ]
	deliver alice@example.com three
	[ "$(count alice@example.com)" -eq 2 ]
	[ "$(notices alice@example.com)" -eq 1 ]
	deliver alice@example.com four
	[ "$(count alice@example.com)" -eq 3 ]
	[ "$(notices alice@example.com)" -eq 1 ]
}

@test "a mailbox at 90% already gets no notice; one under gets none either" {
	quota_file alice@example.com '100000S\n90000 0\n'
	deliver alice@example.com one
	[ "$(count alice@example.com)" -eq 1 ]
	[ "$(notices alice@example.com)" -eq 0 ]
	quota_file carol@example.org '100000S\n0 0\n'
	deliver carol@example.org one
	[ "$(count carol@example.org)" -eq 1 ]
	[ "$(notices carol@example.org)" -eq 0 ]
}

@test "the notice comes from -p's postmaster, and under the default limit -q too" {
	# 90% of 1050 is 945.
	quota_file carol@example.org '\n944 1\n'
	deliver carol@example.org one -q 1050 -p dave@example.org
	[ "$(count carol@example.org)" -eq 2 ]
	[ "$(notices carol@example.org)" -eq 1 ]
	n=$(grep -l '^Auto-Submitted: auto-generated$' "$(maildir carol@example.org)"/new/*)
	grep -qx 'From: Mail system <dave@example.org>' "$n"
	# The share is of the whole limit, rounded down.
	after=$((944 + $(size_of carol@example.org one)))
	grep -qx "Subject: Your mailbox is $((after * 100 / 1050))% full" "$n"
	[ "$(count dave@example.org)" -eq 0 ]
}

@test "each recipient of one message over 90% gets its own notice" {
	quota_file alice@example.com '10000S\n8999 0\n'
	quota_file carol@example.org '10000S\n100 0\n'
	quota_file dave@example.org '10000S\n8999 0\n'
	run smtp <<'EOF'
HELO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
RCPT TO:<carol@example.org>
RCPT TO:<dave@example.org>
DATA
Subject: three of us

hi
.
QUIT
EOF
	[ "$(codes)" = "220 250 250 250 250 250 354 250 221" ]
	[ "$(notices alice@example.com)" -eq 1 ]
	[ "$(notices carol@example.org)" -eq 0 ]
	[ "$(notices dave@example.org)" -eq 1 ]
	grep -qx 'To: <dave@example.org>' "$(grep -l '^Auto-Submitted:' "$(maildir dave@example.org)"/new/*)"
}

# mailquota(8)

HEADER='address                                  used        limit     % messages  limit from'

# three_boxes: alice with 150 octets in two messages, carol with 30 in
# one, in files whose S= is their size.
three_boxes() {
	printf '%099d\n' 0 | pop3_drop alice@example.com >/dev/null
	printf '%049d\n' 0 | pop3_drop alice@example.com cur >/dev/null
	printf '%029d\n' 0 | pop3_drop carol@example.org >/dev/null
}

@test "mailquota lists every user, in the users file's order and spelling" {
	three_boxes
	run mq
	[ "$status" -eq 0 ]
	[ "$output" = "$HEADER
alice@example.com                         150            0     -        2  none
Bob.Smith@Example.COM                       0            0     -        0  none
carol@example.org                          30            0     -        1  none
dave@example.org                            0            0     -        0  none
erin@example.net                            0            0     -        0  none" ]
	[ ! -s "$T/mq.err" ]
	# No limit: nothing is made.
	[ ! -e "$(mdsize alice@example.com)" ]
	[ ! -e "$(maildir Bob.Smith@Example.COM)" ]
}

# bats test_tags=slow
@test "mailquota -q shows the default limit, and get makes the file of a mailbox under it" {
	three_boxes
	run mq -q 1K get
	[ "$status" -eq 0 ]
	[ "$output" = "$HEADER
alice@example.com                         150         1024   14%        2  default
Bob.Smith@Example.COM                       0         1024    0%        0  default
carol@example.org                          30         1024    2%        1  default
dave@example.org                            0         1024    0%        0  default
erin@example.net                            0         1024    0%        0  default" ]
	[ "$(cat "$(mdsize alice@example.com)")" = "$(printf '\n150 2')" ]
	[ "$(cat "$(mdsize carol@example.org)")" = "$(printf '\n30 1')" ]
	# A mailbox not made yet is not made for its quota.
	[ ! -e "$(maildir dave@example.org)" ]
}

@test "mailquota get ADDRESS shows those users, found without regard to case" {
	three_boxes
	run mq -q 1M get CAROL@example.org bob.smith@example.com
	[ "$status" -eq 0 ]
	[ "$output" = "$HEADER
carol@example.org                          30      1048576    0%        1  default
Bob.Smith@Example.COM                       0      1048576    0%        0  default" ]
	run mq alice@example.com
	[ "$status" -eq 0 ]
	[ "$output" = "$HEADER
alice@example.com                         150            0     -        2  none" ]
}

@test "mailquota get of an unknown user says so and exits 100; the others are still shown" {
	three_boxes
	run mq get nobody@example.com alice@example.com
	[ "$status" -eq 100 ]
	[ "$output" = "$HEADER
alice@example.com                         150            0     -        2  none" ]
	[ "$(cat "$T/mq.err")" = "mailquota: no such user: nobody@example.com" ]
	[ ! -e "$STORE/nobody@example.com" ]
}

# bats test_tags=slow
@test "mailquota set gives a limit of its own, none, or the default back" {
	three_boxes
	run mq -q 1K set alice@example.com 2K
	[ "$status" -eq 0 ]
	[ "$output" = "alice@example.com                         150         2048    7%        2  own" ]
	[ "$(cat "$(mdsize alice@example.com)")" = "$(printf '2048S\n150 2')" ]
	run mq -q 1K
	[ "$(printf '%s\n' "$output" | sed -n 2p)" = "alice@example.com                         150         2048    7%        2  own" ]
	# The handlers read it at the next RCPT.
	run smtp -q 1K < <(rcpt_with_size 1898 1899)
	[ "$(codes)" = "220 250 250 250 250 250 452 250 221" ]
	run mq -q 1K set alice@example.com none
	[ "$status" -eq 0 ]
	[ "$output" = "alice@example.com                         150            0     -        2  own (none)" ]
	[ "$(cat "$(mdsize alice@example.com)")" = "$(printf '0S\n150 2')" ]
	run smtp -q 1K < <(rcpt_with_size 5000)
	[ "$(codes)" = "220 250 250 250 250 221" ]
	run mq -q 1K set ALICE@EXAMPLE.COM default
	[ "$status" -eq 0 ]
	[ "$output" = "alice@example.com                         150         1024   14%        2  default" ]
	[ "$(cat "$(mdsize alice@example.com)")" = "$(printf '\n150 2')" ]
	run smtp -q 1K < <(rcpt_with_size 874 875)
	[ "$(codes)" = "220 250 250 250 250 250 452 250 221" ]
	run mq set alice@example.com 3M
	[ "$output" = "alice@example.com                         150      3145728    0%        2  own" ]
	run mq set alice@example.com 1G
	[ "$output" = "alice@example.com                         150   1073741824    0%        2  own" ]
	run mq set alice@example.com 777
	[ "$output" = "alice@example.com                         150          777   19%        2  own" ]
	[ ! -s "$T/mq.err" ]
}

# bats test_tags=slow
@test "mailquota set counts the usage again, and makes a mailbox not made yet" {
	three_boxes
	quota_file alice@example.com '\n99999 99\n'
	run mq set alice@example.com 1M
	[ "$status" -eq 0 ]
	[ "$(cat "$(mdsize alice@example.com)")" = "$(printf '1048576S\n150 2')" ]
	run mq set dave@example.org 1K
	[ "$status" -eq 0 ]
	[ "$output" = "dave@example.org                            0         1024    0%        0  own" ]
	[ "$(cat "$(mdsize dave@example.org)")" = "$(printf '1024S\n0 0')" ]
	[ -z "$(tmp_files)" ]
}

# bats test_tags=slow
@test "mailquota set refuses an unknown user, a bad size and missing words, exit 100, nothing changed" {
	three_boxes
	run mq set alice@example.com 2K
	cp "$(mdsize alice@example.com)" "$T/before"
	run mq set nobody@example.com 1K
	[ "$status" -eq 100 ]
	[ "$output" = "" ]
	[ "$(cat "$T/mq.err")" = "mailquota: fatal: no such user: nobody@example.com" ]
	[ ! -e "$STORE/nobody@example.com" ]
	local v
	for v in 10X 1.5K -1 '' k 5KB; do
		run mq set alice@example.com "$v"
		[ "$status" -eq 100 ]
		[ "$output" = "" ]
		[ "$(cat "$T/mq.err")" = "mailquota: set needs a size in octets, such as 104857600, 100M or 1G: $v (see --help)" ]
	done
	run mq set alice@example.com 1048577G
	[ "$status" -eq 100 ]
	[ "$(cat "$T/mq.err")" = "mailquota: set is too large: 1048577G (see --help)" ]
	run mq set alice@example.com
	[ "$status" -eq 100 ]
	[ "$(cat "$T/mq.err")" = "mailquota: set needs ADDRESS and SIZE, none or default (see --help)" ]
	run mq set alice@example.com 1K extra
	[ "$status" -eq 100 ]
	[ "$(cat "$T/mq.err")" = "mailquota: set needs ADDRESS and SIZE, none or default (see --help)" ]
	cmp "$T/before" "$(mdsize alice@example.com)"
}

@test "mailquota refuses a bad -q, an unknown option and a missing users file, exit 100" {
	run mq -q 12Q
	[ "$status" -eq 100 ]
	[ "$output" = "" ]
	[ "$(cat "$T/mq.err")" = "mailquota: -q needs a size in octets, such as 104857600, 100M or 1G: 12Q (see --help)" ]
	run mq -x
	[ "$status" -eq 100 ]
	[ "$(cat "$T/mq.err")" = "mailquota: unknown option or missing value: -x (see --help)" ]
	run timeout 30 "$REAL_BIN/mailquota" -u "$T/none.txt" -d "$STORE"
	[ "$status" -eq 100 ]
	[ "$output" = "mailquota: fatal: unable to read users file $T/none.txt: No such file or directory" ]
}

# bats test_tags=slow
@test "mailquota exits 111 when a quota cannot be read, for all users or one" {
	three_boxes
	mkdir "$(mdsize alice@example.com)"
	own "$(mdsize alice@example.com)"
	run mq -q 1K
	[ "$status" -eq 111 ]
	[ "$(printf '%s\n' "$output" | sed -n 1p)" = "$HEADER" ]
	[ "$(printf '%s\n' "$output" | grep -c '^alice')" -eq 0 ]
	[ "$(printf '%s\n' "$output" | grep -c '^carol@example.org  ')" -eq 1 ]
	[ "$(cat "$T/mq.err")" = "mailquota: alice@example.com: cannot read its quota: Is a directory" ]
	run mq -q 1K get alice@example.com
	[ "$status" -eq 111 ]
	[ "$output" = "$HEADER" ]
	[ "$(cat "$T/mq.err")" = "mailquota: alice@example.com: cannot read its quota: Is a directory" ]
}

# Dovecot

# dovecot_quota_up ADDRESS: a private Dovecot (lib/dovecot.bash) with
# the maildir quota backend and no limits of its own, so that it takes
# them from maildirsize, whose only user "test" is the Maildir of ADDRESS
# in the store itself (not a copy), $RUN_AS's as the handlers made it.
dovecot_quota_up() {
	dovecot_need
	local uid gid
	uid=$(id -u "$RUN_AS")
	gid=$(id -g "$RUN_AS")
	mkdir -p "$T/dchome"
	chown "$uid:$gid" "$T/dchome"
	dovecot_start "maildir:$(maildir "$1")" "$uid" "$gid" "$T/dchome" \
	    "$(printf 'mail_plugins = quota\nplugin {\n  quota = maildir:User quota\n}')"
}

teardown() {
	dovecot_stop
	if [ -n "${PIDS:-}" ]; then
		kill $PIDS 2>/dev/null || true
		wait $PIDS 2>/dev/null || true
	fi
	rm -rf "$T"
}

# bats test_tags=slow
@test "Dovecot's maildir quota reads the usage and limit mailquota shows, and recalculates the same" {
	deliver alice@example.com one
	deliver alice@example.com two
	run mq set alice@example.com 10K
	[ "$status" -eq 0 ]
	deliver alice@example.com three
	deliver alice@example.com four
	u=$(used alice@example.com)
	[ "$(cat "$(mdsize alice@example.com)" | awk 'NR > 1 { s += $1; c += $2 } END { print s, c }')" = "$u 4" ]
	run mq get alice@example.com
	[ "$status" -eq 0 ]
	ours=$(printf '%s\n' "$output" | sed -n 2p)
	[ "$ours" = "$(printf '%-32s %12s %12s %5s %8s  %s' alice@example.com "$u" 10240 "$((u * 100 / 10240))%" 4 own)" ]
	dovecot_quota_up alice@example.com
	# doveadm shows storage in kilobytes, rounded up.
	run doveadm_ -f tab quota get -u test
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'Quota name\tType\tValue\tLimit\t%%\nUser quota\tSTORAGE\t%s\t10\t%s\nUser quota\tMESSAGE\t4\t-\t0' \
	    $(((u + 1023) / 1024)) $(((u + 1023) / 1024 * 100 / 10)))" ]
	# Dovecot counts the messages itself and writes the file: the same
	# octets, the same limit, and mailquota reads what it wrote.
	run doveadm_ quota recalc -u test
	[ "$status" -eq 0 ]
	[ "$(cat "$(mdsize alice@example.com)")" = "$(printf '10240S\n%s 4' "$u")" ]
	run mq get alice@example.com
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | sed -n 2p)" = "$ours" ]
	# And the handler goes on counting in the file Dovecot wrote.
	deliver alice@example.com five
	run doveadm_ -f tab quota get -u test
	[ "$(printf '%s\n' "$output" | sed -n 3p)" = "$(printf 'User quota\tMESSAGE\t5\t-\t0')" ]
	u5=$(used alice@example.com)
	[ "$(awk 'NR > 1 { s += $1; c += $2 } END { print s, c }' "$(mdsize alice@example.com)")" = "$u5 5" ]
	! grep -q 'Error\|Panic\|Fatal' "$T/dovecot.log"
}

# bats test_tags=slow
@test "Dovecot reads a count limit (NNNS,NNNC) the handler keeps too" {
	quota_file alice@example.com '10240S,3C\n'
	deliver alice@example.com one
	deliver alice@example.com two
	u=$(used alice@example.com)
	dovecot_quota_up alice@example.com
	run doveadm_ -f tab quota get -u test
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'Quota name\tType\tValue\tLimit\t%%\nUser quota\tSTORAGE\t%s\t10\t%s\nUser quota\tMESSAGE\t2\t3\t66' \
	    $(((u + 1023) / 1024)) $(((u + 1023) / 1024 * 100 / 10)))" ]
	deliver alice@example.com three
	run doveadm_ -f tab quota get -u test
	[ "$(printf '%s\n' "$output" | sed -n 3p)" = "$(printf 'User quota\tMESSAGE\t3\t3\t100')" ]
	run smtp < <(rcpt_with_size 1)
	[ "$(codes)" = "220 250 250 452 250 221" ]
}
