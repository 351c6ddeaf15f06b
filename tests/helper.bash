# Shared setup for the bats suites: a fresh users file and store for every
# test, handlers run under timeout, and small readers for replies and the
# store.  BIN names the directory of the binaries under test (the sanitizer
# build sets it); it defaults to the top of the tree.

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
BIN=${BIN:-$TOP}
case $BIN in /*) ;; *) BIN=$TOP/$BIN ;; esac

# Passwords of the test users.  carol's is stored as a SHA-512 crypt hash
# of "carolpw", dave's as a yescrypt hash of "davepw",
# erin's as a bcrypt hash of "erinpw".
setup() {
	T=$(mktemp -d "${BATS_TMPDIR:-/tmp}/mailtest.XXXXXX")
	USERS=$T/users.txt
	STORE=$T/mail.store
	cat >"$USERS" <<'USERS'
# test users
alice@example.com alicepw
Bob.Smith@Example.COM bobpw
carol@example.org $6$saltsalt$sLdNfTiWnhQFG.mTcbFNokHNSMlo//VjOnMla6SZBdunP4My1YsZ7PUzm1dAf/bfu8qtBDQQscrgX3FkTWsML0
dave@example.org $y$j9T$ObN5ZPs4AzuKsdMAJn6pI/$fj2lrP/.sgoy7/JTFgF3uty1vEsiV.UuSXAd08ef1c.
erin@example.net $2b$05$abcdefghijklmnopqrstuuKIjaWqwQuO59RI56ZFUBouiW0yS6CjK
USERS
	mkdir -p "$STORE"
}

teardown() {
	if [ -n "${PIDS:-}" ]; then
		kill $PIDS 2>/dev/null || true
		wait $PIDS 2>/dev/null || true
	fi
	rm -rf "$T"
}

# crlf: turn the LF-ended script on stdin into CRLF-ended wire lines.
crlf() {
	sed 's/$/\r/'
}

# smtp [OPTION...]: pipe the script on stdin, CRLF-ended, through one SMTP
# session; extra options go to the handler.
smtp() {
	crlf | smtp_raw "$@"
}

# smtp_raw [OPTION...]: pipe stdin through one SMTP session as it is.
smtp_raw() {
	timeout 30 "$BIN/smtp-handler" -u "$USERS" -d "$STORE" -n mx.test "$@"
}

# pop3 [OPTION...] and pop3_raw: the same for POP3.
pop3() {
	crlf | pop3_raw "$@"
}

pop3_raw() {
	timeout 30 "$BIN/pop3-handler" -u "$USERS" -d "$STORE" -n mx.test "$@"
}

# codes: the code of every final reply line in $output (SMTP), e.g.
# "220 250 250 221"; the continuation lines of a multi-line reply are left
# out.
codes() {
	printf '%s\n' "$output" | tr -d '\r' | sed -n 's/^\([0-9][0-9][0-9]\) .*/\1/p; s/^\([0-9][0-9][0-9]\)$/\1/p' | paste -sd' ' -
}

# status: the status of every POP3 reply line in $output that starts with
# +OK or -ERR, e.g. "+OK +OK -ERR +OK".
status() {
	printf '%s\n' "$output" | tr -d '\r' | sed -n 's/^\(+OK\|-ERR\).*/\1/p' | paste -sd' ' -
}

# maildir ADDRESS: the Maildir of ADDRESS as spelled in the users file.
maildir() {
	printf '%s/%s' "$STORE" "$1"
}

# messages ADDRESS: the file names in the new/ and cur/ of ADDRESS, one a
# line, oldest first by name.
messages() {
	local d
	d=$(maildir "$1")
	{ ls "$d/new" "$d/cur" 2>/dev/null | grep -v '^$' | grep -v ':$' ; } | sort
}

# count ADDRESS: how many messages ADDRESS has.
count() {
	messages "$1" | grep -c . || true
}

# message_file ADDRESS [N]: the path of the Nth (default first) message.
message_file() {
	local d n name
	d=$(maildir "$1")
	n=${2:-1}
	name=$(messages "$1" | sed -n "${n}p")
	[ -n "$name" ] || return 1
	if [ -f "$d/new/$name" ]; then
		printf '%s/new/%s' "$d" "$name"
	else
		printf '%s/cur/%s' "$d" "$name"
	fi
}

# body_of FILE: a stored message without the Return-Path and Received
# lines the SMTP handler puts in front of it.
body_of() {
	awk 'NR == 1 && /^Return-Path:/ { next }
	     !done && /^Received:/ { inrcv = 1; next }
	     inrcv && /^[ \t]/ { next }
	     { inrcv = 0; done = 1; print }' "$1"
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_port PORT: wait up to 5 seconds for something to listen on PORT.
wait_port() {
	local i
	for i in $(seq 1 50); do
		if python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$1" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}
