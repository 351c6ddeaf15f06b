/*
 * aliases.h: the aliases file, in the shape of aliases(5): distribution
 * lists and role addresses that lead to local users only.
 *
 *	# comments and blank lines
 *	team@example.com: john@example.com, mary@example.com
 *	all@example.com:  team@example.com,
 *		ann@example.com		# a continuation starts with space
 *	abuse: postmaster		# a bare local part: at every local domain
 *
 * A key or a member is a full address or a bare local part, compared
 * without regard to ASCII case.  A '#' at the start of a line, or after
 * white space, starts a comment.  Nothing else is allowed: no programs,
 * files or :include: as sendmail has, and no address outside the local
 * users (rcpt.c checks that; this file only reads the shape).
 */
#ifndef ALIASES_H
#define ALIASES_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "conffile.h"

struct alias {
	char	*key;		/* as written: "team@example.com", "abuse" */
	char	**members;	/* as written */
	size_t	nmembers;
	size_t	line;		/* where the entry starts, for --check */
};

struct aliases {
	const char *path;	/* NULL: no aliases at all */
	struct alias *list;
	size_t	count;
	int	missing;	/* the file does not exist: no aliases */
	struct conf_stamp stamp;	/* the file last read */
	int	once;		/* read as root: not read again */
	size_t	skipped;	/* malformed entries left out */
};

/* What aliases_parse_entry() found in one entry. */
enum alias_status {
	ALIAS_OK,
	ALIAS_NO_COLON,		/* no "key:" */
	ALIAS_BAD_KEY,		/* the key is no address or local part */
	ALIAS_BAD_MEMBER,	/* a member is none (a program, a file...) */
	ALIAS_NO_MEMBERS,	/* "key:" and nothing after it */
	ALIAS_TOO_MANY		/* more than ALIAS_MEMBERS_MAX members */
};

/* Parse one entry (its lines joined, comments already removed) in text,
 * which is changed: *key and members[0..*n) point into it, members
 * holding room for ALIAS_MEMBERS_MAX.  Returns ALIAS_OK or what is wrong;
 * for the unit tests and the file reader alike. */
enum alias_status aliases_parse_entry(char *text, char **key,
	    char **members, size_t *n);

/* The words of a status, for the log and --check. */
const char *aliases_why(enum alias_status st);

/* Read the aliases file at path into *a (path is kept, not copied).  A
 * file that does not exist is no aliases (a->missing); a malformed
 * entry is skipped with a log line naming its line, and the rest still
 * counts.  Returns 0, or -1 with errno set if the file exists but cannot
 * be read.  With report, every skipped entry is also printed on stderr
 * (--check). */
int	aliases_load(struct aliases *a, const char *path, int report);

/* Read the file again if it changed since it was last read (or appeared,
 * or went away), unless a->once.  Returns 0, or -1 with errno set (the
 * old table is kept). */
int	aliases_refresh(struct aliases *a);

/* The entry whose key is the full address addr, else the one whose key
 * is addr's local part alone, compared without case; NULL if none.  The
 * caller checks that a bare key's domain is local. */
const struct alias *aliases_find(const struct aliases *a, const char *addr);

/* Free what aliases_load allocated. */
void	aliases_free(struct aliases *a);

#endif
