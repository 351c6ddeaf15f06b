#!/usr/bin/python3
"""tools.py: the benchmark's bookkeeping on this machine (no network).

    tools.py ports N                     N free TCP ports on 127.0.0.1
    tools.py maildir DIR COUNT SIZE      a Maildir of COUNT messages
    tools.py deliver NEWDIR COUNT SECONDS -- COMMAND...
                                         run COMMAND, time it until NEWDIR
                                         holds COUNT files
    tools.py sample OUT SECONDS PID...   peak memory of PID and its
                                         descendants, until SIGTERM
    tools.py rss FILE [SESSION-NAME...]  summary of a sample file
    tools.py hastat SOCKET               state of HAProxy's servers, from
                                         its stats socket
    tools.py usage STORE                 the messages of a store: names,
                                         files, and their blocks
    tools.py table RESULTS OUT           the report, from the results file

Every loop here is bounded in count and in time.  Python's standard
library only.
"""

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time


def fail(msg):
    sys.stderr.write("tools.py: fatal: %s\n" % msg)
    sys.exit(1)


# --- ports ----------------------------------------------------------------

def cmd_ports(args):
    """Ask the kernel for free ports; all sockets stay open until every
    port is known, so the N ports differ."""
    socks = []
    for _ in range(int(args[0])):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    print(" ".join(str(s.getsockname()[1]) for s in socks))
    for s in socks:
        s.close()


# --- maildir --------------------------------------------------------------

def message(i, size):
    """Message i of about size octets (within a line) with LF line ends,
    as a Maildir holds it: a few headers, then lines of 76 characters.
    It ends with a line end, so W= below is exactly what RETR sends."""
    head = ("Return-Path: <sender@bench.test>\n"
            "From: <sender@bench.test>\n"
            "To: <bench@bench.test>\n"
            "Subject: benchmark message %d\n"
            "Date: Thu, 01 Jan 2026 00:00:00 +0000\n"
            "Message-ID: <%d.bench@bench.test>\n\n" % (i, i)).encode()
    line = (b"%06d " % i) + b"x" * 69 + b"\n"
    return head + line * max(1, (size - len(head)) // len(line))


def cmd_maildir(args):
    """Write the messages directly into new/, named as smtp-handler names
    them (time, microseconds, pid, counter, host, then S= the size on
    disk and W= the size with CRLF line ends, which POP3 servers list
    without reading the file), one second apart."""
    top, count, size = args[0], int(args[1]), int(args[2])
    for sub in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(top, sub), exist_ok=True)
    new = os.path.join(top, "new")
    for i in range(count):
        data = message(i, size)
        name = "%d.M000000P1Q%d.bench,S=%d,W=%d" % (
            1700000000 + i, i + 1, len(data),
            len(data) + data.count(b"\n"))
        with open(os.path.join(new, name), "wb") as f:
            f.write(data)


# --- deliver --------------------------------------------------------------

def count_files(d):
    try:
        return sum(1 for e in os.scandir(d) if e.name[0] != ".")
    except FileNotFoundError:
        return 0


def cmd_deliver(args):
    """Start the command (the SMTP client), then poll the Maildir until
    every message is in it: a message counts when it is delivered, not
    when the server accepted it.  Prints the seconds taken."""
    newdir, want, limit = args[0], int(args[1]), float(args[2])
    if args[3] != "--":
        fail("deliver: missing --")
    start = time.monotonic()
    proc = subprocess.Popen(args[4:], stdout=subprocess.DEVNULL)
    deadline = start + limit
    n = 0
    while time.monotonic() < deadline:
        n = count_files(newdir)
        if n >= want:
            break
        # A client that gave up early will not bring the rest.
        if proc.poll() not in (None, 0):
            break
        time.sleep(0.01)
    took = time.monotonic() - start
    try:
        rc = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = proc.wait()
    if n < want:
        fail("deliver: %d of %d messages in %s after %.1f s (client "
             "exit %s)" % (n, want, newdir, took, rc))
    if rc != 0:
        fail("deliver: client exit status %d" % rc)
    print("%.4f" % took)


# --- sample ---------------------------------------------------------------

