# Shared by tls.bats and auth.bats: test certificates made during the run,
# listeners on loopback with the handlers' TLS options, a scripted client
# that can start TLS in the middle of a session, and a private network
# namespace for a client that is not on loopback.  Loaded after helper.

bats_require_minimum_version 1.5.0

# The certificates of this file's run (setup_file makes them):
#   ca.pem          the root every client trusts, nothing else
#   inter.pem       an intermediate CA signed by the root
#   server.pem      the server's certificate, signed by the intermediate,
#                   for DNS:mx.test, IP:127.0.0.1 and IP:192.0.2.1
#   fullchain.pem   server.pem then inter.pem, as Let's Encrypt ships it
#   server.key      its key (EC P-256, unencrypted)
#   other.key       a key that belongs to no certificate
#   self.pem, self.key  a self-signed certificate (openssl req -x509) for
#                   the same names
CERTS=$BATS_FILE_TMPDIR/certs
CERT=$CERTS/fullchain.pem
KEY=$CERTS/server.key
CA=$CERTS/ca.pem
# The scripted client that chat runs (tests/lib/chat.py).
CHAT=$LIB/chat.py

# make_certs DIR: make the certificates above in DIR, valid for two days.
make_certs() {
	local d=$1 ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
	mkdir -p "$d"
	(
		cd "$d" || exit 1
		set -e
		# shellcheck disable=SC2086
		openssl req -x509 $ec -keyout ca.key -out ca.pem -days 2 \
		    -subj "/CN=Mail Test Root CA" \
		    -addext "basicConstraints=critical,CA:TRUE" \
		    -addext "keyUsage=critical,keyCertSign,cRLSign"
		# shellcheck disable=SC2086
		openssl req -new $ec -keyout inter.key -out inter.csr \
		    -subj "/CN=Mail Test Intermediate CA"
		printf '%s\n' "basicConstraints=critical,CA:TRUE,pathlen:0" \
		    "keyUsage=critical,keyCertSign,cRLSign" \
		    "subjectKeyIdentifier=hash" \
		    "authorityKeyIdentifier=keyid" >inter.ext
		openssl x509 -req -in inter.csr -CA ca.pem -CAkey ca.key \
		    -CAcreateserial -days 2 -extfile inter.ext -out inter.pem
		# shellcheck disable=SC2086
		openssl req -new $ec -keyout server.key -out server.csr \
		    -subj "/CN=mx.test"
		printf '%s\n' "basicConstraints=CA:FALSE" \
		    "keyUsage=critical,digitalSignature" \
		    "extendedKeyUsage=serverAuth" \
		    "subjectAltName=DNS:mx.test,IP:127.0.0.1,IP:192.0.2.1" \
		    "subjectKeyIdentifier=hash" \
		    "authorityKeyIdentifier=keyid" >server.ext
		openssl x509 -req -in server.csr -CA inter.pem -CAkey inter.key \
		    -CAcreateserial -days 2 -extfile server.ext -out server.pem
		cat server.pem inter.pem >fullchain.pem
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		    -out other.key
		# shellcheck disable=SC2086
		openssl req -x509 $ec -keyout self.key -out self.pem -days 2 \
		    -subj "/CN=mx.test" \
		    -addext "subjectAltName=DNS:mx.test,IP:127.0.0.1"
	) >"$d/openssl.log" 2>&1
}

setup_file() {
	make_certs "$CERTS" || {
		cat "$CERTS/openssl.log" >&2
		return 1
	}
}

# The helper's teardown, and a network namespace to remove after it.
eval "$(declare -f teardown | sed '1s/^teardown/helper_teardown/')"
teardown() {
	helper_teardown
	if [ -n "${NETNS:-}" ]; then
		ip netns del "$NETNS" 2>/dev/null || true
	fi
}

# serve smtp|pop3 [OPTION...]: run the listener on a free loopback port
# with that handler on this test's users file and store, host name
# mx.test, and the OPTIONs; its port is left in PORT.  Its output goes to
# $T/listener.out and $T/listener.err.
serve() {
	local proto=$1
	shift
	PORT=$(free_port)
	"$BIN/listener" -b 127.0.0.1 "$PORT" "$BIN/$proto-handler" \
	    -u "$USERS" -d "$STORE" -n mx.test "$@" \
	    </dev/null >>"$T/listener.out" 2>>"$T/listener.err" 3>&- &
	PIDS="${PIDS:-} $!"
	wait_listening "$PORT"
}

