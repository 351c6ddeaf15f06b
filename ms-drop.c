/*
 * ms-drop.c: a maildrop as POP3 sees it: locked for the session (the
 * lock is ms-lock.c), a snapshot of new/ and cur/ oldest first, unique
 * ids, deletion marks applied at UPDATE, and each message read in its
 * wire form.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "ms-dir.h"
#include "ms-quota.h"
#include "ms-lock.h"
#include "tunables.h"

struct msg {
	char	*name;		/* file name in new/ or cur/ */
	int	cur;		/* in cur/ rather than new/ */
	int	deleted;
	off_t	size;		/* wire size */
	off_t	disk;		/* size of the file, for the quota */
	long long secs;		/* sort keys from the name */
	long	usec;
};

struct ms_mailbox {
	int	boxfd, dirs[2];	/* the mailbox, its new/ and cur/ */
	struct msg *msgs;
	size_t	n;
	char	uid[71];
	char	name[ADDRESS_MAX + 1];	/* for the log */
	struct ms_lock lock;	/* ms-lock.c */
};

struct ms_reader {
	struct ms_mailbox *m;	/* refreshed while a message is sent */
	int	fd;
	int	cr;		/* the last octet read was a CR */
	int	lf;		/* the last octet read was a LF */
	int	any;		/* anything read at all */
	int	done;
};

void
ms_mailbox_refresh(struct ms_mailbox *m)
{
	if (m != NULL)
		ms_lock_keep(&m->lock, 1);
}

void
ms_mailbox_keep(struct ms_mailbox *m)
{
	ms_lock_keep(&m->lock, 0);
}

/* Convert n raw octets to wire form into out (room for 2n), updating the
 * reader's state; out may be NULL to count only.  Returns the wire
 * octets. */
static size_t
wire(struct ms_reader *r, const char *in, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (in[i] == '\n' && !r->cr) {
			if (out != NULL)
				out[o] = '\r';
			o++;
		}
		if (out != NULL)
			out[o] = in[i];
		o++;
		r->cr = in[i] == '\r';
		r->lf = in[i] == '\n';
	}
	if (n > 0)
		r->any = 1;
	return o;
}

/* What a message lacking a final line end gets at its end. */
static size_t
wire_end(const struct ms_reader *r)
{
	return r->any && !r->lf ? 2 : 0;
}

/* Open the message dirfd/name for reading, only if it is a regular file
 * now: it may have been swapped for a link or a FIFO since the listing,
 * and opening a FIFO would block.  Returns the fd, or -1. */
