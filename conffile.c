/*
 * conffile.c: bounded lines and change stamps of the operator's files
 * (users.c, aliases.c).
 */
#include "conffile.h"

void
conf_stamp_set(struct conf_stamp *s, const struct stat *st)
{
	s->dev = st->st_dev;
	s->ino = st->st_ino;
	s->size = st->st_size;
	s->mtime = st->st_mtim;
	s->ctime = st->st_ctim;
}

int
conf_stamp_same(const struct conf_stamp *s, const struct stat *st)
{
	return st->st_dev == s->dev && st->st_ino == s->ino &&
	    st->st_size == s->size &&
	    st->st_mtim.tv_sec == s->mtime.tv_sec &&
	    st->st_mtim.tv_nsec == s->mtime.tv_nsec &&
	    st->st_ctim.tv_sec == s->ctime.tv_sec &&
	    st->st_ctim.tv_nsec == s->ctime.tv_nsec;
}

long
conf_read_line(FILE *f, char *line, size_t max, int *bad)
{
	size_t n = 0;
	int c;

	*bad = 0;
	while ((c = getc(f)) != EOF && c != '\n') {
		if (c == '\0')
			*bad = 1;
		if (n < max)
			line[n++] = (char)c;
		else
			*bad = 1;
	}
	if (c == EOF && n == 0 && !*bad)
		return -1;
	if (n > 0 && line[n - 1] == '\r')
		n--;
	line[n] = '\0';
	return (long)n;
}
