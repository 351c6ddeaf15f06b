/*
 * proxy-test.c: table-driven tests of proxy.h's header parser against
 * HAProxy's "The PROXY protocol" specification (section 2.1, version 1;
 * section 2.2, version 2) and the limits of tunables.h, and of the list
 * of trusted sources (-x).
 *
 * Each input is handed to proxy_parse() in a heap copy of exactly its
 * length, so that under the sanitizers a read past len is an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"
#include "unit.h"

/* A version 2 row is written in hex digits, spaces between them ignored;
 * most begin with the signature of section 2.2. */
enum ver { V1, V2 };
#define SIG	"0d0a0d0a000d0a515549540a "

struct hdr_row {
	enum ver ver;
	const char *name;	/* what is tested */
	const char *in;		/* V1: the octets; V2: hex */
	size_t	len;		/* V1: the octets of in when it holds a NUL */
	size_t	pad;		/* octets after in: 'f' for V1, 0 for V2 */
	const char *tail;	/* what follows the padding, as in */
	int	ret;		/* what proxy_parse() returns */
	/* With ret > 0: what the header said ("" for a NULL text). */
	int	local;
	const char *src, *dst;
	unsigned sport, dport;
	const char *why;	/* with ret -1: a word of h->why */
};

static const struct hdr_row hdr_rows[] = {
	/* Version 1: what a header may say. */
	{ V1, "v1 TCP4 header decoded",
	    .in = "PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\n", .ret = 44,
	    .src = "192.0.2.1", .sport = 56324, .dst = "198.51.100.2",
	    .dport = 25 },
	{ V1, "v1 TCP6 header decoded",
	    .in = "PROXY TCP6 2001:db8::1 2001:db8::2 56324 587\r\n", .ret = 46,
	    .src = "2001:db8::1", .sport = 56324, .dst = "2001:db8::2",
	    .dport = 587 },
	{ V1, "v1 TCP6 addresses written in their canonical form",
	    .in = "PROXY TCP6 2001:DB8:0:0:0:0:0:1 0:0:0:0:0:0:0:1 1 2\r\n",
	    .ret = 53, .src = "2001:db8::1", .sport = 1, .dst = "::1",
	    .dport = 2 },
	{ V1, "v1 TCP6 IPv4-mapped source written as IPv4",
	    .in = "PROXY TCP6 ::ffff:c000:201 2001:db8::2 56324 25\r\n",
	    .ret = 49, .src = "192.0.2.1", .sport = 56324,
	    .dst = "2001:db8::2", .dport = 25 },
	{ V1, "v1 longest TCP6 header of the specification (104 octets)",
	    .in = "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n",
	    .ret = 104, .src = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	    .sport = 65535, .dst = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	    .dport = 65535 },
	{ V1, "v1 ports 0 and 65535",
	    .in = "PROXY TCP4 192.0.2.1 198.51.100.2 0 65535\r\n", .ret = 43,
	    .src = "192.0.2.1", .sport = 0, .dst = "198.51.100.2",
	    .dport = 65535 },
	{ V1, "v1 octets after the CRLF not consumed",
	    .in = "PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\nEHLO x\r\n",
	    .ret = 44, .src = "192.0.2.1", .sport = 56324,
	    .dst = "198.51.100.2", .dport = 25 },
	{ V1, "v1 UNKNOWN alone keeps the connection's addresses",
	    .in = "PROXY UNKNOWN\r\n", .ret = 15, .local = 1 },
	{ V1, "v1 UNKNOWN with addresses: the rest of the line ignored",
	    .in = "PROXY UNKNOWN 192.0.2.1 198.51.100.2 56324 25\r\n",
	    .ret = 47, .local = 1 },
	{ V1, "v1 UNKNOWN followed by double spaces: the rest ignored",
	    .in = "PROXY UNKNOWN  x  y\r\n", .ret = 21, .local = 1 },
	{ V1, "v1 header of PROXY_V1_MAX (107) octets",
	    .in = "PROXY UNKNOWN ", .pad = 91, .tail = "\r\n", .ret = 107,
	    .local = 1 },
	{ V1, "v1 header of 108 octets refused",
	    .in = "PROXY UNKNOWN ", .pad = 92, .tail = "\r\n", .ret = -1,
	    .why = "107" },
	{ V1, "v1 line of 108 octets without its CR refused at octet 106",
	    .in = "PROXY UNKNOWN ", .pad = 92, .ret = -1, .why = "107" },

	/* Version 1: beginnings that need more octets. */
	{ V1, "an empty buffer needs more octets", .in = "", .ret = 0 },
	{ V1, "v1 \"P\" needs more octets", .in = "P", .ret = 0 },
	{ V1, "v1 line without its CRLF yet needs more octets",
	    .in = "PROXY TCP4 192.0.2.1 198.51.100.2 56324 25", .ret = 0 },
	{ V1, "v1 line ending in CR needs more octets",
	    .in = "PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r", .ret = 0 },

	/* Version 1: refused. */
	{ V1, "not a header: an SMTP command", .in = "EHLO client.example\r\n",
	    .ret = -1, .why = "no PROXY" },
	{ V1, "v1 \"proxy\" in lower case refused",
	    .in = "proxy TCP4 192.0.2.1 198.51.100.2 56324 25\r\n", .ret = -1,
	    .why = "no PROXY" },
	{ V1, "v1 \"PROXY\" without its space refused",
	    .in = "PROXYTCP4 192.0.2.1 198.51.100.2 56324 25\r\n", .ret = -1,
	    .why = "no PROXY" },
	{ V1, "v1 \"PROXY\" alone refused", .in = "PROXY\r\n", .ret = -1,
	    .why = "no PROXY" },
	{ V1, "v1 \"PROXY \" with no protocol refused", .in = "PROXY \r\n",
	    .ret = -1, .why = "empty field" },
	{ V1, "v1 unknown protocol UDP4 refused",
	    .in = "PROXY UDP4 192.0.2.1 198.51.100.2 56324 25\r\n", .ret = -1,
	    .why = "unknown protocol" },
	{ V1, "v1 protocol in lower case refused",
	    .in = "PROXY tcp4 192.0.2.1 198.51.100.2 56324 25\r\n", .ret = -1,
	    .why = "unknown protocol" },
	{ V1, "v1 double space after PROXY refused",
	    .in = "PROXY  TCP4 192.0.2.1 198.51.100.2 56324 25\r\n", .ret = -1,
	    .why = "double space" },
	{ V1, "v1 double space between the addresses refused",
	    .in = "PROXY TCP4 192.0.2.1  198.51.100.2 56324 25\r\n", .ret = -1,
	    .why = "double space" },
	{ V1, "v1 space before the CRLF refused",
	    .in = "PROXY TCP4 192.0.2.1 198.51.100.2 56324 25 \r\n", .ret = -1,
	    .why = "six fields" },
	{ V1, "v1 five fields refused",
	    .in = "PROXY TCP4 192.0.2.1 198.51.100.2 56324\r\n", .ret = -1,
	    .why = "six fields" },
	{ V1, "v1 seven fields refused",
	    .in = "PROXY TCP4 192.0.2.1 198.51.100.2 56324 25 x\r\n",
	    .ret = -1, .why = "six fields" },
	{ V1, "v1 IPv6 addresses in TCP4 refused",
	    .in = "PROXY TCP4 2001:db8::1 2001:db8::2 56324 25\r\n", .ret = -1,
	    .why = "bad address" },
	{ V1, "v1 IPv4 addresses in TCP6 refused",
	    .in = "PROXY TCP6 192.0.2.1 198.51.100.2 56324 25\r\n", .ret = -1,
	    .why = "bad address" },
	{ V1, "v1 IPv4 address with a leading zero refused",
	    .in = "PROXY TCP4 192.0.2.01 198.51.100.2 56324 25\r\n", .ret = -1,
	    .why = "bad address" },
	{ V1, "v1 IPv4 address of three parts refused",
	    .in = "PROXY TCP4 192.0.2 198.51.100.2 56324 25\r\n", .ret = -1,
	    .why = "bad address" },
	{ V1, "v1 IPv4 address with 256 refused",
	    .in = "PROXY TCP4 192.0.2.1 198.51.100.256 56324 25\r\n",
	    .ret = -1, .why = "bad address" },
	{ V1, "v1 host name for an address refused",
	    .in = "PROXY TCP4 localhost 198.51.100.2 56324 25\r\n", .ret = -1,
	    .why = "bad address" },
	{ V1, "v1 port 65536 refused",
	    .in = "PROXY TCP4 192.0.2.1 198.51.100.2 65536 25\r\n", .ret = -1,
	    .why = "bad port" },
	{ V1, "v1 port with a leading zero refused",
	    .in = "PROXY TCP4 192.0.2.1 198.51.100.2 56324 025\r\n", .ret = -1,
	    .why = "bad port" },
	{ V1, "v1 port of six digits refused",
	    .in = "PROXY TCP4 192.0.2.1 198.51.100.2 100000 25\r\n", .ret = -1,
	    .why = "bad port" },
	{ V1, "v1 port with a sign refused",
	    .in = "PROXY TCP4 192.0.2.1 198.51.100.2 +56324 25\r\n", .ret = -1,
	    .why = "bad port" },
	{ V1, "v1 bare LF refused",
	    .in = "PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\n", .ret = -1,
	    .why = "CRLF" },
	{ V1, "v1 CR not followed by LF refused",
	    .in = "PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\rX", .ret = -1,
	    .why = "CRLF" },
	{ V1, "v1 8-bit octet refused", .in = "PROXY UNKNOWN \xe9\r\n",
	    .ret = -1, .why = "8-bit" },
	{ V1, "v1 NUL octet refused", .in = "PROXY UNKNOWN \0\r\n", .len = 17,
	    .ret = -1, .why = "control" },
	{ V1, "v1 tab refused", .in = "PROXY TCP4\t192.0.2.1\r\n", .ret = -1,
	    .why = "control" },

	/* Version 2: what a header may say. */
	{ V2, "v2 PROXY over INET decoded",
	    .in = SIG "21 11 000c c0000201 c6336402 dc04 0019", .ret = 28,
	    .src = "192.0.2.1", .sport = 56324, .dst = "198.51.100.2",
	    .dport = 25 },
	{ V2, "v2 PROXY over INET6 decoded",
	    .in = SIG "21 21 0024 20010db8000000000000000000000001 "
	    "20010db8000000000000000000000002 dc04 024b", .ret = 52,
	    .src = "2001:db8::1", .sport = 56324, .dst = "2001:db8::2",
	    .dport = 587 },
	{ V2, "v2 IPv4-mapped IPv6 source written as IPv4",
	    .in = SIG "21 21 0024 00000000000000000000ffffc0000201 "
	    "20010db8000000000000000000000025 dc04 0019", .ret = 52,
	    .src = "192.0.2.1", .sport = 56324, .dst = "2001:db8::25",
	    .dport = 25 },
	{ V2, "v2 TLVs after the addresses skipped",
	    .in = SIG "21 11 0014 c0000201 c6336402 dc04 0019 "
	    "01 0002 6832 04 0000", .ret = 36, .src = "192.0.2.1",
	    .sport = 56324, .dst = "198.51.100.2", .dport = 25 },
	{ V2, "v2 octets after the header not consumed",
	    .in = SIG "21 11 000c c0000201 c6336402 dc04 0019 45484c4f",
	    .ret = 28, .src = "192.0.2.1", .sport = 56324,
	    .dst = "198.51.100.2", .dport = 25 },
	{ V2, "v2 header of PROXY_V2_MAX octets",
	    .in = SIG "21 11 0800 c0000201 c6336402 dc04 0019", .pad = 2036,
	    .ret = 2064, .src = "192.0.2.1", .sport = 56324,
	    .dst = "198.51.100.2", .dport = 25 },
	{ V2, "v2 LOCAL keeps the connection's addresses",
	    .in = SIG "20 00 0000", .ret = 16, .local = 1 },
	{ V2, "v2 LOCAL with an address block discards it",
	    .in = SIG "20 11 000c c0000201 c6336402 dc04 0019", .ret = 28,
	    .local = 1 },
	{ V2, "v2 LOCAL ignores the family octet",
	    .in = SIG "20 ff 0000", .ret = 16, .local = 1 },
	{ V2, "v2 PROXY over UNSPEC keeps the connection's addresses",
	    .in = SIG "21 00 0000", .ret = 16, .local = 1 },
	{ V2, "v2 PROXY over UNIX stream keeps the connection's addresses",
	    .in = SIG "21 31 00d8", .pad = 216, .ret = 232, .local = 1 },
	{ V2, "v2 PROXY over UNIX datagram keeps the connection's addresses",
	    .in = SIG "21 32 00d8", .pad = 216, .ret = 232, .local = 1 },

	/* Version 2: beginnings that need more octets. */
	{ V2, "v2 first 5 octets of the signature need more",
	    .in = "0d0a0d0a00", .ret = 0 },
	{ V2, "v2 signature alone needs more", .in = SIG, .ret = 0 },
	{ V2, "v2 fixed part alone needs more", .in = SIG "21 11 000c",
	    .ret = 0 },
	{ V2, "v2 half an INET address block needs more",
	    .in = SIG "21 11 000c c0000201 c6336402", .ret = 0 },

	/* Version 2: refused. */
	{ V2, "v2 first octet neither 'P' nor CR refused", .in = "00",
	    .ret = -1, .why = "no PROXY" },
	{ V2, "v2 signature broken at octet 5 refused",
	    .in = "0d0a0d0a01", .ret = -1, .why = "no PROXY" },
	{ V2, "v2 empty line then text refused", .in = "0d0a 4548",
	    .ret = -1, .why = "no PROXY" },
	{ V2, "v2 version nibble 1 refused",
	    .in = SIG "11 11 000c c0000201 c6336402 dc04 0019", .ret = -1,
	    .why = "version" },
	{ V2, "v2 version nibble 3 refused as soon as octet 13 is there",
	    .in = SIG "31", .ret = -1, .why = "version" },
	{ V2, "v2 unknown command 2 refused",
	    .in = SIG "22 11 000c c0000201 c6336402 dc04 0019", .ret = -1,
	    .why = "command" },
	{ V2, "v2 unknown command 15 refused as soon as octet 13 is there",
	    .in = SIG "2f", .ret = -1, .why = "command" },
	{ V2, "v2 UDP over INET refused",
	    .in = SIG "21 12 000c c0000201 c6336402 dc04 0019", .ret = -1,
	    .why = "neither" },
	{ V2, "v2 UDP over INET6 refused",
	    .in = SIG "21 22 0024 20010db8000000000000000000000001 "
	    "20010db8000000000000000000000002 dc04 024b", .ret = -1,
	    .why = "neither" },
	{ V2, "v2 INET with an unspecified transport refused",
	    .in = SIG "21 10 000c c0000201 c6336402 dc04 0019", .ret = -1,
	    .why = "neither" },
	{ V2, "v2 UNIX with an unspecified transport refused",
	    .in = SIG "21 30 00d8", .pad = 216, .ret = -1, .why = "neither" },
	{ V2, "v2 unknown family 4 refused",
	    .in = SIG "21 41 000c c0000201 c6336402 dc04 0019", .ret = -1,
	    .why = "neither" },
	{ V2, "v2 INET address block of 8 octets refused",
	    .in = SIG "21 11 0008 c0000201 c6336402", .ret = -1,
	    .why = "too short" },
	{ V2, "v2 INET6 with an INET-sized address block refused",
	    .in = SIG "21 21 000c c0000201 c6336402 dc04 0019", .ret = -1,
	    .why = "too short" },
	{ V2, "v2 UNIX address block of 12 octets refused",
	    .in = SIG "21 31 000c", .pad = 12, .ret = -1, .why = "too short" },
	{ V2, "v2 length one over PROXY_V2_MAX refused at once",
	    .in = SIG "21 11 0801", .ret = -1, .why = "too long" },
	{ V2, "v2 length 65535 refused at once",
	    .in = SIG "21 11 ffff", .ret = -1, .why = "too long" },
};

