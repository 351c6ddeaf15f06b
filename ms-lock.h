/*
 * ms-lock.h: the POP3 maildrop lock, a part of the mailstore.
 *
 * Private to the mailstore: included only by ms-drop.c and ms-lock.c
 * (the lock file is part of the disk layout).  The handlers see the lock
 * only through mailstore.h.  How the lock works, and why, is in
 * ms-lock.c, "The maildrop lock".  The lock uses the directory layer
 * (ms-dir.h) and nothing above it.
 */
#ifndef MS_LOCK_H
#define MS_LOCK_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "mailstore.h"

/* The lock of one maildrop, held in its struct ms_mailbox; only
 * ms-lock.c looks inside. */
struct ms_lock {
	int	boxfd;		/* the maildir; the caller's, to close */
	const char *name;	/* the mailbox, for the log; the caller's */
	char	host[HOST_NAME_MAX + 1];	/* this node */
	char	line[HOST_NAME_MAX + 64];	/* our lock's line */
	int	locked;		/* the lock file is ours (or was: see lost) */
	int	lost;		/* the last look found another lock there */
	dev_t	dev;		/* which file our lock is */
	ino_t	ino;
	time_t	touched;	/* CLOCK_MONOTONIC of our last refresh */
};

/* Lock the maildrop open as boxfd: flock() on it, then the lock file in
 * it, a stale one broken.  l keeps boxfd and name (the mailbox, for the
 * log), which must outlive it.  Returns MS_OK, MS_LOCKED if another
 * session holds the maildrop, or MS_TEMP with errno for the caller to
 * log; the flock() lasts until the caller closes boxfd. */
enum ms_result ms_lock_take(struct ms_lock *l, int boxfd, const char *name);

/* Keep our lock fresh: look at it (one fstatat) when look is set, else
 * only when STORE_LOCK_REFRESH seconds have passed since the last
 * refresh; rewrite its mtime when that long has passed or the file's
 * mtime is older (someone set it back).  Notes, and logs once, a lock
 * that is no longer ours.  Does nothing if no lock file is held. */
void	ms_lock_keep(struct ms_lock *l, int look);

/* May the session delete: does the lock file still name our lock, or was
 * none taken (a read-only store)?  Returns 1 yes, 0 no, -1 cannot tell
 * (errno set). */
int	ms_lock_ours(const struct ms_lock *l);

/* Remove our lock file, if it is still ours; does nothing if none is
 * held.  Call it before closing boxfd, so that the flock() goes last. */
void	ms_lock_release(struct ms_lock *l);

#endif
