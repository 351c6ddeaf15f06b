#!/usr/bin/env python3
"""notify_log.py SOCKET LOG: a stand-in for systemd's notification
socket: bind the datagram socket SOCKET and append every notification
that comes to LOG, each followed by a newline, unbuffered.

It ends with a timeout error (exit 1) after 30 seconds without one, and
otherwise when it is killed."""
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
with open(sys.argv[2], "ab", buffering=0) as out:
    while True:
        out.write(s.recv(4096) + b"\n")
