#!/usr/bin/env bats
# The store is a standard Maildir: Dovecot, pointed at a mailbox the SMTP
# handler wrote, reads the same messages with the same sizes, and a
# message Dovecot has moved to cur/ with flags is still served by POP3
# under the same UIDL.  Needs root (Dovecot's master runs as root and
# refuses uid 0 for mail, so the mailbox is handed to nobody) and doveadm.

load helper

# dovecot_up: a private Dovecot with no network listeners, whose only
# user reads the Maildir $T/dv/box.
dovecot_up() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	command -v doveadm >/dev/null || skip "needs doveadm (dovecot-core)"
	chmod 755 "$T"
	mkdir -p "$T/dv" "$T/dcbase" "$T/dcstate"
	cp -a "$(maildir "$1")" "$T/dv/box"
	chown -R 65534:65534 "$T/dv"
	cat >"$T/dovecot.conf" <<CONF
protocols =
ssl = no
log_path = $T/dovecot.log
base_dir = $T/dcbase
state_dir = $T/dcstate
mail_location = maildir:$T/dv/box
userdb {
  driver = static
  args = uid=65534 gid=65534 home=$T/dv
}
passdb {
  driver = static
  args = nopassword=y
}
CONF
	timeout 10 dovecot -c "$T/dovecot.conf"
	DOVECOT=1
}

doveadm_() {
	timeout 20 doveadm -c "$T/dovecot.conf" -o stats_writer_socket_path= "$@"
}

teardown() {
	if [ -n "${DOVECOT:-}" ]; then
		timeout 10 doveadm -c "$T/dovecot.conf" stop 2>/dev/null || true
	fi
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
	run python3 - "$(maildir alice@example.com)" <<'PY'
import mailbox, sys
box = mailbox.Maildir(sys.argv[1], factory=None, create=False)
subjects = sorted(m["Subject"] for m in box)
print(" ".join(subjects))
PY
	[ "$status" -eq 0 ]
	[ "$output" = "one three two" ]
}
