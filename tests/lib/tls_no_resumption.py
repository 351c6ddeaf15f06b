#!/usr/bin/env python3
"""tls_no_resumption.py PORT CA: with TLS 1.2 and then 1.3 at most, make
two SMTP connections with TLS from the start (-T) to 127.0.0.1:PORT,
the certificate checked against CA, the second offering the first's
session; each reads the greeting, sends QUIT and reads the reply, by
when any session ticket has come.

Prints a line for each connection: version, attempt, whether the session
was reused, whether it has a ticket, and its id.  Exits 0 only if no
session was reused and none had a ticket; else 1."""
import socket, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
ok = True
for v in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.maximum_version = v
    session = None
    for attempt in (1, 2):
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), 10),
                            server_hostname="127.0.0.1", session=session)
        f = s.makefile("rb")
        f.readline()                    # the greeting
        s.sendall(b"QUIT\r\n")
        f.readline()                    # 221: any ticket came before it
        session = s.session
        print(v.name, attempt, "reused", s.session_reused,
              "ticket", session.has_ticket, "id", session.id.hex() or "-")
        ok = ok and not s.session_reused and not session.has_ticket
        s.close()
sys.exit(0 if ok else 1)
