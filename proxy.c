/*
 * proxy.c: the PROXY protocol, versions 1 and 2, as HAProxy's "The PROXY
 * protocol" specification defines them: the list of trusted sources, a
 * strict parser of the header, and a reader that takes the header off the
 * connection and not one octet more.
 *
 * The header is believed only from a trusted source, and parsed to the
 * grammar of the specification: anything else is refused, never repaired.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "net.h"
#include "proxy.h"
#include "tunables.h"

/* Section 2.2: the twelve octets that open a version 2 header.  They
 * begin with an empty line and hold "QUIT", so that a server which does
 * not expect the header sees a protocol error and a QUIT. */
static const unsigned char v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};
#define V2_HEAD		16	/* signature, version and command, family,
				 * length */

/* Version 2 (section 2.2): the high nibble of octet 13 is the version,
 * the low one the command; octet 14 holds the address family and the
 * transport; the address block has a fixed size for each family. */
enum { V2_LOCAL = 0x0, V2_PROXY = 0x1 };
enum { V2_UNSPEC = 0x0, V2_INET = 0x1, V2_INET6 = 0x2, V2_UNIX = 0x3 };
enum { V2_STREAM = 0x1, V2_DGRAM = 0x2 };
#define V2_INET_LEN	12	/* two IPv4 addresses, two ports */
#define V2_INET6_LEN	36	/* two IPv6 addresses, two ports */
#define V2_UNIX_LEN	216	/* two 108-octet socket paths */

/* --- Trusted sources -------------------------------------------- */

/* A decimal number of digits only, without a leading zero (but "0"),
 * from 0 to max.  Returns it, or -1. */
