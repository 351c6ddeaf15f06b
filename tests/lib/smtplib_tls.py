#!/usr/bin/env python3
"""smtplib_tls.py PORT SSLPORT CA: drive a submission server with
Python's smtplib, every certificate checked against CA: STARTTLS on
127.0.0.1:PORT, then implicit TLS (SMTP_SSL) on SSLPORT.

On PORT: STARTTLS is offered before TLS and not after, AUTH lists PLAIN
and LOGIN; login() (PLAIN) and a message from alice; then, in another
session, AUTH LOGIN with no initial response (235), a sender not alice's
refused with 553, and a message sent with LOGIN.  On SSLPORT: no
STARTTLS, login and a message; a wrong password refused with 535.  The
messages to alice say "sent with PLAIN", "LOGIN" and "SMTP_SSL".  Fails
(an AssertionError or a message) at the first thing that differs."""
import smtplib, ssl, sys
port, sslport, ca = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
msg = b"Subject: smtplib\r\n\r\nsent with %s\r\n"
with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
    s.ehlo("client.test")
    assert s.has_extn("starttls"), s.esmtp_features
    s.starttls(context=ctx)
    s.ehlo("client.test")
    assert not s.has_extn("starttls"), s.esmtp_features
    assert s.esmtp_features["auth"].split() == ["PLAIN", "LOGIN"], s.esmtp_features
    s.login("alice@example.com", "alicepw")
    assert s.sendmail("alice@example.com", ["alice@example.com"], msg % b"PLAIN") == {}
with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
    s.starttls(context=ctx)
    s.ehlo("client.test")
    s.user, s.password = "alice@example.com", "alicepw"
    code, text = s.auth("LOGIN", s.auth_login, initial_response_ok=False)
    assert code == 235, (code, text)
    try:
        s.sendmail("bob.smith@example.com", ["alice@example.com"], msg % b"x")
    except smtplib.SMTPSenderRefused as e:
        assert e.smtp_code == 553, e
    else:
        sys.exit("a foreign sender was accepted")
    s.sendmail("alice@example.com", ["alice@example.com"], msg % b"LOGIN")
with smtplib.SMTP_SSL("127.0.0.1", sslport, context=ctx, timeout=10) as s:
    s.ehlo("client.test")
    assert not s.has_extn("starttls")
    s.login("alice@example.com", "alicepw")
    s.sendmail("alice@example.com", ["alice@example.com"], msg % b"SMTP_SSL")
with smtplib.SMTP_SSL("127.0.0.1", sslport, context=ctx, timeout=10) as s:
    try:
        s.login("alice@example.com", "nope")
    except smtplib.SMTPAuthenticationError as e:
        assert e.smtp_code == 535, e
    else:
        sys.exit("a wrong password was accepted")
