#!/usr/bin/env bats
# The systemd units for the TLS ports: submission.socket (587, STARTTLS),
# submissions.socket (465, implicit TLS) and pop3s.socket (995, implicit
# TLS), each with its per-connection service.  make install puts them in
# DESTDIR; systemd-analyze verify and security pass them; and the command
# line of each installed service, run by systemd-socket-activate as the
# unprivileged user with a certificate where systemd's LoadCredential=
# would put it, serves real TLS clients: openssl s_client, python's
# smtplib and poplib, and curl.  As root, with systemd-nspawn and
# mmdebstrap, the units also run under a booted systemd.  Every server
# binds a loopback port from free_port.

load ../lib/helper

bats_require_minimum_version 1.5.0

UNITS="submission.socket submission@.service submissions.socket
submissions@.service pop3s.socket pop3s@.service"
SERVICES="submission@.service submissions@.service pop3s@.service"

# The test certificates, made once for the file: a root CA, an
# intermediate, and two server certificates for mx.test and 127.0.0.1
# (the second stands for a renewal), each with a chain file of the server
# certificate and the intermediate, as Let's Encrypt's fullchain.pem is.
#   ca.pem                         the root; clients trust only it
#   fullchain.pem, privkey.pem     the first certificate's chain and key
#   fullchain2.pem, privkey2.pem   the renewal's
CERTS=$BATS_FILE_TMPDIR/certs

# need COMMAND PACKAGE: skip the test, saying why, if COMMAND is missing.
need() {
	command -v "$1" >/dev/null 2>&1 ||
	    skip "$1 is not installed (Debian package: $2)"
}

# server_cert N: a key and a certificate for mx.test and 127.0.0.1 from
# the intermediate, as privkeyN.pem and fullchainN.pem ("" for the first).
server_cert() {
	local ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
	# shellcheck disable=SC2086
	openssl req -new $ec -keyout "privkey$1.pem" -out "server$1.csr" \
	    -subj "/CN=mx.test"
	openssl x509 -req -in "server$1.csr" -CA inter.pem -CAkey inter.key \
	    -CAcreateserial -days 2 -extfile server.ext -out "server$1.pem"
	cat "server$1.pem" inter.pem >"fullchain$1.pem"
}

make_certs() {
	local ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
	mkdir -p "$CERTS"
	(
		cd "$CERTS" || exit 1
		set -e
		# shellcheck disable=SC2086
		openssl req -x509 $ec -keyout ca.key -out ca.pem -days 2 \
		    -subj "/CN=Units Test Root" \
		    -addext "basicConstraints=critical,CA:TRUE" \
		    -addext "keyUsage=critical,keyCertSign,cRLSign"
		# shellcheck disable=SC2086
		openssl req -new $ec -keyout inter.key -out inter.csr \
		    -subj "/CN=Units Test Intermediate"
		printf '%s\n' "basicConstraints=critical,CA:TRUE,pathlen:0" \
		    "keyUsage=critical,keyCertSign,cRLSign" >inter.ext
		openssl x509 -req -in inter.csr -CA ca.pem -CAkey ca.key \
		    -CAcreateserial -days 2 -extfile inter.ext -out inter.pem
		printf '%s\n' "basicConstraints=CA:FALSE" \
		    "keyUsage=critical,digitalSignature" \
		    "extendedKeyUsage=serverAuth" \
		    "subjectAltName=DNS:mx.test,IP:127.0.0.1,IP:192.0.2.1" \
		    >server.ext
		server_cert ""
		server_cert 2
	) >"$CERTS/openssl.log" 2>&1
}

setup_file() {
	make_certs || {
		cat "$CERTS/openssl.log" >&2
		return 1
	}
}

# The helper's teardown, and a network namespace or a booted container
# to remove after it.
eval "$(declare -f teardown | sed '1s/^teardown/helper_teardown/')"
teardown() {
	helper_teardown
	if [ -n "${NETNS:-}" ]; then
		ip netns del "$NETNS" 2>/dev/null || true
	fi
	if [ -n "${BOOT:-}" ]; then
		stop_container
		rm -rf "$BOOT"
	fi
}