def proc_table():
    """{pid: ppid} of every process now."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                stat = f.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses.
        fields = stat[stat.rfind(")") + 2:].split()
        table[int(name)] = int(fields[1])
    return table


def status_fields(pid):
    """Name, VmHWM and RssAnon (KiB) of pid, or None once it is gone."""
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                key, _, val = line.partition(":")
                if key == "Name":
                    out["name"] = val.strip()
                elif key in ("VmHWM", "RssAnon"):
                    out[key] = int(val.split()[0])
    except OSError:
        return None
    return out if "VmHWM" in out else None


def cmd_sample(args):
    """Every 20 ms, read the peak resident set (VmHWM) of the given
    processes and all their descendants, keeping the last value seen for
    each pid (VmHWM only grows).  On SIGTERM, or after SECONDS, write
    {pid: {name, hwm, anon}} to OUT as JSON."""
    out, limit = args[0], float(args[1])
    roots = [int(p) for p in args[2:]]
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    seen = {}
    deadline = time.monotonic() + limit
    while not stop and time.monotonic() < deadline:
        table = proc_table()
        children = {}
        for pid, ppid in table.items():
            children.setdefault(ppid, []).append(pid)
        todo = [p for p in roots if p in table]
        while todo:
            pid = todo.pop()
            todo.extend(children.get(pid, []))
            st = status_fields(pid)
            if st is None:
                continue
            old = seen.get(pid)
            # A pid that exec'd keeps its number: keep its largest self.
            if old is None or st["VmHWM"] >= old["hwm"]:
                seen[pid] = {"name": st["name"], "hwm": st["VmHWM"],
                             "anon": st.get("RssAnon", 0)}
        time.sleep(0.02)
    with open(out, "w") as f:
        json.dump(seen, f)


def cmd_rss(args):
    """Print "SESSION LARGEST SUM NAME ANON" in KiB: the peak of the
    largest process named in SESSION-NAMEs (0 if none), of the largest
    process of all, the sum of every process's peak, the name of the
    largest, and the private (anonymous) part of the session process's
    resident set when it was last seen: the rest is shared library and
    program pages."""
    with open(args[0]) as f:
        seen = list(json.load(f).values())
    names = set(args[1:])
    session = max([p for p in seen if p["name"] in names],
                  key=lambda p: p["hwm"], default=None)
    largest = max(seen, key=lambda p: p["hwm"], default=None)
    print(session["hwm"] if session else 0,
          largest["hwm"] if largest else 0,
          sum(p["hwm"] for p in seen),
          largest["name"] if largest else "-",
          session["anon"] if session else 0)


# --- hastat ---------------------------------------------------------------

def cmd_hastat(args):
    """Ask HAProxy's stats socket for "show stat" and print one line per
    server: "BACKEND/SERVER STATUS LAST-CHECK" (UP L7OK when its health
    checks pass)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(args[0])
    s.sendall(b"show stat\n")
    data = bytearray()
    for _ in range(10000):
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    lines = data.decode("utf-8", "replace").splitlines()
    if not lines or not lines[0].startswith("# "):
        fail("hastat: unexpected answer %r" % bytes(data[:200]))
    cols = lines[0][2:].split(",")
    for line in lines[1:]:
        row = dict(zip(cols, line.split(",")))
        if row.get("svname") in (None, "FRONTEND", "BACKEND"):
            continue
        print("%s/%s %s %s" % (row["pxname"], row["svname"],
                               row.get("status", "?"),
                               row.get("check_status", "?") or "-"))


# --- usage ----------------------------------------------------------------

def cmd_usage(args):
    """Print as JSON what the messages of a store (every file in a new/,
    cur/ or tmp/ of a mailbox) hold: "names", the directory entries;
    "files", the distinct inodes behind them; "once_kib", their st_blocks
    counting each inode once (what the disk holds, as du counts);
    "names_kib", st_blocks counting every name (each link again, as a
    sum over the mailboxes sees it); "octets", st_size of each inode once.
    A bounded walk: two levels below STORE, as the store is laid out."""
    top = args[0]
    seen = set()
    names = once = every = octets = 0
    for box in sorted(os.listdir(top)):
        for sub in ("new", "cur", "tmp"):
            d = os.path.join(top, box, sub)
            if not os.path.isdir(d):
                continue
            for e in os.scandir(d):
                if e.name[0] == "." or not e.is_file(follow_symlinks=False):
                    continue
                st = e.stat(follow_symlinks=False)
                names += 1
                every += st.st_blocks
                if (st.st_dev, st.st_ino) not in seen:
                    seen.add((st.st_dev, st.st_ino))
                    once += st.st_blocks
                    octets += st.st_size
    print(json.dumps({"names": names, "files": len(seen),
                      "once_kib": once / 2, "names_kib": every / 2,
                      "octets": octets}))


