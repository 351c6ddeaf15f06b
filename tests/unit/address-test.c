/*
 * address-test.c: table-driven tests of address.h's parsers against the
 * grammar of RFC 5321 4.1.2 (Path, Mailbox, Local-part, Domain,
 * address-literal), RFC 6531 3.3's UTF-8, and the limits of tunables.h
 * (RFC 5321 4.5.3.1).
 *
 * Each input is handed to the parser in a heap copy of exactly its
 * length, so that under the sanitizers a read past len is an error and
 * not a look at the string's NUL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "unit.h"

/* The function a row tests.  An UNQUOTE row's input is a mailbox that
 * addr_parse_mailbox() must take, and whose result addr_unquote() gets. */
enum fn { PATH, MAILBOX, UNQUOTE };

/* The utf8 argument: whether the client gave SMTPUTF8 (RFC 6531 3.4). */
enum { ASCII, SMTPUTF8 };

/* A row's len: 0 when in is a plain string, LEN(s) for one holding a NUL,
 * and BUILT for a long one, written as a pattern in which "{c*N}" stands
 * for N copies of c; the expected text is then a pattern too. */
#define LEN(s)	s, sizeof(s) - 1
#define BUILT	((size_t)-1)

struct row {
	enum fn	fn;
	const char *name;	/* what is tested */
	const char *in;
	size_t	len;
	int	utf8;
	enum addr_status st;
	/* With ADDR_OK: the address's text, from which its kind, quoting
	 * and '@' follow (kind ADDR_NULL for "", ADDR_POSTMASTER for a text
	 * without '@'), and for a path the octets it used. */
	const char *text;
	size_t	used;
};

