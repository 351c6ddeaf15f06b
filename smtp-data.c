/*
 * smtp-data.c: the message of an SMTP transaction (RFC 5321 4.1.1.4):
 * the trace fields in front of it, its lines read to CRLF "." CRLF and
 * written to the store as they come, and the verdict that delivers it
 * to every recipient or to none.
 *
 * Only CRLF "." CRLF ends DATA, so no reading of line ends can make one
 * message into two (SMTP smuggling).  In a message a LF alone ends a
 * line as CRLF does (what an editor writes, and what Postfix accepts by
 * default); a CR alone has no safe meaning and makes the whole message
 * invalid.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "mailstore.h"
#include "notice.h"
#include "smtp.h"
#include "tls.h"

/* The "with" of the Received field: RFC 3848 and RFC 6531 add S for TLS
 * and A for a logged-in client to the ESMTP and UTF8SMTP keywords. */
static const char *
with_protocol(const struct session *s)
{
	static const char *const names[2][4] = {
		{ "ESMTP", "ESMTPA", "ESMTPS", "ESMTPSA" },
		{ "UTF8SMTP", "UTF8SMTPA", "UTF8SMTPS", "UTF8SMTPSA" }
	};

	if (!s->esmtp)
		return "SMTP";
	return names[s->utf8 ? 1 : 0][(s->io.tls != NULL ? 2 : 0) +
	    (s->authuser[0] != '\0' ? 1 : 0)];
}

/* The copies of one message: one for each recipient accepted (a list's
 * linked into all its members' mailboxes), committed all or none. */
struct copies {
	struct ms_delivery **d;
	size_t	n;
	char	id[128];	/* the first one's, in the 250 */
};

/* Write len octets to every copy; returns the worst result. */
static enum ms_result
write_all(struct copies *c, const char *buf, size_t len)
{
	enum ms_result r = MS_OK, w;
	size_t i;

	for (i = 0; i < c->n; i++)
		if ((w = ms_deliver_write(c->d[i], buf, len)) != MS_OK)
			r = w;
	return r;
}

/* Write the fields in front of group g's copy: Return-Path, then, as
 * Postfix's local delivery writes them, X-Original-To (the address the
 * client gave) and Delivered-To (the user it reached; for a list, whose
 * copy is one file linked into every member's mailbox, the list), then
 * the trace (RFC 5321 4.4). */
static enum ms_result
trace(struct session *s, struct ms_delivery *d, const struct group *g,
    const char *id)
{
	char buf[2048], date[64], tls[128], from[80];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	if (localtime_r(&now, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm) == 0)
		snprintf(date, sizeof(date), "%lld", (long long)now);
	/* A program of this host: the uid the kernel gave, which the
	 * client cannot choose (sendmail(8)). */
	if (s->uid >= 0)
		snprintf(from, sizeof(from), "local program, uid %ld", s->uid);
	else
		snprintf(from, sizeof(from), "%s%s%s",
		    strcmp(s->peer, "unknown") == 0 ? "" : "[", s->peer,
		    strcmp(s->peer, "unknown") == 0 ? "" : "]");
	tls[0] = '\0';
	if (s->io.tls != NULL)
		snprintf(tls, sizeof(tls), "\n\t(using %s with cipher %s)",
		    tls_version(s->io.tls), tls_cipher(s->io.tls));
	n = snprintf(buf, sizeof(buf),
	    "Return-Path: <%s>\n"
	    "X-Original-To: %s\n"
	    "Delivered-To: %s\n"
	    "Received: from %s (%s)%s\n"
	    "\tby %s (smtp-handler) with %s id %s\n"
	    "\tfor <%s>;\n"
	    "\t%s\n",
	    s->sender.text, g->given, g->found, s->helo, from, tls,
	    s->cfg.host, with_protocol(s), id, g->given, date);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return MS_TEMP;
	return ms_deliver_write(d, buf, (size_t)n);
}

