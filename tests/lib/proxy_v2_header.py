#!/usr/bin/env python3
"""proxy_v2_header.py inet|inet6 SRC DST SPORT DPORT [TLVHEX]
   proxy_v2_header.py local
   proxy_v2_header.py raw VERCMD FAMPROTO LENGTH [HEXBODY]:
write a PROXY protocol version 2 header (HAProxy's specification) to
stdout, as bytes.

inet and inet6 are the PROXY command over TCP (over IPv4 or IPv6) from
SRC SPORT to DST DPORT, the TLVs in TLVHEX (hex) after the addresses;
local is the LOCAL command with no addresses; raw sets octets 13 and 14
(VERCMD and FAMPROTO, hex) and the length field (LENGTH, decimal) as
given, whatever HEXBODY's length, for headers that are wrong on
purpose."""
import socket, struct, sys
sig = b"\r\n\r\n\0\r\nQUIT\n"
a = sys.argv[1:]
if a[0] in ("inet", "inet6"):
    fam = socket.AF_INET if a[0] == "inet" else socket.AF_INET6
    body = (socket.inet_pton(fam, a[1]) + socket.inet_pton(fam, a[2]) +
            struct.pack("!HH", int(a[3]), int(a[4])))
    if len(a) > 5:
        body += bytes.fromhex(a[5])
    head = bytes([0x21, 0x11 if a[0] == "inet" else 0x21])
    out = sig + head + struct.pack("!H", len(body)) + body
elif a[0] == "local":
    out = sig + bytes([0x20, 0x00, 0, 0])
else:
    body = bytes.fromhex(a[4]) if len(a) > 4 else b""
    out = (sig + bytes([int(a[1], 16), int(a[2], 16)]) +
           struct.pack("!H", int(a[3])) + body)
sys.stdout.buffer.write(out)
