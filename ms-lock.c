/*
 * ms-lock.c: the POP3 maildrop lock, a part of the mailstore.
 *
 * The lock file lies in the maildir, so it is part of the disk layout.
 * The handlers reach the lock through mailstore.h alone
 * (ms_mailbox_open, ms_mailbox_refresh, ms_update, ms_mailbox_close);
 * ms-drop.c reaches it through ms-lock.h.  It uses only the directory
 * layer below it (ms-dir.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "ms-dir.h"
#include "ms-lock.h"
#include "tunables.h"

/* --- The maildrop lock -------------------------------------------- */

/*
 * A POP3 session holds its maildrop with two locks, taken in this order
 * and released in the reverse one.
 *
 * flock() on the maildir directory: cheap, and released by the kernel
 * however the process ends.  But it reaches only the processes of one
 * kernel: an NFS client keeps flock() on a directory to itself, and a
 * FUSE or gateway file system may do the same.  A file system that
 * refuses flock() on a directory gets the lock file alone.
 *
 * LOCK_NAME, a file in the maildir itself, beside tmp/, new/ and cur/,
 * where no Maildir reader looks for messages (Dovecot keeps its
 * dovecot-uidlist and its locks there too).  It holds across every host
 * that mounts the store.  It is made with O_CREAT|O_EXCL, which the
 * file server decides atomically: NFS version 3 and later (exclusive
 * CREATE with a verifier, so a retransmitted request is answered right)
 * and CephFS (the metadata server) do.  The older recipe, link() of a
 * unique file to the lock name and a check of st_nlink, was for NFS
 * version 2, whose O_EXCL was not atomic; the store needs NFSv3 anyway
 * (a delivery's file in tmp/ is made with O_EXCL too), and the recipe
 * would cost three more round trips and leave files behind on a crash.
 * The one price of O_EXCL, a moment when the file exists but is still
 * empty, is harmless: an empty or unreadable lock names no host and no
 * process, so only its age can make it stale (below).
 *
 * The file holds one line, "HOST PID START": HOST is the node name
 * (uname), not -n, because the PID means something only to that
 * kernel, and -n is the name in the greeting, which a cluster behind one
 * address may give every host alike; START is the session's start, in
 * seconds since the epoch.
 *
 * A lock that another session holds is stale, and may be broken:
 *   (a) at once, when HOST is this host and no process PID exists here
 *       (kill(PID, 0) fails with ESRCH), or PID is this very process
 *       (a dead session's number reused): its session died;
 *   (b) on any host, when its mtime is more than STORE_LOCK_STALE
 *       seconds old: a live session rewrites the mtime, once
 *       STORE_LOCK_REFRESH seconds have passed since it last did, as it
 *       works (at each command, while it sends a listing or a message)
 *       and as it waits for its client (the beat of lineio.c, every
 *       STORE_LOCK_BEAT seconds): a heartbeat, whatever the client does.
 *       STORE_LOCK_STALE is three of its longest gaps (tunables.h).  A
 *       crashed host's locks clear this way, in about a minute and a
 *       half; when it comes back, (a) clears them at once.
 * An empty or unparsable file is judged by (b) alone.  The ages compare
 * the file server's mtime with this host's clock: the hosts keep time
 * (NTP) to within a few seconds; a clock 60 s off would let a live
 * lock look stale (DEPLOYMENT.md).
 *
 * Breaking must be safe when several sessions break the same stale lock
 * at once.  Unlinking it is not: a slower one could unlink the fresh lock
 * a faster one has just made, and both would hold the maildrop.  So a
 * breaker first takes a second lock, BREAK_NAME, with O_EXCL: one
 * breaker at a time, and one that finds it taken gets [IN-USE], since
 * the other will hold the maildrop.  Under it, the breaker checks that
 * the lock is still the file it judged (device, inode, mtime): another
 * breaker may have replaced it since, or its holder refreshed it.  Then
 * it renames the lock into tmp/ under a unique name (rename is atomic on
 * the file server) and checks what it moved.  If that is the stale
 * lock, it is removed, and the O_EXCL create decides who gets the new
 * lock, the breaker or a login that came meanwhile.  If it is not (the
 * holder, alive after all, released its lock and another session made a
 * new one between the check and the rename), it is linked back, with
 * link() and not rename() so that a lock made in the meantime is never
 * replaced; only if one was (a third session in a window of two system
 * calls) is the moved lock lost.  Its holder sees so, because the name
 * no longer leads to its file with its line, and then deletes nothing at
 * QUIT.  That check at UPDATE, and at every refresh, is what makes even
 * a lock broken by mistake (a holder stalled for longer than
 * STORE_LOCK_STALE in one system call, or a clock far off) cost no mail: a session deletes
 * only under a lock that is still its own.  A break lock lives for a few
 * system calls; one over STORE_LOCK_REFRESH seconds old was left by a
 * crash and is removed (two sessions that remove the same one at once
 * could break at once: a crash and a race in one moment).
 *
 * Whatever is moved into tmp/ and not removed (a crash at that moment)
 * is an orphan for the tmp/ rule.  The lock is removed at the end of the
 * session however it ends, by ms_mailbox_close or, for an exit() that
 * skipped it (die()), by an atexit handler; only a crash or a signal
 * leaves it, for rule (a) or (b).  It is removed only while it is still
 * our own file, and before the flock() is released, so that a session of
 * this host that gets the flock() next never finds a lock of a session
 * that has finished.
 */