static const struct row rows[] = {
	/* The path's brackets and what may follow them. */
	{ PATH, "a plain path", "<alice@example.com>", 0, ASCII,
	    ADDR_OK, "alice@example.com", 19 },
	{ PATH, "the null reverse-path <>", "<>", 0, ASCII,
	    ADDR_OK, "", 2 },
	{ PATH, "<> followed by parameters uses 2 octets", "<> SIZE=1000", 0,
	    ASCII, ADDR_OK, "", 2 },
	{ PATH, "<postmaster> without a domain (RFC 5321 4.1.1.3)",
	    "<postmaster>", 0, ASCII, ADDR_OK, "postmaster", 12 },
	{ PATH, "<PostMaster> in any case", "<PostMaster>", 0, ASCII,
	    ADDR_OK, "postmaster", 12 },
	{ PATH, "<postmaster@example.com> is an ordinary mailbox",
	    "<postmaster@example.com>", 0, ASCII,
	    ADDR_OK, "postmaster@example.com", 24 },
	{ PATH, "<postmasters> is no postmaster, and has no domain",
	    "<postmasters>", 0, ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "<postmaster without its '>' refused", "<postmaster", 0,
	    ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "parameters after the path are not used",
	    "<alice@example.com> SIZE=100 BODY=8BITMIME", 0, ASCII,
	    ADDR_OK, "alice@example.com", 19 },
	{ PATH, "a second '>' after the path is not used",
	    "<alice@example.com>>", 0, ASCII,
	    ADDR_OK, "alice@example.com", 19 },
	{ PATH, "a NUL after the path is not used",
	    LEN("<alice@example.com>\0"), ASCII, ADDR_OK, "alice@example.com",
	    19 },
	{ PATH, "a mailbox without brackets refused", "alice@example.com", 0,
	    ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a path without its '>' refused", "<alice@example.com", 0,
	    ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "empty input refused", "", 0, ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a lone '<' refused", "<", 0, ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a space after '<' refused", "< alice@example.com>", 0, ASCII,
	    ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a space before '>' refused", "<alice@example.com >", 0,
	    ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a local part without a domain refused", "<alice>", 0, ASCII,
	    ADDR_SYNTAX, NULL, 0 },
	{ PATH, "an '@' without a domain refused", "<alice@>", 0, ASCII,
	    ADDR_SYNTAX, NULL, 0 },
	{ PATH, "two '@' refused", "<alice@example.com@example.org>", 0,
	    ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a source route refused as ADDR_ROUTE",
	    "<@relay.example:alice@example.com>", 0, ASCII,
	    ADDR_ROUTE, NULL, 0 },
	{ PATH, "a source route of two hops refused as ADDR_ROUTE",
	    "<@a.example,@b.example:alice@example.com>", 0, ASCII,
	    ADDR_ROUTE, NULL, 0 },

	/* Dot-string local parts. */
	{ PATH, "a local part of dotted atoms", "<alice.b.smith@example.com>",
	    0, ASCII, ADDR_OK, "alice.b.smith@example.com", 27 },
	{ PATH, "every atext special in the local part",
	    "<!#$%&'*+-/=?^_`{|}~@example.com>", 0, ASCII,
	    ADDR_OK, "!#$%&'*+-/=?^_`{|}~@example.com", 33 },
	{ PATH, "a leading dot in the local part refused",
	    "<.alice@example.com>", 0, ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a trailing dot in the local part refused",
	    "<alice.@example.com>", 0, ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a double dot in the local part refused",
	    "<alice..smith@example.com>", 0, ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a lone dot as the local part refused", "<.@example.com>", 0,
	    ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "'(' in the local part refused (not atext)",
	    "<al(ice@example.com>", 0, ASCII, ADDR_SYNTAX, NULL, 0 },

	/* Domains (RFC 1035 2.3.4 labels). */
	{ PATH, "a domain of several labels", "<alice@mail.example.com>", 0,
	    ASCII, ADDR_OK, "alice@mail.example.com", 24 },
	{ PATH, "a domain of one label", "<alice@localhost>", 0, ASCII,
	    ADDR_OK, "alice@localhost", 17 },
	{ PATH, "labels of digits only", "<alice@123.example>", 0, ASCII,
	    ADDR_OK, "alice@123.example", 19 },
	{ PATH, "hyphens inside a label", "<alice@xn--bcher-kva.example>", 0,
	    ASCII, ADDR_OK, "alice@xn--bcher-kva.example", 29 },
	{ PATH, "a trailing dot in the domain refused", "<alice@example.com.>",
	    0, ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a leading dot in the domain refused", "<alice@.example.com>",
	    0, ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a double dot in the domain refused", "<alice@example..com>",
	    0, ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a hyphen at the start of the domain refused",
	    "<alice@-example.com>", 0, ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a hyphen at the start of a later label refused",
	    "<alice@mail.-example.com>", 0, ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a hyphen at the end of a label refused",
	    "<alice@example-.com>", 0, ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a hyphen at the end of the domain refused",
	    "<alice@example.com->", 0, ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "an underscore in the domain refused", "<alice@ex_ample.com>",
	    0, ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a label of 63 octets", "<a@{b*63}.example>", BUILT, ASCII,
	    ADDR_OK, "a@{b*63}.example", 75 },
	{ PATH, "a label of 64 octets refused", "<a@{b*64}.example>", BUILT,
	    ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a last label of 64 octets refused", "<a@example.{b*64}>",
	    BUILT, ASCII, ADDR_SYNTAX, NULL, 0 },

	/* The limits of RFC 5321 4.5.3.1. */
	{ PATH, "a local part of SMTP_LOCAL_MAX octets",
	    "<{a*64}@example.com>", BUILT, ASCII,
	    ADDR_OK, "{a*64}@example.com", 78 },
	{ PATH, "a local part of SMTP_LOCAL_MAX + 1 octets is ADDR_TOOLONG",
	    "<{a*65}@example.com>", BUILT, ASCII, ADDR_TOOLONG, NULL, 0 },
	{ PATH, "a quoted local part of SMTP_LOCAL_MAX octets, quotes counted",
	    "<\"{a*62}\"@example.com>", BUILT, ASCII,
	    ADDR_OK, "\"{a*62}\"@example.com", 78 },
	{ PATH, "a quoted local part of SMTP_LOCAL_MAX + 1 octets is "
	    "ADDR_TOOLONG", "<\"{a*63}\"@example.com>", BUILT, ASCII,
	    ADDR_TOOLONG, NULL, 0 },
	{ PATH, "a path of SMTP_PATH_MAX octets",
	    "<{a*64}@{b*63}.{c*63}.{d*61}>", BUILT, ASCII,
	    ADDR_OK, "{a*64}@{b*63}.{c*63}.{d*61}", 256 },
	{ PATH, "a path of SMTP_PATH_MAX + 1 octets is ADDR_TOOLONG",
	    "<{a*64}@{b*63}.{c*63}.{d*62}>", BUILT, ASCII,
	    ADDR_TOOLONG, NULL, 0 },
	{ PATH, "a path of 322 octets is ADDR_TOOLONG",
	    "<{a*64}@{b*63}.{c*63}.{d*63}.{e*63}>", BUILT, ASCII,
	    ADDR_TOOLONG, NULL, 0 },
	{ PATH, "a broken path whose '>' is past SMTP_PATH_MAX is "
	    "ADDR_TOOLONG", "<alice@example.com{ *300}>", BUILT, ASCII,
	    ADDR_TOOLONG, NULL, 0 },
	{ PATH, "a broken path whose '>' is within SMTP_PATH_MAX is "
	    "ADDR_SYNTAX", "<alice@example.com x>", 0, ASCII,
	    ADDR_SYNTAX, NULL, 0 },

	/* Quoted strings (qtextSMTP, quoted-pairSMTP). */
	{ PATH, "a quoted local part with a space",
	    "<\"alice smith\"@example.com>", 0, ASCII,
	    ADDR_OK, "\"alice smith\"@example.com", 27 },
	{ PATH, "'@' and '>' inside a quoted local part",
	    "<\"a@b>\"@example.com>", 0, ASCII,
	    ADDR_OK, "\"a@b>\"@example.com", 20 },
	{ PATH, "a quoted pair of a quote", "<\"a\\\"b\"@example.com>", 0,
	    ASCII, ADDR_OK, "\"a\\\"b\"@example.com", 20 },
	{ PATH, "a quoted pair of a backslash", "<\"a\\\\b\"@example.com>", 0,
	    ASCII, ADDR_OK, "\"a\\\\b\"@example.com", 20 },
	{ PATH, "an empty quoted string refused", "<\"\"@example.com>", 0,
	    ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a quoted string whose closing quote is escaped refused",
	    "<\"a\\\"@example.com>", 0, ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "an unterminated quoted string refused",
	    "<\"alice@example.com>", 0, ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a backslash as the last octet refused", "<\"a\\", 0, ASCII,
	    ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a tab in a quoted string refused", "<\"a\tb\"@example.com>",
	    0, ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "text between the closing quote and '@' refused",
	    "<\"a\"b@example.com>", 0, ASCII, ADDR_SYNTAX, NULL, 0 },

	/* NUL octets, with explicit lengths. */
	{ PATH, "a NUL in the local part refused",
	    LEN("<al\0ice@example.com>"), ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a NUL in a quoted string refused",
	    LEN("<\"al\0ice\"@example.com>"), ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a quoted pair of a NUL refused",
	    LEN("<\"a\\\0\"@example.com>"), ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a NUL in the domain refused",
	    LEN("<alice@exa\0mple.com>"), ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a NUL in an address literal refused",
	    LEN("<alice@[192.0.2.1\0junk]>"), ASCII, ADDR_SYNTAX, NULL, 0 },

	/* Address literals (RFC 5321 4.1.3). */
	{ PATH, "an IPv4 address literal", "<alice@[192.0.2.1]>", 0, ASCII,
	    ADDR_OK, "alice@[192.0.2.1]", 19 },
	{ PATH, "an IPv6 address literal", "<alice@[IPv6:2001:db8::1]>", 0,
	    ASCII, ADDR_OK, "alice@[IPv6:2001:db8::1]", 26 },
	{ PATH, "an IPv6 tag in lower case", "<alice@[ipv6:::1]>", 0, ASCII,
	    ADDR_OK, "alice@[ipv6:::1]", 18 },
	{ PATH, "an IPv6 literal ending in IPv4",
	    "<alice@[IPv6:::ffff:192.0.2.1]>", 0, ASCII,
	    ADDR_OK, "alice@[IPv6:::ffff:192.0.2.1]", 31 },
	{ PATH, "an IPv4 literal of three parts refused", "<alice@[192.0.2]>",
	    0, ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "an IPv4 literal with 256 refused", "<alice@[192.0.2.256]>", 0,
	    ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "an IPv6 literal without its tag refused",
	    "<alice@[2001:db8::1]>", 0, ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "an IPv4 address behind the IPv6 tag refused",
	    "<alice@[IPv6:192.0.2.1]>", 0, ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "an IPv6 literal of nine groups refused",
	    "<alice@[IPv6:1:2:3:4:5:6:7:8:9]>", 0, ASCII,
	    ADDR_SYNTAX, NULL, 0 },
	{ PATH, "an IPv6 literal with a zone refused",
	    "<alice@[IPv6:fe80::1%eth0]>", 0, ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a general address literal refused",
	    "<alice@[x-tag:content]>", 0, ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "an empty address literal refused", "<alice@[]>", 0, ASCII,
	    ADDR_SYNTAX, NULL, 0 },
	{ PATH, "an unclosed address literal refused", "<alice@[192.0.2.1>",
	    0, ASCII, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a label after an address literal refused",
	    "<alice@[192.0.2.1].example>", 0, ASCII, ADDR_SYNTAX, NULL, 0 },

	/* UTF-8 (RFC 6531 3.3), allowed with SMTPUTF8 only. */
	{ PATH, "a UTF-8 local part without SMTPUTF8 is ADDR_UTF8",
	    "<jos\xc3\xa9@example.com>", 0, ASCII, ADDR_UTF8, NULL, 0 },
	{ PATH, "a UTF-8 local part with SMTPUTF8",
	    "<jos\xc3\xa9@example.com>", 0, SMTPUTF8,
	    ADDR_OK, "jos\xc3\xa9@example.com", 19 },
	{ PATH, "a UTF-8 domain without SMTPUTF8 is ADDR_UTF8",
	    "<alice@b\xc3\xbc" "cher.example>", 0, ASCII, ADDR_UTF8, NULL, 0 },
	{ PATH, "a UTF-8 domain with SMTPUTF8",
	    "<alice@b\xc3\xbc" "cher.example>", 0, SMTPUTF8,
	    ADDR_OK, "alice@b\xc3\xbc" "cher.example", 23 },
	{ PATH, "a UTF-8 quoted string without SMTPUTF8 is ADDR_UTF8",
	    "<\"j\xc3\xb6rg\"@example.com>", 0, ASCII, ADDR_UTF8, NULL, 0 },
	{ PATH, "a UTF-8 quoted string with SMTPUTF8",
	    "<\"j\xc3\xb6rg\"@example.com>", 0, SMTPUTF8,
	    ADDR_OK, "\"j\xc3\xb6rg\"@example.com", 21 },
	{ PATH, "octet 0xff without SMTPUTF8 is ADDR_UTF8",
	    "<al\xff" "ice@example.com>", 0, ASCII, ADDR_UTF8, NULL, 0 },
	{ PATH, "octet 0xff with SMTPUTF8 refused",
	    "<al\xff" "ice@example.com>", 0, SMTPUTF8, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a 4-octet character (U+1F600)",
	    "<a\xf0\x9f\x98\x80@example.com>", 0, SMTPUTF8,
	    ADDR_OK, "a\xf0\x9f\x98\x80@example.com", 19 },
	{ PATH, "U+10FFFF, the last code point",
	    "<a\xf4\x8f\xbf\xbf@example.com>", 0, SMTPUTF8,
	    ADDR_OK, "a\xf4\x8f\xbf\xbf@example.com", 19 },
	{ PATH, "the overlong 2-octet form of '/' refused",
	    "<a\xc0\xaf@example.com>", 0, SMTPUTF8, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "an overlong 3-octet form refused",
	    "<a\xe0\x80\xaf@example.com>", 0, SMTPUTF8, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "an overlong 4-octet form refused",
	    "<a\xf0\x80\x80\xaf@example.com>", 0, SMTPUTF8,
	    ADDR_SYNTAX, NULL, 0 },
	{ PATH, "the surrogate U+D800 refused",
	    "<a\xed\xa0\x80@example.com>", 0, SMTPUTF8, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a code point past U+10FFFF refused",
	    "<a\xf4\x90\x80\x80@example.com>", 0, SMTPUTF8,
	    ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a lone continuation octet refused", "<a\x80@example.com>", 0,
	    SMTPUTF8, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a sequence cut short by '@' refused", "<a\xc3@example.com>",
	    0, SMTPUTF8, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a 3-octet character (U+20AC) in the domain",
	    "<a@\xe2\x82\xac.example>", 0, SMTPUTF8,
	    ADDR_OK, "a@\xe2\x82\xac.example", 15 },
	{ PATH, "the surrogate U+DC00 in the domain refused",
	    "<a@\xed\xb0\x80.example>", 0, SMTPUTF8, ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a label of 63 octets ending in a 2-octet character",
	    "<a@{b*61}\xc3\xa9.example>", BUILT, SMTPUTF8,
	    ADDR_OK, "a@{b*61}\xc3\xa9.example", 75 },
	{ PATH, "a label of 64 octets ending in a 2-octet character refused",
	    "<a@{b*62}\xc3\xa9.example>", BUILT, SMTPUTF8,
	    ADDR_SYNTAX, NULL, 0 },
	{ PATH, "a quoted pair of a UTF-8 character refused",
	    "<\"\\\xc3\xa9\"@example.com>", 0, SMTPUTF8, ADDR_SYNTAX, NULL, 0 },

	/* Bare mailboxes: the whole input or nothing. */
	{ MAILBOX, "a bare mailbox", "alice@example.com", 0, ASCII,
	    ADDR_OK, "alice@example.com", 0 },
	{ MAILBOX, "a quoted local part", "\"alice smith\"@example.com", 0,
	    ASCII, ADDR_OK, "\"alice smith\"@example.com", 0 },
	{ MAILBOX, "an address literal", "alice@[192.0.2.1]", 0, ASCII,
	    ADDR_OK, "alice@[192.0.2.1]", 0 },
	{ MAILBOX, "a UTF-8 mailbox with SMTPUTF8",
	    "\xe7\x94\xb0\xe4\xb8\xad@\xe4\xbe\x8b.jp", 0, SMTPUTF8,
	    ADDR_OK, "\xe7\x94\xb0\xe4\xb8\xad@\xe4\xbe\x8b.jp", 0 },
	{ MAILBOX, "a UTF-8 mailbox without SMTPUTF8 is ADDR_UTF8",
	    "\xe7\x94\xb0\xe4\xb8\xad@\xe4\xbe\x8b.jp", 0, ASCII,
	    ADDR_UTF8, NULL, 0 },
	{ MAILBOX, "a trailing space refused", "alice@example.com ", 0, ASCII,
	    ADDR_SYNTAX, NULL, 0 },
	{ MAILBOX, "a trailing NUL refused", LEN("alice@example.com\0"),
	    ASCII, ADDR_SYNTAX, NULL, 0 },
	{ MAILBOX, "a bracketed path refused", "<alice@example.com>", 0,
	    ASCII, ADDR_SYNTAX, NULL, 0 },
	{ MAILBOX, "a name without a domain refused", "alice", 0, ASCII,
	    ADDR_SYNTAX, NULL, 0 },
	{ MAILBOX, "postmaster without a domain refused", "postmaster", 0,
	    ASCII, ADDR_SYNTAX, NULL, 0 },
	{ MAILBOX, "empty input refused", "", 0, ASCII, ADDR_SYNTAX, NULL, 0 },
	{ MAILBOX, "a source route refused", "@a.example:alice@example.com", 0,
	    ASCII, ADDR_SYNTAX, NULL, 0 },
	{ MAILBOX, "a mailbox of ADDRESS_MAX octets",
	    "{a*64}@{b*63}.{c*63}.{d*61}", BUILT, ASCII,
	    ADDR_OK, "{a*64}@{b*63}.{c*63}.{d*61}", 0 },
	{ MAILBOX, "a mailbox of ADDRESS_MAX + 1 octets is ADDR_TOOLONG",
	    "{a*64}@{b*63}.{c*63}.{d*62}", BUILT, ASCII,
	    ADDR_TOOLONG, NULL, 0 },
	{ MAILBOX, "a domain over SMTP_DOMAIN_MAX is ADDR_TOOLONG",
	    "a@{b*63}.{c*63}.{d*63}.{e*63}.f", BUILT, ASCII,
	    ADDR_TOOLONG, NULL, 0 },

	/* Quoted local parts that need their quotes, and those that do
	 * not. */
	{ UNQUOTE, "a quoted name is unquoted", "\"alice\"@example.com", 0,
	    ASCII, ADDR_OK, "alice@example.com", 0 },
	{ UNQUOTE, "a quoted dot-string is unquoted",
	    "\"alice.smith\"@example.com", 0, ASCII,
	    ADDR_OK, "alice.smith@example.com", 0 },
	{ UNQUOTE, "a quoted atext special is unquoted",
	    "\"alice+tag\"@example.com", 0, ASCII,
	    ADDR_OK, "alice+tag@example.com", 0 },
	{ UNQUOTE, "a quoted pair of a letter loses its backslash",
	    "\"al\\ice\"@example.com", 0, ASCII,
	    ADDR_OK, "alice@example.com", 0 },
	{ UNQUOTE, "an address literal is kept", "\"alice\"@[192.0.2.1]", 0,
	    ASCII, ADDR_OK, "alice@[192.0.2.1]", 0 },
	{ UNQUOTE, "a UTF-8 name is unquoted",
	    "\"j\xc3\xb6rg\"@example.com", 0, SMTPUTF8,
	    ADDR_OK, "j\xc3\xb6rg@example.com", 0 },
	{ UNQUOTE, "a quoted local part of SMTP_LOCAL_MAX octets is unquoted",
	    "\"{a*62}\"@example.com", BUILT, ASCII,
	    ADDR_OK, "{a*62}@example.com", 0 },
	{ UNQUOTE, "a space needs its quotes", "\"alice smith\"@example.com",
	    0, ASCII, ADDR_SYNTAX, NULL, 0 },
	{ UNQUOTE, "a double dot needs its quotes",
	    "\"alice..smith\"@example.com", 0, ASCII, ADDR_SYNTAX, NULL, 0 },
	{ UNQUOTE, "a leading dot needs its quotes", "\".alice\"@example.com",
	    0, ASCII, ADDR_SYNTAX, NULL, 0 },
	{ UNQUOTE, "a trailing dot needs its quotes", "\"alice.\"@example.com",
	    0, ASCII, ADDR_SYNTAX, NULL, 0 },
	{ UNQUOTE, "an '@' needs its quotes", "\"alice@home\"@example.com", 0,
	    ASCII, ADDR_SYNTAX, NULL, 0 },
	{ UNQUOTE, "an escaped quote needs its quotes",
	    "\"a\\\"b\"@example.com", 0, ASCII, ADDR_SYNTAX, NULL, 0 },
	{ UNQUOTE, "a quoted string inside the quotes needs them",
	    "\"\\\"alice\\\"\"@example.com", 0, ASCII, ADDR_SYNTAX, NULL, 0 },
};

