/*
 * ms-dir.h: the bottom layer of the mailstore: the store's layout, its
 * names, and making directories durable.
 *
 * Private to the mailstore: included only by its files (ms-dir.c,
 * ms-deliver.c, ms-drop.c, ms-lock.c), which are together the only code
 * that knows the disk layout; the handlers see mailstore.h alone.  The
 * layers call only downwards: delivery and the maildrop use this layer
 * and, for the maildrop, the lock (ms-lock.h); the lock uses this layer
 * only; this layer uses none of them.
 */
#ifndef MS_DIR_H
#define MS_DIR_H

#include <stddef.h>

#include "mailstore.h"

/* A file name from the store, made fit for the log (other programs write
 * in the store too, and a name may hold any byte but '/' and NUL), in a
 * buffer that the next call overwrites. */
const char *ms_clean(const char *name);

/* The result for a failure with errno err: MS_PERM for ENAMETOOLONG and
 * EINVAL, which say the request can never work, else MS_TEMP (deferred
 * mail is better than bounced mail). */
enum ms_result ms_result_of(int err);

/* Open the store's top directory, making it if it does not exist (or
 * through the descriptor ms_store_pin() kept), and make it durable once.
 * Returns a descriptor for the caller to close, or -1. */
int	ms_open_store(const char *store);

/* Open the mailbox name (a users-file spelling, checked again to be one
 * plain path component) under storefd, making it and its tmp/, new/ and
 * cur/ durable as needed.  Returns a descriptor, or -1 (EINVAL for a bad
 * name). */
int	ms_open_box(int storefd, const char *name);

/* Open the mailbox name of store if it exists, making nothing.
 * Returns a descriptor, or -1 (ENOENT when the store or the mailbox does
 * not exist yet). */
int	ms_find_box(const char *store, const char *name);

/* Open subdirectory sub ("tmp", "new", "cur") of the mailbox boxfd,
 * never through a link.  Returns the descriptor, or -1. */
int	ms_open_sub(int boxfd, const char *sub);

/* Remove files a crash left in tmp/ of the mailbox boxfd: those older
 * than STORE_TMP_AGE (the Maildir rule). */
void	ms_clean_tmp(int boxfd);

/* Copy host into buf (size bytes, at least 2), cut to fit and made safe
 * for a file name and for the lock file's one line: letters, digits, '-',
 * '.' and '_' stay, anything else becomes '_'; an empty name becomes
 * "localhost". */
void	ms_safe_host(char *buf, size_t size, const char *host);

/* Make a unique Maildir base name in buf: seconds, microseconds, pid and
 * a per-process counter, then the host name made safe for a file name. */
void	ms_unique_name(char *buf, size_t size, const char *host);

#endif
