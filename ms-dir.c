/*
 * ms-dir.c: the mailstore's bottom layer (ms-dir.h): the store's top
 * directory, each mailbox with its tmp/, new/ and cur/, the names of
 * files, and the fsyncs that make a directory durable once.
 *
 * Every name below the store is opened relative to a directory descriptor
 * with O_NOFOLLOW, and mailbox names are checked again here, so a link
 * planted in a mailbox or a hostile name cannot lead outside the store.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "log.h"
#include "ms-dir.h"
#include "tunables.h"

#define DIR_FLAGS	(O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

static const char *const subdirs[] = { "tmp", "new", "cur" };

const char *
ms_clean(const char *name)
{
	static char buf[LOG_TEXT_MAX + 1];

	return log_clean(buf, sizeof(buf), name, strlen(name));
}

enum ms_result
ms_result_of(int err)
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

int
ms_open_store(const char *store)
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
		return ms_result_of(errno);
	/* The parent too, for the fsync that makes the store's entry
	 * durable: that is left to the first delivery, as the session's
	 * user, so that a failure there is a 451 like any other, and the
	 * mark it leaves is not root's. */
	parent_of(parent, path);
	if ((pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		close_keep(fd);
		return ms_result_of(errno);
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

int
ms_find_box(const char *store, const char *name)
{
	int storefd, fd, err;

	if (!name_ok(name)) {
		errno = EINVAL;
		return -1;
	}
	if (pinned >= 0 && strcmp(store, pinned_path) == 0)
		storefd = fcntl(pinned, F_DUPFD_CLOEXEC, 0);
	else
		storefd = open(store, DIR_FLAGS & ~O_NOFOLLOW);
	if (storefd < 0)
		return -1;
	fd = openat(storefd, name, DIR_FLAGS);
	err = errno;
	close(storefd);
	errno = err;
	return fd;
}

int
ms_open_box(int storefd, const char *name)
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

void
ms_clean_tmp(int boxfd)
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
			    ms_clean(e->d_name));
	closedir(dir);
}

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
