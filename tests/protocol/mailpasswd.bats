#!/usr/bin/env bats
# mailpasswd: adding users and changing passwords in the users file.

load ../lib/helper

bats_require_minimum_version 1.5.0

login() {
	printf 'USER %s\r\nPASS %s\r\nQUIT\r\n' "$1" "$2" | pop3_raw
}

@test "mailpasswd adds a user with a yescrypt hash read from standard input" {
	run "$BIN/mailpasswd" -u "$USERS" frank@example.com <<<'frank secret'
	[ "$status" -eq 0 ]
	[[ "$output" == *"added frank@example.com"* ]]
	line=$(grep '^frank@example.com ' "$USERS")
	[[ "$line" == 'frank@example.com $y$'* ]]
	! grep -q 'frank secret' "$USERS"
	run login frank@example.com 'frank secret'
	[ "$(status)" = "+OK +OK +OK +OK" ]
}

# bats test_tags=slow
@test "mailpasswd changes a password, keeping the spelling, the other lines and the mode" {
	chmod 0604 "$USERS"
	cp "$USERS" "$T/before"
	run "$BIN/mailpasswd" -u "$USERS" BOB.SMITH@EXAMPLE.COM <<<'new pw'
	[ "$status" -eq 0 ]
	[[ "$output" == *"changed the password of"* ]]
	[ "$(stat -c %a "$USERS")" = 604 ]
	[ "$(grep -c . "$USERS")" -eq "$(grep -c . "$T/before")" ]
	grep -q '^Bob.Smith@Example.COM \$y\$' "$USERS"
	diff <(grep -v '^Bob' "$T/before") <(grep -v '^Bob' "$USERS")
	run login bob.smith@example.com bobpw
	[ "$(status)" = "+OK +OK -ERR +OK" ]
	run login bob.smith@example.com 'new pw'
	[ "$(status)" = "+OK +OK +OK +OK" ]
}

@test "mailpasswd makes a missing users file with mode 640" {
	run "$BIN/mailpasswd" -u "$T/new.txt" zoe@example.com <<<'zoe pw'
	[ "$status" -eq 0 ]
	[ "$(stat -c %a "$T/new.txt")" = 640 ]
	[ "$(grep -c . "$T/new.txt")" -eq 1 ]
}

@test "mailpasswd takes no password on the command line and refuses bad input" {
	run --separate-stderr "$BIN/mailpasswd" -u "$USERS" a@example.com pw <<<'x'
	[ "$status" -eq 100 ]
	run --separate-stderr "$BIN/mailpasswd" -u "$USERS" 'not an address' <<<'x'
	[ "$status" -eq 100 ]
	run --separate-stderr "$BIN/mailpasswd" -u "$USERS" 'a/b@example.com' <<<'x'
	[ "$status" -eq 100 ]
	run --separate-stderr "$BIN/mailpasswd" -u "$USERS" a@example.com <<<''
	[ "$status" -eq 100 ]
	run --separate-stderr "$BIN/mailpasswd" -u "$USERS" a@example.com </dev/null
	[ "$status" -eq 100 ]
	run --separate-stderr "$BIN/mailpasswd" -u "$USERS" a@example.com \
	    <<<"$(chars 300 p)"
	[ "$status" -eq 100 ]
	! grep -q '^a@example.com' "$USERS"
}

# on_tty ANSWER...: run mailpasswd for tty@example.com on a terminal,
# typing each ANSWER after each prompt; print all the terminal showed.
on_tty() {
	timeout 30 python3 "$LIB/mailpasswd_tty.py" "$BIN/mailpasswd" "$USERS" "$@"
}

# bats test_tags=slow
@test "mailpasswd on a terminal asks twice, without echo, and refuses two different passwords" {
	run on_tty one two
	[[ "$output" == *"New password:"* ]]
	[[ "$output" == *"Again:"* ]]
	[[ "$output" == *"differ"* ]]
	[[ "$output" != *one* ]]
	! grep -q '^tty@example.com' "$USERS"
	run on_tty same same
	[[ "$output" == *"added tty@example.com"* ]]
	[[ "$output" != *same* ]]
	run login tty@example.com same
	[ "$(status)" = "+OK +OK +OK +OK" ]
}