# install_root: make install into $T/root as a package would
# (PREFIX=/usr), with the programs under test as they are; ROOT names it.
# (As in launchers.bats: B names $REAL_BIN, never the wrappers in $BIN.)
install_root() {
	ROOT=$T/root
	env -u MAKEFLAGS -u MAKELEVEL make -s -C "$TOP" B="$REAL_BIN" -o all \
	    DESTDIR="$ROOT" PREFIX=/usr install >"$T/install.out" 2>&1 ||
	    { cat "$T/install.out"; return 1; }
}

# exec_start UNIT: the ExecStart= command of the installed UNIT, its
# continuation lines joined.
exec_start() {
	awk '/^ExecStart=/ { on = 1; sub(/^ExecStart=/, "") }
	     on { line = line $0; if (line !~ /\\$/) { print line; exit }
	          sub(/\\$/, " ", line) }' "$ROOT/etc/systemd/system/$1" |
	    tr -s ' \t' '  '
}

# service_command UNIT: set CMD to the installed UNIT's command as this
# test runs it: the programs installed in ROOT, this test's users file
# and store, and CREDS where systemd would have put the credentials.
# Fails if the command holds anything else for systemd to fill in.
service_command() {
	local line w
	line=$(exec_start "$1")
	CMD=()
	for w in $line; do
		case $w in
		/usr/bin/*) w=$ROOT$w ;;
		/etc/mailserver/users.txt) w=$USERS ;;
		/var/lib/mailserver) w=$STORE ;;
		'${CREDENTIALS_DIRECTORY}'/*) w=$CREDS/${w#*/} ;;
		*'$'* | *%*)
			echo "service_command: $1: unexpected word $w" >&2
			return 1 ;;
		esac
		CMD+=("$w")
	done
}

# credentials [N]: make CREDS hold tls.crt and tls.key (the first
# certificate, or renewal N) as systemd's LoadCredential= makes them:
# files of mode 0400 in a directory of 0500, owned by the user the
# service runs as (here the handlers' test user).  The files are replaced
# by rename, as systemd's are new for every instance.
credentials() {
	CREDS=$T/credentials
	mkdir -p "$CREDS"
	chmod 700 "$CREDS"
	cp "$CERTS/fullchain${1:-}.pem" "$CREDS/.tls.crt"
	cp "$CERTS/privkey${1:-}.pem" "$CREDS/.tls.key"
	chmod 400 "$CREDS/.tls.crt" "$CREDS/.tls.key"
	mv -f "$CREDS/.tls.crt" "$CREDS/tls.crt"
	mv -f "$CREDS/.tls.key" "$CREDS/tls.key"
	chmod 500 "$CREDS"
	own -R "$CREDS"
}

# serve UNIT [ADDR]: run the command of the installed service UNIT for
# every connection to ADDR (127.0.0.1) and a free port, as systemd's
# Accept=yes socket would (one process per connection, the connection on
# its standard input and output), as the handlers' test user and without
# -U, as the unit runs it as mailsrv.  PORT names the port.  In NETNS
# when that is set.
serve() {
	local runner=()
	install_root
	credentials
	service_command "$1"
	PORT=$(free_port)
	if [ -n "${NETNS:-}" ]; then
		runner=(ip netns exec "$NETNS")
	fi
	"${runner[@]}" "${AS_RUN_AS[@]}" systemd-socket-activate --inetd -a \
	    -l "${2:-127.0.0.1}:$PORT" "${CMD[@]}" \
	    </dev/null >>"$T/server.log" 2>&1 3>&- &
	PIDS="${PIDS:-} $!"
	wait_listening "$PORT" ${NETNS:+"$NETNS"}
}

