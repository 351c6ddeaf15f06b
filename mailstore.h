/*
 * mailstore.h: the store, the only code that knows the disk layout.
 *
 * Each user has a standard Maildir, STORE/<address as spelled in the users
 * file>/{tmp,new,cur}, created on first use.  Messages are kept with LF
 * line ends; their names carry the size on disk (S=) and the size with
 * CRLF line ends (W=), which is what POP3 reports.
 *
 * Results are MS_OK, or MS_TEMP for a failure that may pass (the client
 * should retry: 4xx, -ERR [SYS/TEMP]) and MS_PERM for one that will not
 * (5xx).  Every errno is temporary except those that say the request can
 * never work (ENAMETOOLONG, EINVAL): deferred mail is better than bounced
 * mail.
 *
 * The store may be shared by many hosts (NFS, CephFS): everything a
 * session needs is in the store itself, and the POP3 maildrop lock is a
 * file in the maildir as well as an flock().
 *
 * The code is in layers, each calling only those below it: ms-dir.c
 * (layout, names, durable directories); ms-quota.c (Maildir++ quotas)
 * and ms-lock.c (the maildrop lock); ms-deliver.c (delivery) and
 * ms-drop.c (the POP3 maildrop).
 */
#ifndef MAILSTORE_H
#define MAILSTORE_H

#include <stddef.h>
#include <sys/types.h>

enum ms_result {
	MS_OK = 0,
	MS_TEMP = -1,
	MS_PERM = -2,
	MS_LOCKED = -3		/* the maildrop is in use by another session */
};

/* For a handler started as root, before it gives up root for owner:group:
 * open the store at path once for the whole process, so that the
 * unprivileged user needs no way to it through the directories above it
 * (a newcomer's store lies in a directory only root may enter, /root
 * say).  Every later call naming the same path works through this
 * descriptor.  With make, a store that does not exist yet is made,
 * mode 0700 and owned by owner:group; an existing store is never changed.
 * Without make, a missing store is left missing (--check).  Returns
 * MS_OK, or MS_TEMP with errno set. */
enum ms_result ms_store_pin(const char *path, uid_t owner, gid_t group,
	    int make);

/* Whether the process, as the user it is now, may make mailboxes in the
 * store pinned by ms_store_pin(): 0, or -1 with errno set (ENOENT when
 * none is pinned, the store not existing yet). */
int	ms_store_usable(void);

/* Quotas (ms-quota.c): a mailbox's limit and usage, as Maildir++'s
 * maildirsize keeps them. */
struct ms_quota {
	long long limit;	/* octets; 0 or less: none */
	long long count_limit;	/* messages; 0 or less: none */
	long long used;		/* octets (S= sizes) of its messages */
	long long count;	/* its messages */
	int	own;		/* the limit is the mailbox's own, not the
				 * default */
	int	stale;		/* the counts may be out of date */
};

/* The limit and usage of mailbox name: the mailbox's own limit, set by
 * ms_quota_set(), else deflimit (0: none; MS_QUOTA_COUNT: none, and the
 * usage counted all the same, as mailquota(8) shows it, where the
 * handlers spare a mailbox under no limit the count).  Usage comes from its
 * maildirsize, recalculated from the messages when missing, too large
 * or stale; a mailbox under a limit that has none gets one, so that
 * deliveries and deletions are counted from then on.  Returns MS_OK or
 * MS_TEMP (logged). */
enum ms_result ms_quota_get(const char *store, const char *name,
	    long long deflimit, struct ms_quota *q);
#define MS_QUOTA_COUNT	(-1LL)

/* Give mailbox name its own limit of limit octets (0: none), or, with a
 * negative limit, none of its own, so that the default applies; the
 * usage is recalculated.  Returns MS_OK or MS_TEMP. */
enum ms_result ms_quota_set(const char *store, const char *name,
	    long long limit);

/* Delivery: open, write, then commit or abort. */
struct ms_delivery;

/* Start a delivery of one message to the n mailboxes names (users-file
 * spellings, distinct), creating store and mailboxes as needed; host is
 * this machine's name, used in the unique file name.  On MS_OK *dp is a
 * new delivery and id (size idsize) holds its unique id. */
enum ms_result ms_deliver_open(struct ms_delivery **dp, const char *store,
	    const char *host, const char *const *names, size_t n, char *id,
	    size_t idsize);

/* Make the file of this process's next delivery now, before a client
 * is there to wait for it (an anonymous file in the store's top
 * directory).  The next ms_deliver_open() uses it where it can be linked
 * into every recipient's maildir, and makes its own otherwise; nothing
 * fails here.  Call it only as the user the deliveries run as. */
