/*
 * ms-deliver.c: delivery of one message to the mailboxes of its
 * recipients, all of them or none.
 *
 * Delivery follows the Maildir protocol with the fsyncs that make a reply
 * of 250 a promise: write the message to a file of tmp/, fsync it, link
 * it into the new/ of every recipient, fsync each new/, and only then
 * report success.  Where the filesystem can, the file is made with
 * O_TMPFILE and has no name until it is linked into new/: a crash before
 * that leaves nothing behind, and the fsync of the file writes no entry
 * of tmp/ (ext4 without a journal, for one, writes a new file's directory
 * with it).  Elsewhere (NFS, no /proc) it is a named file in tmp/, and a
 * crash leaves at most that file, which the next delivery or POP3 login
 * of that mailbox removes after STORE_TMP_AGE.
 *
 * A session forked ahead of its client (handoff.c) makes its first
 * message's file then, in the store's top directory: allocating an inode
 * is the costliest step before the 354 reply, and no client waits for
 * it there.  The file is used only where it can be linked into every
 * recipient's new/ (see linkable()); otherwise it is dropped and the
 * file is made in tmp/ as above.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "ms-dir.h"
#include "ms-quota.h"
#include "tunables.h"

struct ms_delivery {
	int	tmpdir;		/* tmp/ of the first mailbox */
	int	fd;		/* the message file */
	int	anon;		/* fd is an O_TMPFILE, linked through proc */
	char	proc[32];	/* /proc/self/fd/N, the name of an anon fd */
	int	*newdirs;	/* new/ of every mailbox */
	int	*boxdirs;	/* every mailbox, for its maildirsize */
	size_t	n;
	off_t	size, lines;	/* octets and LFs written */
	int	failed;
	size_t	blen;
	char	base[128];	/* unique name, without the size fields */
	char	final[192];	/* the name in new/, once committing */
	size_t	linked;		/* new/ that have it so far */
	/* Last: ms_deliver_open() zeroes only the fields before it. */
	char	buf[IO_BUFSIZE];
};

static void
close_dirs(struct ms_delivery *d)
{
	size_t i;

	for (i = 0; i < 2 * d->n; i++)
		if (d->newdirs[i] >= 0)
			close(d->newdirs[i]);
	if (d->tmpdir >= 0)
		close(d->tmpdir);
	free(d->newdirs);
	free(d);
}

/* Open the mailboxes' directories; the temporary file goes in the first
 * one's tmp/, so that it can be linked into every new/ of the store.
 * The mailbox itself stays open until the commit, which counts the
 * message in its maildirsize: no path from new/ back up to it. */
static int
open_targets(struct ms_delivery *d, int storefd, const char *const *names)
{
	int box;
	size_t i;

	for (i = 0; i < d->n; i++) {
		if ((box = ms_open_box(storefd, names[i])) < 0)
			return -1;
		d->boxdirs[i] = box;
		d->newdirs[i] = ms_open_sub(box, "new");
		if (i == 0 && d->newdirs[i] >= 0) {
			d->tmpdir = ms_open_sub(box, "tmp");
			/* Orphans of a crash are left in this tmp/. */
			ms_clean_tmp(box);
		}
		if (d->newdirs[i] < 0 || (i == 0 && d->tmpdir < 0))
			return -1;
	}
	return 0;
}

/* Take the anonymous file fd (or -1) as the message file of d, which
 * commit links into new/ through /proc/self/fd (linkat's AT_EMPTY_PATH
 * needs a privilege before Linux 6.10).  Returns fd, or -1 when there
 * is none or that name does not lead back to it (no /proc): fd is then
 * closed, and the caller makes a named file. */
static int
adopt(struct ms_delivery *d, int fd)
{
	struct stat a, b;

	if (fd < 0)
		return -1;
	snprintf(d->proc, sizeof(d->proc), "/proc/self/fd/%d", fd);
	if (fstat(fd, &a) < 0 || stat(d->proc, &b) < 0 ||
	    a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
		close(fd);
		return -1;
	}
	d->anon = 1;
	return fd;
}

/* The first message's file, made ahead (ms_deliver_prepare), or -1. */
static int ahead = -1;

