/*
 * address.h: strict parsing of mail addresses (RFC 5321 4.1.2, with the
 * UTF-8 extension of RFC 6531 3.3).  Bad input is rejected, never
 * repaired.
 */
#ifndef ADDRESS_H
#define ADDRESS_H

#include <stddef.h>

#include "tunables.h"

/* Results of the parsers. */
enum addr_status {
	ADDR_OK,
	ADDR_SYNTAX,		/* not an address */
	ADDR_TOOLONG,		/* local part, domain or path too long */
	ADDR_ROUTE,		/* a source route (RFC 5321 4.1.2 A-d-l) */
	ADDR_UTF8		/* non-ASCII where UTF-8 is not allowed */
};

/* Kinds of path. */
enum addr_kind {
	ADDR_MAILBOX,		/* local@domain */
	ADDR_NULL,		/* <>, the null reverse-path */
	ADDR_POSTMASTER		/* <postmaster>, without a domain */
};

struct address {
	enum addr_kind kind;
	char	text[ADDRESS_MAX + 1];	/* local@domain as written */
	size_t	at;		/* offset of the '@' in text */
	int	quoted;		/* the local part is a quoted string */
};

/* Parse the path at s (len bytes, starting with '<') into *a.  utf8 allows
 * UTF-8 in the local part and domain.  *used is set to the octets the
 * path took, brackets included.  Returns an addr_status. */
enum addr_status addr_parse_path(const char *s, size_t len, int utf8,
	    struct address *a, size_t *used);

/* Parse a bare mailbox (no brackets) that must fill all of s (len bytes).
 * Returns an addr_status. */
enum addr_status addr_parse_mailbox(const char *s, size_t len, int utf8,
	    struct address *a);

/* Write into *out the address a with its quoted local part unquoted, if
 * what is left is a plain dot-string (as "alice"@example.com is).
 * Returns ADDR_OK, or ADDR_SYNTAX when the local part needs its quotes or
 * was not quoted. */
enum addr_status addr_unquote(const struct address *a, struct address *out);

#endif