# --- table ----------------------------------------------------------------

# The rows of the report: key in the results file, label, unit, and the
# target from issue #6.  A target is (kind, number): "ratio" wants
# project/peer at least the number, "ratio-max" at most, "max" wants the
# project's figure below the number.
ROWS = [
    ("SMTP delivery, one connection per message", None),
    ("smtp_1k_1", "1 KB, 1 session", "msg/s", ("ratio", 2.0)),
    ("smtp_1k_20", "1 KB, 20 sessions", "msg/s", ("ratio", 2.0)),
    ("smtp_100k_1", "100 KB, 1 session", "msg/s", ("ratio", 1.5)),
    ("smtp_100k_20", "100 KB, 20 sessions", "msg/s", ("ratio", 1.5)),
    ("SMTP one large message", None),
    ("big_mbs", "until delivered", "MB/s", ("ratio", 1.5)),
    ("big_rss", "peak RSS, session (peer: largest)", "KiB",
     ("max", 2048)),
    ("big_anon", "  of it private (RssAnon)", "KiB", None),
    ("big_rss_sum", "peak RSS, all processes", "KiB", None),
    ("POP3 one session: STAT, UIDL, RETR all", None),
    ("pop3_msgs", "RETR rate", "msg/s", ("ratio", 1.2)),
    ("pop3_mbs", "RETR rate", "MB/s", ("ratio", 1.2)),
    ("pop3_login", "login (connect to PASS +OK)", "ms", ("max", 5.0)),
    ("pop3_greeting", "  of it greeting (start-up)", "ms", None),
    ("pop3_pass", "  of it PASS (open maildrop)", "ms", None),
    ("pop3_login_first", "first login (cold index)", "ms", None),
    ("pop3_rss", "peak RSS, session process", "KiB", ("ratio-max", 0.5)),
    ("pop3_anon", "  of it private (RssAnon)", "KiB", None),
    ("pop3_rss_sum", "peak RSS, all processes", "KiB", None),
    ("Session start-up (connect, greeting, QUIT)", None),
    ("startup_cps", "listener vs tcpserver", "conn/s", ("ratio", 0.95)),
    ("startup_plain_cps", "  the same without a spare (-s)", "conn/s",
     None),
    ("Mailbox scale: connect to STAT reply", None),
    ("scale_1000_ms", "1,000 messages", "ms", None),
    ("scale_10000_ms", "10,000 messages", "ms", None),
    ("scale_100000_ms", "100,000 messages", "ms", ("max", 1000.0)),
    ("scale_100000_first_ms", "100,000, first session", "ms", None),
    ("scale_1000_rss", "1,000: peak RSS, session", "KiB", None),
    ("scale_10000_rss", "10,000: peak RSS, session", "KiB", None),
    ("scale_100000_rss", "100,000: peak RSS, session", "KiB", None),
    ("Through HAProxy (mode tcp, send-proxy-v2) to mysmtpd/mypopd -x",
     None),
    ("haproxy_smtp_cps_1", "SMTP sessions, 1 backend", "conn/s", None),
    ("haproxy_smtp_cps_2", "SMTP sessions, 2 backends", "conn/s", None),
    ("haproxy_pop3_cps_1", "POP3 sessions, 1 backend", "conn/s", None),
    ("haproxy_pop3_cps_2", "POP3 sessions, 2 backends", "conn/s", None),
    ("haproxy_msgs_1", "SMTP 1 KB x 20, 1 backend", "msg/s", None),
    ("haproxy_msgs_2", "SMTP 1 KB x 20, 2 backends", "msg/s", None),
    ("haproxy_cpu_smtp_1", "HAProxy CPU per SMTP session", "us", None),
    ("haproxy_cpu_pop3_1", "HAProxy CPU per POP3 session", "us", None),
    ("haproxy_cpu_msg_1", "HAProxy CPU per message", "us", None),
    ("A list's message, 1 MB to 200 members (list vs peer; lower is "
     "better)", None),
    ("aliases_ms_rcpts", "time, vs 200 RCPT TO", "ms", None),
    ("aliases_ms_each", "time, vs 200 transactions", "ms", None),
    ("aliases_ratio_rcpts", "  list/200 RCPT TO, each run", "ratio",
     None),
    ("aliases_ratio_each", "  list/200 trans., each run", "ratio", None),
    ("aliases_du_rcpts", "store du, vs 200 RCPT TO", "KiB", None),
    ("aliases_du_each", "store du, vs 200 transactions", "KiB", None),
    ("aliases_once_rcpts", "  messages, each inode once", "KiB", None),
    ("aliases_names_rcpts", "  messages, every name", "KiB", None),
]

