/*
 * ms-quota.c: quotas, kept as Maildir++ does in each mailbox's
 * maildirsize, the file Courier and Dovecot's "maildir" quota backend
 * read and write, so that one store works with either.
 *
 * The first line defines the limit: "NNNS" octets, optionally ",NNNC"
 * messages, 0 meaning none.  An empty first line is this project's own:
 * the mailbox has no limit of its own, and the handler's default (-q)
 * applies; other programs read it as no limit.  Every further line is
 * "OCTETS COUNT", added by a delivery and (negative) by a POP3 UPDATE,
 * each in one write with O_APPEND; the usage is their sum.  The sizes
 * are the S= sizes of the files (LF line ends), as Maildir++ counts.
 *
 * The file is a cache, never the truth: it is recalculated from the
 * messages themselves when it is missing, when it has grown past
 * QUOTA_FILE_MAX, when it does not parse, or when it says the mailbox
 * is over its limit and is older than QUOTA_STALE_AGE (another program
 * may have removed messages without a line of its own).  Hosts that
 * share the store append to the same file; on NFS such appends can
 * interleave, which the recalculation repairs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "ms-dir.h"
#include "ms-quota.h"
#include "tunables.h"

#define QUOTA_NAME	"maildirsize"

void
ms_quota_note(int dirfd, const char *path, long long octets,
    long long count)
{
	char line[64];
	int fd, n;

	if ((fd = openat(dirfd, path, O_WRONLY | O_APPEND | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		return;		/* no file: nothing is counted here */
	n = snprintf(line, sizeof(line), "%lld %lld\n", octets, count);
	if (write(fd, line, (size_t)n) != n)
		log_msg(LOG_WARNING, "cannot add to %s: %s", QUOTA_NAME,
		    strerror(errno));
	close(fd);
}

/* Parse a definition line "NNNS[,NNNC]" (either part may be alone, in
 * either order); an empty one is none.  Returns 0, or -1. */
static int
definition(const char *s, long long *octets, long long *count)
{
	char *end;
	long long v;

	*octets = *count = 0;
	while (*s != '\0') {
		if (*s < '0' || *s > '9')
			return -1;
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno != 0 || (*end != 'S' && *end != 'C'))
			return -1;
		if (*end == 'S')
			*octets = v;
		else
			*count = v;
		s = end + 1;
		if (*s == ',')
			s++;
		else if (*s != '\0')
			return -1;
	}
	return 0;
}

/* The S= size of a message from its name, or its size on disk. */
static long long
msg_octets(int dirfd, const char *name)
{
	const char *p = strstr(name, ",S="), *colon = strchr(name, ':');
	struct stat st;

	if (p != NULL && (colon == NULL || p < colon) && p[3] >= '0' &&
	    p[3] <= '9')
		return strtoll(p + 3, NULL, 10);
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISREG(st.st_mode))
		return -1;
	return (long long)st.st_size;
}

/* Count the messages of new/ and cur/ of boxfd. */
static int
scan(int boxfd, long long *octets, long long *count)
{
	static const char *const subs[] = { "new", "cur" };
	struct dirent *e;
	long long n;
	DIR *dir;
	int i, fd;

	*octets = *count = 0;
	for (i = 0; i < 2; i++) {
		if ((fd = ms_open_sub(boxfd, subs[i])) < 0)
			return -1;
		if ((dir = fdopendir(fd)) == NULL) {
			close(fd);
			return -1;
		}
		while ((e = readdir(dir)) != NULL) {
			if (e->d_name[0] == '.' ||
			    (n = msg_octets(fd, e->d_name)) < 0)
				continue;
			*octets += n;
			(*count)++;
		}
		closedir(dir);
	}
	return 0;
}

/* Write a fresh maildirsize for boxfd: the definition def, then the
 * usage counted now, made in tmp/ and renamed into place. */
