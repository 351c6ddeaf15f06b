/*
 * users.h: the users file, one "address password" line per user, as in the
 * original assignment.  A password that starts with '$' is a crypt(3) hash
 * (yescrypt $y$, SHA-512 $6$, bcrypt $2b$); anything else is plain text.
 */
#ifndef USERS_H
#define USERS_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "conffile.h"

struct user {
	char	*address;	/* as spelled in the file: the mailbox name */
	char	*password;	/* plain text or a crypt(3) hash */
};

struct users {
	const char *path;
	struct user *list;
	size_t	count;
	struct conf_stamp stamp;	/* the file last read */
	int	once;		/* read as root, which the process no longer
				 * is: not read again (users_refresh) */
};

/* Read the users file at path into *u (path is kept, not copied).  Bad or
 * over-long lines are skipped with a log line.  Returns 0, or -1 with
 * errno set if the file cannot be read. */
int	users_load(struct users *u, const char *path);

/* Read the file again if it changed since it was last read, so that new
 * users need no restart; with u->once set it is not read again.
 * Returns 0, or -1 with errno set (the old table is kept). */
int	users_refresh(struct users *u);

/* Nonzero if addr can be a user: a plain local@domain (no quoted local
 * part) whose spelling is also a safe directory name (no '/'). */
int	users_usable(const char *addr);

/* Free what users_load allocated. */
void	users_free(struct users *u);

/* The user whose address equals address (ASCII letters without case), or
 * NULL. */
const struct user *users_find(const struct users *u, const char *address);

/* Nonzero if some user's address is in domain (compared without case). */
int	users_local_domain(const struct users *u, const char *domain);

/* Check password against user's, in time that does not depend on where
 * they differ; for a NULL user a dummy hash is checked, so an unknown user
 * costs about as much as a known one.  Returns 1 on a match, 0 if they
 * differ, or -1 if no check could be made (libcrypt could not be loaded,
 * out of memory), which is logged and is a temporary failure. */
int	users_check(const struct user *user, const char *password);

#endif