FLOOR_ROWS = [
    ("floor_fsync_1", "create-write-fsync-link-fsync(dir), 1 KB, "
     "1 process", "files/s"),
    ("floor_fsync_20", "the same, 20 processes", "files/s"),
    ("floor_exec_true", "fork+exec+wait /bin/true", "exec/s"),
    ("floor_exec_handler", "fork+exec+wait smtp-handler --help",
     "exec/s"),
    ("floor_fork", "fork+exit+wait of a small process", "fork/s"),
    ("floor_smtp_one", "smtp-source 1 KB x 1 to a server storing nothing",
     "msg/s"),
    ("floor_smtp_fork", "the same, a process per connection forked ahead",
     "msg/s"),
]


def load(path):
    """{key: {side: [values]}} from lines "KEY SIDE VALUE"."""
    data = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 3:
                continue
            key, side, val = parts
            data.setdefault(key, {}).setdefault(side, []).append(
                float(val))
    return data


def fmt(x):
    # Small ratios (a list's time against its peer's) keep three figures.
    if 0 < x < 0.1:
        return "%.3g" % x
    if x >= 100:
        return "%.0f" % x
    if x >= 10:
        return "%.1f" % x
    return "%.2f" % x


def cell(vals):
    """Median and spread of the runs: "412 (400-420)"."""
    if not vals:
        return "-"
    med = statistics.median(vals)
    if len(vals) == 1:
        return fmt(med)
    return "%s (%s-%s)" % (fmt(med), fmt(min(vals)), fmt(max(vals)))


def verdict(target, proj, peer):
    """Target text and whether it is met ("yes", "NO", or "?")."""
    if target is None:
        return "", ""
    kind, num = target
    if kind == "max":
        text = "< %g" % num
        return text, "?" if proj is None else (
            "yes" if proj < num else "NO")
    text = (">= %gx" if kind == "ratio" else "<= %gx") % num
    if proj is None or not peer:
        return text, "?"
    r = proj / peer
    ok = r >= num if kind == "ratio" else r <= num
    return text, "yes" if ok else "NO"


def haproxy_notes(data):
    """What the HAProxy rows mean: the proxy's cost is the gap between
    its one-backend rows and the direct baseline; two backends on one
    machine share its CPUs and disk, so they measure balancing, not
    scale."""
    def med(key, side):
        vals = data.get(key, {}).get(side)
        return statistics.median(vals) if vals else None

    if not any(k.startswith("haproxy_") for k in data):
        return []
    costs = []
    for key, what in (("haproxy_smtp_cps_1", "SMTP sessions"),
                      ("haproxy_pop3_cps_1", "POP3 sessions"),
                      ("haproxy_msgs_1", "SMTP delivery")):
        hp, direct = med(key, "project"), med(key, "peer")
        if hp is not None and direct:
            costs.append("%s %+.0f%%" % (what, 100 * (hp / direct - 1)))
    out = ["", "  peer: one mysmtpd/mypopd reached directly, without "
           "HAProxy and without -x"]
    if costs:
        out.append("  through HAProxy to 1 backend, against direct:")
        out.append("    " + ", ".join(costs))
    out.append("  one machine (%d CPUs): both backends share its CPUs and "
               "disk, so two cannot" % (os.cpu_count() or 0))
    out.append("  beat one here; more backends add capacity only as "
               "separate hosts")
    seen = med("haproxy_client_seen", "project")
    up = med("haproxy_checks_up", "project")
    if seen is not None:
        out.append("  client address from the PROXY header in Received: "
                   + ("yes" if seen else "NO"))
    if up is not None:
        out.append("  HAProxy health checks (connect, greeting, QUIT): "
                   + ("every server UP" if up else "NOT every server UP"))
    return out


