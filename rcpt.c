/*
 * rcpt.c: where a recipient address leads (rcpt.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "rcpt.h"

/* One expansion: the aliases on the way down, and what was met. */
struct walk {
	const struct rcpt_book *b;
	struct rcpt_boxes *out;
	const struct alias *path[ALIAS_DEPTH_MAX + 1];
	size_t	depth;
	int	too_many;
	int	noted;		/* a loop or the depth was logged */
	const char *addr;	/* the address looked up, for the log */
	int	report;		/* --check: print, do not log */
	int	errors;
};

/* Log a problem of the aliases, said in buf, or print it under
 * --check. */
static void
say(struct walk *w, const char *buf, size_t line)
{
	if (w->report)
		log_note("%s:%zu: %s", w->b->aliases->path, line, buf);
	else
		log_msg(LOG_WARNING, "%s:%zu: %s (looking up %s)",
		    w->b->aliases->path, line, buf, w->addr);
}

/* Add mailbox name once. */
static void
add(struct walk *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->out->n; i++)
		if (strcmp(w->out->names[i], name) == 0)
			return;
	if (w->out->n == ALIAS_RCPT_MAX) {
		w->too_many = 1;
		return;
	}
	w->out->names[w->out->n++] = name;
}

/* Whether domain is one of ours: a user's, or that of an alias written
 * with its domain. */
static int
local_domain(const struct rcpt_book *b, const char *domain)
{
	const char *at;
	size_t i;

	if (users_local_domain(b->users, domain))
		return 1;
	for (i = 0; i < b->aliases->count; i++)
		if ((at = strchr(b->aliases->list[i].key, '@')) != NULL &&
		    strcasecmp(at + 1, domain) == 0)
			return 1;
	return 0;
}

static int visit(struct walk *, const char *, int);

/* Expand alias x, found for an address at domain. */
static void
expand(struct walk *w, const struct alias *x, const char *domain)
{
	char member[ADDRESS_MAX + 1], buf[LOG_LINE_MAX];
	size_t i;

	for (i = 0; i < w->depth; i++)
		if (w->path[i] == x) {
			if (!w->noted++) {
				snprintf(buf, sizeof(buf), "alias %s leads "
				    "back to itself through %s; the loop is "
				    "cut", x->key, w->path[w->depth - 1]->key);
				say(w, buf, x->line);
			}
			return;
		}
	if (w->depth == ALIAS_DEPTH_MAX) {
		if (!w->noted++) {
			snprintf(buf, sizeof(buf), "alias %s is more than %d "
			    "aliases deep; cut", x->key, ALIAS_DEPTH_MAX);
			say(w, buf, x->line);
		}
		return;
	}
	w->path[w->depth++] = x;
	for (i = 0; i < x->nmembers && !w->too_many; i++) {
		/* A bare local part is at the domain being expanded. */
		if (strchr(x->members[i], '@') != NULL)
			snprintf(member, sizeof(member), "%s", x->members[i]);
		else if ((size_t)snprintf(member, sizeof(member), "%s@%s",
		    x->members[i], domain) >= sizeof(member))
			member[0] = '\0';
		if (member[0] == '\0' || !visit(w, member, 1)) {
			/* --check checks every entry on its own: a member
			 * is reported once, by its own entry, not again by
			 * each alias that leads to it. */
			if (w->report && w->depth > 1)
				continue;
			snprintf(buf, sizeof(buf), "member %s of %s is not a "
			    "local user or alias; skipped", x->members[i],
			    x->key);
			say(w, buf, x->line);
			w->errors++;
		}
	}
	w->depth--;
}

/* Look addr up; returns whether it leads to a user or an alias (which
 * may still have no member left).  sub: subaddresses are tried. */