static const char *const fn_name[] = {
	[PATH] = "addr_parse_path",
	[MAILBOX] = "addr_parse_mailbox",
	[UNQUOTE] = "addr_unquote",
};

static const char *const st_name[] = {
	[ADDR_OK] = "ADDR_OK",
	[ADDR_SYNTAX] = "ADDR_SYNTAX",
	[ADDR_TOOLONG] = "ADDR_TOOLONG",
	[ADDR_ROUTE] = "ADDR_ROUTE",
	[ADDR_UTF8] = "ADDR_UTF8",
};

/* Write the pattern pat into buf (size octets), each "{c*N}" as N copies
 * of c.  Returns the octets written; a pattern too long for buf is cut,
 * and its case fails. */
static size_t
expand(const char *pat, char *buf, size_t size)
{
	size_t n = 0;
	unsigned long count;
	char *end;

	while (*pat != '\0' && n < size) {
		if (pat[0] == '{' && pat[1] != '\0' && pat[2] == '*') {
			count = strtoul(pat + 3, &end, 10);
			if (*end == '}' && count <= size - n) {
				memset(buf + n, pat[1], count);
				n += count;
				pat = end + 1;
				continue;
			}
		}
		buf[n++] = *pat++;
	}
	return n;
}

/* A heap copy of exactly the row's input, its length in *len. */
static char *
input(const struct row *r, size_t *len)
{
	char buf[1024], *s;

	if (r->len == BUILT)
		*len = expand(r->in, buf, sizeof(buf));
	else {
		*len = r->len != 0 ? r->len : strlen(r->in);
		memcpy(buf, r->in, *len);
	}
	if ((s = malloc(*len > 0 ? *len : 1)) == NULL) {
		perror("address-test: malloc");
		exit(2);
	}
	memcpy(s, buf, *len);
	return s;
}