# s_client [OPTION...]: openssl s_client to 127.0.0.1 PORT, checking
# the chain against ca.pem and the name mx.test, with the LF-ended script
# on stdin sent CRLF-ended; prints what the server said and the
# certificate's verification result.
s_client() {
	local out rc=0
	out=$(timeout 30 openssl s_client -connect "127.0.0.1:$PORT" \
	    -CAfile "$CERTS/ca.pem" -verify_hostname mx.test \
	    -verify_return_error -crlf -ign_eof "$@" 2>&1) || rc=$?
	printf '%s\n' "${out//$'\r'/}"
	return "$rc"
}

# lacks TEXT: fail if a line of $output is TEXT.  (A "!" before a
# command would not fail a bats test.)
lacks() {
	if printf '%s\n' "$output" | grep -qxF -- "$1"; then
		echo "unexpected line: $1" >&2
		return 1
	fi
}

# fingerprint FILE: the SHA-256 fingerprint of the first certificate in
# FILE (or, with "-", on stdin).
fingerprint() {
	if [ "$1" = - ]; then
		openssl x509 -noout -fingerprint -sha256
	else
		openssl x509 -noout -fingerprint -sha256 -in "$1"
	fi
}

# assert_tls_delivery: alice has one message, which came under TLS from
# a client logged in as alice (RFC 3848), with the right body.
assert_tls_delivery() {
	local f
	[ "$(count alice@example.com)" -eq 1 ]
	f=$(message_file alice@example.com)
	cat "$f"
	grep -q '^Return-Path: <alice@example.com>$' "$f"
	grep -Eq '^	\(using TLSv1\.[23] with cipher [A-Z0-9_-]+\)$' "$f"
	grep -q ' with ESMTPSA id ' "$f"
	[ "$(body_of "$f")" = "$(printf 'Subject: %s\n\nSent under TLS.' "$1")" ]
}

