/*
 * aliases.c: reading the aliases file (aliases.h).  The file is the
 * operator's, so stdio is fine here; it is still parsed with bounds, and
 * an entry that is not of the grammar is skipped whole, never repaired.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "address.h"
#include "aliases.h"
#include "log.h"
#include "tunables.h"

const char *
aliases_why(enum alias_status st)
{
	switch (st) {
	case ALIAS_OK: return "ok";
	case ALIAS_NO_COLON: return "no \"name:\" at its start";
	case ALIAS_BAD_KEY: return "the name is not an address or local part";
	case ALIAS_BAD_MEMBER: return "a member is not an address or local "
	    "part (programs, files and :include: are not allowed)";
	case ALIAS_NO_MEMBERS: return "no members";
	case ALIAS_TOO_MANY: return "more members than allowed";
	}
	return "malformed";
}

/* Whether word is a full address of a possible user (a plain, unquoted
 * local@domain, no '/') or a bare local part of one.  A leading '|' is
 * atext (RFC 5322 3.2.3), but in aliases(5) it names a program: refused,
 * so that "|cmd" makes its entry malformed as "|/bin/cmd" does. */
static int
word_ok(const char *word)
{
	char buf[ADDRESS_MAX + 16];
	struct address a;
	size_t n = strlen(word);

	if (n == 0 || word[0] == '|' || strchr(word, '/') != NULL)
		return 0;
	if (strchr(word, '@') != NULL)
		return addr_parse_mailbox(word, n, 1, &a) == ADDR_OK &&
		    !a.quoted;
	/* A local part is checked as the address it makes at a domain. */
	if (n > SMTP_LOCAL_MAX)
		return 0;
	snprintf(buf, sizeof(buf), "%s@example.org", word);
	return addr_parse_mailbox(buf, strlen(buf), 1, &a) == ADDR_OK &&
	    !a.quoted;
}