static int
open_msg(int dirfd, const char *name, struct stat *stp)
{
	struct stat st, *sp = stp != NULL ? stp : &st;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, sp) < 0 || !S_ISREG(sp->st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* Wire size of the file at dirfd/name by reading it. */
static off_t
scan_size(int dirfd, const char *name)
{
	struct ms_reader r = { 0 };
	char buf[IO_BUFSIZE];
	off_t total = 0;
	ssize_t n;
	int fd;

	if ((fd = open_msg(dirfd, name, NULL)) < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += (off_t)wire(&r, buf, (size_t)n, NULL);
	close(fd);
	return n < 0 ? -1 : total + (off_t)wire_end(&r);
}

/* The value of field ",X=" in a Maildir name, or -1. */
static long long
name_field(const char *name, const char *field)
{
	const char *p = strstr(name, field), *end;
	char *stop;
	long long v;

	end = strchr(name, ':');
	if (p == NULL || (end != NULL && p > end))
		return -1;
	p += strlen(field);
	if (*p < '0' || *p > '9')
		return -1;
	errno = 0;
	v = strtoll(p, &stop, 10);
	if (errno != 0 || (*stop != ',' && *stop != ':' && *stop != '\0'))
		return -1;
	return v;
}

/* The sizes a name of ours carries: S= on disk, W= on the wire; 0 when
 * the name has no such pair (another program's), -1 if it lies. */
static int
name_sizes(const char *name, off_t *disk, off_t *size)
{
	long long s = name_field(name, ",S="), w = name_field(name, ",W=");

	if (s < 0 || w < 0)
		return 0;
	if (w < s)
		return -1;
	*disk = (off_t)s;
	*size = (off_t)w;
	return 1;
}

/* Add one directory entry, of type type (a dirent's d_type), to the
 * snapshot if it is a plain message. */
static int
add_msg(struct ms_mailbox *m, size_t *cap, int cur, const char *name,
    unsigned char type)
{
	struct stat st;
	struct msg *x;
	off_t disk, size;
	char *p;
	int named;

	if (name[0] == '.' || m->n >= POP3_MESSAGES_MAX)
		return 0;
	/* Links are never followed and other file types never served.  The
	 * directory says which a file is, and a name of ours says its
	 * sizes: a maildrop is listed without a stat() of each message,
	 * which costs a round trip on a network file system.  ms_read_open
	 * checks the file when it is opened. */
	if (type != DT_REG && type != DT_UNKNOWN)
		return 0;
	if ((named = name_sizes(name, &disk, &size)) <= 0 ||
	    type == DT_UNKNOWN) {
		if (fstatat(m->dirs[cur], name, &st,
		    AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			return 0;
		/* A name whose S= is not the file's size is someone
		 * else's (a compressed file): its size is counted. */
		if (named <= 0 || st.st_size != disk) {
			disk = st.st_size;
			if ((size = scan_size(m->dirs[cur], name)) < 0)
				return 0;
		}
	}
	if (m->n == *cap) {
		*cap = *cap == 0 ? 64 : *cap * 2;
		if ((x = reallocarray(m->msgs, *cap, sizeof(*x))) == NULL)
			return -1;
		m->msgs = x;
	}
	x = &m->msgs[m->n];
	memset(x, 0, sizeof(*x));
	x->cur = cur;
	x->disk = disk;
	x->size = size;
	if ((x->name = strdup(name)) == NULL)
		return -1;
	x->secs = strtoll(name, &p, 10);
	if (p[0] == '.' && p[1] == 'M')
		x->usec = strtol(p + 2, NULL, 10);
	m->n++;
	return 0;
}

static int
by_age(const void *a, const void *b)
{
	const struct msg *x = a, *y = b;

	if (x->secs != y->secs)
		return x->secs < y->secs ? -1 : 1;
	if (x->usec != y->usec)
		return x->usec < y->usec ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Read new/ and cur/ into the snapshot, oldest first. */
static int
snapshot(struct ms_mailbox *m)
{
	struct dirent *e;
	size_t cap = 0;
	DIR *dir;
	int cur, fd;

	for (cur = 0; cur < 2; cur++) {
		if ((fd = dup(m->dirs[cur])) < 0)
			return -1;
		if ((dir = fdopendir(fd)) == NULL) {
			close(fd);
			return -1;
		}
		while ((e = readdir(dir)) != NULL) {
			/* A million names on NFS take a while. */
			ms_lock_keep(&m->lock, 0);
			if (add_msg(m, &cap, cur, e->d_name, e->d_type) < 0) {
				closedir(dir);
				return -1;
			}
		}
		closedir(dir);
	}
	if (m->n > 0)
		qsort(m->msgs, m->n, sizeof(*m->msgs), by_age);
	return 0;
}

enum ms_result
ms_mailbox_open(struct ms_mailbox **mp, const char *store, const char *name)
{
	struct ms_mailbox *m;
	enum ms_result r;
	int storefd, err;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return MS_TEMP;
	m->boxfd = m->dirs[0] = m->dirs[1] = -1;
	snprintf(m->name, sizeof(m->name), "%s", name);
	if ((storefd = ms_open_store(store)) < 0)
		goto fail;
	m->boxfd = ms_open_box(storefd, name);
	err = errno;
	close(storefd);
	errno = err;
	if (m->boxfd < 0)
		goto fail;
	if ((r = ms_lock_take(&m->lock, m->boxfd, m->name)) == MS_LOCKED) {
		ms_mailbox_close(m);
		return MS_LOCKED;
	}
	if (r != MS_OK)
		goto fail;
	if ((m->dirs[0] = ms_open_sub(m->boxfd, "new")) < 0 ||
	    (m->dirs[1] = ms_open_sub(m->boxfd, "cur")) < 0 ||
	    snapshot(m) < 0)
		goto fail;
	ms_clean_tmp(m->boxfd);
	*mp = m;
	return MS_OK;
fail:
	err = errno;
	log_msg(LOG_ERR, "mailbox %s: cannot open: %s", name, strerror(err));
	ms_mailbox_close(m);
	return ms_result_of(err);
}

size_t
ms_count(const struct ms_mailbox *m)
{
	return m->n;
}

void
ms_stat(const struct ms_mailbox *m, size_t *count, off_t *octets)
{
	size_t i;

	*count = 0;
	*octets = 0;
	for (i = 0; i < m->n; i++)
		if (!m->msgs[i].deleted) {
			(*count)++;
			*octets += m->msgs[i].size;
		}
}

off_t
ms_size(const struct ms_mailbox *m, size_t i)
{
	return m->msgs[i].size;
}

/* FNV-1a, for ids of foreign names that cannot serve as UIDL as they
 * are. */
static unsigned long long
fnv(const char *s, size_t n, unsigned long long h)
{
	while (n-- > 0)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

const char *
ms_uid(struct ms_mailbox *m, size_t i)
{
	const char *name = m->msgs[i].name;
	size_t n = strcspn(name, ",:"), k;

	/* The base name is unique and survives a move from new/ to cur/
	 * and a change of flags. */
	for (k = 0; k < n && name[k] > 0x20 && name[k] < 0x7f; k++)
		;
	if (k == n && n > 0 && n < sizeof(m->uid)) {
		memcpy(m->uid, name, n);
		m->uid[n] = '\0';
	} else
		snprintf(m->uid, sizeof(m->uid), "H%016llx%016llx",
		    fnv(name, n, 0xcbf29ce484222325ULL),
		    fnv(name, n, 0x84222325cbf29ce4ULL));
	return m->uid;
}

void
ms_mark(struct ms_mailbox *m, size_t i)
{
	m->msgs[i].deleted = 1;
}

int
ms_marked(const struct ms_mailbox *m, size_t i)
{
	return m->msgs[i].deleted;
}

void
ms_unmark_all(struct ms_mailbox *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		m->msgs[i].deleted = 0;
}

/* Find message i again after another program (an IMAP server, a mail
 * reader) renamed it: moved between new/ and cur/ or given other flags,
 * its base name, up to the ':', stays.  Updates the snapshot; returns 0,
 * or -1 with errno ENOENT if the message is gone. */
static int
relocate(struct ms_mailbox *m, size_t i)
{
	const char *old = m->msgs[i].name;
	size_t base = strcspn(old, ":");
	struct dirent *e;
	DIR *dir;
	int cur, fd;
	char *name;

	for (cur = 0; cur < 2; cur++) {
		if ((fd = dup(m->dirs[cur])) < 0)
			return -1;
		if ((dir = fdopendir(fd)) == NULL) {
			close(fd);
			return -1;
		}
		/* The directory stream starts where the last one on this
		 * descriptor ended: rewind it. */
		rewinddir(dir);
		while ((e = readdir(dir)) != NULL) {
			if (strncmp(e->d_name, old, base) != 0 ||
			    (e->d_name[base] != ':' && e->d_name[base] != '\0') ||
			    (name = strdup(e->d_name)) == NULL)
				continue;
			closedir(dir);
			free(m->msgs[i].name);
			m->msgs[i].name = name;
			m->msgs[i].cur = cur;
			return 0;
		}
		closedir(dir);
	}
	errno = ENOENT;
	return -1;
}

/* Remove message i, wherever another program may have moved it; sets
 * touched[] for the directories to synchronise.  Returns 1 when this
 * call removed it, 0 when it was gone already, -1 on error. */
static int
remove_msg(struct ms_mailbox *m, size_t i, int touched[2])
{
	if (unlinkat(m->dirs[m->msgs[i].cur], m->msgs[i].name, 0) == 0) {
		touched[m->msgs[i].cur] = 1;
		return 1;
	}
	if (errno != ENOENT)
		return -1;
	if (relocate(m, i) < 0)
		return errno == ENOENT ? 0 : -1;	/* already gone */
	if (unlinkat(m->dirs[m->msgs[i].cur], m->msgs[i].name, 0) < 0)
		return errno == ENOENT ? 0 : -1;
	touched[m->msgs[i].cur] = 1;
	return 1;
}

enum ms_result
ms_update(struct ms_mailbox *m)
{
	enum ms_result r = MS_OK;
	int touched[2] = { 0, 0 }, cur, own, rm;
	long long octets = 0, count = 0, s;
	size_t i;

	/* Delete only under a lock that is still ours: if another session
	 * judged it stale and took it, that session may be deleting from
	 * its own snapshot now. */
	if ((own = ms_lock_ours(&m->lock)) <= 0) {
		log_msg(LOG_ERR, "mailbox %s: %s, so nothing is deleted",
		    m->name, own < 0 ? "cannot check the lock" :
		    "the lock is no longer ours");
		return MS_TEMP;
	}
	for (i = 0; i < m->n; i++) {
		/* A million unlinks on NFS take minutes. */
		ms_lock_keep(&m->lock, 0);
		if (!m->msgs[i].deleted)
			continue;
		if ((rm = remove_msg(m, i, touched)) < 0) {
			log_msg(LOG_ERR, "cannot delete %s: %s",
			    ms_clean(m->msgs[i].name), strerror(errno));
			r = MS_TEMP;
		} else if (rm > 0) {
			/* Maildir++: take off what was counted, the S= of
			 * the name, else the size (ms-quota.c). */
			s = name_field(m->msgs[i].name, ",S=");
			octets += s >= 0 ? s : (long long)m->msgs[i].disk;
			count++;
		}
	}
	for (cur = 0; cur < 2; cur++)
		if (touched[cur] && fsync(m->dirs[cur]) < 0)
			r = MS_TEMP;
	/* Maildir++: the room is free at once. */
	if (count > 0)
		ms_quota_note(m->boxfd, "maildirsize", -octets, -count);
	return r;
}

void
ms_mailbox_close(struct ms_mailbox *m)
{
	size_t i;

	/* The lock file before the flock() on boxfd: see "The maildrop
	 * lock" in ms-lock.c. */
	ms_lock_release(&m->lock);
	if (m->dirs[0] >= 0)
		close(m->dirs[0]);
	if (m->dirs[1] >= 0)
		close(m->dirs[1]);
	if (m->boxfd >= 0)
		close(m->boxfd);
	for (i = 0; i < m->n; i++)
		free(m->msgs[i].name);
	free(m->msgs);
	free(m);
}

enum ms_result
ms_read_open(struct ms_mailbox *m, size_t i, struct ms_reader **rp)
{
	struct ms_reader *r;
	struct stat st;
	struct msg *x;
	off_t size;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return MS_TEMP;
	r->m = m;
	x = &m->msgs[i];
	r->fd = open_msg(m->dirs[x->cur], x->name, &st);
	if (r->fd < 0 && errno == ENOENT && relocate(m, i) == 0)
		r->fd = open_msg(m->dirs[x->cur], x->name, &st);
	if (r->fd < 0) {
		log_msg(LOG_ERR, "cannot open %s: %s", ms_clean(x->name),
		    strerror(errno));
		free(r);
		return MS_TEMP;
	}
	/* The snapshot took the sizes from the name (add_msg).  A file of
	 * another size was named by a program that got S= wrong: from now
	 * on its size is the one counted. */
	if (st.st_size != x->disk &&
	    (size = scan_size(m->dirs[x->cur], x->name)) >= 0) {
		log_msg(LOG_WARNING, "mailbox %s: %s is %lld octets, not the "
		    "S= of its name", m->name, ms_clean(x->name),
		    (long long)st.st_size);
		x->disk = st.st_size;
		x->size = size;
	}
	*rp = r;
	return MS_OK;
}

ssize_t
ms_read(struct ms_reader *r, char *buf, size_t len)
{
	char raw[IO_BUFSIZE / 2];
	size_t want = len / 2;
	ssize_t n;

	if (r->done)
		return 0;
	/* A long RETR to a slow client: keep the lock fresh, with no
	 * system call unless STORE_LOCK_REFRESH seconds have passed. */
	ms_lock_keep(&r->m->lock, 0);
	if (want > sizeof(raw))
		want = sizeof(raw);
	do
		n = read(r->fd, raw, want);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n > 0)
		return (ssize_t)wire(r, raw, (size_t)n, buf);
	r->done = 1;
	if (wire_end(r) == 0)
		return 0;
	memcpy(buf, "\r\n", 2);
	return 2;
}

void
ms_read_close(struct ms_reader *r)
{
	/* TOP stops reading early, after the flushes of a whole chunk. */
	ms_lock_keep(&r->m->lock, 0);
	close(r->fd);
	free(r);
}