@test "make install puts the TLS units in DESTDIR with the paths filled in, and uninstall removes them" {
	install_root
	d=$ROOT/etc/systemd/system
	for u in $UNITS; do
		[ -f "$d/$u" ]
		[ "$(stat -c %a "$d/$u")" = 644 ]
	done
	run grep -l '@[A-Z_]*@' $(for u in $UNITS; do echo "$d/$u"; done)
	[ "$status" -eq 1 ]
	# The ports, one process per connection.
	grep -qx 'ListenStream=587' "$d/submission.socket"
	grep -qx 'ListenStream=465' "$d/submissions.socket"
	grep -qx 'ListenStream=995' "$d/pop3s.socket"
	for s in submission submissions pop3s; do
		grep -qx 'Accept=yes' "$d/$s.socket"
	done
	# The commands, with the credentials systemd copies for each
	# session from CONFDIR.
	[ "$(exec_start submission@.service)" = '/usr/bin/smtp-handler -S -u /etc/mailserver/users.txt -d /var/lib/mailserver -c ${CREDENTIALS_DIRECTORY}/tls.crt -k ${CREDENTIALS_DIRECTORY}/tls.key' ]
	[ "$(exec_start submissions@.service)" = '/usr/bin/smtp-handler -S -T -u /etc/mailserver/users.txt -d /var/lib/mailserver -c ${CREDENTIALS_DIRECTORY}/tls.crt -k ${CREDENTIALS_DIRECTORY}/tls.key' ]
	[ "$(exec_start pop3s@.service)" = '/usr/bin/pop3-handler -T -u /etc/mailserver/users.txt -d /var/lib/mailserver -c ${CREDENTIALS_DIRECTORY}/tls.crt -k ${CREDENTIALS_DIRECTORY}/tls.key' ]
	for u in $SERVICES; do
		[ "$(grep '^LoadCredential=' "$d/$u")" = 'LoadCredential=tls.crt:/etc/mailserver/tls.crt
LoadCredential=tls.key:/etc/mailserver/tls.key' ]
	done
	env -u MAKEFLAGS -u MAKELEVEL make -s -C "$TOP" B="$REAL_BIN" \
	    DESTDIR="$ROOT" PREFIX=/usr uninstall
	for u in $UNITS; do
		[ ! -e "$d/$u" ]
	done
}

@test "the TLS services keep every setting of smtp-handler@.service's sandbox" {
	# From "# Identity" to the system call filter: user, files,
	# privileges, network and system calls, line for line.
	sandbox() {
		sed -n '/^# Identity/,/^SystemCallErrorNumber=/p' "$1" |
		    grep -v '^#'
	}
	sandbox "$TOP/systemd/smtp-handler@.service.in" >"$T/want"
	[ "$(grep -c . "$T/want")" -gt 30 ]
	for u in $SERVICES; do
		sandbox "$TOP/systemd/$u.in" >"$T/got"
		diff "$T/want" "$T/got"
		grep -qx 'MemoryMax=256M' "$TOP/systemd/$u.in"
		grep -qx 'TasksMax=4' "$TOP/systemd/$u.in"
		grep -qx 'StandardError=journal' "$TOP/systemd/$u.in"
		grep -qx 'CollectMode=inactive-or-failed' "$TOP/systemd/$u.in"
	done
}

@test "systemd-analyze verify passes the installed TLS units with nothing on stderr" {
	need systemd-analyze systemd
	install_root
	# As launchers.bats does: the units checked inside ROOT, the targets
	# they name from the host, Documentation= among the pages installed.
	mkdir -p "$ROOT/usr/lib/systemd"
	cp -R /usr/lib/systemd/system "$ROOT/usr/lib/systemd/"
	man=--man=yes
	command -v man >/dev/null 2>&1 || man=--man=no
	status=0
	MANPATH=$ROOT/usr/share/man timeout 60 systemd-analyze verify "$man" \
	    --root="$ROOT" $UNITS >"$T/verify.out" 2>"$T/verify.err" ||
	    status=$?
	cat "$T/verify.out" "$T/verify.err"
	[ "$status" -eq 0 ]
	[ ! -s "$T/verify.err" ]
}

@test "systemd-analyze security rates the TLS services no worse than their recorded score or smtp-handler@.service's" {
	need systemd-analyze systemd
	install_root
	base=$(sed -n 's/^# Exposure: \([0-9.]*\) .*/\1/p' \
	    "$TOP/systemd/smtp-handler@.service.in")
	[ -n "$base" ]
	for u in $SERVICES; do
		want=$(sed -n 's/^# Exposure: \([0-9.]*\) .*/\1/p' \
		    "$TOP/systemd/$u.in")
		timeout 60 systemd-analyze security --offline=true \
		    --root="$ROOT" "$u" >"$T/security.out" 2>&1 || true
		got=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p' \
		    "$T/security.out")
		echo "$u: ${got:-no score}, recorded ${want:-nothing}, smtp-handler@.service $base"
		[ -n "$want" ] && [ -n "$got" ]
		awk -v got="$got" -v want="$want" -v base="$base" \
		    'BEGIN { exit !(got + 0 <= want + 0 && got + 0 <= base + 0) }'
	done
}

@test "submissions@.service's command speaks TLS from the first byte: the chain verifies, AUTH PLAIN and a delivery work, MAIL before AUTH gets 530" {
	need systemd-socket-activate systemd
	serve submissions@.service
	run s_client <<<'QUIT'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Verification: OK"* ]]
	[[ "$output" == *"Verified peername: mx.test"* ]]
	# The chain came with the certificate: depth 2 is the root.
	[[ "$output" == *"depth=2 CN = Units Test Root"* ]]
	printf '%s\n' "$output" | grep -Eq '^220 [^ ]+ ESMTP ready'
	printf '%s\n' "$output" | grep -q '^221 2.0.0 Bye'
	run timeout 60 python3 "$LIB/smtps_submission_session.py" "$PORT" \
	    "$CERTS/ca.pem"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"mail before auth: (530, b'5.7.0 Authentication required')"* ]]
	[[ "$output" == *"auth: 235 b'2.7.0 Authentication successful'"* ]]
	[[ "$output" == *"other sender: (553, b'5.7.1 Sender address is not yours')"* ]]
	[[ "$output" == *"done True"* ]]
	assert_tls_delivery 465
}

