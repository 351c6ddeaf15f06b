#!/usr/bin/env python3
"""chat.py smtp|pop3 [OPTION...] PORT: connect to a server and play the
script on stdin, one step a line; print every line the server sends,
without its CR, and a line in parentheses for each event.

Options:
  --host ADDR     connect to ADDR (127.0.0.1)
  --source ADDR   connect from ADDR
  --implicit      start TLS at once
  --ca FILE       check the server's certificate against FILE
  --name NAME     ... and that it is for NAME (default: ADDR)
  --max 1.2|1.3, --min 1.2|1.3   bound the TLS versions
  --timeout S     how long a reply may take (10 s)

Steps (empty lines and lines that start with "#" are skipped):
  > TEXT     send TEXT and CRLF in one write (one TLS record); \\r, \\n,
             \\\\ and \\xHH in TEXT are escapes
  >> TEXT    the same without the CRLF
  >@ FILE    send FILE in writes of 64 KiB
  <          read one reply (SMTP: through its last line; POP3: a line)
  <. [FILE]  read a POP3 multi-line reply: its +OK line is printed; the
             data lines up to "." are printed, or with FILE written to
             FILE exactly as they came (CRLF, dot-stuffed) and counted
  tls        start TLS: "(tls VERSION CIPHER)"; anything the server
             sent before it is printed as "(before tls: ...)"
  quiet S    expect nothing for S seconds: "(quiet)", else what came
  eof        read until the server closes: its lines, then "(closed)"
  sleep S    wait S seconds

A reply that does not come in --timeout seconds ends the script with
"(timeout)", a close with "(closed)", a failed handshake with
"(tls failed: REASON)"; then the exit status is 1."""
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
