/*
 * mailstore.c: Maildir delivery and maildrop access.
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
 *
 * Every name below the store is opened relative to a directory descriptor
 * with O_NOFOLLOW, and mailbox names are checked again here, so a link
 * planted in a mailbox or a hostile name cannot lead outside the store.
 *
 * The store may be shared by many hosts (NFS, CephFS): everything a
 * session needs is in the store itself, and the POP3 maildrop lock is a
 * file in the maildir as well as an flock().  The lock is in
 * mailstore-lock.c, the other part of the mailstore: the two files are
 * together the only code that knows the disk layout.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "limits.h"
#include "log.h"
#include "mailstore.h"
#include "mailstore-lock.h"

#define DIR_FLAGS	(O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

static const char *const subdirs[] = { "tmp", "new", "cur" };

/* A file name for the log: other programs write in the store too, and a
 * name may hold any byte but '/' and NUL. */
static const char *
clean(const char *name)
{
	static char buf[LOG_TEXT_MAX + 1];

	return log_clean(buf, sizeof(buf), name, strlen(name));
}

/* Map an errno to a result; see mailstore.h for the rule. */
static enum ms_result
result(int err)
{
	return err == ENAMETOOLONG || err == EINVAL ? MS_PERM : MS_TEMP;
}

/* A mailbox name must be a single, visible path component. */
static int
name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > ADDRESS_MAX || name[0] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (name[i] == '/' || (unsigned char)name[i] < 0x20 ||
		    name[i] == 0x7f)
			return 0;
	return 1;
}

/* mkdirat that accepts an existing directory; returns 1 if it made one,
 * 0 if it existed, -1 on error. */
static int
make_dir(int at, const char *name)
{
	if (mkdirat(at, name, 0700) == 0)
		return 1;
	return errno == EEXIST ? 0 : -1;
}

/* A directory that holds this file has been made durable: its entry in
 * its parent and its own entries were fsynced.  Without such a mark, a
 * directory made by a session that then failed, or died, before its
 * fsync would later look as durable as any other. */
#define SYNCED	".mailstore-synced"

/* fsync the directory at (at, name), or the one open as at when name is
 * NULL. */