static long
decimal(const char *s, size_t len, long max)
{
	long v = 0;
	size_t i;

	if (len == 0 || len > 5 || (s[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= max ? v : -1;
}

/* One entry of a list, "address" or "address/prefix", of len octets.
 * An IPv4-mapped entry whose prefix covers the mapping is the IPv4
 * address or network it holds, since a peer is matched as IPv4. */
static int
entry_parse(struct proxy_net *n, const char *s, size_t len)
{
	char text[INET6_ADDRSTRLEN + 4], *slash;
	unsigned max, bit;
	long prefix = -1;

	if (len == 0 || len >= sizeof(text))
		return -1;
	memcpy(text, s, len);
	text[len] = '\0';
	if ((slash = strchr(text, '/')) != NULL) {
		*slash++ = '\0';
		if ((prefix = decimal(slash, strlen(slash), 128)) < 0)
			return -1;
	}
	memset(n->addr, 0, sizeof(n->addr));
	if (inet_pton(AF_INET, text, n->addr) == 1)
		n->family = AF_INET;
	else if (inet_pton(AF_INET6, text, n->addr) == 1)
		n->family = AF_INET6;
	else
		return -1;
	if (n->family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)n->addr) &&
	    (prefix < 0 || prefix >= 96)) {
		memmove(n->addr, n->addr + 12, 4);
		memset(n->addr + 4, 0, 12);
		n->family = AF_INET;
		if (prefix >= 0)
			prefix -= 96;
	}
	max = n->family == AF_INET ? 32 : 128;
	if (prefix > (long)max)
		return -1;
	n->prefix = prefix < 0 ? max : (unsigned)prefix;
	/* Bits set past the prefix are a typing mistake ("10.0.0.5/8"):
	 * which was meant, the address or the network, is not ours to
	 * guess. */
	for (bit = n->prefix; bit < max; bit++)
		if (n->addr[bit / 8] & (0x80 >> (bit % 8)))
			return -1;
	return 0;
}

int
proxy_list_parse(struct proxy_list *l, const char *list)
{
	const char *p = list, *comma;
	size_t len;

	l->n = 0;
	for (;;) {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (l->n == PROXY_TRUST_MAX ||
		    entry_parse(&l->nets[l->n], p, len) < 0)
			return -1;
		l->n++;
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

/* Whether a (of family) is in the network n. */
static int
entry_match(const struct proxy_net *n, int family, const unsigned char *a)
{
	unsigned full = n->prefix / 8, rest = n->prefix % 8;
	unsigned char mask;

	if (n->family != family || memcmp(n->addr, a, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - rest));
	return (n->addr[full] & mask) == (a[full] & mask);
}

int
proxy_trusted(const struct proxy_list *l, const char *addr)
{
	unsigned char a[16];
	size_t i;
	int family;

	if (net_parse(addr, &family, a) < 0)
		return 0;
	for (i = 0; i < l->n; i++)
		if (entry_match(&l->nets[i], family, a))
			return 1;
	return 0;
}

/* --- The header ---------------------------------------------------- */

static int
refuse(struct proxy_hdr *h, const char *why)
{
	h->why = why;
	return -1;
}

/* A version 1 address of family from a field of len octets, into out
 * (size octets) in its canonical spelling. */
static int
v1_addr(const char *s, size_t len, int family, char *out, size_t size)
{
	char text[INET6_ADDRSTRLEN];
	unsigned char a[16];

	if (len >= sizeof(text))
		return -1;
	memcpy(text, s, len);
	text[len] = '\0';
	if (inet_pton(family, text, a) != 1)
		return -1;
	net_text(family, a, out, size);
	return 0;
}

/* Section 2.1: "PROXY" SP ("TCP4" | "TCP6") SP src SP dst SP sport SP
 * dport, or "PROXY UNKNOWN", after which anything may follow up to the
 * CRLF; single spaces only.  line holds len octets without the CRLF. */
static int
v1_fields(const char *line, size_t len, struct proxy_hdr *h)
{
	const char *f[6];
	size_t flen[6], n = 0, i, start = 0;
	long sport, dport;
	int family;

	for (i = 0; i <= len && n < 6; i++) {
		if (i < len && line[i] != ' ')
			continue;
		if (i == start)
			return refuse(h, "empty field or double space in v1 "
			    "header");
		f[n] = line + start;
		flen[n++] = i - start;
		start = i + 1;
		/* UNKNOWN: the receiver ignores the rest of the line. */
		if (n == 2 && flen[1] == 7 && memcmp(f[1], "UNKNOWN", 7) == 0) {
			h->local = 1;
			return 0;
		}
	}
	if (n < 2 || flen[0] != 5 || memcmp(f[0], "PROXY", 5) != 0)
		return refuse(h, "no PROXY header");
	if (flen[1] == 4 && memcmp(f[1], "TCP4", 4) == 0)
		family = AF_INET;
	else if (flen[1] == 4 && memcmp(f[1], "TCP6", 4) == 0)
		family = AF_INET6;
	else
		return refuse(h, "unknown protocol in v1 header");
	if (n != 6 || start <= len)
		return refuse(h, "not six fields in v1 header");
	if (v1_addr(f[2], flen[2], family, h->src, sizeof(h->src)) < 0 ||
	    v1_addr(f[3], flen[3], family, h->dst, sizeof(h->dst)) < 0)
		return refuse(h, "bad address in v1 header");
	if ((sport = decimal(f[4], flen[4], 65535)) < 0 ||
	    (dport = decimal(f[5], flen[5], 65535)) < 0)
		return refuse(h, "bad port in v1 header");
	h->src_port = (unsigned)sport;
	h->dst_port = (unsigned)dport;
	return 0;
}

/* Version 1: a line of printable ASCII ending in CRLF, 107 octets at
 * most with it. */
static int
parse_v1(const unsigned char *buf, size_t len, struct proxy_hdr *h)
{
	size_t i, n = len < 6 ? len : 6;

	if (memcmp(buf, "PROXY ", n) != 0)
		return refuse(h, "no PROXY header");
	for (i = 0; i < len && buf[i] != '\r'; i++) {
		if (buf[i] == '\n')
			return refuse(h, "v1 header without CRLF");
		if (buf[i] < ' ' || buf[i] > '~')
			return refuse(h, "control or 8-bit octet in v1 "
			    "header");
		/* The CR can come no later than octet 106. */
		if (i + 2 >= PROXY_V1_MAX)
			return refuse(h, "v1 header longer than 107 octets");
	}
	if (i == len || i + 1 == len)
		return 0;
	if (buf[i + 1] != '\n')
		return refuse(h, "v1 header without CRLF");
	if (v1_fields((const char *)buf, i, h) < 0)
		return -1;
	return (int)(i + 2);
}

/* Version 2: the signature, then the fixed part, checked as soon as it
 * is there, then the addresses; TLVs after them are skipped. */
static int
parse_v2(const unsigned char *buf, size_t len, struct proxy_hdr *h)
{
	size_t n = len < sizeof(v2_sig) ? len : sizeof(v2_sig), alen;
	unsigned cmd, fam, proto;

	if (memcmp(buf, v2_sig, n) != 0)
		return refuse(h, "no PROXY header");
	if (len > 12 && buf[12] >> 4 != 2)
		return refuse(h, "not version 2");
	cmd = len > 12 ? buf[12] & 0xf : 0;
	if (cmd != V2_LOCAL && cmd != V2_PROXY)
		return refuse(h, "unknown v2 command");
	if (len < V2_HEAD)
		return 0;
	fam = buf[13] >> 4;
	proto = buf[13] & 0xf;
	alen = (size_t)buf[14] << 8 | buf[15];
	if (alen > PROXY_V2_MAX - V2_HEAD)
		return refuse(h, "v2 header too long");
	/* Section 2.2: LOCAL (the proxy's own health check) and the
	 * families that name no IP client keep the connection's own
	 * addresses; PROXY names a TCP client. */
	if (cmd == V2_LOCAL || fam == V2_UNSPEC)
		h->local = 1;
	else if (fam == V2_UNIX && (proto == V2_STREAM || proto == V2_DGRAM))
		h->local = 1;
	else if ((fam != V2_INET && fam != V2_INET6) || proto != V2_STREAM)
		return refuse(h, "v2 header for neither TCP over IP nor a "
		    "local connection");
	if (cmd == V2_PROXY && alen < (fam == V2_INET ? V2_INET_LEN :
	    fam == V2_INET6 ? V2_INET6_LEN : fam == V2_UNIX ? V2_UNIX_LEN : 0))
		return refuse(h, "v2 address block too short");
	if (len < V2_HEAD + alen)
		return 0;
	if (!h->local && fam == V2_INET) {
		net_text(AF_INET, buf + 16, h->src, sizeof(h->src));
		net_text(AF_INET, buf + 20, h->dst, sizeof(h->dst));
		h->src_port = (unsigned)buf[24] << 8 | buf[25];
		h->dst_port = (unsigned)buf[26] << 8 | buf[27];
	} else if (!h->local) {
		net_text(AF_INET6, buf + 16, h->src, sizeof(h->src));
		net_text(AF_INET6, buf + 32, h->dst, sizeof(h->dst));
		h->src_port = (unsigned)buf[48] << 8 | buf[49];
		h->dst_port = (unsigned)buf[50] << 8 | buf[51];
	}
	return (int)(V2_HEAD + alen);
}

int
proxy_parse(const unsigned char *buf, size_t len, struct proxy_hdr *h)
{
	memset(h, 0, sizeof(*h));
	if (len == 0)
		return 0;
	if (buf[0] == 'P')
		return parse_v1(buf, len, h);
	if (buf[0] == v2_sig[0])
		return parse_v2(buf, len, h);
	return refuse(h, "no PROXY header");
}

/* --- Reading it ---------------------------------------------------- */

/* Wait until fd is readable or the deadline passes: 1, 0 on timeout, or
 * -1 on error. */
static int
readable(int fd, long long deadline)
{
	struct pollfd pfd;
	long long left;
	int n;

	for (;;) {
		if ((left = deadline - net_now_ms()) <= 0)
			return 0;
		pfd.fd = fd;
		pfd.events = POLLIN;
		n = poll(&pfd, 1, (int)left);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* How many more octets may be read when buf[0..have) is the start of a
 * header, without reading past its end: version 2 says its length in
 * its first 16 octets; version 1 ends at its first LF, so at most one
 * octet at a time unless the LF can be looked for first (a socket). */
static size_t
room(const unsigned char *buf, size_t have)
{
	if (have == 0)
		return 1;
	if (buf[0] == 'P')
		return PROXY_V1_MAX - have;
	if (have < V2_HEAD)
		return V2_HEAD - have;
	return V2_HEAD + ((size_t)buf[14] << 8 | buf[15]) - have;
}

/* Read up to want octets of a version 1 header from the socket fd: look
 * at what has come without taking it, and take it only up to the LF. */
static ssize_t
take_line(int fd, unsigned char *buf, size_t want)
{
	const unsigned char *lf;
	ssize_t n;

	if ((n = recv(fd, buf, want, MSG_PEEK)) <= 0)
		return n;
	if ((lf = memchr(buf, '\n', (size_t)n)) != NULL)
		n = lf - buf + 1;
	return recv(fd, buf, (size_t)n, 0);
}

int
proxy_read(int fd, int timeout, struct proxy_hdr *h)
{
	unsigned char buf[PROXY_V2_MAX];
	long long deadline = net_now_ms() + timeout * 1000LL;
	struct stat st;
	size_t have = 0, want;
	ssize_t n;
	int sock, r;

	sock = fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
	for (;;) {
		if ((r = proxy_parse(buf, have, h)) != 0)
			return r > 0 ? 0 : -1;
		want = room(buf, have);
		if ((r = readable(fd, deadline)) <= 0)
			return refuse(h, r == 0 ? "timeout" : strerror(errno));
		if (have > 0 && buf[0] == 'P' && sock)
			n = take_line(fd, buf + have, want);
		else
			n = read(fd, buf + have, have > 0 && buf[0] == 'P' ?
			    1 : want);
		if (n == 0)
			return refuse(h, have == 0 ? "end of input before "
			    "the header" : "end of input in the header");
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return refuse(h, strerror(errno));
		if (n > 0)
			have += (size_t)n;
	}
}

int
proxy_sniff(int *state, const char *line, size_t len, int nul)
{
	int step = *state;

	*state = 0;
	if ((step == 1 && len >= 6 && memcmp(line, "PROXY ", 6) == 0) ||
	    (step == 3 && len == 1 && nul))
		return 1;
	if (step < 3 && len == 0)
		*state = step + 1;
	return 0;
}