@test "submission@.service's command offers STARTTLS: openssl s_client -starttls smtp, then AUTH PLAIN and a delivery by smtplib and by curl" {
	need systemd-socket-activate systemd
	need curl curl
	serve submission@.service
	run s_client -starttls smtp <<<'EHLO client.test
QUIT'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Verification: OK"* ]]
	[[ "$output" == *"depth=2 CN = Units Test Root"* ]]
	# The EHLO after the handshake: AUTH offered, STARTTLS no more.
	printf '%s\n' "$output" | grep -qx '250-AUTH PLAIN LOGIN'
	[ -z "$(printf '%s\n' "$output" | sed '1,/^250 SMTPUTF8$/d' | grep STARTTLS)" ]
	printf '%s\n' "$output" | grep -q '^221 2.0.0 Bye'
	run timeout 60 python3 "$LIB/starttls_submission_session.py" "$PORT" \
	    "$CERTS/ca.pem"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"mail before auth: (530, b'5.7.0 Authentication required')"* ]]
	[[ "$output" == *"version: TLSv1."[23]* ]]
	# RFC 3207 4.2: the session starts over after the handshake.
	[[ "$output" == *"mail after tls, before ehlo: (503, b'5.5.1 Send HELO or EHLO first')"* ]]
	[[ "$output" == *"auth: 235 b'2.7.0 Authentication successful'"* ]]
	assert_tls_delivery 587
	# curl, as DEPLOYMENT.md shows it, with the name on the certificate.
	printf 'Subject: curl\n\nSent by curl.\n' |
	    timeout 30 curl -sS -T - --crlf --ssl-reqd --cacert "$CERTS/ca.pem" \
	    --resolve "mx.test:$PORT:127.0.0.1" --user 'alice@example.com:alicepw' \
	    --mail-from alice@example.com --mail-rcpt bob.smith@example.com \
	    "smtp://mx.test:$PORT"
	[ "$(count Bob.Smith@Example.COM)" -eq 1 ]
	f=$(message_file Bob.Smith@Example.COM)
	grep -q ' with ESMTPSA id ' "$f"
	[ "$(body_of "$f")" = "$(printf 'Subject: curl\n\nSent by curl.')" ]
}

@test "pop3s@.service's command speaks TLS from the first byte: the chain verifies, and poplib and curl log in and fetch" {
	need systemd-socket-activate systemd
	need curl curl
	printf 'MAIL FROM:<x@client.test>\nRCPT TO:<alice@example.com>\nDATA\nSubject: fetch me\n\nOver TLS.\n.\nQUIT\n' |
	    { printf 'EHLO client.test\n'; cat; } | smtp >/dev/null
	[ "$(count alice@example.com)" -eq 1 ]
	serve pop3s@.service
	run s_client <<<'CAPA
QUIT'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Verification: OK"* ]]
	[[ "$output" == *"depth=2 CN = Units Test Root"* ]]
	printf '%s\n' "$output" | grep -Eq '^\+OK [^ ]+ POP3 ready'
	# Under TLS: logins offered, STLS no more.
	printf '%s\n' "$output" | grep -qx 'USER'
	printf '%s\n' "$output" | grep -qx 'SASL PLAIN'
	lacks STLS
	printf '%s\n' "$output" | grep -q '^+OK Bye'
	run timeout 60 python3 "$LIB/pop3s_fetch_subject.py" "$PORT" "$CERTS/ca.pem"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"pass: b'+OK Maildrop has 1 messages"* ]]
	[[ "$output" == *"subject: [b'Subject: fetch me']"* ]]
	run timeout 30 curl -sS --cacert "$CERTS/ca.pem" \
	    --resolve "mx.test:$PORT:127.0.0.1" --user 'alice@example.com:alicepw' \
	    "pop3s://mx.test:$PORT/1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Over TLS."* ]]
}

