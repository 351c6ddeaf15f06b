#!/usr/bin/env python3
"""pop3_stalled_reader.py PORT: a POP3 client that stops reading: with a
receive buffer of 4 KiB, connect to 127.0.0.1:PORT, send USER and PASS
for alice@example.com and "RETR 1" four times in one write, then read
nothing and hold the connection for 40 s, so that the server's writes
block.  Prints nothing; a test checks what the server does meanwhile."""
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"USER alice@example.com\r\nPASS alicepw\r\n" + b"RETR 1\r\n" * 4)
time.sleep(40)