enum alias_status
aliases_parse_entry(char *text, char **key, char **members, size_t *n)
{
	char *colon, *p, *word;

	*n = 0;
	text += strspn(text, " \t");
	if ((colon = strchr(text, ':')) == NULL)
		return ALIAS_NO_COLON;
	*colon = '\0';
	/* The key ends at the colon; white space before it is allowed. */
	for (p = colon; p > text && (p[-1] == ' ' || p[-1] == '\t'); p--)
		p[-1] = '\0';
	*key = text;
	if (!word_ok(text) || strpbrk(text, " \t") != NULL)
		return ALIAS_BAD_KEY;
	for (p = colon + 1; (word = strsep(&p, ",")) != NULL;) {
		char *end;

		word += strspn(word, " \t");
		end = word + strlen(word);
		while (end > word && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		/* A trailing comma, before a continuation or not, is
		 * allowed; an empty member between two commas is not. */
		if (*word == '\0') {
			if (p == NULL)
				break;
			return ALIAS_BAD_MEMBER;
		}
		if (strpbrk(word, " \t") != NULL || !word_ok(word))
			return ALIAS_BAD_MEMBER;
		if (*n == ALIAS_MEMBERS_MAX)
			return ALIAS_TOO_MANY;
		members[(*n)++] = word;
	}
	return *n > 0 ? ALIAS_OK : ALIAS_NO_MEMBERS;
}

/* Remove a comment from line: a '#' at its start or after white
 * space, to the end. */
static void
uncomment(char *line)
{
	char *p;

	for (p = line; *p != '\0'; p++)
		if (*p == '#' && (p == line || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			return;
		}
}

/* The table being built, and the entry gathered from its lines. */
struct reader {
	struct aliases *a;
	char	entry[ALIAS_ENTRY_MAX + 1];
	size_t	len;
	size_t	line;		/* where the entry started; 0: none */
	int	bad;		/* 1: a line of it was too long or had a NUL;
				 * 2: the lines together were too long */
	int	report;
};

static void
skip(struct reader *r, const char *why)
{
	r->a->skipped++;
	log_msg(LOG_WARNING, "%s:%zu: %s, skipped", r->a->path, r->line, why);
	if (r->report)
		log_note("%s:%zu: %s, skipped", r->a->path, r->line, why);
}

/* Add the gathered entry to the table.  Returns 0, or -1 when out of
 * memory. */
static int
finish_entry(struct reader *r)
{
	static char *members[ALIAS_MEMBERS_MAX];
	enum alias_status st;
	struct alias *x;
	size_t n, i;
	char *key;

	if (r->line == 0)
		return 0;
	r->entry[r->len] = '\0';
	if (r->bad)
		skip(r, r->bad & 2 ? "entry too long" :
		    "line too long or has a NUL");
	else if ((st = aliases_parse_entry(r->entry, &key, members, &n)) !=
	    ALIAS_OK)
		skip(r, aliases_why(st));
	else if (r->a->count >= ALIASES_MAX)
		skip(r, "too many aliases");
	else {
		for (i = 0; i < r->a->count; i++)
			if (strcasecmp(r->a->list[i].key, key) == 0)
				break;
		if (i < r->a->count)
			skip(r, "a second entry for the same name");
		else {
			if (r->a->count % 64 == 0) {
				x = reallocarray(r->a->list, r->a->count + 64,
				    sizeof(*x));
				if (x == NULL)
					return -1;
				r->a->list = x;
			}
			x = &r->a->list[r->a->count];
			memset(x, 0, sizeof(*x));
			x->line = r->line;
			if ((x->key = strdup(key)) == NULL ||
			    (x->members = calloc(n, sizeof(char *))) == NULL) {
				free(x->key);
				return -1;
			}
			r->a->count++;
			for (i = 0; i < n; i++) {
				if ((x->members[i] = strdup(members[i])) ==
				    NULL)
					return -1;
				x->nmembers++;
			}
		}
	}
	r->line = 0;
	r->len = 0;
	r->bad = 0;
	return 0;
}

static int
parse(struct reader *r, FILE *f)
{
	char line[ALIASES_LINE_MAX + 1];
	size_t lineno = 0, n;
	int bad;

	while (conf_read_line(f, line, ALIASES_LINE_MAX, &bad) >= 0) {
		lineno++;
		if (!bad)
			uncomment(line);
		n = strlen(line);
		/* A line that starts with white space goes on the entry
		 * before it; an empty one ends nothing. */
		if (line[strspn(line, " \t")] == '\0' && !bad)
			continue;
		if (line[0] != ' ' && line[0] != '\t') {
			if (finish_entry(r) < 0)
				return -1;
			r->line = lineno;
		} else if (r->line == 0) {
			r->line = lineno;
			skip(r, "a continuation with no entry before it");
			r->line = 0;
			continue;
		}
		r->bad |= bad;
		if (r->len + n + 1 > ALIAS_ENTRY_MAX) {
			r->bad |= 2;
			continue;
		}
		/* A continuation is joined with a space. */
		if (r->len > 0)
			r->entry[r->len++] = ' ';
		memcpy(r->entry + r->len, line, n);
		r->len += n;
	}
	if (ferror(f))
		return -1;
	return finish_entry(r);
}

void
aliases_free(struct aliases *a)
{
	size_t i, j;

	for (i = 0; i < a->count; i++) {
		for (j = 0; j < a->list[i].nmembers; j++)
			free(a->list[i].members[j]);
		free(a->list[i].members);
		free(a->list[i].key);
	}
	free(a->list);
	a->list = NULL;
	a->count = 0;
}

/* Read path into a new table; on success replace *a's with it. */
static int
load(struct aliases *a, const char *path, int report)
{
	static struct reader r;
	struct aliases fresh;
	struct stat st;
	FILE *f;
	int rc, saved;

	memset(&fresh, 0, sizeof(fresh));
	fresh.path = path;
	fresh.once = a->once;
	if ((f = fopen(path, "re")) == NULL) {
		if (errno != ENOENT)
			return -1;
		fresh.missing = 1;
		aliases_free(a);
		*a = fresh;
		return 0;
	}
	if (fstat(fileno(f), &st) < 0) {
		saved = errno;
		fclose(f);
		errno = saved;
		return -1;
	}
	memset(&r, 0, sizeof(r));
	r.a = &fresh;
	r.report = report;
	rc = parse(&r, f);
	saved = errno;
	fclose(f);
	if (rc < 0) {
		aliases_free(&fresh);
		errno = saved;
		return -1;
	}
	conf_stamp_set(&fresh.stamp, &st);
	aliases_free(a);
	*a = fresh;
	return 0;
}

int
aliases_load(struct aliases *a, const char *path, int report)
{
	memset(a, 0, sizeof(*a));
	a->path = path;
	if (path == NULL) {
		a->missing = 1;
		return 0;
	}
	return load(a, path, report);
}

int
aliases_refresh(struct aliases *a)
{
	struct stat st;

	if (a->path == NULL || a->once)
		return 0;
	if (stat(a->path, &st) < 0) {
		if (errno != ENOENT)
			return -1;
		if (a->missing)
			return 0;
		return load(a, a->path, 0);
	}
	if (!a->missing && conf_stamp_same(&a->stamp, &st))
		return 0;
	return load(a, a->path, 0);
}

const struct alias *
aliases_find(const struct aliases *a, const char *addr)
{
	const char *at = strrchr(addr, '@');
	size_t i, lp = at != NULL ? (size_t)(at - addr) : strlen(addr);

	for (i = 0; i < a->count; i++)
		if (strcasecmp(a->list[i].key, addr) == 0)
			return &a->list[i];
	for (i = 0; i < a->count; i++)
		if (strchr(a->list[i].key, '@') == NULL &&
		    strlen(a->list[i].key) == lp &&
		    strncasecmp(a->list[i].key, addr, lp) == 0)
			return &a->list[i];
	return NULL;
}
