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
CHAT=$BATS_FILE_TMPDIR/chat.py

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
	write_chat "$CHAT"
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

# chat smtp|pop3 [--implicit] [--host ADDR] [--name NAME] [--ca FILE]
#     [--max 1.2|1.3] [--min 1.2|1.3] [--timeout S] PORT: connect to
# ADDR (127.0.0.1) PORT and play the script on stdin, one step a line;
# print every line the server sends, without its CR, and a line in
# parentheses for each event.  With --implicit TLS starts at once.
# Certificates are checked against --ca (ca.pem) for --name (ADDR).
#   > TEXT     send TEXT and CRLF in one write (one TLS record); \r, \n,
#              \\ and \xHH in TEXT are escapes
#   >> TEXT    the same without the CRLF
#   >@ FILE    send FILE in writes of 64 KiB
#   <          read one reply (SMTP: through its last line; POP3: a line)
#   <. [FILE]  read a POP3 multi-line reply: its +OK line is printed; the
#              data lines up to "." are printed, or with FILE written to
#              FILE exactly as they came (CRLF, dot-stuffed) and counted
#   tls        start TLS: "(tls VERSION CIPHER)"; anything the server
#              sent before it is printed as "(before tls: ...)"
#   quiet S    expect nothing for S seconds: "(quiet)", else what came
#   eof        read until the server closes: its lines, then "(closed)"
#   sleep S    wait S seconds
# A reply that does not come in --timeout (10) seconds ends the script
# with "(timeout)", a close with "(closed)", a failed handshake with
# "(tls failed: REASON)"; then the exit status is 1.
chat() {
	local proto=$1
	shift
	timeout 120 python3 "$CHAT" "$proto" --ca "$CA" "$@"
}