void
ms_deliver_prepare(const char *store)
{
	int storefd;

	if (ahead >= 0 || (storefd = ms_open_store(store)) < 0)
		return;
	ahead = openat(storefd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	close(storefd);
}

/* Whether directory dir would take a link to fd: the same filesystem,
 * and the same project where dir passes its project on (ext4 and XFS
 * refuse such a link with EXDEV, so that a project quota holds). */
static int
linkable(int fd, int dir)
{
	struct fsxattr fx, dx;
	struct stat f, ds;

	if (fstat(fd, &f) < 0 || fstat(dir, &ds) < 0 || f.st_dev != ds.st_dev)
		return 0;
	/* A filesystem without the call has no projects. */
	if (ioctl(dir, FS_IOC_FSGETXATTR, &dx) < 0)
		return errno == ENOTTY || errno == EOPNOTSUPP;
	if ((dx.fsx_xflags & FS_XFLAG_PROJINHERIT) == 0)
		return 1;
	return ioctl(fd, FS_IOC_FSGETXATTR, &fx) == 0 &&
	    fx.fsx_projid == dx.fsx_projid;
}

/* The file made ahead, if every new/ of d would take it; else -1. */
static int
take_ahead(struct ms_delivery *d)
{
	int fd = ahead;
	size_t i;

	ahead = -1;
	for (i = 0; fd >= 0 && i < d->n; i++)
		if (!linkable(fd, d->newdirs[i])) {
			close(fd);
			fd = -1;
		}
	return adopt(d, fd);
}

enum ms_result
ms_deliver_open(struct ms_delivery **dp, const char *store, const char *host,
    const char *const *names, size_t n, char *id, size_t idsize)
{
	struct ms_delivery *d;
	int storefd, tries, err;
	size_t i;

	if (n == 0)
		return MS_PERM;
	/* Zero all but the buffer: 32 KiB cleared for every message would
	 * be written (and faulted in) for nothing. */
	if ((d = malloc(sizeof(*d))) != NULL)
		memset(d, 0, offsetof(struct ms_delivery, buf));
	if (d == NULL || (d->newdirs = calloc(n, 2 * sizeof(int))) == NULL) {
		free(d);
		return MS_TEMP;
	}
	d->n = n;
	d->boxdirs = d->newdirs + n;
	d->tmpdir = d->fd = -1;
	for (i = 0; i < 2 * n; i++)
		d->newdirs[i] = -1;
	if ((storefd = ms_open_store(store)) < 0 ||
	    open_targets(d, storefd, names) < 0)
		goto fail;
	ms_unique_name(d->base, sizeof(d->base), host);
	if ((d->fd = take_ahead(d)) < 0)
		d->fd = adopt(d, openat(d->tmpdir, ".", O_TMPFILE | O_WRONLY |
		    O_CLOEXEC, 0600));
	for (tries = 0; tries < 10 && d->fd < 0; tries++) {
		if (tries > 0)
			ms_unique_name(d->base, sizeof(d->base), host);
		d->fd = openat(d->tmpdir, d->base, O_WRONLY | O_CREAT |
		    O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (d->fd < 0 && errno != EEXIST)
			goto fail;
	}
	if (d->fd < 0)
		goto fail;
	close(storefd);
	snprintf(id, idsize, "%s", d->base);
	*dp = d;
	return MS_OK;
fail:
	err = errno;
	log_msg(LOG_ERR, "delivery to %s: cannot open: %s", names[0],
	    strerror(err));
	if (storefd >= 0)
		close(storefd);
	close_dirs(d);
	return ms_result_of(err);
}

/* Write the buffered octets to the file. */
static int
drain(struct ms_delivery *d)
{
	size_t off = 0;
	ssize_t w;

	while (off < d->blen) {
		w = write(d->fd, d->buf + off, d->blen - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			log_msg(LOG_ERR, "delivery %s: write: %s", d->base,
			    strerror(errno));
			d->failed = 1;
			return -1;
		}
		off += (size_t)w;
	}
	d->blen = 0;
	return 0;
}

enum ms_result
ms_deliver_write(struct ms_delivery *d, const char *buf, size_t len)
{
	const char *p, *end = buf + len;
	size_t n;

	if (d->failed)
		return MS_TEMP;
	for (p = buf; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
		d->lines++;
	d->size += (off_t)len;
	while (len > 0) {
		if (d->blen == sizeof(d->buf) && drain(d) < 0)
			return MS_TEMP;
		n = sizeof(d->buf) - d->blen;
		if (n > len)
			n = len;
		memcpy(d->buf + d->blen, buf, n);
		d->blen += n;
		buf += n;
		len -= n;
	}
	return MS_OK;
}

off_t
ms_deliver_octets(const struct ms_delivery *d)
{
	return d->size;
}

/* Remove the links made so far (the first k) and make that durable. */
static void
unlink_new(struct ms_delivery *d, size_t k, const char *final)
{
	size_t i;

	for (i = 0; i < k; i++)
		if (unlinkat(d->newdirs[i], final, 0) < 0 ||
		    fsync(d->newdirs[i]) < 0)
			log_msg(LOG_ERR, "delivery %s: cannot roll back: %s",
			    d->base, strerror(errno));
}

/* Undo what commit_all() did to d before it failed: the links made, the
 * file, its name in tmp/. */
static void
roll_back(struct ms_delivery *d)
{
	if (d->fd >= 0) {
		close(d->fd);
		d->fd = -1;
	}
	unlink_new(d, d->linked, d->final);
	if (!d->anon)
		(void)unlinkat(d->tmpdir, d->base, 0);
}

/* The steps of a commit, each done for every delivery before the next:
 * so a crash, or a failure, leaves no message in any new/ unless every
 * file is whole on disk, and all of them or none once undone. */
static const char *
commit_all(struct ms_delivery *const *ds, size_t n)
{
	struct ms_delivery *d;
	size_t i, k;
	int fd;

	for (i = 0; i < n; i++) {
		d = ds[i];
		if (d->failed || drain(d) < 0)
			return "write";
		if (fsync(d->fd) < 0)
			return "fsync";
	}
	/* An anonymous file is linked while it is open, by its proc name. */
	for (i = 0; i < n; i++) {
		d = ds[i];
		snprintf(d->final, sizeof(d->final), "%s,S=%lld,W=%lld",
		    d->base, (long long)d->size, (long long)(d->size +
		    d->lines));
		for (k = 0; k < d->n; k++) {
			if ((d->anon ? linkat(AT_FDCWD, d->proc,
			    d->newdirs[k], d->final, AT_SYMLINK_FOLLOW) :
			    linkat(d->tmpdir, d->base, d->newdirs[k],
			    d->final, 0)) < 0)
				return "link";
			d->linked = k + 1;
		}
	}
	for (i = 0; i < n; i++) {
		fd = ds[i]->fd;
		ds[i]->fd = -1;
		if (close(fd) < 0)
			return "close";
	}
	for (i = 0; i < n; i++)
		for (k = 0; k < ds[i]->n; k++)
			if (fsync(ds[i]->newdirs[k]) < 0)
				return "fsync new/";
	return NULL;
}

enum ms_result
ms_deliver_commit_all(struct ms_delivery *const *ds, size_t n)
{
	const char *step;
	size_t i, k;
	int err = 0;

	if ((step = commit_all(ds, n)) != NULL) {
		err = errno;
		for (i = 0; i < n; i++) {
			if (i == 0 || ds[i]->linked > 0 || ds[i]->failed)
				log_msg(LOG_ERR, "delivery %s: %s: %s",
				    ds[i]->base, step, strerror(err));
			roll_back(ds[i]);
			close_dirs(ds[i]);
		}
		return ms_result_of(err);
	}
	for (i = 0; i < n; i++) {
		/* The message is safe; a failure here only leaves an orphan
		 * in tmp/ for the cleanup rule. */
		if (!ds[i]->anon && unlinkat(ds[i]->tmpdir, ds[i]->base, 0) <
		    0)
			log_msg(LOG_WARNING, "delivery %s: cannot remove from "
			    "tmp/: %s", ds[i]->base, strerror(errno));
		/* Maildir++: each mailbox under a quota counts it. */
		for (k = 0; k < ds[i]->n; k++)
			ms_quota_note(ds[i]->boxdirs[k], "maildirsize",
			    (long long)ds[i]->size, 1);
		close_dirs(ds[i]);
	}
	return MS_OK;
}

enum ms_result
ms_deliver_commit(struct ms_delivery *d)
{
	return ms_deliver_commit_all(&d, 1);
}

void
ms_deliver_abort(struct ms_delivery *d)
{
	if (d->fd >= 0) {
		close(d->fd);
		if (!d->anon)
			(void)unlinkat(d->tmpdir, d->base, 0);
	}
	close_dirs(d);
}
