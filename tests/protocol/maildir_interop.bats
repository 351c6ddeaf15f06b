#!/usr/bin/env bats
# The store is a standard Maildir: Dovecot, pointed at a mailbox the SMTP
# handler wrote, reads the same messages with the same sizes, and a
# message Dovecot has moved to cur/ with flags is still served by POP3
# under the same UIDL.  Needs root (Dovecot's master runs as root and
# refuses uid 0 for mail, so the mailbox is handed to nobody) and doveadm.

load ../lib/helper
load ../lib/dovecot

# dovecot_up ADDRESS: a private Dovecot (lib/dovecot.bash) whose only
# user reads a copy of the Maildir of ADDRESS, $T/dv/box, as nobody.
dovecot_up() {
	dovecot_need
	mkdir -p "$T/dv"
	cp -a "$(maildir "$1")" "$T/dv/box"
	chown -R 65534:65534 "$T/dv"
	dovecot_start "maildir:$T/dv/box" 65534 65534 "$T/dv"
}

teardown() {
	dovecot_stop
	rm -rf "$T"
}

deliver_three() {
	smtp <<'EOF2'
EHLO client.test
MAIL FROM:<sender@example.net> BODY=8BITMIME
RCPT TO:<alice@example.com>
DATA
Subject: one

plain body
.
MAIL FROM:<sender@example.net> BODY=8BITMIME
RCPT TO:<alice@example.com>
DATA
Subject: two

..a line that starts with a dot
café is 8-bit
.
MAIL FROM:<>
RCPT TO:<alice@example.com>
DATA
Subject: three
.
QUIT
EOF2
}

# bats test_tags=slow
@test "Dovecot reads each stored message byte for byte, with S= and W= as its sizes" {
	deliver_three >/dev/null
	[ "$(count alice@example.com)" -eq 3 ]
	dovecot_up alice@example.com
	for n in 1 2 3; do
		f=$(message_file alice@example.com "$n")
		name=$(basename "$f")
		run doveadm_ fetch -u test 'size.physical size.virtual' \
		    mailbox INBOX "$n"
		[ "$status" -eq 0 ]
		s=${name##*,S=}; s=${s%%,*}
		w=${name##*,W=}; w=${w%%[,:]*}
		[[ "$output" == *"size.physical: $s"* ]]
		[[ "$output" == *"size.virtual: $w"* ]]
		doveadm_ fetch -u test text mailbox INBOX "$n" |
		    sed '1{/^text:$/d}' >"$T/dovecot.$n"
		cmp "$f" "$T/dovecot.$n"
	done
}

# bats test_tags=slow
@test "a message Dovecot flagged keeps its UIDL and size in POP3" {
	deliver_three >/dev/null
	run pop3 <<'EOF2'
USER alice@example.com
PASS alicepw
UIDL
LIST
QUIT
EOF2
	before=$output
	dovecot_up alice@example.com
	doveadm_ flags add -u test '\Seen' mailbox INBOX all
	# Dovecot renames every message with its flags (":2,S").
	[ "$(ls "$T/dv/box/new" "$T/dv/box/cur" | grep -c ':2,S$')" -eq 3 ]
	# Serve the mailbox Dovecot changed.
	rm -rf "$(maildir alice@example.com)"
	cp -a "$T/dv/box" "$(maildir alice@example.com)"
	run pop3 <<'EOF2'
USER alice@example.com
PASS alicepw
UIDL
LIST
QUIT
EOF2
	[ "$output" = "$before" ]
}

@test "python's mailbox.Maildir reads the messages the handler stored" {
	deliver_three >/dev/null
	run python3 "$LIB/maildir_subjects.py" "$(maildir alice@example.com)"
	[ "$status" -eq 0 ]
	[ "$output" = "one three two" ]
}
