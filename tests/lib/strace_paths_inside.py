#!/usr/bin/env python3
"""strace_paths_inside.py TRACE STORE USERS CWD [NEED]: check that every
path in TRACE (the output of strace -f -y -s 4096 -e trace=%file), and
every descriptor the traced program used, is in STORE, is USERS or the
"aliases" file beside it (the operator's, as the users file is), is
STORE's parent directory itself (which the store opens to fsync the entry
naming the store), or is a file the dynamic loader, the C library or a
sanitizer reads (libraries, the time zone, the journal socket, /proc and
/sys).

Relative paths are joined to the directory they are relative to (the
descriptor named before them, or CWD, where the program ran) and
normalized without following links, so "../x" below the store counts as
outside it; a path with "/../" in it, or with "passwd" in it, is outside
too.  execve is not checked, nor descriptors 0 to 2 (the client's
connection and the inherited stderr), nor the second string of readlink,
which is what the link says, not a path used.

Prints "outside the store: LINE" for each offending line of TRACE and
exits 1 if there is any.  With NEED (any non-empty word), at least one
access must be inside STORE, so that the check is not empty; if none is,
says so and exits 1."""
import os
import re
import sys

trace, store, users, cwd, need = sys.argv[1:6]
system = ("/etc/ld.so.preload", "/etc/ld.so.cache", "/lib/", "/lib64/",
          "/usr/lib/", "/usr/lib64/", "/etc/localtime",
          "/usr/share/zoneinfo/", "/run/systemd/journal/", "/dev/log",
          "/proc/", "/sys/")
token = re.compile(r'(AT_FDCWD|\b\d+)<((?:[^>\\]|\\.)*)>|"((?:[^"\\]|\\.)*)"')
bad, inside = [], 0


def allowed(p):
    global inside
    p = os.path.normpath(p)
    if p == store or p.startswith(store + "/"):
        inside += 1
        return True
    return p == users or \
        p == os.path.join(os.path.dirname(users), "aliases") or \
        p == os.path.dirname(store) or \
        any(p == s or p.startswith(s) for s in system)


for line in open(trace, encoding="utf-8", errors="replace"):
    m = re.match(r"\d+\s+(\w+)\(", line)
    if m is None or m.group(1) in ("execve", "execveat"):
        continue
    base = cwd
    # readlink's second string is what the link says, not a path used.
    strings = 1 if m.group(1) in ("readlink", "readlinkat") else None
    for fd, fdpath, s in token.findall(line):
        if fdpath:
            # The client's connection and the inherited stderr are not
            # paths the handler chose.
            if fd == "AT_FDCWD":
                base = fdpath
                continue
            base = fdpath
            if int(fd) > 2 and not allowed(fdpath):
                bad.append(line.strip())
        elif s and strings != 0:
            if strings is not None:
                strings -= 1
            p = s if s.startswith("/") else os.path.join(base, s)
            if not allowed(p) or "/../" in p + "/" or "passwd" in p:
                bad.append(line.strip())
for b in bad:
    print("outside the store:", b)
if need and inside == 0:
    print("no access inside the store at all: the check saw nothing")
    sys.exit(1)
sys.exit(1 if bad else 0)
