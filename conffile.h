/*
 * conffile.h: what the users file and the aliases file share: reading
 * a bounded line, and noticing that the file changed since it was read,
 * so that an edit counts at the next lookup with no reload.
 */
#ifndef CONFFILE_H
#define CONFFILE_H

#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

/* The identity of a file as it was read: any change of these is an
 * edit, a rename over it or a rewrite in place. */
struct conf_stamp {
	dev_t	dev;
	ino_t	ino;
	off_t	size;
	struct timespec mtime, ctime;
};

/* Record st (of the file just read) in *s. */
void	conf_stamp_set(struct conf_stamp *s, const struct stat *st);

/* Whether st is the file recorded in *s, unchanged. */
int	conf_stamp_same(const struct conf_stamp *s, const struct stat *st);

/* Read one line of f into line (room for max + 1) without its LF, nor a
 * CR before it.  Returns the length, or -1 at the end of the file; *bad
 * is set for a line longer than max or holding a NUL, which is read to
 * its end and must be skipped whole: never cut short, never repaired. */
long	conf_read_line(FILE *f, char *line, size_t max, int *bad);

#endif