# chat smtp|pop3 [OPTION...] PORT: play the script on stdin against PORT
# on 127.0.0.1 (--host ADDR for another) with $CHAT, certificates checked
# against ca.pem unless --ca names another; the options and the steps of
# the script are in chat.py's docstring.
chat() {
	local proto=$1
	shift
	timeout 120 python3 "$CHAT" "$proto" --ca "$CA" "$@"
}

# tls_session smtp|pop3 [OPTION...]: start a listener with TLS configured
# (and the OPTIONs), for the chat that follows.
tls_session() {
	local proto=$1
	shift
	serve "$proto" -c "$CERT" -k "$KEY" "$@"
}

# elapsed_ms START: milliseconds since START, a "date +%s%N" value.
elapsed_ms() {
	echo $(( ($(date +%s%N) - $1) / 1000000 ))
}

# b64 TEXT: TEXT (printf escapes allowed, e.g. \0) in base64 on one line.
b64() {
	# shellcheck disable=SC2059 # TEXT is a format, for its escapes
	printf "$1" | base64 -w0
}

# received_of FILE: the Received header of a stored message on one line,
# its folds joined with single spaces.
received_of() {
	awk '/^Received:/ { r = $0; on = 1; next }
	     on && /^[ \t]/ { sub(/^[ \t]+/, " "); r = r $0; next }
	     on { exit }
	     END { print r }' "$1"
}

# Network namespace

# netns_up: make a private network namespace, NETNS, with only a loopback
# interface that also holds 192.0.2.1 (TEST-NET-1, RFC 5737): a client
# there connecting to 192.0.2.1 is not on loopback by its address, yet no
# packet leaves the namespace.  Needs root; teardown removes it.
netns_up() {
	[ "$(id -u)" -eq 0 ] ||
	    skip "needs root for a network namespace with a non-loopback address"
	command -v ip >/dev/null || skip "needs ip (iproute2)"
	NETNS=mailtest-$$-${BATS_TEST_NUMBER:-0}
	ip netns add "$NETNS"
	ip netns exec "$NETNS" ip link set lo up
	ip netns exec "$NETNS" ip addr add 192.0.2.1/32 dev lo
}

# netns_serve ADDR PORT smtp|pop3 [OPTION...]: in NETNS, run the listener
# on ADDR PORT (ADDR "-" for every address) with that handler.
netns_serve() {
	local addr=$1 port=$2 proto=$3 bind=()
	shift 3
	[ "$addr" = - ] || bind=(-b "$addr")
	ip netns exec "$NETNS" "$BIN/listener" "${bind[@]}" \
	    "$port" "$BIN/$proto-handler" -u "$USERS" -d "$STORE" -n mx.test "$@" \
	    </dev/null >>"$T/listener.out" 2>>"$T/listener.err" 3>&- &
	PIDS="${PIDS:-} $!"
	wait_listening "$port" "$NETNS"
}

# netns_chat ARG...: chat from inside NETNS.
netns_chat() {
	local proto=$1
	shift
	timeout 120 ip netns exec "$NETNS" python3 "$CHAT" "$proto" --ca "$CA" "$@"
}

# Journal capture with a listener

# journal_listen SCRIPT: run the shell SCRIPT (which may start listeners
# and clients; BIN, USERS, STORE, T, CHAT, CERT, KEY, CA and LIB are in
# its environment, and PORT, a free port) in a private mount namespace where a collector stands in
# for journald, so that every handler it starts logs there.  The
# entries go to $T/journal as journal_raw (helper.bash) writes them, the
# script's output to $T/script.out.  Needs root.
journal_listen() {
	[ "$(id -u)" -eq 0 ] || skip "needs root for a mount namespace"
	command -v unshare >/dev/null || skip "needs unshare"
	cat >"$T/script"
	rm -f "$T/journal.ready"
	BIN=$BIN USERS=$USERS STORE=$STORE T=$T CHAT=$CHAT CERT=$CERT KEY=$KEY \
	    CA=$CA PORT=${PORT:-} LIB=$LIB timeout 90 unshare -m sh -c '
		mount -t tmpfs none /run || exit 1
		python3 "$LIB/journal_collect.py" "$T/journal" &
		i=0
		while [ ! -e "$T/journal.ready" ] && [ $i -lt 100 ]; do
			sleep 0.05; i=$((i + 1))
		done
		sh "$T/script" >"$T/script.out" 2>&1
		wait' </dev/null
}