# write_chat FILE: write the client that chat runs.
write_chat() {
	cat >"$1" <<'PY'
import codecs, socket, ssl, sys, time

class Stop(Exception):
    pass

def say(text):
    sys.stdout.write(text + "\n")
    sys.stdout.flush()

def unescape(text):
    return codecs.decode(text, "unicode_escape").encode("latin-1")

class Client:
    def __init__(self, proto, opts, port):
        self.proto, self.opts = proto, opts
        src = (opts["source"], 0) if opts["source"] else None
        self.sock = socket.create_connection((opts["host"], port),
                                             timeout=opts["timeout"],
                                             source_address=src)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        if opts["implicit"]:
            self.starttls()

    def context(self):
        ctx = ssl.create_default_context(cafile=self.opts["ca"])
        versions = {"1.2": ssl.TLSVersion.TLSv1_2,
                    "1.3": ssl.TLSVersion.TLSv1_3}
        if self.opts["max"]:
            ctx.maximum_version = versions[self.opts["max"]]
        if self.opts["min"]:
            ctx.minimum_version = versions[self.opts["min"]]
        return ctx

    def starttls(self):
        if self.buf:
            say("(before tls: %r)" % self.buf)
            self.buf = b""
        try:
            self.sock = self.context().wrap_socket(
                self.sock, server_hostname=self.opts["name"] or self.opts["host"])
        except (ssl.SSLError, OSError) as e:
            say("(tls failed: %s)" % e)
            raise Stop()
        say("(tls %s %s)" % (self.sock.version(), self.sock.cipher()[0]))

    def fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout()
        self.sock.settimeout(left)
        chunk = self.sock.recv(65536)
        if not chunk:
            return False
        self.buf += chunk
        return True

    def line(self, deadline):
        while b"\n" not in self.buf:
            try:
                more = self.fill(deadline)
            except socket.timeout:
                if self.buf:
                    say("(partial: %r)" % self.buf)
                say("(timeout)")
                raise Stop()
            except OSError as e:
                more = False
                say("(%s)" % e.__class__.__name__)
            if not more:
                if self.buf:
                    say("(partial: %r)" % self.buf)
                say("(closed)")
                raise Stop()
        i = self.buf.index(b"\n") + 1
        line, self.buf = self.buf[:i], self.buf[i:]
        return line

    def show(self, line):
        say(line.rstrip(b"\r\n").decode("latin-1"))

    def reply(self):
        deadline = time.monotonic() + self.opts["timeout"]
        while True:
            line = self.line(deadline)
            self.show(line)
            if self.proto == "pop3" or line[3:4] != b"-":
                return

    def block(self, path):
        deadline = time.monotonic() + self.opts["timeout"]
        first = self.line(deadline)
        self.show(first)
        if not first.startswith(b"+OK"):
            return
        out = open(path, "wb") if path else None
        n = 0
        while True:
            line = self.line(deadline)
            if line == b".\r\n":
                break
            if out:
                out.write(line)
                n += len(line)
                # While lines keep coming, the deadline moves on.
                deadline = max(deadline, time.monotonic() + 1)
            else:
                self.show(line)
        if out:
            out.close()
            say("(%d octets)" % n)
        else:
            say(".")

    def quiet(self, seconds):
        deadline = time.monotonic() + seconds
        got = self.buf
        self.buf = b""
        try:
            while time.monotonic() < deadline:
                if not self.fill(deadline):
                    got += self.buf
                    self.buf = b""
                    break
                got += self.buf
                self.buf = b""
        except (socket.timeout, OSError):
            pass
        if got:
            for line in got.split(b"\n"):
                if line:
                    self.show(line)
        else:
            say("(quiet)")

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError as e:
            say("(send failed: %s)" % e.__class__.__name__)
            raise Stop()

def main():
    args = sys.argv[1:]
    proto = args.pop(0)
    opts = {"host": "127.0.0.1", "implicit": False, "ca": None, "name": None,
            "max": None, "min": None, "source": None, "timeout": 10.0}
    while args and args[0].startswith("--"):
        o = args.pop(0)[2:]
        if o == "implicit":
            opts["implicit"] = True
        elif o == "timeout":
            opts["timeout"] = float(args.pop(0))
        else:
            opts[o] = args.pop(0)
    client = None
    try:
        client = Client(proto, opts, int(args[0]))
        for raw in sys.stdin.read().split("\n"):
            if not raw or raw.startswith("#"):
                continue
            step, _, arg = raw.partition(" ")
            if step == ">":
                client.send(unescape(arg) + b"\r\n")
            elif step == ">>":
                client.send(unescape(arg))
            elif step == ">@":
                with open(arg, "rb") as f:
                    while True:
                        chunk = f.read(65536)
                        if not chunk:
                            break
                        client.send(chunk)
            elif step == "<":
                client.reply()
            elif step == "<.":
                client.block(arg)
            elif step == "tls":
                client.starttls()
            elif step == "quiet":
                client.quiet(float(arg))
            elif step == "eof":
                deadline = time.monotonic() + opts["timeout"]
                while True:
                    client.show(client.line(deadline))
            elif step == "sleep":
                time.sleep(float(arg))
            else:
                sys.exit("chat: bad step %r" % raw)
    except Stop:
        sys.exit(1)
    except OSError as e:
        say("(%s: %s)" % (e.__class__.__name__, e))
        sys.exit(1)

main()
PY
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
# and clients; BIN, USERS, STORE, T, CHAT, CERT, KEY and CA are in its
# environment, and PORT, a free port) in a private mount namespace where a collector stands in
# for journald, so that every handler it starts logs there.  The
# entries go to $T/journal as journal_raw (helper.bash) writes them, the
# script's output to $T/script.out.  Needs root.
journal_listen() {
	[ "$(id -u)" -eq 0 ] || skip "needs root for a mount namespace"
	command -v unshare >/dev/null || skip "needs unshare"
	cat >"$T/script"
	journal_collector
	BIN=$BIN USERS=$USERS STORE=$STORE T=$T CHAT=$CHAT CERT=$CERT KEY=$KEY \
	    CA=$CA PORT=${PORT:-} timeout 90 unshare -m sh -c '
		mount -t tmpfs none /run || exit 1
		python3 "$T/collect.py" "$T/journal" &
		i=0
		while [ ! -e "$T/journal.ready" ] && [ $i -lt 100 ]; do
			sleep 0.05; i=$((i + 1))
		done
		sh "$T/script" >"$T/script.out" 2>&1
		wait' </dev/null
}