@test "a renewed certificate in the credentials is served from the next connection on, with nothing restarted" {
	need systemd-socket-activate systemd
	serve pop3s@.service
	run s_client <<<'QUIT'
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | fingerprint - >"$T/first"
	[ "$(cat "$T/first")" = "$(fingerprint "$CERTS/fullchain.pem")" ]
	credentials 2
	run s_client <<<'QUIT'
	[ "$status" -eq 0 ]
	[[ "$output" == *"Verification: OK"* ]]
	printf '%s\n' "$output" | fingerprint - >"$T/second"
	[ "$(cat "$T/second")" = "$(fingerprint "$CERTS/fullchain2.pem")" ]
}

@test "submission@.service's command offers AUTH to a client on another host only after STARTTLS" {
	[ "$(id -u)" -eq 0 ] ||
	    skip "needs root for a network namespace with a non-loopback address"
	need ip iproute2
	need systemd-socket-activate systemd
	# A private network namespace whose loopback interface also holds
	# 192.0.2.1 (TEST-NET-1): a client there connecting to it is not on
	# loopback by its address, and no packet leaves the namespace.
	NETNS=unitstls-$$-${BATS_TEST_NUMBER:-0}
	ip netns add "$NETNS"
	ip netns exec "$NETNS" ip link set lo up
	ip netns exec "$NETNS" ip addr add 192.0.2.1/32 dev lo
	serve submission@.service 192.0.2.1
	run timeout 60 ip netns exec "$NETNS" python3 \
	    "$LIB/starttls_remote_auth.py" "$PORT" "$CERTS/ca.pem"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"auth offered in clear: False"* ]]
	[[ "$output" == *"auth in clear: (538, b'5.7.11 Encryption required for requested authentication mechanism')"* ]]
	[[ "$output" == *"mail in clear: (530, b'5.7.0 Authentication required')"* ]]
	[[ "$output" == *"auth offered under tls: True"* ]]
	[[ "$output" == *"auth under tls: (235, b'2.7.0 Authentication successful')"* ]]
	assert_tls_delivery remote
	grep -q '^Received: from client.test (\[192\.0\.2\.1\])$' \
	    "$(message_file alice@example.com)"
}

@test "started as root with -U, a handler reads a key only root can read, then serves as the unprivileged user" {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	need systemd-socket-activate systemd
	install_root
	mkdir -m 700 "$T/live"
	cp "$CERTS/fullchain.pem" "$CERTS/privkey.pem" "$T/live/"
	chmod 600 "$T/live/privkey.pem"
	# The user cannot read it alone.
	run "${AS_RUN_AS[@]}" "$ROOT/usr/bin/smtp-handler" --check -u "$USERS" \
	    -c "$T/live/fullchain.pem" -k "$T/live/privkey.pem"
	[ "$status" -eq 100 ]
	[[ "$output" == *"unable to load certificate"* ]]
	# As root with -U, as the listener example in listener(8) runs it.
	PORT=$(free_port)
	systemd-socket-activate --inetd -a -l "127.0.0.1:$PORT" \
	    "$ROOT/usr/bin/smtp-handler" -U "$RUN_AS" -S -T \
	    -c "$T/live/fullchain.pem" -k "$T/live/privkey.pem" \
	    -u "$USERS" -d "$STORE" </dev/null >>"$T/server.log" 2>&1 3>&- &
	PIDS="${PIDS:-} $!"
	wait_listening "$PORT"
	run s_client <<<'QUIT'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Verification: OK"* ]]
	printf '%s\n' "$output" | grep -q '^221 2.0.0 Bye'
}

