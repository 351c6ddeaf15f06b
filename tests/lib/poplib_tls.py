#!/usr/bin/env python3
"""poplib_tls.py PORT SSLPORT CA WIRE: fetch alice's first message with
Python's poplib, every certificate checked against CA: on 127.0.0.1:PORT
after STLS, then with implicit TLS (POP3_SSL) on SSLPORT; each time it
must be, dot-stuffed again, the bytes in the file WIRE (the message as
RETR sends it).

CAPA lists STLS before TLS and not after, where it lists USER and SASL
PLAIN; POP3_SSL's CAPA has no STLS; a wrong password over POP3_SSL gets
-ERR [AUTH].  Fails (an AssertionError or a message) at the first thing
that differs."""
import poplib, ssl, sys
port, sslport, ca, wire = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
want = open(wire, "rb").read()
ctx = ssl.create_default_context(cafile=ca)

def check(p):
    p.user("alice@example.com")
    p.pass_("alicepw")
    _, lines, octets = p.retr(1)
    # poplib undoes the dot-stuffing; stuff again to compare with the wire.
    got = b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n" for l in lines)
    assert got == want, (got, want)
    p.quit()

p = poplib.POP3("127.0.0.1", port, timeout=10)
caps = p.capa()
assert "STLS" in caps, caps
p.stls(context=ctx)
caps = p.capa()
assert "STLS" not in caps and "USER" in caps and caps["SASL"] == ["PLAIN"], caps
check(p)
p = poplib.POP3_SSL("127.0.0.1", sslport, context=ctx, timeout=10)
assert "STLS" not in p.capa()
check(p)
p = poplib.POP3_SSL("127.0.0.1", sslport, context=ctx, timeout=10)
p.user("alice@example.com")
try:
    p.pass_("wrong")
except poplib.error_proto as e:
    assert str(e).startswith("b'-ERR [AUTH]"), e
else:
    sys.exit("a wrong password was accepted")