/* What went wrong in a message body, in order of precedence. */
struct body {
	long long octets;	/* received, as the client counts them */
	int	flags;		/* LINE_* seen in any line */
	int	store;		/* store result of the last write */
};

/* Read the message up to CRLF "." CRLF, writing it to d while it is
 * acceptable.  Returns IO_LINE at the final dot, or how input ended.
 * A line that ends in a LF alone is content like any other (stored with
 * the store's line end), but it never ends the data: the final dot must
 * come between two CRLFs, the one before it ending the line before
 * (or the DATA command), so that no reading of line ends can make one
 * message into two (SMTP smuggling). */
static enum io_status
read_body(struct session *s, struct copies *c, struct body *b)
{
	enum io_status st;
	size_t len;
	int flags, after_crlf = 1;
	char *p;

	for (;;) {
		/* Room for one octet more than a text line: RFC 5321
		 * 4.5.3.1.6 does not count the dot added for transparency. */
		st = io_getdata(&s->io, s->line, SMTP_TEXT_MAX - 1, &len,
		    &flags, s->cfg.data_timeout);
		if (st != IO_LINE)
			return st;
		if (after_crlf && flags == 0 && len == 1 && s->line[0] == '.')
			return IO_LINE;
		after_crlf = !(flags & LINE_LF_END);
		b->flags |= flags & ~LINE_LF_END;
		p = s->line;
		/* RFC 5321 4.5.2: a leading dot with more after it was added
		 * for transparency.  A dot alone reaches here only as content
		 * (after or before a LF alone) and is kept. */
		if (len > 1 && p[0] == '.') {
			p++;
			len--;
		}
		if (len > SMTP_TEXT_MAX - 2)
			b->flags |= LINE_TOOLONG;
		b->octets += (long long)len + 2;
		if (b->flags != 0 || b->octets > s->cfg.max_size ||
		    b->store != MS_OK)
			continue;
		p[len] = '\n';
		b->store = write_all(c, p, len + 1);
	}
}

/* Log one delivered message with its envelope. */
static void
log_delivery(const struct session *s, const char *id, long long octets)
{
	char f[6][LOG_TEXT_MAX + 32], from[LOG_TEXT_MAX + 1];
	const char *fields[6];
	int i;

	log_clean(from, sizeof(from), s->sender.text, strlen(s->sender.text));
	snprintf(f[0], sizeof(f[0]), "SESSION_ID=%s", s->sid);
	snprintf(f[1], sizeof(f[1]), "PEER=%s", s->peer);
	snprintf(f[2], sizeof(f[2]), "MAIL_ID=%s", id);
	snprintf(f[3], sizeof(f[3]), "SENDER=<%s>", from);
	snprintf(f[4], sizeof(f[4]), "RECIPIENTS=%zu", s->nboxes);
	snprintf(f[5], sizeof(f[5]), "BYTES=%lld", octets);
	for (i = 0; i < 6; i++)
		fields[i] = f[i];
	log_fields(LOG_INFO, "delivered", fields, 6);
}

/* The refusal a received body earned, in order of precedence, or
 * SR_NONE if it may be committed. */
static enum reply
verdict(const struct body *b, long long max_size)
{
	if (b->octets > max_size)
		return SR_TOO_BIG;
	if (b->flags & LINE_TOOLONG)
		return SR_LONG_LINE;
	if (b->flags & LINE_NUL)
		return SR_NUL;
	if (b->flags != 0)
		return SR_BAD_LINE_END;
	if (b->store != MS_OK)
		return b->store == MS_PERM ? SR_STORE_PERM : SR_STORE_TEMP;
	return SR_NONE;
}

/* Drop every copy. */
static void
abort_all(struct copies *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		ms_deliver_abort(c->d[i]);
	c->n = 0;
}

/* Open a copy for every recipient, each with its fields in front.
 * Returns MS_OK, or the result of the first that failed (none is left
 * open then). */