def cmd_table(args):
    data = load(args[0])
    peers = {"smtp": "Postfix", "big": "Postfix", "pop3": "Dovecot",
             "startup": "tcpserver", "scale": "Dovecot",
             "haproxy": "direct (no HAProxy)",
             "aliases": "the members as 200 RCPT TO in one transaction, "
             "or as 200 transactions of one RCPT"}
    lines = []
    head = "%-32s %-7s %-22s %-22s %-7s %-9s %s" % (
        "workload", "unit", "project median (min-max)",
        "peer median (min-max)", "ratio", "target", "met")
    section = None
    for row in ROWS:
        if row[1] is None:
            section = row[0]
            continue
        key, label, unit, target = row
        if key not in data:
            continue
        # A section's title comes with its first measured row.
        if section is not None:
            lines += ["", section]
            section = None
        proj = data[key].get("project", [])
        peer = data[key].get("peer", [])
        pm = statistics.median(proj) if proj else None
        qm = statistics.median(peer) if peer else None
        # Three figures, so that 0.949 does not pass for 0.95.
        ratio = "%.3gx" % (pm / qm) if pm is not None and qm else "-"
        text, ok = verdict(target, pm, qm)
        lines.append("  %-30s %-7s %-22s %-22s %-7s %-9s %s" % (
            label, unit, cell(proj), cell(peer), ratio, text, ok))
        lines[-1] = lines[-1].rstrip()
    lines += haproxy_notes(data)
    floor = [r for r in FLOOR_ROWS if r[0] in data]
    if floor:
        lines.append("")
        lines.append("Physical floor of this machine")
        for key, label, unit in floor:
            lines.append("  %-56s %-8s %s" % (
                label, unit, cell(data[key].get("project", []))))
        # A server that gives each connection a process (forked ahead,
        # from its spare) and makes each message durable before it
        # replies can serve one session no faster than that dialogue and
        # one delivery in series.
        f1 = data.get("floor_fsync_1", {}).get("project")
        fs = data.get("floor_smtp_fork", {}).get("project")
        s1 = data.get("smtp_1k_1", {})
        if f1 and fs:
            one = 1 / (1 / statistics.median(f1) +
                       1 / statistics.median(fs))
            lines.append("  %-56s %-8s %s" % (
                "that dialogue + one delivery in series (1-session floor)",
                "msg/s", fmt(one)))
            if s1.get("project"):
                lines.append("  %-56s %-8s %.0f%%" % (
                    "project SMTP 1 KB, 1 session, as a share of it", "",
                    100 * statistics.median(s1["project"]) / one))
            if s1.get("peer"):
                lines.append("  %-56s %-8s %s" % (
                    "the issue's target there (2x Postfix), for comparison",
                    "msg/s", fmt(2 * statistics.median(s1["peer"]))))
    used = sorted({k.split("_")[0] for k in data} & set(peers))
    note = "peers: " + ", ".join("%s = %s" % (k, peers[k]) for k in used)
    text = "\n".join([note, "", head] + lines) + "\n"
    sys.stdout.write(text)
    with open(args[1], "w") as f:
        f.write(text)


COMMANDS = {
    "ports": cmd_ports, "maildir": cmd_maildir, "deliver": cmd_deliver,
    "sample": cmd_sample, "rss": cmd_rss, "hastat": cmd_hastat,
    "usage": cmd_usage, "table": cmd_table,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.stderr.write(__doc__)
        sys.exit(100)
    COMMANDS[sys.argv[1]](sys.argv[2:])
