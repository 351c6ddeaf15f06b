#!/usr/bin/env python3
"""proxy_client.py COMMAND ARG...: a scripted client that connects from a
chosen local address (as the real client behind a proxy), with one
command a run:

  send SRC PORT COUNT TAG DIR  COUNT sessions from SRC to 127.0.0.1
      PORT, each sending alice one message (smtplib); each message is
      kept in DIR/TAG-N as the store keeps it (LF line ends), and each
      greeting's host name printed as "greeting HOST"
  fetch SRC PORT USER PASS DIR  one POP3 session (poplib) from SRC that
      retrieves every message into DIR/N, deletes it and quits; prints
      "greeting HOST" and "fetched N"
  lock SRC PORT USER PASS  two POP3 sessions from SRC, logged in one
      after the other; prints each greeting's host and the second
      PASS's reply
  raw SRC PORT STEP...  one connection from SRC; STEPs: send:TEXT
      (\\r, \\n, \\xHH escapes), sleep:S, line (print the next line),
      shut (half-close), eof (print all until the server closes, then
      "(closed)"); "(reset)" or "(timeout)" end it early

Every connection and read is bounded by 20 seconds; an unexpected reply
or error ends it with a traceback and exit 1, an unknown COMMAND with a
message and exit 1."""
import codecs, os, poplib, smtplib, socket, sys, time

TIMEOUT = 20


class POP3From(poplib.POP3):
    """poplib.POP3, connecting from a chosen local address."""

    def __init__(self, src, port):
        self.src = src
        super().__init__("127.0.0.1", port, timeout=TIMEOUT)

    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout,
                                         source_address=(self.src, 0))


def send(src, port, count, tag, outdir):
    for i in range(int(count)):
        s = smtplib.SMTP(local_hostname="client.test", timeout=TIMEOUT,
                         source_address=(src, 0))
        code, msg = s.connect("127.0.0.1", int(port))
        print("greeting", msg.decode().split()[0])
        body = ("Subject: %s %d\r\nFrom: <sender@client.test>\r\n\r\n"
                "Message %d of %s.\r\n.A line with a leading dot\r\n"
                "\r\nTabs\tand ~|} punctuation.\r\n" % (tag, i, i, tag))
        s.sendmail("sender@client.test", ["alice@example.com"],
                   body.encode())
        s.quit()
        with open(os.path.join(outdir, "%s-%d" % (tag, i)), "wb") as f:
            f.write(body.replace("\r\n", "\n").encode())


def fetch(src, port, user, password, outdir):
    p = POP3From(src, int(port))
    print("greeting", p.getwelcome().decode().split()[1])
    p.user(user)
    p.pass_(password)
    n = p.stat()[0]
    for i in range(1, n + 1):
        lines = p.retr(i)[1]
        with open(os.path.join(outdir, str(i)), "wb") as f:
            f.write(b"".join(line + b"\n" for line in lines))
        p.dele(i)
    p.quit()
    print("fetched", n)


def lock(src, port, user, password):
    first = POP3From(src, int(port))
    print("first", first.getwelcome().decode().split()[1])
    first.user(user)
    print("first", first.pass_(password).decode().split()[0])
    second = POP3From(src, int(port))
    print("second", second.getwelcome().decode().split()[1])
    second.user(user)
    try:
        print("second", second.pass_(password).decode())
    except poplib.error_proto as e:
        print("second", e.args[0].decode())
    second.quit()
    first.quit()


def raw(src, port, steps):
    out = sys.stdout.buffer
    s = socket.create_connection(("127.0.0.1", int(port)), TIMEOUT,
                                 source_address=(src, 0))
    buf = b""
    try:
        for step in steps:
            op, _, arg = step.partition(":")
            if op == "send":
                s.sendall(codecs.escape_decode(arg.encode())[0])
            elif op == "sleep":
                time.sleep(float(arg))
            elif op == "shut":
                s.shutdown(socket.SHUT_WR)
            elif op == "line":
                while b"\n" not in buf:
                    chunk = s.recv(4096)
                    if not chunk:
                        raise EOFError
                    buf += chunk
                line, buf = buf.split(b"\n", 1)
                out.write(line + b"\n")
            elif op == "eof":
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    buf += chunk
                out.write(buf + b"(closed)\n")
                buf = b""
            else:
                raise ValueError(step)
    except EOFError:
        out.write(buf + b"(closed)\n")
    except ConnectionResetError:
        out.write(buf + b"(reset)\n")
    except socket.timeout:
        out.write(buf + b"(timeout)\n")
    out.flush()


cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "send":
    send(*args)
elif cmd == "fetch":
    fetch(*args)
elif cmd == "lock":
    lock(*args)
elif cmd == "raw":
    raw(args[0], args[1], args[2:])
else:
    sys.exit("unknown command " + cmd)