static enum ms_result
open_all(struct session *s, struct copies *c)
{
	const char *names[ALIAS_RCPT_MAX];
	char id[sizeof(c->id)];
	enum ms_result r;
	const struct group *g;
	size_t i, k;

	c->n = 0;
	for (i = 0; i < s->ngroups; i++) {
		g = &s->groups[i];
		for (k = 0; k < g->n; k++)
			names[k] = s->boxes[g->first + k].name;
		r = ms_deliver_open(&c->d[c->n], s->cfg.store, s->cfg.host,
		    names, g->n, id, sizeof(id));
		if (r == MS_OK && (r = trace(s, c->d[c->n++], g, id)) ==
		    MS_OK && i == 0)
			memcpy(c->id, id, sizeof(id));
		if (r != MS_OK) {
			abort_all(c);
			return r;
		}
	}
	return MS_OK;
}

/* After the commit: the mailboxes this message took past
 * QUOTA_WARN_PERCENT of their limit get their notice (notice.c). */
static void
warn_all(struct session *s, const off_t *sizes)
{
	const struct group *g;
	const struct box *x;
	long long before, after, mark;
	size_t i, k;

	for (i = 0; i < s->ngroups; i++) {
		g = &s->groups[i];
		for (k = 0; k < g->n; k++) {
			x = &s->boxes[g->first + k];
			if (x->q.limit <= 0)
				continue;
			before = x->q.used;
			after = before + (long long)sizes[i];
			mark = x->q.limit / 100 * QUOTA_WARN_PERCENT +
			    x->q.limit % 100 * QUOTA_WARN_PERCENT / 100;
			if (before < mark && after >= mark)
				notice_quota(&s->cfg, s->postmaster, x->name,
				    x->q.limit, after);
		}
	}
}

enum reply
smtp_data(struct session *s, char *arg)
{
	struct copies c;
	struct body b = { 0, 0, MS_OK };
	enum io_status st;
	enum ms_result mr = MS_TEMP;	/* for a failed calloc() */
	enum reply r;
	off_t *sizes;
	size_t i;

	(void)arg;
	c.d = calloc(s->ngroups, sizeof(*c.d));
	sizes = calloc(s->ngroups, sizeof(*sizes));
	if (c.d == NULL || sizes == NULL ||
	    (mr = open_all(s, &c)) != MS_OK) {
		free(c.d);
		free(sizes);
		smtp_reset(s);
		return mr == MS_PERM ? SR_STORE_PERM : SR_STORE_TEMP;
	}
	io_printf(&s->io, "354 End data with <CR><LF>.<CR><LF>");
	st = read_body(s, &c, &b);
	if (st != IO_LINE) {
		/* Nothing is delivered from a message cut short. */
		abort_all(&c);
		smtp_finish(s, st == IO_TIMEOUT ? SR_TIMEOUT : SR_NONE,
		    EXIT_ABORTED, st == IO_TIMEOUT ? "timeout-in-data" :
		    "disconnect-in-data");
	}
	if ((r = verdict(&b, s->cfg.max_size)) != SR_NONE) {
		abort_all(&c);
		free(c.d);
		free(sizes);
		smtp_reset(s);
		return r;
	}
	for (i = 0; i < c.n; i++)
		sizes[i] = ms_deliver_octets(c.d[i]);
	mr = ms_deliver_commit_all(c.d, c.n);
	free(c.d);
	if (mr != MS_OK) {
		free(sizes);
		smtp_reset(s);
		return mr == MS_PERM ? SR_STORE_PERM : SR_STORE_TEMP;
	}
	s->delivered++;
	s->bytes += b.octets;
	log_delivery(s, c.id, b.octets);
	io_printf(&s->io, "250 2.0.0 Ok: delivered as %s", c.id);
	warn_all(s, sizes);
	free(sizes);
	smtp_reset(s);
	return SR_NONE;
}
