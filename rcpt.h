/*
 * rcpt.h: where a recipient address leads: a local user, the users an
 * alias leads to, a user by a subaddress (user+tag), or the postmaster;
 * never anywhere else.  Mail is never relayed: an address that leads to
 * no local user is refused, and so is any alias member that is not local.
 */
#ifndef RCPT_H
#define RCPT_H

#include <stddef.h>

#include "aliases.h"
#include "tunables.h"
#include "users.h"

/* What a lookup reads. */
struct rcpt_book {
	struct users *users;
	struct aliases *aliases;
	const char *postmaster;	/* the postmaster's mailbox, "" if none */
	const char *delims;	/* subaddress delimiters, "" for none */
};

/* The mailboxes one recipient leads to, distinct, as the users file
 * spells them (pointers into the users table, valid until it is read
 * again). */
struct rcpt_boxes {
	const char *names[ALIAS_RCPT_MAX];
	size_t	n;
	int	list;		/* reached through an alias */
	/* The user or alias the address was found as, the subaddress
	 * taken off: for Delivered-To (a user) or the list's address. */
	char	found[ADDRESS_MAX + 1];
};

enum rcpt_result {
	RCPT_OK,		/* out holds at least one mailbox */
	RCPT_UNKNOWN,		/* at a local domain, but no user or alias;
				 * or an alias none of whose members is */
	RCPT_RELAY,		/* not at a local domain */
	RCPT_TOO_MANY		/* an alias of more than ALIAS_RCPT_MAX */
};

/* Look up the address addr (local@domain, unquoted; or "postmaster"
 * alone) in b: a user of that address, else an alias of it, else the
 * postmaster at a local domain, else the same without its subaddress
 * (from the first of b->delims in the local part).  An alias is expanded
 * through aliases within it, ALIAS_DEPTH_MAX levels deep, each mailbox
 * once; a loop is cut and its members still count; a member that leads
 * nowhere is skipped.  Each is logged once, with rcpt (the address as
 * the client gave it) for the log.  Returns an rcpt_result. */
enum rcpt_result rcpt_resolve(const struct rcpt_book *b, const char *addr,
	    struct rcpt_boxes *out);

/* Check the aliases against the users for --check: an alias no user can
 * be reached through, a member that is neither a local user nor an
 * alias (with file and line), a name that is both a user and an alias
 * (the user wins).  Prints each on stderr; returns the number of errors
 * (members that lead nowhere), warnings not counted. */
int	rcpt_check(const struct rcpt_book *b);

#endif
