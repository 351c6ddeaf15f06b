/*
 * address.c: the RFC 5321 4.1.2 grammar of Mailbox, Path and their parts,
 * with RFC 6531 3.3's UTF-8 in atext and sub-domains.
 *
 *   Path      = "<" [ A-d-l ":" ] Mailbox ">"
 *   Mailbox   = Local-part "@" ( Domain / address-literal )
 *   Local-part = Dot-string / Quoted-string
 *
 * Source routes (A-d-l) are refused rather than ignored: they are obsolete
 * and were a relaying trick.  Of the address literals, IPv4 and IPv6 are
 * accepted; the general form is refused.
 */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "address.h"

/* Length of the well-formed UTF-8 sequence at s (at most n bytes), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned long cp;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (n < len)
		return 0;
	cp = s[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* RFC 5322 atext, the letters of an Atom. */
static int
is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static int
is_letdig(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* Take a non-ASCII character at s[*i] if utf8 allows it.  Returns 1 if
 * taken, 0 if s[*i] is ASCII, -1 (with *st set) if it is refused. */
static int
take_utf8(const unsigned char *s, size_t n, size_t *i, int utf8,
    enum addr_status *st)
{
	size_t k;

	if (s[*i] < 0x80)
		return 0;
	if (!utf8) {
		*st = ADDR_UTF8;
		return -1;
	}
	k = utf8_len(s + *i, n - *i);
	if (k == 0) {
		*st = ADDR_SYNTAX;
		return -1;
	}
	*i += k;
	return 1;
}

/* Dot-string = Atom *("." Atom).  Returns the octets taken, 0 if none. */
static size_t
dot_string(const unsigned char *s, size_t n, int utf8, enum addr_status *st)
{
	size_t i = 0, atom = 0;
	int r;

	while (i < n) {
		if ((r = take_utf8(s, n, &i, utf8, st)) < 0)
			return 0;
		if (r > 0) {
			atom++;
			continue;
		}
		if (is_atext(s[i])) {
			i++;
			atom++;
		} else if (s[i] == '.' && atom > 0 && i + 1 < n &&
		    s[i + 1] != '.' && s[i + 1] != '@') {
			i++;
			atom = 0;
		} else
			break;
	}
	return atom > 0 ? i : 0;
}

/* Quoted-string (RFC 5321 qtextSMTP and quoted-pairSMTP).  Returns the
 * octets taken, quotes included, or 0. */
static size_t
quoted_string(const unsigned char *s, size_t n, int utf8, enum addr_status *st)
{
	size_t i = 1;
	int r;

	if (n < 3 || s[0] != '"')
		return 0;
	while (i < n && s[i] != '"') {
		if ((r = take_utf8(s, n, &i, utf8, st)) < 0)
			return 0;
		if (r > 0)
			continue;
		if (s[i] == '\\') {
			if (i + 1 >= n || s[i + 1] < 32 || s[i + 1] > 126)
				return 0;
			i += 2;
		} else if (s[i] >= 32 && s[i] <= 126)
			i++;
		else
			return 0;
	}
	/* An empty quoted string is an empty local part: refused. */
	if (i >= n || i == 1)
		return 0;
	return i + 1;
}

/* Domain = sub-domain *("." sub-domain), each Let-dig [Ldh-str] of at
 * most 63 octets (RFC 1035 2.3.4).  Returns the octets taken, or 0. */
static size_t
domain(const unsigned char *s, size_t n, int utf8, enum addr_status *st)
{
	size_t i = 0, label = 0, k;
	int r, lastdash = 0;

	while (i < n) {
		k = i;
		if ((r = take_utf8(s, n, &i, utf8, st)) < 0)
			return 0;
		if (r > 0) {
			label += i - k;		/* RFC 1035 counts octets */
			lastdash = 0;
		} else if (is_letdig(s[i]) || (s[i] == '-' && label > 0)) {
			lastdash = s[i] == '-';
			label++;
			i++;
		} else if (s[i] == '.' && label > 0 && !lastdash) {
			label = 0;
			i++;
		} else
			break;
		if (label > 63)
			return 0;
	}
	if (label == 0 || lastdash)
		return 0;
	return i;
}

/* address-literal = "[" ( IPv4 / "IPv6:" IPv6 ) "]".  Returns the octets
 * taken, or 0. */
static size_t
address_literal(const unsigned char *s, size_t n)
{
	const unsigned char *end;
	char buf[64];
	unsigned char bin[16];
	size_t len;

	if (n < 2 || s[0] != '[' || (end = memchr(s, ']', n)) == NULL)
		return 0;
	len = (size_t)(end - s) - 1;
	/* inet_pton() would stop at a NUL and take what came before it. */
	if (len == 0 || len >= sizeof(buf) || memchr(s + 1, '\0', len) != NULL)
		return 0;
	memcpy(buf, s + 1, len);
	buf[len] = '\0';
	if (strncasecmp(buf, "IPv6:", 5) == 0) {
		if (inet_pton(AF_INET6, buf + 5, bin) != 1)
			return 0;
	} else if (inet_pton(AF_INET, buf, bin) != 1)
		return 0;
	return len + 2;
}

/* Mailbox at the start of s; returns the octets taken or 0 with *st. */
static size_t
mailbox(const unsigned char *s, size_t n, int utf8, struct address *a,
    enum addr_status *st)
{
	size_t l, d;

	*st = ADDR_SYNTAX;
	a->quoted = n > 0 && s[0] == '"';
	l = a->quoted ? quoted_string(s, n, utf8, st) :
	    dot_string(s, n, utf8, st);
	if (l == 0 || l >= n || s[l] != '@')
		return 0;
	if (l > SMTP_LOCAL_MAX) {
		*st = ADDR_TOOLONG;
		return 0;
	}
	d = l + 1 < n && s[l + 1] == '[' ? address_literal(s + l + 1, n - l - 1) :
	    domain(s + l + 1, n - l - 1, utf8, st);
	if (d == 0)
		return 0;
	if (d > SMTP_DOMAIN_MAX || l + 1 + d > ADDRESS_MAX) {
		*st = ADDR_TOOLONG;
		return 0;
	}
	memcpy(a->text, s, l + 1 + d);
	a->text[l + 1 + d] = '\0';
	a->at = l;
	a->kind = ADDR_MAILBOX;
	*st = ADDR_OK;
	return l + 1 + d;
}

enum addr_status
addr_parse_path(const char *str, size_t len, int utf8, struct address *a,
    size_t *used)
{
	const unsigned char *s = (const unsigned char *)str;
	const unsigned char *close;
	enum addr_status st;
	size_t n;

	if (len < 2 || s[0] != '<')
		return ADDR_SYNTAX;
	if (s[1] == '>') {
		a->kind = ADDR_NULL;
		a->text[0] = '\0';
		a->at = 0;
		a->quoted = 0;
		*used = 2;
		return ADDR_OK;
	}
	if (s[1] == '@')
		return ADDR_ROUTE;
	/* RFC 5321 4.1.1.3: "Postmaster" without a domain, any case. */
	if (len >= 12 && strncasecmp(str + 1, "postmaster>", 11) == 0) {
		a->kind = ADDR_POSTMASTER;
		strcpy(a->text, "postmaster");
		a->at = 0;
		a->quoted = 0;
		*used = 12;
		return ADDR_OK;
	}
	n = mailbox(s + 1, len - 1, utf8, a, &st);
	if (n == 0)
		return st;
	if (1 + n >= len || s[1 + n] != '>') {
		/* Tell an over-long path from a broken one. */
		close = memchr(s, '>', len);
		if (close != NULL && (size_t)(close - s) + 1 > SMTP_PATH_MAX)
			return ADDR_TOOLONG;
		return ADDR_SYNTAX;
	}
	if (n + 2 > SMTP_PATH_MAX)
		return ADDR_TOOLONG;
	*used = n + 2;
	return ADDR_OK;
}

enum addr_status
addr_parse_mailbox(const char *str, size_t len, int utf8, struct address *a)
{
	enum addr_status st;
	size_t n;

	n = mailbox((const unsigned char *)str, len, utf8, a, &st);
	if (n == 0)
		return st;
	return n == len ? ADDR_OK : ADDR_SYNTAX;
}

enum addr_status
addr_unquote(const struct address *a, struct address *out)
{
	char buf[ADDRESS_MAX + 1];
	size_t i, n = 0;

	if (!a->quoted)
		return ADDR_SYNTAX;
	/* Drop the quotes and the backslashes of quoted pairs. */
	for (i = 1; i + 1 < a->at; i++) {
		if (a->text[i] == '\\')
			i++;
		buf[n++] = a->text[i];
	}
	memcpy(buf + n, a->text + a->at, strlen(a->text + a->at) + 1);
	if (addr_parse_mailbox(buf, strlen(buf), 1, out) != ADDR_OK ||
	    out->quoted)
		return ADDR_SYNTAX;
	return ADDR_OK;
}