/* Check a result against the row's text, and the kind, '@' and quoting
 * that follow from it. */
static void
check_text(const struct row *r, const struct address *a)
{
	char want[1024];
	const char *at;
	size_t n = strlen(r->text);

	if (r->len == BUILT)
		n = expand(r->text, want, sizeof(want) - 1);
	else
		memcpy(want, r->text, n);
	want[n] = '\0';
	at = strrchr(want, '@');
	if (!unit_str("text", a->text, want))
		return;
	unit_int("kind", a->kind, want[0] == '\0' ? ADDR_NULL :
	    at == NULL ? ADDR_POSTMASTER : ADDR_MAILBOX);
	unit_int("at", (long)a->at, at == NULL ? 0 : at - want);
	unit_int("quoted", a->quoted, want[0] == '"');
}

static void
check(const struct row *r)
{
	struct address a, parsed;
	enum addr_status st = ADDR_SYNTAX;
	size_t len, used = 0;
	char *in, name[256];

	in = input(r, &len);
	memset(&a, 0, sizeof(a));
	switch (r->fn) {
	case PATH:
		st = addr_parse_path(in, len, r->utf8, &a, &used);
		break;
	case MAILBOX:
		st = addr_parse_mailbox(in, len, r->utf8, &a);
		break;
	case UNQUOTE:
		/* addr_unquote() is for what the parser took as quoted. */
		if (addr_parse_mailbox(in, len, r->utf8, &parsed) != ADDR_OK ||
		    !parsed.quoted) {
			unit_differ("the quoted mailbox itself was not taken");
			goto done;
		}
		st = addr_unquote(&parsed, &a);
		break;
	}
	if (unit_str("status", st_name[st], st_name[r->st]) &&
	    st == ADDR_OK) {
		check_text(r, &a);
		if (r->fn == PATH)
			unit_int("used", (long)used, (long)r->used);
	}
done:
	free(in);
	snprintf(name, sizeof(name), "%s: %s", fn_name[r->fn], r->name);
	unit_end(name);
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		check(&rows[i]);
	return unit_done();
}
