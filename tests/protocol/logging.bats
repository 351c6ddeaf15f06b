#!/usr/bin/env bats
# Logging: the handlers write structured lines to the journal, one
# summary per session, with peer text cleaned, and never to the client.
# A private journal socket in a mount namespace catches what they send.
# Needs root (unshare -m).

load ../lib/helper

bats_require_minimum_version 1.5.0

# journal HANDLER [OPTION...]: journal_raw (helper.bash) with the
# session on stdin made CRLF-ended.
journal() {
	crlf | journal_raw "$@"
}

# bats test_tags=slow
@test "an SMTP session logs connect, delivered and one summary with fields to the journal" {
	journal smtp-handler <<'EOF2'
EHLO client.test
MAIL FROM:<sender@example.net>
RCPT TO:<alice@example.com>
DATA
Subject: logged

body
.
QUIT
EOF2
	[ -s "$T/journal" ]
	grep -q '^MESSAGE=delivered' "$T/journal"
	grep -q '^SENDER=<sender@example.net>$' "$T/journal"
	grep -q "^MAIL_ID=$(basename "$(message_file alice@example.com)" | sed 's/,S=.*//')\$" "$T/journal"
	[ "$(grep -c '^MESSAGE=session end' "$T/journal")" -eq 1 ]
	grep -q '^RESULT=quit$' "$T/journal"
	grep -q '^MESSAGES=1$' "$T/journal"
	grep -q '^HELO=client.test$' "$T/journal"
	grep -q '^SYSLOG_IDENTIFIER=smtp-handler$' "$T/journal"
	grep -q '^SYSLOG_FACILITY=2$' "$T/journal"
	grep -q '^SESSION_ID=' "$T/journal"
	# The client saw replies only, and stderr stayed empty.
	! grep -v '^[0-9][0-9][0-9][ -]' "$T/client"
	[ ! -s "$T/stderr" ]
}

# bats test_tags=slow
@test "a POP3 session logs its summary; a failed login logs the name cleaned and capped" {
	evil=$(printf 'evil\033[2Jname%s' "$(chars 300 x)")
	printf 'USER %s\nPASS wrong\nUSER alice@example.com\nPASS alicepw\nQUIT\n' \
	    "${evil:0:240}" | journal pop3-handler
	grep -q '^MESSAGE=login failed .*user=evil?\[2Jname' "$T/journal"
	! grep -q $'\033' "$T/journal"
	line=$(grep '^MESSAGE=login failed' "$T/journal")
	[ "${#line}" -lt 300 ]
	grep -q '^USER=alice@example.com$' "$T/journal"
	grep -q '^RESULT=quit$' "$T/journal"
	grep -q '^SYSLOG_IDENTIFIER=pop3-handler$' "$T/journal"
	! grep -q 'login failed' "$T/client"
}

# bats test_tags=slow
@test "a session cut by the client logs RESULT=disconnect" {
	journal smtp-handler <<'EOF2'
EHLO client.test
EOF2
	grep -q '^RESULT=disconnect$' "$T/journal"
}