static int
rewrite(int boxfd, const char *def, struct ms_quota *q)
{
	char tmp[160], path[200], buf[128];
	int fd, n;

	if (scan(boxfd, &q->used, &q->count) < 0)
		return -1;
	ms_unique_name(tmp, sizeof(tmp), "quota");
	snprintf(path, sizeof(path), "tmp/%s", tmp);
	if ((fd = openat(boxfd, path, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
		return -1;
	n = snprintf(buf, sizeof(buf), "%s\n%lld %lld\n", def, q->used,
	    q->count);
	if (write(fd, buf, (size_t)n) != n || close(fd) < 0 ||
	    renameat(boxfd, path, boxfd, QUOTA_NAME) < 0) {
		int err = errno;

		(void)unlinkat(boxfd, path, 0);
		errno = err;
		return -1;
	}
	return 0;
}

/* Read boxfd's maildirsize into q; returns 0, 1 if it must be
 * recalculated (def then holds its definition line), or -1. */
static int
read_file(int boxfd, struct ms_quota *q, char *def, size_t defsize)
{
	char buf[QUOTA_FILE_MAX + 2], *line, *p, *end;
	struct stat st;
	long long a, b;
	ssize_t n;
	int fd;

	def[0] = '\0';
	if ((fd = openat(boxfd, QUOTA_NAME, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		return errno == ENOENT ? 1 : -1;
	if (fstat(fd, &st) < 0 || (n = read(fd, buf, sizeof(buf) - 1)) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	buf[n] = '\0';
	if ((end = strchr(buf, '\n')) == NULL)
		return 1;
	*end = '\0';
	if (definition(buf, &q->limit, &q->count_limit) < 0)
		return 1;
	q->own = buf[0] != '\0';
	if (strlen(buf) >= defsize)
		return 1;
	memcpy(def, buf, strlen(buf) + 1);
	if (n > QUOTA_FILE_MAX)
		return 1;
	q->used = q->count = 0;
	for (p = end + 1; (line = strsep(&p, "\n")) != NULL;) {
		if (*line == '\0')
			continue;
		/* Sums past the range of a long long are as wrong as
		 * lines that do not parse. */
		if (sscanf(line, "%lld %lld", &a, &b) != 2 ||
		    __builtin_add_overflow(q->used, a, &q->used) ||
		    __builtin_add_overflow(q->count, b, &q->count))
			return 1;
	}
	q->stale = st.st_mtime < time(NULL) - QUOTA_STALE_AGE;
	return q->used < 0 || q->count < 0 ? 1 : 0;
}

/* Whether q is full: at or over a limit, where RCPT refuses mail, so
 * that a stale file never keeps a mailbox refused that is not. */
static int
over(const struct ms_quota *q)
{
	return (q->limit > 0 && q->used >= q->limit) ||
	    (q->count_limit > 0 && q->count >= q->count_limit);
}

/* Open the mailbox name of store; returns its descriptor, or -1. */
static int
open_mailbox(const char *store, const char *name)
{
	int storefd, boxfd, err;

	if ((storefd = ms_open_store(store)) < 0)
		return -1;
	boxfd = ms_open_box(storefd, name);
	err = errno;
	close(storefd);
	errno = err;
	return boxfd;
}

enum ms_result
ms_quota_get(const char *store, const char *name, long long deflimit,
    struct ms_quota *q)
{
	char def[64];
	int boxfd, r, err;

	memset(q, 0, sizeof(*q));
	/* A mailbox not made yet holds nothing, and has no limit of its
	 * own: nothing is made for it here. */
	if ((boxfd = ms_find_box(store, name)) < 0) {
		if (errno != ENOENT)
			goto fail;
		q->limit = deflimit > 0 ? deflimit : 0;
		return MS_OK;
	}
	r = read_file(boxfd, q, def, sizeof(def));
	if (r < 0)
		goto fail_box;
	if (!q->own) {
		q->limit = deflimit > 0 ? deflimit : 0;
		q->count_limit = 0;
	}
	/* With no limit at all, nothing needs counting but for a caller
	 * that shows the usage; no file is made for it. */
	if (r == 1 && q->limit <= 0 && q->count_limit <= 0) {
		if (deflimit == MS_QUOTA_COUNT &&
		    scan(boxfd, &q->used, &q->count) < 0)
			goto fail_box;
		close(boxfd);
		return MS_OK;
	}
	if ((r == 1 || (q->stale && over(q))) &&
	    rewrite(boxfd, def, q) < 0)
		goto fail_box;
	close(boxfd);
	return MS_OK;
fail_box:
	err = errno;
	close(boxfd);
	errno = err;
fail:
	log_msg(LOG_ERR, "quota of %s: %s", name, strerror(errno));
	return ms_result_of(errno);
}

enum ms_result
ms_quota_set(const char *store, const char *name, long long limit)
{
	struct ms_quota q;
	char def[64];
	int boxfd, err;

	if ((boxfd = open_mailbox(store, name)) < 0)
		return ms_result_of(errno);
	if (limit < 0)
		def[0] = '\0';		/* back to the default */
	else
		snprintf(def, sizeof(def), "%lldS", limit);
	memset(&q, 0, sizeof(q));
	if (rewrite(boxfd, def, &q) < 0) {
		err = errno;
		close(boxfd);
		return ms_result_of(err);
	}
	close(boxfd);
	return MS_OK;
}
