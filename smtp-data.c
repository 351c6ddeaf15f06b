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

/* Write the trace fields (RFC 5321 4.4) in front of the message. */
static enum ms_result
trace(struct session *s, struct ms_delivery *d, const char *id)
{
	char buf[2048], date[64], rcpt[ADDRESS_MAX + 16], tls[128];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	if (localtime_r(&now, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm) == 0)
		snprintf(date, sizeof(date), "%lld", (long long)now);
	rcpt[0] = '\0';
	if (s->nrcpt == 1)
		snprintf(rcpt, sizeof(rcpt), "\n\tfor <%s>", s->first_rcpt);
	tls[0] = '\0';
	if (s->io.tls != NULL)
		snprintf(tls, sizeof(tls), "\n\t(using %s with cipher %s)",
		    tls_version(s->io.tls), tls_cipher(s->io.tls));
	n = snprintf(buf, sizeof(buf),
	    "Return-Path: <%s>\n"
	    "Received: from %s (%s%s%s)%s\n"
	    "\tby %s (smtp-handler) with %s id %s%s;\n"
	    "\t%s\n",
	    s->sender.text, s->helo,
	    strcmp(s->peer, "unknown") == 0 ? "" : "[", s->peer,
	    strcmp(s->peer, "unknown") == 0 ? "" : "]", tls,
	    s->cfg.host, with_protocol(s), id, rcpt, date);
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
read_body(struct session *s, struct ms_delivery *d, struct body *b)
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
		b->store = ms_deliver_write(d, p, len + 1);
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
	snprintf(f[4], sizeof(f[4]), "RECIPIENTS=%zu", s->nrcpt);
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

enum reply
smtp_data(struct session *s, char *arg)
{
	const char **list;
	struct ms_delivery *d;
	struct body b = { 0, 0, MS_OK };
	enum io_status st;
	enum ms_result mr;
	enum reply r;
	char id[128];
	size_t i;

	(void)arg;
	if ((list = calloc(s->nrcpt, sizeof(*list))) == NULL)
		return SR_STORE_TEMP;
	for (i = 0; i < s->nrcpt; i++)
		list[i] = s->rcpt[i];
	mr = ms_deliver_open(&d, s->cfg.store, s->cfg.host, list, s->nrcpt,
	    id, sizeof(id));
	free(list);
	if (mr != MS_OK) {
		smtp_reset(s);
		return mr == MS_PERM ? SR_STORE_PERM : SR_STORE_TEMP;
	}
	b.store = trace(s, d, id);
	io_printf(&s->io, "354 End data with <CR><LF>.<CR><LF>");
	st = read_body(s, d, &b);
	if (st != IO_LINE) {
		/* Nothing is delivered from a message cut short. */
		ms_deliver_abort(d);
		smtp_finish(s, st == IO_TIMEOUT ? SR_TIMEOUT : SR_NONE,
		    EXIT_ABORTED, st == IO_TIMEOUT ? "timeout-in-data" :
		    "disconnect-in-data");
	}
	smtp_reset(s);
	if ((r = verdict(&b, s->cfg.max_size)) != SR_NONE) {
		ms_deliver_abort(d);
		return r;
	}
	if ((mr = ms_deliver_commit(d)) != MS_OK)
		return mr == MS_PERM ? SR_STORE_PERM : SR_STORE_TEMP;
	s->delivered++;
	s->bytes += b.octets;
	log_delivery(s, id, b.octets);
	io_printf(&s->io, "250 2.0.0 Ok: delivered as %s", id);
	return SR_NONE;
}