struct list_row {
	const char *name;	/* what is tested */
	const char *list;	/* or NULL for "10.0.0.1,...,10.0.0.many" */
	size_t	many;
	int	ret;		/* what proxy_list_parse() returns */
	const char *in;		/* with ret 0: a peer trusted, or NULL */
	const char *out;	/* and one not trusted, or NULL */
};

static const struct list_row list_rows[] = {
	{ "a single IPv4 address", "192.0.2.1", 0, 0,
	    "192.0.2.1", "192.0.2.2" },
	{ "a single IPv6 address", "2001:db8::1", 0, 0,
	    "2001:db8::1", "2001:db8::2" },
	{ "an IPv6 address written another way", "2001:DB8:0::1", 0, 0,
	    "2001:db8::1", "2001:db8::1:1" },
	{ "an IPv4 /24 prefix", "192.0.2.0/24", 0, 0,
	    "192.0.2.255", "192.0.3.0" },
	{ "an IPv4 /12 prefix, not on an octet", "10.16.0.0/12", 0, 0,
	    "10.31.255.255", "10.32.0.0" },
	{ "an IPv4 /12 prefix, below its start", "10.16.0.0/12", 0, 0,
	    "10.16.0.0", "10.15.255.255" },
	{ "an IPv4 /32 prefix", "192.0.2.1/32", 0, 0,
	    "192.0.2.1", "192.0.2.0" },
	{ "an IPv4 /0 matches every IPv4 peer", "0.0.0.0/0", 0, 0,
	    "203.0.113.9", "2001:db8::1" },
	{ "an IPv6 /32 prefix", "2001:db8::/32", 0, 0,
	    "2001:db8:ffff::1", "2001:db9::1" },
	{ "an IPv6 /127 prefix", "2001:db8::/127", 0, 0,
	    "2001:db8::1", "2001:db8::2" },
	{ "an IPv6 /128 prefix", "::1/128", 0, 0, "::1", "::2" },
	{ "an IPv6 /0 matches every IPv6 peer", "::/0", 0, 0,
	    "2001:db8::1", "192.0.2.1" },
	{ "an IPv6 /0 does not match an IPv4-mapped peer", "::/0", 0, 0,
	    "::2", "::ffff:192.0.2.1" },
	{ "several entries: the second matches",
	    "127.0.0.1,10.0.0.0/8,::1", 0, 0, "10.9.8.7", "11.0.0.1" },
	{ "several entries: the last matches",
	    "127.0.0.1,10.0.0.0/8,::1", 0, 0, "::1", "::2" },
	{ "an IPv4-mapped entry matches the IPv4 peer",
	    "::ffff:192.0.2.1", 0, 0, "192.0.2.1", "192.0.2.2" },
	{ "an IPv4-mapped entry matches the IPv4-mapped peer",
	    "::ffff:192.0.2.1", 0, 0, "::ffff:192.0.2.1", "::ffff:192.0.2.2" },
	{ "an IPv4-mapped /104 is the IPv4 /8",
	    "::ffff:10.0.0.0/104", 0, 0, "10.1.2.3", "11.0.0.0" },
	{ "an IPv4-mapped /96 is the IPv4 /0",
	    "::ffff:0.0.0.0/96", 0, 0, "198.51.100.7", "2001:db8::1" },
	{ "an IPv4 entry matches an IPv4-mapped peer", "10.0.0.0/8", 0, 0,
	    "::ffff:10.1.2.3", "::ffff:11.1.2.3" },
	{ "the longest entry text",
	    "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128", 0, 0,
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe" },
	{ "a peer that is no address is not trusted", "0.0.0.0/0", 0, 0,
	    NULL, "unknown" },
	{ "PROXY_TRUST_MAX entries", NULL, PROXY_TRUST_MAX, 0,
	    "10.0.0.32", "10.0.0.33" },
	{ "PROXY_TRUST_MAX + 1 entries refused", NULL, PROXY_TRUST_MAX + 1,
	    -1, NULL, NULL },
	{ "an IPv4 /33 refused", "10.0.0.0/33", 0, -1, NULL, NULL },
	{ "an IPv6 /129 refused", "2001:db8::/129", 0, -1, NULL, NULL },
	{ "bits set past an IPv4 prefix refused", "10.0.0.5/8", 0, -1,
	    NULL, NULL },
	{ "bits set past an IPv4 /0 refused", "192.0.2.1/0", 0, -1,
	    NULL, NULL },
	{ "bits set past an IPv6 prefix refused", "2001:db8::1/64", 0, -1,
	    NULL, NULL },
	{ "bits set past an IPv4-mapped prefix refused",
	    "::ffff:10.0.0.5/104", 0, -1, NULL, NULL },
	{ "a leading zero in a prefix refused", "10.0.0.0/08", 0, -1,
	    NULL, NULL },
	{ "an empty prefix refused", "10.0.0.0/", 0, -1, NULL, NULL },
	{ "a negative prefix refused", "10.0.0.0/-8", 0, -1, NULL, NULL },
	{ "a prefix with trailing text refused", "10.0.0.0/8x", 0, -1,
	    NULL, NULL },
	{ "a prefix without an address refused", "/8", 0, -1, NULL, NULL },
	{ "an IPv4 address with a leading zero refused", "010.0.0.1", 0, -1,
	    NULL, NULL },
	{ "a host name refused", "localhost", 0, -1, NULL, NULL },
	{ "an IPv6 zone refused", "fe80::1%eth0", 0, -1, NULL, NULL },
	{ "an empty list refused", "", 0, -1, NULL, NULL },
	{ "an empty entry between two refused", "10.0.0.1,,10.0.0.2", 0, -1,
	    NULL, NULL },
	{ "a trailing comma refused", "10.0.0.1,", 0, -1, NULL, NULL },
	{ "a leading comma refused", ",10.0.0.1", 0, -1, NULL, NULL },
	{ "a space after a comma refused", "10.0.0.1, 10.0.0.2", 0, -1,
	    NULL, NULL },
};

#define NROWS(t)	(sizeof(t) / sizeof((t)[0]))

static int
nibble(char c)
{
	static const char digits[] = "0123456789abcdef";
	const char *p;

	return c != '\0' && (p = strchr(digits, c)) != NULL ?
	    (int)(p - digits) : -1;
}

/* Append the octets of s, in the row's notation, to buf[*n..size). */
static void
append(enum ver ver, const char *s, size_t len, unsigned char *buf,
    size_t *n, size_t size)
{
	int hi, lo;

	if (ver == V1) {
		if (len == 0)
			len = strlen(s);
		if (len > size - *n)
			len = size - *n;
		memcpy(buf + *n, s, len);
		*n += len;
		return;
	}
	while (*s != '\0' && *n < size) {
		if (*s == ' ') {
			s++;
			continue;
		}
		/* A typing mistake in a row ends its input; the case
		 * then fails. */
		if ((hi = nibble(s[0])) < 0 || (lo = nibble(s[1])) < 0)
			return;
		buf[(*n)++] = (unsigned char)(hi << 4 | lo);
		s += 2;
	}
}

/* A heap copy of exactly the row's input, its length in *len. */
static unsigned char *
input(const struct hdr_row *r, size_t *len)
{
	unsigned char buf[4096], *p;
	size_t n = 0, pad;

	append(r->ver, r->in, r->len, buf, &n, sizeof(buf));
	pad = r->pad < sizeof(buf) - n ? r->pad : sizeof(buf) - n;
	memset(buf + n, r->ver == V1 ? 'f' : 0, pad);
	n += pad;
	if (r->tail != NULL)
		append(r->ver, r->tail, 0, buf, &n, sizeof(buf));
	if ((p = malloc(n > 0 ? n : 1)) == NULL) {
		perror("proxy-test: malloc");
		exit(2);
	}
	memcpy(p, buf, n);
	*len = n;
	return p;
}

/* What a good header said. */
static void
check_said(const struct hdr_row *r, const struct proxy_hdr *h)
{
	if (h->why != NULL)
		unit_differ("h->why \"%s\" set on success", h->why);
	else if (unit_int("local", h->local, r->local) &&
	    unit_str("src", h->src, r->src != NULL ? r->src : "") &&
	    unit_int("src_port", h->src_port, r->sport) &&
	    unit_str("dst", h->dst, r->dst != NULL ? r->dst : ""))
		unit_int("dst_port", h->dst_port, r->dport);
}

static void
check_hdr(const struct hdr_row *r)
{
	struct proxy_hdr h;
	unsigned char *in;
	char name[256];
	size_t len;
	int ret;

	in = input(r, &len);
	ret = proxy_parse(in, len, &h);
	free(in);
	if (unit_int("returned", ret, r->ret)) {
		if (ret > 0)
			check_said(r, &h);
		else if (ret == 0 && h.why != NULL)
			unit_differ("h->why \"%s\" set on a beginning", h.why);
		else if (ret < 0 && h.why == NULL)
			unit_differ("h->why not set");
		else if (ret < 0 && strstr(h.why, r->why) == NULL)
			unit_differ("h->why \"%s\" does not say \"%s\"",
			    h.why, r->why);
	}
	snprintf(name, sizeof(name), "proxy_parse: %s", r->name);
	unit_end(name);
}

/* Section 2: a receiver reads until it has a whole header, so each
 * proper beginning of a good one must ask for more, not be refused. */
static void
check_prefixes(void)
{
	struct proxy_hdr h;
	unsigned char *in, *cut;
	size_t i, k, len;
	int ret;

	for (i = 0; i < NROWS(hdr_rows); i++) {
		if (hdr_rows[i].ret <= 0)
			continue;
		in = input(&hdr_rows[i], &len);
		for (k = 0; k < (size_t)hdr_rows[i].ret; k++) {
			if ((cut = malloc(k > 0 ? k : 1)) == NULL) {
				perror("proxy-test: malloc");
				exit(2);
			}
			memcpy(cut, in, k);
			ret = proxy_parse(cut, k, &h);
			free(cut);
			if (ret != 0) {
				unit_differ("%s: its first %zu octets returned"
				    " %d", hdr_rows[i].name, k, ret);
				break;
			}
		}
		free(in);
	}
	unit_end("proxy_parse: every proper prefix of each good header above "
	    "returns 0");
}

static void
check_list(const struct list_row *r)
{
	struct proxy_list l;
	char many[PROXY_TRUST_MAX * 16 + 64], name[256];
	const char *list = r->list;
	size_t i, n = 0;
	int ret;

	if (list == NULL) {
		many[0] = '\0';
		for (i = 1; i <= r->many && n < sizeof(many) - 16; i++)
			n += (size_t)snprintf(many + n, sizeof(many) - n,
			    "%s10.0.0.%zu", i > 1 ? "," : "", i);
		list = many;
	}
	ret = proxy_list_parse(&l, list);
	if (unit_int("proxy_list_parse returned", ret, r->ret) && ret == 0) {
		if (r->in != NULL && !proxy_trusted(&l, r->in))
			unit_differ("%s not trusted", r->in);
		else if (r->out != NULL && proxy_trusted(&l, r->out))
			unit_differ("%s trusted", r->out);
	}
	snprintf(name, sizeof(name), "proxy_list_parse, proxy_trusted: %s",
	    r->name);
	unit_end(name);
}

int
main(void)
{
	size_t i;

	for (i = 0; i < NROWS(hdr_rows); i++)
		check_hdr(&hdr_rows[i]);
	check_prefixes();
	for (i = 0; i < NROWS(list_rows); i++)
		check_list(&list_rows[i]);
	return unit_done();
}