void	ms_deliver_prepare(const char *store);

/* Append len bytes of the message (LF line ends) to the delivery.  Returns
 * MS_OK or MS_TEMP; after a failure the delivery can only be aborted. */
enum ms_result ms_deliver_write(struct ms_delivery *d, const char *buf,
	    size_t len);

/* The octets written to d so far (its size on disk once committed). */
off_t	ms_deliver_octets(const struct ms_delivery *d);

/* Make the message durable in every mailbox at once, or in none: on any
 * failure what was linked is removed.  Frees d.  Returns MS_OK only when
 * the message and every directory entry naming it have been fsynced. */
enum ms_result ms_deliver_commit(struct ms_delivery *d);

/* ms_deliver_commit() for n deliveries at once, all of them or none:
 * every file is made durable before any is linked, and on any failure
 * every link made is removed.  Frees each of them. */
enum ms_result ms_deliver_commit_all(struct ms_delivery *const *d,
	    size_t n);

/* Drop the delivery and its temporary file.  Frees d. */
void	ms_deliver_abort(struct ms_delivery *d);

/* Maildrops, as POP3 sees them. */
struct ms_mailbox;

/* Open and lock the mailbox name (a users-file spelling) and take a
 * snapshot of its messages, oldest first.  The lock holds across every
 * host that shares the store: flock() on the maildir and a lock file,
 * pop3.lock, in it (ms-lock.c, "The maildrop lock"); a stale
 * lock file is broken.  Returns MS_OK with *mp set, MS_LOCKED if another
 * session holds it, or MS_TEMP. */
enum ms_result ms_mailbox_open(struct ms_mailbox **mp, const char *store,
	    const char *name);

/* Tell the store the session is alive: call it at each command.  Keeps
 * the lock file's mtime fresh (a write at most every
 * STORE_LOCK_REFRESH seconds) and notes a lock another session took
 * over; m may be NULL (no maildrop open), and then it does nothing. */
void	ms_mailbox_refresh(struct ms_mailbox *m);

/* Number of messages in the snapshot, deleted ones included. */
size_t	ms_count(const struct ms_mailbox *m);

/* Messages not marked deleted, and their total size on the wire. */
void	ms_stat(const struct ms_mailbox *m, size_t *count, off_t *octets);

/* Between the lines of one long reply (a listing a slow client takes
 * long to read): keep the lock fresh as ms_mailbox_refresh() does, but
 * with no system call unless STORE_LOCK_REFRESH seconds have passed. */
void	ms_mailbox_keep(struct ms_mailbox *m);

/* Size on the wire (CRLF line ends, before dot-stuffing) of message i
 * (0-based). */
off_t	ms_size(const struct ms_mailbox *m, size_t i);

/* Unique id of message i, stable across sessions: at most 70 printable
 * ASCII octets (RFC 1939 section 7), in a buffer of m that the next call
 * overwrites. */
const char *ms_uid(struct ms_mailbox *m, size_t i);

/* Mark, test, and clear deletion marks. */
void	ms_mark(struct ms_mailbox *m, size_t i);
int	ms_marked(const struct ms_mailbox *m, size_t i);
void	ms_unmark_all(struct ms_mailbox *m);

/* Remove every marked message from disk (the POP3 UPDATE state), only
 * while the lock is still this session's own.  Returns MS_OK, or MS_TEMP
 * if some could not be removed or the lock was taken over (then nothing
 * is removed). */
enum ms_result ms_update(struct ms_mailbox *m);

/* Release the lock (the lock file only while it is still ours) and free
 * m; nothing is deleted.  A process that exits with the lock held, by
 * die() say, has the lock file removed at exit. */
void	ms_mailbox_close(struct ms_mailbox *m);

/* Reading one message in its wire form: LF becomes CRLF, and a message
 * that does not end with a line end gets one. */
struct ms_reader;

/* Open message i for reading.  Returns MS_OK with *rp set, or MS_TEMP. */
enum ms_result ms_read_open(struct ms_mailbox *m, size_t i,
	    struct ms_reader **rp);

/* Read up to len (at least 2) wire octets into buf, keeping the lock of
 * the maildrop fresh.  Returns the count, 0 at the end, or -1 on a read
 * error. */
ssize_t	ms_read(struct ms_reader *r, char *buf, size_t len);

/* Close and free r. */
void	ms_read_close(struct ms_reader *r);

#endif