@test "the man pages are clean under mandoc -Tlint and man --warnings" {
	checked=0
	for m in "$TOP"/man/*.[0-9]; do
		if command -v mandoc >/dev/null 2>&1; then
			run mandoc -Tlint -Wwarning "$m"
			echo "$output"
			[ "$status" -eq 0 ] && [ -z "$output" ]
			checked=1
		fi
		if command -v man >/dev/null 2>&1; then
			run --separate-stderr man --warnings -l "$m"
			echo "$stderr"
			[ "$status" -eq 0 ] && [ -z "$stderr" ]
			checked=1
		fi
	done
	[ "$checked" -eq 1 ] || skip "neither mandoc nor man is installed"
}

# Under a booted systemd

# stop_container: stop the container of BOOT, if it runs.
stop_container() {
	local pid i
	[ -s "$BOOT/nspawn.pid" ] || return 0
	pid=$(cat "$BOOT/nspawn.pid")
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	kill -KILL "$pid" 2>/dev/null || true
	rm -f "$BOOT/nspawn.pid"
}

# in_root COMMAND...: run COMMAND inside the booted container.
in_root() {
	timeout 30 nsenter -t "$(cat "$BOOT/leader")" -a "$@"
}

# boot_root: a minimal Debian root in BOOT with the project installed,
# Let's Encrypt's files as certbot leaves them (the key root's alone),
# CONFDIR's tls.crt and tls.key linked to them, the three TLS sockets
# enabled on loopback ports (in BOOT/NAME.port), booted in
# systemd-nspawn sharing this machine's network.  As systemd_boot.bats
# does it.
boot_root() {
	local u le sources
	BOOT=$(mktemp -d /var/tmp/unitstls.XXXXXX)
	. /etc/os-release
	sources=/etc/apt/sources.list
	[ -s /etc/apt/sources.list.d/debian.sources ] &&
	    sources=/etc/apt/sources.list.d/debian.sources
	timeout 600 mmdebstrap --quiet --variant=minbase \
	    --include=systemd,systemd-sysv,dbus,libcrypt1,libsystemd0,libssl3 \
	    "$VERSION_CODENAME" "$BOOT/root" "$sources" >"$BOOT/mmdebstrap.log" 2>&1 ||
	    { tail -20 "$BOOT/mmdebstrap.log"; return 1; }
	make -s -C "$TOP" B="$REAL_BIN" -o all DESTDIR="$BOOT/root" PREFIX=/usr \
	    install >"$BOOT/install.log" 2>&1 || { cat "$BOOT/install.log"; return 1; }
	printf '%s\n' 'alice@example.com alicepw' >"$BOOT/root/etc/mailserver/users.txt"
	le=/etc/letsencrypt/live/mx.test
	mkdir -p -m 700 "$BOOT/root/etc/letsencrypt" "$BOOT/root/$le"
	install -m 644 "$CERTS/fullchain.pem" "$BOOT/root/$le/fullchain.pem"
	install -m 600 "$CERTS/privkey.pem" "$BOOT/root/$le/privkey.pem"
	ln -s "$le/fullchain.pem" "$BOOT/root/etc/mailserver/tls.crt"
	ln -s "$le/privkey.pem" "$BOOT/root/etc/mailserver/tls.key"
	mkdir -p "$BOOT/root/var/log/journal" \
	    "$BOOT/root/etc/systemd/system/sockets.target.wants"
	for u in submission submissions pop3s; do
		free_port >"$BOOT/$u.port"
		mkdir -p "$BOOT/root/etc/systemd/system/$u.socket.d"
		printf '[Socket]\nListenStream=\nListenStream=127.0.0.1:%s\n' \
		    "$(cat "$BOOT/$u.port")" \
		    >"$BOOT/root/etc/systemd/system/$u.socket.d/port.conf"
		ln -s "/etc/systemd/system/$u.socket" \
		    "$BOOT/root/etc/systemd/system/sockets.target.wants/"
	done
	SYSTEMD_LOG_LEVEL=warning timeout 600 systemd-nspawn -q -D "$BOOT/root" \
	    -b --register=no --keep-unit --console=passive \
	    >"$BOOT/console.log" 2>&1 3>&- &
	echo $! >"$BOOT/nspawn.pid"
	# The container's PID 1 as this machine sees it, two generations
	# below nspawn's timeout.
	for i in $(seq 1 100); do
		for c in $(pgrep -P "$(cat "$BOOT/nspawn.pid")"); do
			for p in $c $(pgrep -P "$c"); do
				[ "$(awk '/^NSpid:/ { print $NF }' "/proc/$p/status" 2>/dev/null)" = 1 ] &&
				    echo "$p" >"$BOOT/leader"
			done
		done
		[ -s "$BOOT/leader" ] && break
		sleep 0.2
	done
	[ -s "$BOOT/leader" ]
	for i in $(seq 1 120); do
		in_root systemctl is-system-running >"$BOOT/state" 2>&1 || true
		grep -qx 'running\|degraded' "$BOOT/state" && break
		sleep 0.25
	done
	in_root chgrp mailsrv /etc/mailserver/users.txt
}

@test "under a booted systemd the TLS sockets serve with LoadCredential= copies of a root-only Let's Encrypt key, and a renewal counts at the next connection" {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	command -v systemd-nspawn >/dev/null || skip "needs systemd-nspawn"
	command -v mmdebstrap >/dev/null || skip "needs mmdebstrap"
	case $REAL_BIN in
	*san*) skip "booted once, with the plain build" ;;
	esac
	boot_root
	# 465 and 587: a login and a delivery each.
	PORT=$(cat "$BOOT/submissions.port")
	run timeout 60 python3 "$LIB/tls_login_send.py" "$PORT" "$CERTS/ca.pem" \
	    implicit $'Subject: 465\n\nOne.\n'
	echo "$output"
	[ "$status" -eq 0 ]
	PORT=$(cat "$BOOT/submission.port")
	run timeout 60 python3 "$LIB/tls_login_send.py" "$PORT" "$CERTS/ca.pem" \
	    starttls $'Subject: 587\n\nTwo.\n'
	echo "$output"
	[ "$status" -eq 0 ]
	# 995: both messages, each received under TLS from alice.
	PORT=$(cat "$BOOT/pop3s.port")
	run timeout 60 python3 "$LIB/pop3s_trace_lines.py" "$PORT" "$CERTS/ca.pem"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | grep -c 'with ESMTPSA id')" -eq 2 ]
	[ "$(printf '%s\n' "$output" | grep -Ec '^\(using TLSv1\.[23] with cipher ')" -eq 2 ]
	# The sessions ran as mailsrv, from systemd's private copies, and
	# logged TLS= and USER=.
	in_root journalctl -q -t smtp-handler -t pop3-handler -o verbose \
	    >"$BOOT/journal.out" 2>&1 || true
	grep -q 'TLS=TLSv1\.[23]' "$BOOT/journal.out"
	grep -q 'USER=alice@example.com' "$BOOT/journal.out"
	in_root stat -c %U /var/lib/mailserver/alice@example.com/new >"$BOOT/owner"
	[ "$(cat "$BOOT/owner")" = mailsrv ]
	in_root journalctl -q >"$BOOT/journal.all" 2>&1 || true
	[ -z "$(grep -E '243/CREDENTIALS|Failed to set up credentials' "$BOOT/journal.all")" ]
	# certbot renews: new files behind the same links.  The next
	# connection has the new certificate, with nothing restarted.
	le=$BOOT/root/etc/letsencrypt/live/mx.test
	install -m 644 "$CERTS/fullchain2.pem" "$le/fullchain.pem"
	install -m 600 "$CERTS/privkey2.pem" "$le/privkey.pem"
	for u in submissions pop3s; do
		PORT=$(cat "$BOOT/$u.port")
		run s_client <<<'QUIT'
		echo "$output"
		[[ "$output" == *"Verification: OK"* ]]
		[ "$(printf '%s\n' "$output" | fingerprint -)" = "$(fingerprint "$CERTS/fullchain2.pem")" ]
	done
}