static int
visit(struct walk *w, const char *addr, int sub)
{
	const struct user *u;
	const struct alias *x;
	const char *at = strrchr(addr, '@'), *domain;
	char base[ADDRESS_MAX + 1];
	size_t lp;

	if (at == NULL)
		return 0;
	domain = at + 1;
	lp = (size_t)(at - addr);
	if ((u = users_find(w->b->users, addr)) != NULL) {
		if (w->depth == 0)
			snprintf(w->out->found, sizeof(w->out->found), "%s",
			    u->address);
		add(w, u->address);
		return 1;
	}
	x = aliases_find(w->b->aliases, addr);
	if (x != NULL && (strchr(x->key, '@') != NULL ||
	    local_domain(w->b, domain))) {
		if (w->depth == 0) {
			w->out->list = 1;
			snprintf(w->out->found, sizeof(w->out->found), "%s",
			    strchr(x->key, '@') != NULL ? x->key : addr);
		}
		expand(w, x, domain);
		return 1;
	}
	/* RFC 5321 4.5.1: postmaster at every local domain. */
	if (lp == 10 && strncasecmp(addr, "postmaster", 10) == 0 &&
	    local_domain(w->b, domain) && w->b->postmaster[0] != '\0') {
		if (w->depth == 0)
			snprintf(w->out->found, sizeof(w->out->found), "%s",
			    w->b->postmaster);
		add(w, w->b->postmaster);
		return 1;
	}
	/* user+tag@domain: the full name first, then the user's. */
	if (sub && w->b->delims[0] != '\0') {
		size_t cut = strcspn(addr, w->b->delims);

		if (cut > 0 && cut < lp) {
			snprintf(base, sizeof(base), "%.*s%s", (int)cut, addr,
			    at);
			return visit(w, base, 0);
		}
	}
	return 0;
}

enum rcpt_result
rcpt_resolve(const struct rcpt_book *b, const char *addr,
    struct rcpt_boxes *out)
{
	struct walk w;
	char full[ADDRESS_MAX + 1];
	const char *at;

	memset(&w, 0, sizeof(w));
	w.b = b;
	w.out = out;
	w.addr = addr;
	out->n = 0;
	out->list = 0;
	out->found[0] = '\0';
	/* <postmaster> alone (RFC 5321 4.1.1.3) is postmaster at the
	 * postmaster's own domain. */
	if (strchr(addr, '@') == NULL) {
		if (b->postmaster[0] == '\0' ||
		    (at = strrchr(b->postmaster, '@')) == NULL)
			return RCPT_UNKNOWN;
		snprintf(full, sizeof(full), "postmaster%s", at);
		addr = full;
	}
	at = strrchr(addr, '@');
	if (!visit(&w, addr, 1))
		return local_domain(b, at + 1) ? RCPT_UNKNOWN : RCPT_RELAY;
	if (w.too_many)
		return RCPT_TOO_MANY;
	return out->n > 0 ? RCPT_OK : RCPT_UNKNOWN;
}

int
rcpt_check(const struct rcpt_book *b)
{
	static struct rcpt_boxes out;
	const struct alias *x;
	char addr[ADDRESS_MAX + 1];
	struct walk w;
	size_t i;
	int errors = 0;

	for (i = 0; i < b->aliases->count; i++) {
		x = &b->aliases->list[i];
		if (strchr(x->key, '@') != NULL &&
		    users_find(b->users, x->key) != NULL) {
			log_note("%s:%zu: warning: %s is a user too; the user "
			    "gets its mail, not the alias", b->aliases->path,
			    x->line, x->key);
			continue;
		}
		memset(&w, 0, sizeof(w));
		w.b = b;
		w.out = &out;
		w.report = 1;
		out.n = 0;
		/* A bare name is checked at the first local domain. */
		if (strchr(x->key, '@') != NULL)
			snprintf(addr, sizeof(addr), "%s", x->key);
		else if (b->users->count > 0)
			snprintf(addr, sizeof(addr), "%s%s", x->key,
			    strrchr(b->users->list[0].address, '@'));
		else
			continue;
		w.addr = addr;
		expand(&w, x, strrchr(addr, '@') + 1);
		errors += w.errors;
		if (w.too_many) {
			log_note("%s:%zu: %s leads to more than %d mailboxes",
			    b->aliases->path, x->line, x->key, ALIAS_RCPT_MAX);
			errors++;
		} else if (out.n == 0)
			log_note("%s:%zu: warning: %s leads to no mailbox and "
			    "is refused like an unknown user",
			    b->aliases->path, x->line, x->key);
	}
	return errors;
}