static int
sync_dir(int at, const char *name)
{
	int fd, r;

	if (name == NULL)
		return fsync(at);
	if ((fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

/* Make sure directory fd and its entry in parent (fd parentfd, or the
 * path parent) are durable, once: after that the mark says so. */
static int
make_durable(int fd, int parentfd, const char *parent)
{
	int m;

	if (faccessat(fd, SYNCED, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if (sync_dir(parentfd, parent) < 0 || fsync(fd) < 0)
		return -1;
	m = openat(fd, SYNCED, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (m < 0)
		return -1;
	return close(m);
}

/* The store ms_store_pin() opened, its parent, and the path it was
 * given. */
static int pinned = -1, pinned_parent = -1;
static const char *pinned_path;

/* The directory that holds path, into parent (size PATH_MAX). */
static void
parent_of(char *parent, const char *path)
{
	char *slash;

	snprintf(parent, PATH_MAX, "%s", path);
	slash = strrchr(parent, '/');
	if (slash == parent)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	else
		strcpy(parent, ".");
}

/* Close fd, keeping errno; returns -1. */
static int
close_keep(int fd)
{
	int err = errno;

	close(fd);
	errno = err;
	return -1;
}

/* Open the store root, making it if it does not exist. */
static int
open_store(const char *store)
{
	char parent[PATH_MAX];
	int fd;

	if (pinned >= 0 && strcmp(store, pinned_path) == 0) {
		if ((fd = fcntl(pinned, F_DUPFD_CLOEXEC, 0)) < 0)
			return -1;
		if (make_durable(fd, pinned_parent, NULL) < 0)
			return close_keep(fd);
		return fd;
	}
	fd = open(store, DIR_FLAGS & ~O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT && (mkdir(store, 0700) == 0 ||
	    errno == EEXIST))
		fd = open(store, DIR_FLAGS & ~O_NOFOLLOW);
	if (fd < 0)
		return -1;
	parent_of(parent, store);
	if (make_durable(fd, AT_FDCWD, parent) < 0)
		return close_keep(fd);
	return fd;
}

/* Make a store for owner:group at store and open it.  The name is
 * looked up again after mkdir(): a link put in its place is refused
 * (O_NOFOLLOW), and only a directory root still owns, so the one made
 * here, is given away. */
static int
make_store(const char *store, uid_t owner, gid_t group)
{
	struct stat st;
	int fd;

	if (mkdir(store, 0700) < 0)
		return errno == EEXIST ? open(store, DIR_FLAGS & ~O_NOFOLLOW) :
		    -1;
	if ((fd = open(store, DIR_FLAGS)) < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		return close_keep(fd);
	if (st.st_uid != geteuid()) {
		errno = EPERM;
		return close_keep(fd);
	}
	if (fchown(fd, owner, group) < 0)
		return close_keep(fd);
	return fd;
}

enum ms_result
ms_store_pin(const char *path, uid_t owner, gid_t group, int make)
{
	char parent[PATH_MAX];
	int fd, pfd;

	fd = open(path, DIR_FLAGS & ~O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT && make)
		fd = make_store(path, owner, group);
	if (fd < 0)
		return result(errno);
	/* The parent too, for the fsync that makes the store's entry
	 * durable: that is left to the first delivery, as the session's
	 * user, so that a failure there is a 451 like any other, and the
	 * mark it leaves is not root's. */
	parent_of(parent, path);
	if ((pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		close_keep(fd);
		return result(errno);
	}
	if (pinned >= 0) {
		close(pinned);
		close(pinned_parent);
	}
	pinned = fd;
	pinned_parent = pfd;
	pinned_path = path;
	return MS_OK;
}

int
ms_store_usable(void)
{
	if (pinned < 0) {
		errno = ENOENT;
		return -1;
	}
	return faccessat(pinned, ".", W_OK | X_OK, AT_EACCESS);
}

/* Open mailbox name under the store, creating it and its three
 * subdirectories as needed, and making them durable. */
static int
open_box(int storefd, const char *name)
{
	int fd, err;
	size_t i;

	if (!name_ok(name)) {
		errno = EINVAL;
		return -1;
	}
	if (make_dir(storefd, name) < 0)
		return -1;
	if ((fd = openat(storefd, name, DIR_FLAGS)) < 0)
		return -1;
	for (i = 0; i < 3; i++)
		if (make_dir(fd, subdirs[i]) < 0)
			goto fail;
	if (make_durable(fd, storefd, NULL) < 0)
		goto fail;
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

int
ms_open_sub(int boxfd, const char *sub)
{
	return openat(boxfd, sub, DIR_FLAGS);
}

/* Remove files a crash left in tmp/ (the Maildir rule: 36 hours). */
static void
clean_tmp(int boxfd)
{
	struct dirent *e;
	struct stat st;
	DIR *dir;
	time_t old = time(NULL) - STORE_TMP_AGE;
	int fd;

	if ((fd = ms_open_sub(boxfd, "tmp")) < 0)
		return;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((e = readdir(dir)) != NULL)
		if (e->d_name[0] != '.' &&
		    fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && st.st_mtime < old &&
		    unlinkat(fd, e->d_name, 0) == 0)
			log_msg(LOG_INFO, "removed stale tmp/%s",
			    clean(e->d_name));
	closedir(dir);
}

/* --- Delivery ------------------------------------------------------ */

struct ms_delivery {
	int	tmpdir;		/* tmp/ of the first mailbox */
	int	fd;		/* the message file */
	int	anon;		/* fd is an O_TMPFILE, linked through proc */
	char	proc[32];	/* /proc/self/fd/N, the name of an anon fd */
	int	*newdirs;	/* new/ of every mailbox */
	size_t	n;
	off_t	size, lines;	/* octets and LFs written */
	int	failed;
	size_t	blen;
	char	base[128];	/* unique name, without the size fields */
	/* Last: ms_deliver_open() zeroes only the fields before it. */
	char	buf[IO_BUFSIZE];
};

void
ms_safe_host(char *buf, size_t size, const char *host)
{
	size_t i;

	for (i = 0; host[i] != '\0' && i < size - 1; i++) {
		char c = host[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
		buf[i] = ok ? c : '_';
	}
	buf[i] = '\0';
	if (i == 0)
		snprintf(buf, size, "localhost");
}

void
ms_unique_name(char *buf, size_t size, const char *host)
{
	static unsigned long counter;
	char safe[STORE_HOST_MAX + 1];
	struct timeval tv;

	ms_safe_host(safe, sizeof(safe), host);
	gettimeofday(&tv, NULL);
	snprintf(buf, size, "%lld.M%06ldP%ldQ%lu.%s", (long long)tv.tv_sec,
	    (long)tv.tv_usec, (long)getpid(), ++counter, safe);
}

static void
close_dirs(struct ms_delivery *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->newdirs[i] >= 0)
			close(d->newdirs[i]);
	if (d->tmpdir >= 0)
		close(d->tmpdir);
	free(d->newdirs);
	free(d);
}

/* Open the mailboxes' directories; the temporary file goes in the first
 * one's tmp/, so that it can be linked into every new/ of the store. */
static int
open_targets(struct ms_delivery *d, int storefd, const char *const *names)
{
	int box;
	size_t i;

	for (i = 0; i < d->n; i++) {
		if ((box = open_box(storefd, names[i])) < 0)
			return -1;
		d->newdirs[i] = ms_open_sub(box, "new");
		if (i == 0 && d->newdirs[i] >= 0) {
			d->tmpdir = ms_open_sub(box, "tmp");
			/* Orphans of a crash are left in this tmp/. */
			clean_tmp(box);
		}
		close(box);
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

	if (ahead >= 0 || (storefd = open_store(store)) < 0)
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
	if (d == NULL || (d->newdirs = calloc(n, sizeof(int))) == NULL) {
		free(d);
		return MS_TEMP;
	}
	d->n = n;
	d->tmpdir = d->fd = -1;
	for (i = 0; i < n; i++)
		d->newdirs[i] = -1;
	if ((storefd = open_store(store)) < 0 ||
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
	return result(err);
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

enum ms_result
ms_deliver_commit(struct ms_delivery *d)
{
	char final[sizeof(d->base) + 64];
	const char *step;
	size_t i, k = 0;
	int fd = d->fd, err;

	final[0] = '\0';
	step = "write";
	if (d->failed || drain(d) < 0)
		goto fail;
	d->fd = -1;
	step = "fsync";
	if (fsync(fd) < 0)
		goto fail;
	snprintf(final, sizeof(final), "%s,S=%lld,W=%lld", d->base,
	    (long long)d->size, (long long)(d->size + d->lines));
	/* An anonymous file is linked while it is open, by its proc name. */
	step = "link";
	for (k = 0; k < d->n; k++)
		if ((d->anon ? linkat(AT_FDCWD, d->proc, d->newdirs[k], final,
		    AT_SYMLINK_FOLLOW) : linkat(d->tmpdir, d->base,
		    d->newdirs[k], final, 0)) < 0)
			goto fail;
	step = "close";
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	step = "fsync new/";
	for (i = 0; i < d->n; i++)
		if (fsync(d->newdirs[i]) < 0)
			goto fail;
	/* The message is safe; a failure here only leaves an orphan in
	 * tmp/ for the cleanup rule. */
	if (!d->anon && unlinkat(d->tmpdir, d->base, 0) < 0)
		log_msg(LOG_WARNING, "delivery %s: cannot remove from tmp/: %s",
		    d->base, strerror(errno));
	close_dirs(d);
	return MS_OK;
fail:
	err = errno;
	log_msg(LOG_ERR, "delivery %s: %s: %s", d->base, step, strerror(err));
	d->fd = -1;
	if (fd >= 0)
		close(fd);
	unlink_new(d, k, final);
	if (!d->anon)
		(void)unlinkat(d->tmpdir, d->base, 0);
	close_dirs(d);
	return result(err);
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

/* --- Maildrops ----------------------------------------------------- */

struct msg {
	char	*name;		/* file name in new/ or cur/ */
	int	cur;		/* in cur/ rather than new/ */
	int	deleted;
	off_t	size;		/* wire size */
	long long secs;		/* sort keys from the name */
	long	usec;
};

struct ms_mailbox {
	int	boxfd, dirs[2];	/* the mailbox, its new/ and cur/ */
	struct msg *msgs;
	size_t	n;
	char	uid[71];
	char	name[ADDRESS_MAX + 1];	/* for the log */
	struct ms_lock lock;	/* mailstore-lock.c */
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
open_msg(int dirfd, const char *name)
{
	struct stat st;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
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

	if ((fd = open_msg(dirfd, name)) < 0)
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

/* Wire size of a message: the W= of its name when its S= matches the
 * file, so that a maildrop is listed without reading it; else counted. */
static off_t
msg_size(int dirfd, const char *name, off_t disk)
{
	long long s = name_field(name, ",S="), w = name_field(name, ",W=");

	if (s == (long long)disk && w >= s)
		return (off_t)w;
	return scan_size(dirfd, name);
}

/* Add one directory entry to the snapshot if it is a plain message. */
static int
add_msg(struct ms_mailbox *m, size_t *cap, int cur, const char *name)
{
	struct stat st;
	struct msg *x;
	char *p;

	if (name[0] == '.' || m->n >= POP3_MESSAGES_MAX)
		return 0;
	/* Links are never followed and other file types never served. */
	if (fstatat(m->dirs[cur], name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISREG(st.st_mode))
		return 0;
	if (m->n == *cap) {
		*cap = *cap == 0 ? 64 : *cap * 2;
		if ((x = reallocarray(m->msgs, *cap, sizeof(*x))) == NULL)
			return -1;
		m->msgs = x;
	}
	x = &m->msgs[m->n];
	memset(x, 0, sizeof(*x));
	x->cur = cur;
	if ((x->size = msg_size(m->dirs[cur], name, st.st_size)) < 0)
		return 0;
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
			/* A million fstatat on NFS take minutes. */
			ms_lock_keep(&m->lock, 0);
			if (add_msg(m, &cap, cur, e->d_name) < 0) {
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
	if ((storefd = open_store(store)) < 0)
		goto fail;
	m->boxfd = open_box(storefd, name);
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
	clean_tmp(m->boxfd);
	*mp = m;
	return MS_OK;
fail:
	err = errno;
	log_msg(LOG_ERR, "mailbox %s: cannot open: %s", name, strerror(err));
	ms_mailbox_close(m);
	return result(err);
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
ms_size(struct ms_mailbox *m, size_t i)
{
	/* Called for each line of a LIST, which a slow client may take
	 * long to read: the lock is kept fresh meanwhile. */
	ms_lock_keep(&m->lock, 0);
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

	ms_lock_keep(&m->lock, 0);	/* as in ms_size, for UIDL */

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
 * touched[] for the directories to synchronise. */
static int
remove_msg(struct ms_mailbox *m, size_t i, int touched[2])
{
	if (unlinkat(m->dirs[m->msgs[i].cur], m->msgs[i].name, 0) == 0) {
		touched[m->msgs[i].cur] = 1;
		return 0;
	}
	if (errno != ENOENT)
		return -1;
	if (relocate(m, i) < 0)
		return errno == ENOENT ? 0 : -1;	/* already gone */
	if (unlinkat(m->dirs[m->msgs[i].cur], m->msgs[i].name, 0) < 0 &&
	    errno != ENOENT)
		return -1;
	touched[m->msgs[i].cur] = 1;
	return 0;
}

enum ms_result
ms_update(struct ms_mailbox *m)
{
	enum ms_result r = MS_OK;
	int touched[2] = { 0, 0 }, cur, own;
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
		if (m->msgs[i].deleted && remove_msg(m, i, touched) < 0) {
			log_msg(LOG_ERR, "cannot delete %s: %s",
			    clean(m->msgs[i].name), strerror(errno));
			r = MS_TEMP;
		}
	}
	for (cur = 0; cur < 2; cur++)
		if (touched[cur] && fsync(m->dirs[cur]) < 0)
			r = MS_TEMP;
	return r;
}

void
ms_mailbox_close(struct ms_mailbox *m)
{
	size_t i;

	/* The lock file before the flock() on boxfd: see "The maildrop
	 * lock" in mailstore-lock.c. */
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

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return MS_TEMP;
	r->m = m;
	r->fd = open_msg(m->dirs[m->msgs[i].cur], m->msgs[i].name);
	if (r->fd < 0 && errno == ENOENT && relocate(m, i) == 0)
		r->fd = open_msg(m->dirs[m->msgs[i].cur], m->msgs[i].name);
	if (r->fd < 0) {
		log_msg(LOG_ERR, "cannot open %s: %s",
		    clean(m->msgs[i].name), strerror(errno));
		free(r);
		return MS_TEMP;
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
