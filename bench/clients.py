#!/usr/bin/python3
"""clients.py: the benchmark's network clients, on 127.0.0.1 only.

    clients.py big PORT OCTETS NEWDIR HOLD TIMEOUT [SOURCE]
        one SMTP message of OCTETS, timed until it is a file in NEWDIR,
        from the local address SOURCE if given (127.0.0.2, say)
    clients.py pop3 PORT USER PASS HOLD TIMEOUT
        one POP3 session: USER, PASS, STAT, UIDL, RETR of every message
    clients.py stat PORT USER PASS HOLD TIMEOUT
        one POP3 session up to the STAT reply
    clients.py connect PORT COUNT THREADS TIMEOUT [smtp|pop3]
        COUNT SMTP (or POP3) sessions that read the greeting and QUIT
    clients.py fanout PORT OCTETS one|each TIMEOUT RCPT...
        one SMTP session that sends a message of OCTETS to every RCPT,
        in one transaction, or in a transaction for each RCPT

Each prints one JSON object of figures.  HOLD is seconds the session
stays open at its end, after the clock has stopped, so that a memory
sampler sees the server's final peak before the process exits.
Every session has a deadline; every loop is bounded.  Python's standard
library only.
"""

import json
import os
import socket
import sys
import threading
import time

HOST = "127.0.0.1"


