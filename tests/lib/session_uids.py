#!/usr/bin/env python3
"""session_uids.py PORT: connect to 127.0.0.1:PORT, wait for the greeting,
then print "PID UID" for every process that holds the server's side of
that connection, one a line, and close.  Exits 1 if no process holds it.

The server's side is the socket whose local port is PORT and whose remote
port is ours; its inode, from /proc/net/tcp, names it in /proc/*/fd."""
import os
import socket
import sys

port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port), 10)
s.settimeout(10)
if not s.recv(512):
    sys.exit("no greeting")
mine = s.getsockname()[1]


def server_inode():
    # An IPv6 socket that takes IPv4 too lists the connection in tcp6.
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for row in f.read().splitlines()[1:]:
                field = row.split()
                local, remote = field[1], field[2]
                if (local.endswith(":%04X" % port) and
                        remote.endswith(":%04X" % mine)):
                    return field[9]
    return None


inode = server_inode()
if inode is None:
    sys.exit("no server socket for port %d" % mine)
found = 0
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        fds = os.listdir("/proc/%s/fd" % pid)
    except OSError:
        continue
    for fd in fds:
        try:
            link = os.readlink("/proc/%s/fd/%s" % (pid, fd))
        except OSError:
            continue
        if link == "socket:[%s]" % inode:
            with open("/proc/%s/status" % pid) as f:
                uid = [l.split()[1] for l in f if l.startswith("Uid:")][0]
            print(pid, uid)
            found += 1
            break
s.close()
sys.exit(0 if found else 1)