#define LOCK_NAME	"pop3.lock"
#define BREAK_NAME	"pop3.lock.break"

_Static_assert(STORE_LOCK_STALE >= 3 * (STORE_LOCK_REFRESH + STORE_LOCK_BEAT),
    "a live session must refresh its lock well within STORE_LOCK_STALE");

/* The lock this process holds, for lock_atexit: atexit handlers take
 * no argument.  A process serves one session, so one. */
static struct ms_lock *holder;

/* Seconds of CLOCK_MONOTONIC: intervals between refreshes must not jump
 * with the wall clock. */
static time_t
mono(void)
{
	struct timespec ts;

	/* Cannot fail on Linux; 0 would only make a refresh come early. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return 0;
	return ts.tv_sec;
}

/* Does errno err say that a file we opened or looked for is gone?  A
 * network file system may say so at the open, or at an fstat or read of
 * a file removed since (NFS: ESTALE; FUSE: ENOENT). */
static int
gone(int err)
{
	return err == ENOENT || err == ESTALE;
}

/* Is the file st the one our lock was made as?  A quick look only: a
 * file made after ours was removed may reuse its inode number. */
static int
lock_is(const struct ms_lock *l, const struct stat *st)
{
	return st->st_dev == l->dev && st->st_ino == l->ino;
}

/* Does LOCK_NAME still name our lock: our file, with our line in it?
 * Opened, not only looked up: on NFS an open revalidates the name with
 * the server (close-to-open), where a stat may answer from a cache.
 * The line tells our lock from a newer one that reuses its inode number:
 * another host's names another host, and one of this host another
 * process.  Returns 1 yes, 0 no, -1 cannot tell. */
static int
lock_ours(const struct ms_lock *l)
{
	char line[sizeof(l->line)];
	struct stat st;
	ssize_t n = -1;
	int fd, err, r = -1;

	fd = openat(l->boxfd, LOCK_NAME, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd < 0)
		return gone(errno) || errno == ELOOP ? 0 : -1;
	if (fstat(fd, &st) == 0) {
		do
			n = read(fd, line, sizeof(line));
		while (n < 0 && errno == EINTR);
	}
	err = errno;
	if (n >= 0)
		r = lock_is(l, &st) && (size_t)n == strlen(l->line) &&
		    memcmp(line, l->line, (size_t)n) == 0;
	else if (gone(err))
		r = 0;
	close(fd);
	errno = err;
	return r;
}

int
ms_lock_ours(const struct ms_lock *l)
{
	/* None taken (a read-only store, see lock_take): there is no lock
	 * file that another session could have taken over. */
	return l->locked ? lock_ours(l) : 1;
}

void
ms_lock_release(struct ms_lock *l)
{
	int r;

	if (!l->locked)
		return;
	if ((r = lock_ours(l)) > 0 && unlinkat(l->boxfd, LOCK_NAME, 0) < 0)
		r = -1;
	if (r < 0)
		log_msg(LOG_ERR, "mailbox %s: cannot remove %s: %s", l->name,
		    LOCK_NAME, strerror(errno));
	l->locked = 0;
	if (holder == l)
		holder = NULL;
}

static void
lock_atexit(void)
{
	if (holder != NULL)
		ms_lock_release(holder);
}

/* Make the lock file with our line in it.  Returns 0, or -1 with errno
 * (EEXIST: there is a lock already). */
static int
lock_create(struct ms_lock *l)
{
	static int registered;
	struct stat st;
	ssize_t w;
	int fd, n, err;

	fd = openat(l->boxfd, LOCK_NAME, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	n = snprintf(l->line, sizeof(l->line), "%s %ld %lld\n", l->host,
	    (long)getpid(), (long long)time(NULL));
	do
		w = write(fd, l->line, (size_t)n);
	while (w < 0 && errno == EINTR);
	if (w >= 0 && w != n)
		errno = EIO;	/* a short write to a new file: full */
	if (w != n || fstat(fd, &st) < 0)
		goto fail;
	/* NFS sends the written data at close, and reports its errors
	 * there. */
	n = close(fd);
	fd = -1;
	if (n < 0)
		goto fail;
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	l->locked = 1;
	l->lost = 0;
	l->touched = mono();
	holder = l;
	if (!registered && atexit(lock_atexit) == 0)
		registered = 1;
	return 0;
fail:
	err = errno;
	if (fd >= 0)
		close(fd);
	/* Ours still: nobody breaks a lock this fresh. */
	(void)unlinkat(l->boxfd, LOCK_NAME, 0);
	errno = err;
	return -1;
}

enum lock_state {
	LOCK_FRESH,		/* held: [IN-USE] */
	LOCK_STALE,		/* may be broken */
	LOCK_GONE		/* released meanwhile: try again */
};

/* Is the process that wrote line (HOST PID START) gone?  Only a process
 * of this host can be asked. */
static int
holder_gone(const struct ms_lock *l, const char *line)
{
	size_t hl = strcspn(line, " ");
	char *end;
	long pid;

	if (hl != strlen(l->host) || strncmp(line, l->host, hl) != 0 ||
	    line[hl] != ' ' || line[hl + 1] < '1' || line[hl + 1] > '9')
		return 0;
	errno = 0;
	pid = strtol(line + hl + 1, &end, 10);
	if (errno != 0 || *end != ' ' || pid > INT_MAX)
		return 0;
	if (pid == (long)getpid())
		return 1;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

/* Read and judge the lock that another session made, by the rules
 * above.  *st gets the file judged, why the reason it is stale, who its
 * line (cleaned for the log).  Returns a lock_state, or -1 with errno. */
static int
lock_judge(const struct ms_lock *l, struct stat *st, const char **why,
    char *who, size_t whosize)
{
	char line[HOST_NAME_MAX + 64];
	ssize_t n = -1;
	int fd, err, regular = 1;

	fd = openat(l->boxfd, LOCK_NAME, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd < 0 && errno == EACCES) {
		/* Another user's, or one that is not ours yet (a file
		 * system that makes a file and then gives it to its
		 * maker): unread, it names nobody, and its age judges it. */
		if (fstatat(l->boxfd, LOCK_NAME, st,
		    AT_SYMLINK_NOFOLLOW) == 0 &&
		    (regular = S_ISREG(st->st_mode)))
			n = 0;
	} else if (fd < 0)
		regular = errno != ELOOP;
	else if (fstat(fd, st) == 0 && (regular = S_ISREG(st->st_mode))) {
		do
			n = read(fd, line, sizeof(line) - 1);
		while (n < 0 && errno == EINTR);
	}
	if (!regular) {
		/* A link, a directory, a FIFO: another program's, not ours
		 * to remove; the operator must look. */
		log_msg(LOG_ERR, "mailbox %s: %s is not a regular file",
		    l->name, LOCK_NAME);
		errno = EEXIST;
	}
	err = errno;
	if (fd >= 0)
		close(fd);
	if (n < 0) {
		/* Released or broken meanwhile. */
		if (gone(err))
			return LOCK_GONE;
		errno = err;
		return -1;
	}
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
	log_clean(who, whosize, line, strlen(line));
	if (holder_gone(l, line)) {
		*why = "its process is gone";
		return LOCK_STALE;
	}
	if (time(NULL) - st->st_mtime > STORE_LOCK_STALE) {
		*why = "not refreshed for too long";
		return LOCK_STALE;
	}
	return LOCK_FRESH;
}

/* Is LOCK_NAME still the file judged as old (device, inode, mtime)?
 * Opened, so that NFS asks the server.  Returns 1, 0 (another file, or
 * none), or -1. */
static int
lock_same(const struct ms_lock *l, const struct stat *old)
{
	struct stat st;
	int fd, r;

	fd = openat(l->boxfd, LOCK_NAME, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd < 0)
		return gone(errno) ? 0 : -1;
	if (fstat(fd, &st) < 0)
		r = gone(errno) ? 0 : -1;
	else
		r = st.st_dev == old->st_dev && st.st_ino == old->st_ino &&
		    st.st_mtim.tv_sec == old->st_mtim.tv_sec &&
		    st.st_mtim.tv_nsec == old->st_mtim.tv_nsec;
	close(fd);
	return r;
}

/* Remove the stale lock judged as old, under the break lock: move it
 * into tmp/ and check that what was moved is what was judged; if not,
 * link it back.  Returns 0 when it is gone (try again to create), 1 when
 * what was there was a live lock (left in place), -1 on error. */
static int
lock_move(const struct ms_lock *l, const struct stat *old,
    const char *who, const char *why)
{
	char base[128], name[sizeof(base) + 16];
	struct stat st;
	int tmpfd, r, err;

	if ((tmpfd = ms_open_sub(l->boxfd, "tmp")) < 0)
		return -1;
	ms_unique_name(base, sizeof(base), l->host);
	snprintf(name, sizeof(name), "%s.stale-lock", base);
	if (renameat(l->boxfd, LOCK_NAME, tmpfd, name) < 0) {
		/* Gone: released by a holder that lived after all. */
		r = gone(errno) ? 0 : -1;
	} else if (fstatat(tmpfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		r = gone(errno) ? 0 : -1;
	} else if (st.st_dev == old->st_dev && st.st_ino == old->st_ino &&
	    st.st_mtim.tv_sec == old->st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == old->st_mtim.tv_nsec) {
		log_msg(LOG_NOTICE, "mailbox %s: broke the stale lock \"%s\": "
		    "%s", l->name, who, why);
		if (unlinkat(tmpfd, name, 0) < 0)
			log_msg(LOG_WARNING, "mailbox %s: cannot remove "
			    "tmp/%s: %s", l->name, name, strerror(errno));
		r = 0;
	} else {
		if (linkat(tmpfd, name, l->boxfd, LOCK_NAME, 0) < 0)
			log_msg(LOG_WARNING, "mailbox %s: a lock moved while "
			    "breaking a stale one could not be put back: %s",
			    l->name, strerror(errno));
		if (unlinkat(tmpfd, name, 0) < 0)
			log_msg(LOG_WARNING, "mailbox %s: cannot remove "
			    "tmp/%s: %s", l->name, name, strerror(errno));
		r = 1;
	}
	err = errno;
	close(tmpfd);
	errno = err;
	return r;
}

/* The break lock is taken: another session is breaking the stale lock
 * and will hold the maildrop (1), unless it died doing so, a few system
 * calls long: a break lock over STORE_LOCK_REFRESH seconds old is
 * removed, and the caller tries again (0).  -1 on error. */
static int
break_busy(const struct ms_lock *l)
{
	struct stat st;

	if (fstatat(l->boxfd, BREAK_NAME, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return gone(errno) ? 0 : -1;
	if (!S_ISREG(st.st_mode)) {
		log_msg(LOG_ERR, "mailbox %s: %s is not a regular file",
		    l->name, BREAK_NAME);
		errno = EEXIST;
		return -1;
	}
	if (time(NULL) - st.st_mtime <= STORE_LOCK_REFRESH)
		return 1;
	if (unlinkat(l->boxfd, BREAK_NAME, 0) < 0 && !gone(errno))
		return -1;
	log_msg(LOG_NOTICE, "mailbox %s: removed a stale %s", l->name,
	    BREAK_NAME);
	return 0;
}

/* Break the stale lock judged as old, one breaker at a time (see
 * above).  Returns 0 when the caller should try again to create the
 * lock, 1 when another session holds it or is taking it, -1 on error. */
static int
lock_break(const struct ms_lock *l, const struct stat *old,
    const char *who, const char *why)
{
	int fd, r, err;

	fd = openat(l->boxfd, BREAK_NAME, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EEXIST ? break_busy(l) : -1;
	(void)close(fd);	/* empty: only its name and age count */
	/* Judged before the break lock was ours: another breaker may have
	 * replaced the stale lock since, or its holder refreshed it. */
	if ((r = lock_same(l, old)) > 0)
		r = lock_move(l, old, who, why);
	err = errno;
	if (unlinkat(l->boxfd, BREAK_NAME, 0) < 0)
		log_msg(LOG_ERR, "mailbox %s: cannot remove %s: %s", l->name,
		    BREAK_NAME, strerror(errno));
	errno = err;
	return r;
}

/* Take the lock file.  Returns MS_OK, MS_LOCKED, or MS_TEMP (logged by
 * the caller, with errno). */
static enum ms_result
lock_take(struct ms_lock *l)
{
	char who[HOST_NAME_MAX + 64];
	const char *why = "";
	struct stat old;
	int tries, r;

	for (tries = 0; tries < STORE_LOCK_TRIES; tries++) {
		if (lock_create(l) == 0)
			return MS_OK;
		if (errno == EROFS) {
			/* A store this host cannot write: nothing read from
			 * it can be deleted here, so the session, read
			 * only, needs no lock file to keep another one's
			 * deletions right; flock() still excludes this
			 * host's own sessions. */
			log_msg(LOG_WARNING, "mailbox %s: read-only store, "
			    "served without %s", l->name, LOCK_NAME);
			return MS_OK;
		}
		if (errno != EEXIST)
			return MS_TEMP;
		r = lock_judge(l, &old, &why, who, sizeof(who));
		if (r < 0)
			return MS_TEMP;
		if (r == LOCK_FRESH)
			return MS_LOCKED;
		if (r == LOCK_GONE)
			continue;
		if ((r = lock_break(l, &old, who, why)) < 0)
			return MS_TEMP;
		if (r > 0)
			return MS_LOCKED;
	}
	/* Each round lost to another session: it holds the lock now. */
	return MS_LOCKED;
}

enum ms_result
ms_lock_take(struct ms_lock *l, int boxfd, const char *name)
{
	struct utsname u;

	l->boxfd = boxfd;
	l->name = name;
	ms_safe_host(l->host, sizeof(l->host),
	    uname(&u) == 0 ? u.nodename : "");
	/* The two locks, flock() first: it settles a race between sessions
	 * of this host without touching the lock file.  A file system that
	 * cannot flock() a directory leaves the lock file alone to hold. */
	if (flock(boxfd, LOCK_EX | LOCK_NB) < 0 && errno != ENOLCK &&
	    errno != EOPNOTSUPP && errno != EINVAL)
		return errno == EWOULDBLOCK ? MS_LOCKED : MS_TEMP;
	return lock_take(l);
}

/* Note, and log once, that LOCK_NAME is no longer ours. */
static void
lock_lost(struct ms_lock *l)
{
	if (!l->lost)
		log_msg(LOG_WARNING, "mailbox %s: the lock was taken over by "
		    "another session; QUIT will delete nothing", l->name);
	l->lost = 1;
}

void
ms_lock_keep(struct ms_lock *l, int look)
{
	struct stat st;
	time_t now = mono();
	int r;

	if (!l->locked || (!look && now - l->touched < STORE_LOCK_REFRESH))
		return;
	r = fstatat(l->boxfd, LOCK_NAME, &st, AT_SYMLINK_NOFOLLOW);
	if (r < 0 && !gone(errno)) {
		log_msg(LOG_WARNING, "mailbox %s: cannot check %s: %s",
		    l->name, LOCK_NAME, strerror(errno));
		l->touched = now;
		return;
	}
	if (r < 0 || !lock_is(l, &st)) {
		lock_lost(l);
		l->touched = now;
		return;
	}
	if (now - l->touched < STORE_LOCK_REFRESH &&
	    time(NULL) - st.st_mtime < STORE_LOCK_REFRESH)
		return;
	l->touched = now;
	/* Before a write, the thorough look: never refresh a newer lock
	 * that only reuses our inode number. */
	if ((r = lock_ours(l)) == 0) {
		lock_lost(l);
		return;
	}
	l->lost = 0;
	/* NULL times: on NFS the server's clock, the one rule (b) reads. */
	if (r < 0 || utimensat(l->boxfd, LOCK_NAME, NULL,
	    AT_SYMLINK_NOFOLLOW) < 0)
		log_msg(LOG_WARNING, "mailbox %s: cannot refresh %s: %s",
		    l->name, LOCK_NAME, strerror(errno));
}