class Conn:
    """A client connection with its own input buffer, so that pipelined
    replies can be parsed as they come, with no line-at-a-time reads.
    Consumed input is skipped by an offset and dropped only when it is
    most of the buffer, so a large reply is never moved byte by byte
    for each small one in front of it."""

    def __init__(self, port, deadline, source=None):
        self.deadline = deadline
        # A numeric address straight to connect(): no getaddrinfo(),
        # whose first call in a process reads the NSS configuration and
        # would add milliseconds to the first session's figures.
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # Commands are small and each one waits for no other.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if source:
            self.sock.bind((source, 0))
        self.sock.settimeout(self.left())
        self.sock.connect((HOST, port))
        self.buf = bytearray()
        self.pos = 0

    def left(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline passed")
        return left

    def fill(self):
        if self.pos > len(self.buf) // 2:
            del self.buf[:self.pos]
            self.pos = 0
        self.sock.settimeout(self.left())
        data = self.sock.recv(1 << 18)
        if not data:
            raise ConnectionError("server closed the connection")
        self.buf += data

    def send(self, data):
        self.sock.settimeout(self.left())
        self.sock.sendall(data)

    def line(self):
        """One reply line, without its CRLF."""
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            if i >= 0:
                out = bytes(self.buf[self.pos:i])
                self.pos = i + 2
                return out
            self.fill()

    def multiline(self):
        """The body of a POP3 multi-line reply up to the final "."
        line; returns its octets on the wire, dot-stuffing included."""
        start = self.pos
        while True:
            if self.buf.startswith(b".\r\n", self.pos):
                self.pos += 3
                return 0
            i = self.buf.find(b"\r\n.\r\n", start)
            if i >= 0:
                n = i + 2 - self.pos
                self.pos = i + 5
                return n
            # fill() may move the unread input to the front.
            start = max(self.pos, len(self.buf) - 4) - self.pos
            self.fill()
            start += self.pos

    def smtp_reply(self):
        """The last line of an SMTP reply, after any continuation lines."""
        while True:
            line = self.line()
            if len(line) < 4 or line[3:4] != b"-":
                return line

    def close(self):
        self.sock.close()


def expect(line, prefix, what):
    if not line.startswith(prefix):
        raise RuntimeError("%s: unexpected reply %r" % (what, line[:200]))


def report(obj):
    print(json.dumps(obj))


def count_files(d):
    return sum(1 for e in os.scandir(d) if e.name[0] != ".")


# --- big: one large SMTP message -----------------------------------------

def cmd_big(args):
    """Send one message of OCTETS in lines of 78 octets plus CRLF and stop
    the clock when it is a file in NEWDIR: the project answers 250 only
    then, a queueing server some time later."""
    port, octets, newdir = int(args[0]), int(args[1]), args[2]
    hold, limit = float(args[3]), float(args[4])
    source = args[5] if len(args) > 5 else None
    head = (b"From: <sender@bench.test>\r\nTo: <bench@bench.test>\r\n"
            b"Subject: large\r\n\r\n")
    line = b"y" * 78 + b"\r\n"
    body = head + line * ((octets - len(head)) // len(line))
    before = count_files(newdir)
    start = time.monotonic()
    deadline = start + limit
    c = Conn(port, deadline, source)
    expect(c.smtp_reply(), b"220", "greeting")
    c.send(b"EHLO client.bench.test\r\n")
    expect(c.smtp_reply(), b"250", "EHLO")
    c.send(b"MAIL FROM:<sender@bench.test> SIZE=%d\r\n" % len(body))
    expect(c.smtp_reply(), b"250", "MAIL")
    c.send(b"RCPT TO:<bench@bench.test>\r\n")
    expect(c.smtp_reply(), b"250", "RCPT")
    c.send(b"DATA\r\n")
    expect(c.smtp_reply(), b"354", "DATA")
    c.send(body + b".\r\n")
    expect(c.smtp_reply(), b"250", "end of data")
    accepted = time.monotonic()
    while count_files(newdir) <= before:
        c.left()
        time.sleep(0.005)
    took = time.monotonic() - start
    time.sleep(hold)
    c.send(b"QUIT\r\n")
    expect(c.smtp_reply(), b"221", "QUIT")
    c.close()
    report({"seconds": took, "octets": len(body),
            "mbs": len(body) / took / 1e6,
            "accept_seconds": accepted - start})


# --- pop3: a session that fetches everything ------------------------------

def login(c, user, password):
    """Log in; return the milliseconds the greeting and the PASS reply
    took: the first is the server's start-up, the second opening the
    maildrop."""
    t0 = time.monotonic()
    expect(c.line(), b"+OK", "greeting")
    t1 = time.monotonic()
    c.send(b"USER %s\r\n" % user.encode())
    expect(c.line(), b"+OK", "USER")
    t2 = time.monotonic()
    c.send(b"PASS %s\r\n" % password.encode())
    expect(c.line(), b"+OK", "PASS")
    return {"greeting_ms": (t1 - t0) * 1000,
            "pass_ms": (time.monotonic() - t2) * 1000}


def pipelining(c):
    c.send(b"CAPA\r\n")
    expect(c.line(), b"+OK", "CAPA")
    caps = bytearray()
    while True:
        line = c.line()
        if line == b".":
            break
        caps += line.upper() + b"\n"
    return b"PIPELINING\n" in caps


def cmd_pop3(args):
    """Login, then STAT, UIDL and RETR of every message.  RETR commands
    are pipelined in windows when the server offers PIPELINING (RFC 2449
    section 6.6), as a fetching client would."""
    port, user, password = int(args[0]), args[1], args[2]
    hold, limit = float(args[3]), float(args[4])
    start = time.monotonic()
    c = Conn(port, start + limit)
    parts = login(c, user, password)
    logged_in = time.monotonic()
    window = 64 if pipelining(c) else 1
    c.send(b"STAT\r\n")
    line = c.line()
    expect(line, b"+OK", "STAT")
    count = int(line.split()[1])
    c.send(b"UIDL\r\n")
    expect(c.line(), b"+OK", "UIDL")
    c.multiline()
    retr_start = time.monotonic()
    # The client's own CPU time: when it nears the elapsed time, the
    # figure is the client's limit, not the server's.
    cpu_start = time.process_time()
    octets = sent = done = 0
    while done < count:
        # Keep up to a window of commands in flight, sent in batches.
        if sent - done <= window // 2 and sent < count:
            n = min(count - sent, window - (sent - done))
            c.send(b"".join(b"RETR %d\r\n" % (sent + k + 1)
                            for k in range(n)))
            sent += n
        expect(c.line(), b"+OK", "RETR")
        octets += c.multiline()
        done += 1
    end = time.monotonic()
    cpu = time.process_time() - cpu_start
    time.sleep(hold)
    c.send(b"QUIT\r\n")
    expect(c.line(), b"+OK", "QUIT")
    c.close()
    retr = end - retr_start
    report(dict(parts, login_ms=(logged_in - start) * 1000,
                messages=count, octets=octets, retr_seconds=retr,
                msgs=count / retr if retr > 0 else 0,
                mbs=octets / retr / 1e6 if retr > 0 else 0,
                client_cpu_seconds=cpu, session_seconds=end - start))


def cmd_stat(args):
    """Connect, log in, STAT: the time to the STAT reply is how long a
    client waits before it can fetch anything."""
    port, user, password = int(args[0]), args[1], args[2]
    hold, limit = float(args[3]), float(args[4])
    start = time.monotonic()
    c = Conn(port, start + limit)
    parts = login(c, user, password)
    logged_in = time.monotonic()
    c.send(b"STAT\r\n")
    line = c.line()
    expect(line, b"+OK", "STAT")
    end = time.monotonic()
    time.sleep(hold)
    c.send(b"QUIT\r\n")
    expect(c.line(), b"+OK", "QUIT")
    c.close()
    report(dict(parts, login_ms=(logged_in - start) * 1000,
                stat_ms=(end - start) * 1000,
                messages=int(line.split()[1])))


# --- connect: session start-up rate ---------------------------------------

def cmd_connect(args):
    """THREADS threads share COUNT sessions: connect, read the 220
    greeting, QUIT, read the 221, close (in POP3: +OK, QUIT, +OK).
    Refused or failed sessions are counted, not retried."""
    port, count, threads = int(args[0]), int(args[1]), int(args[2])
    limit = float(args[3])
    pop3 = len(args) > 4 and args[4] == "pop3"
    lock = threading.Lock()
    state = {"next": 0, "ok": 0, "failed": 0}
    deadline = time.monotonic() + limit

    def worker():
        while True:
            with lock:
                if state["next"] >= count or time.monotonic() > deadline:
                    return
                state["next"] += 1
            try:
                c = Conn(port, min(deadline, time.monotonic() + 10))
                if pop3:
                    expect(c.line(), b"+OK", "greeting")
                    c.send(b"QUIT\r\n")
                    expect(c.line(), b"+OK", "QUIT")
                else:
                    expect(c.smtp_reply(), b"220", "greeting")
                    c.send(b"QUIT\r\n")
                    expect(c.smtp_reply(), b"221", "QUIT")
                c.close()
                key = "ok"
            except (OSError, RuntimeError, ConnectionError):
                key = "failed"
            with lock:
                state[key] += 1

    start = time.monotonic()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    took = time.monotonic() - start
    report({"sessions": state["ok"], "failed": state["failed"],
            "seconds": took, "cps": state["ok"] / took})


# --- fanout: one message to many mailboxes --------------------------------

def ehlo(c):
    """EHLO; whether the server offers PIPELINING."""
    c.send(b"EHLO client.bench.test\r\n")
    pipelining = False
    while True:
        line = c.line()
        expect(line, b"250", "EHLO")
        if line[4:].upper().split(b" ")[0] == b"PIPELINING":
            pipelining = True
        if line[3:4] != b"-":
            return pipelining


def transaction(c, body, rcpts, pipelining):
    """MAIL, a RCPT for each of rcpts, DATA, the message: the last reply
    is the 250 after the data.  With PIPELINING, MAIL and every RCPT go
    in one write and their replies are read after it (RFC 2920), as an
    MTA's client sends them."""
    mail = b"MAIL FROM:<sender@bench.test> SIZE=%d\r\n" % len(body)
    cmds = [b"RCPT TO:<%s>\r\n" % r.encode() for r in rcpts]
    if pipelining:
        c.send(mail + b"".join(cmds))
        expect(c.smtp_reply(), b"250", "MAIL")
        for r in rcpts:
            expect(c.smtp_reply(), b"250", "RCPT " + r)
    else:
        c.send(mail)
        expect(c.smtp_reply(), b"250", "MAIL")
        for r, cmd in zip(rcpts, cmds):
            c.send(cmd)
            expect(c.smtp_reply(), b"250", "RCPT " + r)
    c.send(b"DATA\r\n")
    expect(c.smtp_reply(), b"354", "DATA")
    c.send(body + b".\r\n")
    expect(c.smtp_reply(), b"250", "end of data")


def cmd_fanout(args):
    """Send one message of OCTETS (lines of 78 octets plus CRLF) to every
    RCPT in one session: "one" transaction with a RCPT for each, or "each"
    RCPT in a transaction of its own, one after the other.  The clock
    runs from the first MAIL to the last 250 after the data: the project
    answers that 250 only once every copy is fsync'd and in its new/."""
    port, octets, mode = int(args[0]), int(args[1]), args[2]
    limit, rcpts = float(args[3]), args[4:]
    if mode not in ("one", "each") or not rcpts:
        raise ValueError("fanout: want one|each and recipients")
    head = (b"From: <sender@bench.test>\r\nTo: <list@bench.test>\r\n"
            b"Subject: fan-out\r\n\r\n")
    line = b"z" * 78 + b"\r\n"
    body = head + line * max(1, (octets - len(head)) // len(line))
    start = time.monotonic()
    c = Conn(port, start + limit)
    expect(c.smtp_reply(), b"220", "greeting")
    pipelining = ehlo(c)
    first = time.monotonic()
    if mode == "one":
        transaction(c, body, rcpts, pipelining)
    else:
        for r in rcpts:
            transaction(c, body, [r], pipelining)
    took = time.monotonic() - first
    c.send(b"QUIT\r\n")
    expect(c.smtp_reply(), b"221", "QUIT")
    c.close()
    report({"seconds": took, "octets": len(body),
            "transactions": 1 if mode == "one" else len(rcpts),
            "recipients": len(rcpts), "pipelining": pipelining})


COMMANDS = {"big": cmd_big, "pop3": cmd_pop3, "stat": cmd_stat,
            "connect": cmd_connect, "fanout": cmd_fanout}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.stderr.write(__doc__)
        sys.exit(100)
    try:
        COMMANDS[sys.argv[1]](sys.argv[2:])
    except (OSError, RuntimeError, ValueError) as e:
        sys.stderr.write("clients.py: fatal: %s: %s\n" % (sys.argv[1], e))
        sys.exit(1)
