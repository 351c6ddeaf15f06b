#!/usr/bin/env python3
"""inherited_fds.py: a PROGRAM for the listener (copied into the test's
directory and made executable) that prints "fds" and every open
descriptor below 1024, then "nodelay" and the TCP_NODELAY option of the
connection on fd 0, e.g.

    fds 0 1 2
    nodelay 1
"""
import os, socket
def is_open(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False
print("fds", *[fd for fd in range(1024) if is_open(fd)])
s = socket.socket(fileno=0)
print("nodelay", s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
s.detach()
