/*
 * smtp-handler.c: one SMTP session (RFC 5321) on standard input and
 * output, for mail to the local users of the users file.  Mail is never
 * relayed: a recipient is either a local user (or postmaster at a local
 * domain) or refused.
 *
 * A message is written to the store as it arrives and acknowledged only
 * after the store has made it durable (smtp-data.c).  A command line
 * must end in CRLF.
 *
 * Two roles: receiving mail for local users, where no login is needed,
 * and submission (-S, RFC 6409), where AUTH must come before MAIL and the
 * sender must be the user's own address.  AUTH (RFC 4954) needs TLS
 * (STARTTLS of RFC 3207, or implicit TLS) unless the client is on this
 * host or -P allows it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "address.h"
#include "auth.h"
#include "tunables.h"
#include "lineio.h"
#include "log.h"
#include "mailstore.h"
#include "peer.h"
#include "sasl.h"
#include "session.h"
#include "smtp.h"
#include "tls.h"
#include "users.h"



static int
has_8bit(const char *p)
{
	for (; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			return 1;
	return 0;
}

/* --- Commands ------------------------------------------------------ */

/* A HELO or EHLO argument: printable ASCII without spaces.  RFC 5321
 * 4.1.4 forbids refusing a session for a name that does not match. */
static enum reply
greet(struct session *s, const char *arg, int esmtp)
{
	size_t i, n = strlen(arg);

	for (i = 0; i < n; i++)
		if (arg[i] <= ' ' || arg[i] >= 0x7f)
			return SR_BAD_HELO;
	if (n == 0 || n >= sizeof(s->helo))
		return SR_BAD_HELO;
	memcpy(s->helo, arg, n + 1);
	s->esmtp = esmtp;
	s->state = S_READY;
	smtp_reset(s);
	return SR_NONE;
}

static enum reply
cmd_helo(struct session *s, char *arg)
{
	enum reply r = greet(s, arg, 0);

	if (r == SR_NONE)
		io_printf(&s->io, "250 %s", s->cfg.host);
	return r;
}

static enum reply
cmd_ehlo(struct session *s, char *arg)
{
	enum reply r = greet(s, arg, 1);

	if (r != SR_NONE)
		return r;
	io_printf(&s->io, "250-%s", s->cfg.host);
	io_printf(&s->io, "250-PIPELINING");
	io_printf(&s->io, "250-SIZE %lld", s->cfg.max_size);
	io_printf(&s->io, "250-8BITMIME");
	io_printf(&s->io, "250-ENHANCEDSTATUSCODES");
	if (tls_loaded() && s->io.tls == NULL)
		io_printf(&s->io, "250-STARTTLS");
	if (sasl_allowed(&s->io, s->local, &s->cfg) && s->authuser[0] == '\0')
		io_printf(&s->io, "250-AUTH PLAIN LOGIN");
	io_printf(&s->io, "250 SMTPUTF8");
	return SR_NONE;
}

/* One MAIL parameter (RFC 5321 4.1.2 esmtp-param); *seen collects the
 * keywords given so far, since none may repeat. */
static enum reply
mail_param(struct session *s, char *p, int *seen, int *utf8)
{
	char *val = strchr(p, '='), *end;
	unsigned long long size;

	/* RFC 5321 4.1.1.11: parameters are service extensions, which a
	 * client greeting with HELO has not been offered. */
	if (!s->esmtp)
		return SR_PARAM_UNKNOWN;
	if (val != NULL)
		*val++ = '\0';
	if (strcasecmp(p, "SIZE") == 0 && !(*seen & 1)) {
		*seen |= 1;
		if (val == NULL || val[0] < '0' || val[0] > '9' ||
		    strspn(val, "0123456789") != strlen(val))
			return SR_PARAM_VALUE;
		errno = 0;
		size = strtoull(val, &end, 10);
		if (errno != 0 || size > (unsigned long long)s->cfg.max_size)
			return SR_SIZE;
		s->size_hint = (long long)size;
	} else if (strcasecmp(p, "BODY") == 0 && !(*seen & 2)) {
		*seen |= 2;
		if (val == NULL || (strcasecmp(val, "7BIT") != 0 &&
		    strcasecmp(val, "8BITMIME") != 0))
			return SR_PARAM_VALUE;
	} else if (strcasecmp(p, "SMTPUTF8") == 0 && !(*seen & 4)) {
		*seen |= 4;
		if (val != NULL)
			return SR_PARAM_VALUE;
		*utf8 = 1;
	} else if (strcasecmp(p, "SIZE") == 0 || strcasecmp(p, "BODY") == 0 ||
	    strcasecmp(p, "SMTPUTF8") == 0)
		return SR_PARAM_VALUE;
	else
		return SR_PARAM_UNKNOWN;
	return SR_NONE;
}

/* Parse "FROM:<path> params" or "TO:<path> params" after the keyword.
 * Returns SR_NONE with *a and *rest set, or the reply for the error. */
static enum reply
parse_path(struct session *s, char *arg, const char *key, int utf8,
    struct address *a, char **rest, enum reply syntax, enum reply bad)
{
	size_t used, klen = strlen(key);
	char *p, *end, local[SMTP_PATH_MAX + ADDRESS_MAX + 4];
	const char *at;

	if (strncasecmp(arg, key, klen) != 0)
		return syntax;
	p = arg + klen;
	p += strspn(p, " ");
	if (*p != '<')
		return syntax;
	/* A program of this host (sendmail(8), s->uid known from the
	 * kernel) may name a local user alone, as local programs do
	 * ("root"): it is that name at the first local domain, as the
	 * users file's first user has it.  Nobody else may. */
	if (s->uid >= 0 && (end = strchr(p, '>')) != NULL && end > p + 1 &&
	    memchr(p, '@', (size_t)(end - p)) == NULL &&
	    memchr(p, '"', (size_t)(end - p)) == NULL &&
	    (size_t)(end - p) <= SMTP_LOCAL_MAX + 1 && s->users.count > 0 &&
	    (at = strrchr(s->users.list[0].address, '@')) != NULL &&
	    !(strncasecmp(key, "TO:", 3) == 0 && end - p == 11 &&
	    strncasecmp(p + 1, "postmaster", 10) == 0)) {
		snprintf(local, sizeof(local), "%.*s%s%s", (int)(end - p), p,
		    at, end);
		used = 0;
		switch (addr_parse_path(local, strlen(local), utf8, a,
		    &used)) {
		case ADDR_OK:
			break;
		case ADDR_UTF8:
			return SR_UTF8;
		default:
			return bad;
		}
		p = end + 1;
		if (*p != '\0' && *p != ' ')
			return syntax;
		*rest = p;
		return SR_NONE;
	}
	switch (addr_parse_path(p, strlen(p), utf8, a, &used)) {
	case ADDR_OK:
		break;
	case ADDR_UTF8:
		return SR_UTF8;
	default:
		return strchr(p, '>') == NULL ? syntax : bad;
	}
	p += used;
	if (*p != '\0' && *p != ' ')
		return syntax;
	*rest = p;
	return SR_NONE;
}

/* Is a the address of the logged-in user?  A session that logged in
 * speaks for that user only, and the null sender is no one's. */
static int
own_sender(struct session *s, const struct address *a)
{
	const struct user *u;
	struct address plain;

	if (a->kind != ADDR_MAILBOX)
		return 0;
	if (a->quoted && addr_unquote(a, &plain) == ADDR_OK)
		a = &plain;
	u = users_find(&s->users, a->text);
	return u != NULL && strcmp(u->address, s->authuser) == 0;
}

static enum reply
cmd_mail(struct session *s, char *arg)
{
	enum reply r;
	struct address a;
	char *rest, *p;
	int seen = 0, utf8 = 0;

	if (s->cfg.submission && s->authuser[0] == '\0')
		return SR_AUTH_NEEDED;
	s->size_hint = 0;
	/* The path may hold UTF-8 only if SMTPUTF8 is among the
	 * parameters after it (RFC 6531 3.4); those are checked below. */
	p = strcasestr(arg, " SMTPUTF8");
	utf8 = s->esmtp && p != NULL && (p[9] == '\0' || p[9] == ' ');
	r = parse_path(s, arg, "FROM:", utf8, &a, &rest, SR_SYNTAX_MAIL,
	    SR_BAD_SENDER);
	if (r != SR_NONE)
		return r;
	if (a.kind == ADDR_POSTMASTER)
		return SR_BAD_SENDER;
	utf8 = 0;
	while ((p = strsep(&rest, " ")) != NULL)
		if (*p != '\0' && (r = mail_param(s, p, &seen, &utf8)) !=
		    SR_NONE)
			return r;
	if (!utf8 && has_8bit(a.text))
		return SR_UTF8;
	if (s->authuser[0] != '\0' && !own_sender(s, &a))
		return SR_NOT_YOURS;
	s->sender = a;
	s->utf8 = utf8;
	s->state = S_MAIL;
	/* A local program learns the address its sender was taken as,
	 * for the From: it may have to add (sendmail(8)). */
	if (s->uid >= 0) {
		io_printf(&s->io, "250 2.1.0 <%s> Sender ok", a.text);
		return SR_NONE;
	}
	return SR_SENDER_OK;
}

/* The reply a quota earns box for a message of declared size (0: not
 * said); SR_NONE when it fits.  A mailbox already full, or one the
 * declared size would take over, is 452, and a size over the whole
 * limit 552 (RFC 1870 section 6); past RCPT nothing is refused for the
 * quota: an accepted recipient gets its message, a little over or not. */
static enum reply
quota_reply(const struct ms_quota *q, long long size)
{
	if (q->limit > 0 && size > q->limit)
		return SR_QUOTA_BIG;
	if ((q->limit > 0 && (q->used >= q->limit ||
	    q->used + size > q->limit)) ||
	    (q->count_limit > 0 && q->count >= q->count_limit))
		return SR_QUOTA_FULL;
	return SR_NONE;
}

/* Add to the transaction the mailboxes of s->found not in it yet, as
 * the recipient given; every one must fit its quota, or none is added
 * and the reply says why. */
static enum reply
add_recipient(struct session *s, const char *given)
{
	struct group *g = &s->groups[s->ngroups];
	struct box *x;
	enum reply r;
	size_t i, j, first = s->nboxes;

	for (i = 0; i < s->found.n; i++) {
		for (j = 0; j < s->nboxes; j++)
			if (strcmp(s->boxes[j].name, s->found.names[i]) == 0)
				break;
		if (j < s->nboxes)
			continue;	/* the same mailbox gets one copy */
		if (s->ngroups >= (size_t)s->cfg.max_rcpt ||
		    s->nboxes == ALIAS_RCPT_MAX) {
			s->nboxes = first;
			return SR_TOO_MANY_RCPT;
		}
		x = &s->boxes[s->nboxes];
		snprintf(x->name, sizeof(x->name), "%s", s->found.names[i]);
		if (ms_quota_get(s->cfg.store, x->name, s->cfg.quota,
		    &x->q) != MS_OK) {
			s->nboxes = first;
			return SR_QUOTA_TEMP;
		}
		if ((r = quota_reply(&x->q, s->size_hint)) != SR_NONE) {
			s->nboxes = first;
			return r == SR_QUOTA_FULL && s->found.list ?
			    SR_QUOTA_LIST : r;
		}
		s->nboxes++;
	}
	if (s->nboxes == first)
		return SR_RCPT_OK;
	snprintf(g->given, sizeof(g->given), "%s", given);
	snprintf(g->found, sizeof(g->found), "%s", s->found.found);
	g->first = first;
	g->n = s->nboxes - first;
	s->ngroups++;
	return SR_RCPT_OK;
}

static void
slow_down(int seconds)
{
	struct timespec t = { seconds, 0 };

	while (seconds > 0 && nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

static enum reply
cmd_rcpt(struct session *s, char *arg)
{
	struct address a, plain;
	enum rcpt_result rr;
	enum reply r;
	char *rest;

	r = parse_path(s, arg, "TO:", s->utf8, &a, &rest, SR_SYNTAX_RCPT,
	    SR_BAD_RCPT);
	if (r != SR_NONE)
		return r;
	if (a.kind == ADDR_NULL)
		return SR_BAD_RCPT;
	if (rest[strspn(rest, " ")] != '\0')
		return SR_PARAM_UNKNOWN;
	if (!s->utf8 && has_8bit(a.text))
		return SR_UTF8;
	if (users_refresh(&s->users) < 0) {
		log_msg(LOG_ERR, "users file %s: %s", s->cfg.users_path,
		    strerror(errno));
		return SR_USERS_TEMP;
	}
	if (aliases_refresh(&s->aliases) < 0) {
		log_msg(LOG_ERR, "aliases file %s: %s", s->cfg.aliases_path,
		    strerror(errno));
		return SR_ALIASES_TEMP;
	}
	/* "alice"@example.com is alice@example.com (RFC 5321 4.1.2); a
	 * local part that needs its quotes is no user's. */
	if (a.quoted && addr_unquote(&a, &plain) == ADDR_OK)
		rr = rcpt_resolve(&s->book, plain.text, &s->found);
	else if (a.quoted)
		rr = users_local_domain(&s->users, a.text + a.at + 1) ?
		    RCPT_UNKNOWN : RCPT_RELAY;
	else
		rr = rcpt_resolve(&s->book, a.kind == ADDR_POSTMASTER ?
		    "postmaster" : a.text, &s->found);
	switch (rr) {
	case RCPT_UNKNOWN:
		slow_down(SMTP_UNKNOWN_RCPT_DELAY);
		return SR_NO_USER;
	case RCPT_RELAY:
		return SR_RELAY;
	case RCPT_TOO_MANY:
		return SR_LIST_TOO_BIG;
	case RCPT_OK:
		break;
	}
	if ((r = add_recipient(s, a.text)) == SR_RCPT_OK && s->ngroups > 0)
		s->state = S_RCPT;
	return r;
}

/* STARTTLS (RFC 3207): TLS from here on.  Section 4.2: everything
 * learnt before it (the EHLO name, a transaction, a login) is forgotten,
 * and nothing the client sent after the command is kept. */
static enum reply
cmd_starttls(struct session *s, char *arg)
{
	(void)arg;
	if (!tls_loaded())
		return SR_NOT_IMPL;
	if (s->io.tls != NULL)
		return SR_TLS_ACTIVE;
	smtp_reply(s, SR_TLS_READY);
	if (io_start_tls(&s->io, s->peer) < 0)
		smtp_finish(s, SR_NONE, EXIT_ABORTED, "tls-failed");
	s->state = S_START;
	s->esmtp = 0;
	s->helo[0] = '\0';
	s->authuser[0] = '\0';
	smtp_reset(s);
	return SR_NONE;
}

/* AUTH mechanism [initial-response] (RFC 4954), PLAIN or LOGIN. */
static enum reply
cmd_auth(struct session *s, char *arg)
{
	static const enum reply failed[] = {
		[SASL_CANCEL] = SR_AUTH_CANCEL, [SASL_DECODE] = SR_AUTH_DECODE,
		[SASL_LONG] = SR_AUTH_LONG
	};
	const char *user = NULL, *password = NULL;
	const struct user *u;
	struct timespec start;
	enum sasl_status st;
	enum auth_result ar;
	enum sasl_mech mech;
	char *resp;
	int other;

	if (s->authuser[0] != '\0')
		return SR_AUTH_TWICE;
	if (s->state != S_READY)
		return SR_AUTH_IN_MAIL;
	if ((resp = strchr(arg, ' ')) != NULL)
		*resp++ = '\0';
	if (strcasecmp(arg, "PLAIN") == 0)
		mech = SASL_PLAIN;
	else if (strcasecmp(arg, "LOGIN") == 0)
		mech = SASL_LOGIN;
	else
		return SR_AUTH_MECH;
	if (!sasl_allowed(&s->io, s->local, &s->cfg))
		return SR_AUTH_ENCRYPT;
	st = sasl_exchange(&s->sasl, &s->io, mech, "334 ", resp,
	    s->cfg.timeout, &user, &password, &other);
	if (st == SASL_TIMEOUT)
		smtp_finish(s, SR_TIMEOUT, EXIT_ABORTED, "timeout");
	if (st == SASL_EOF)
		smtp_finish(s, SR_NONE, EXIT_ABORTED, "disconnect");
	if (st != SASL_OK) {
		sasl_wipe(&s->sasl, &s->io, s->line, sizeof(s->line));
		return failed[st];
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	ar = sasl_check(&s->sasl, &s->io, s->line, sizeof(s->line),
	    &s->users, other ? NULL : user, user, password, &start, s->sid,
	    s->peer, &u);
	if (ar == AUTH_TEMP)
		return SR_AUTH_TEMP;
	if (ar == AUTH_OK) {
		snprintf(s->authuser, sizeof(s->authuser), "%s", u->address);
		log_msg(LOG_INFO, "login session=%s user=%s", s->sid,
		    s->authuser);
		return SR_AUTH_OK;
	}
	if (++s->auth_fails >= SMTP_AUTH_FAILS_MAX) {
		smtp_reply(s, SR_AUTH_FAIL);
		smtp_finish(s, SR_AUTH_TOO_MANY, EXIT_ABORTED,
		    "too-many-failed-logins");
	}
	return SR_AUTH_FAIL;
}

static enum reply
cmd_rset(struct session *s, char *arg)
{
	(void)arg;
	smtp_reset(s);
	return SR_OK;
}

static enum reply
cmd_noop(struct session *s, char *arg)
{
	(void)s;
	(void)arg;
	return SR_OK;
}

/* RFC 5321 3.5.3: 252 neither confirms nor denies a user. */
static enum reply
cmd_vrfy(struct session *s, char *arg)
{
	(void)s;
	(void)arg;
	return SR_VRFY;
}

static enum reply
cmd_help(struct session *s, char *arg)
{
	(void)s;
	(void)arg;
	return SR_HELP;
}

static enum reply
cmd_quit(struct session *s, char *arg)
{
	(void)arg;
	s->quit = 1;
	return SR_BYE;
}

static enum reply
cmd_not_impl(struct session *s, char *arg)
{
	(void)s;
	(void)arg;
	return SR_NOT_IMPL;
}

static enum reply
cmd_unknown(struct session *s, char *arg)
{
	(void)s;
	(void)arg;
	return SR_UNKNOWN;
}

enum arg { ARG_NONE, ARG_NEED, ARG_ANY };

/* The command table.  The dispatcher checks state and argument count;
 * the last row, with no verb, takes every unknown verb. */
static const struct command {
	const char *verb;
	int	states;
	enum arg arg;
	enum reply (*fn)(struct session *, char *);
	enum reply noarg;	/* reply to a missing argument */
} commands[] = {
	{ "HELO", S_ANY, ARG_NEED, cmd_helo, SR_BAD_HELO },
	{ "EHLO", S_ANY, ARG_NEED, cmd_ehlo, SR_BAD_HELO },
	{ "MAIL", S_READY, ARG_NEED, cmd_mail, SR_SYNTAX_MAIL },
	{ "RCPT", S_MAIL | S_RCPT, ARG_NEED, cmd_rcpt, SR_SYNTAX_RCPT },
	{ "DATA", S_RCPT, ARG_NONE, smtp_data, SR_NONE },
	{ "RSET", S_ANY, ARG_NONE, cmd_rset, SR_NONE },
	{ "NOOP", S_ANY, ARG_ANY, cmd_noop, SR_NONE },
	{ "VRFY", S_ANY, ARG_NEED, cmd_vrfy, SR_NEED_ARG },
	{ "HELP", S_ANY, ARG_ANY, cmd_help, SR_NONE },
	{ "QUIT", S_ANY, ARG_NONE, cmd_quit, SR_NONE },
	{ "EXPN", S_ANY, ARG_ANY, cmd_not_impl, SR_NONE },
	{ "TURN", S_ANY, ARG_ANY, cmd_not_impl, SR_NONE },
	{ "ETRN", S_ANY, ARG_ANY, cmd_not_impl, SR_NONE },
	{ "BDAT", S_ANY, ARG_ANY, cmd_not_impl, SR_NONE },
	{ "AUTH", S_READY | S_MAIL | S_RCPT, ARG_NEED, cmd_auth, SR_NEED_ARG },
	{ "STARTTLS", S_ANY, ARG_NONE, cmd_starttls, SR_NONE },
	{ "SEND", S_ANY, ARG_ANY, cmd_not_impl, SR_NONE },
	{ "SOML", S_ANY, ARG_ANY, cmd_not_impl, SR_NONE },
	{ "SAML", S_ANY, ARG_ANY, cmd_not_impl, SR_NONE },
	{ NULL, S_ANY, ARG_ANY, cmd_unknown, SR_NONE }
};

/* The 503 for a command given in the wrong state. */
static enum reply
out_of_order(const struct command *c, enum state st)
{
	if (st == S_START)
		return SR_NEED_HELO;
	if (c->states == S_READY)
		return SR_NESTED_MAIL;
	return st == S_READY ? SR_NEED_MAIL : SR_NEED_RCPT;
}

static void
dispatch(struct session *s, char *line, size_t len)
{
	const struct command *c;
	char *arg;
	size_t vlen;

	while (len > 0 && line[len - 1] == ' ')
		line[--len] = '\0';
	vlen = strcspn(line, " ");
	arg = line[vlen] == ' ' ? line + vlen + 1 : NULL;
	for (c = commands; c->verb != NULL; c++)
		if (strlen(c->verb) == vlen &&
		    strncasecmp(c->verb, line, vlen) == 0)
			break;
	if (!(c->states & s->state))
		smtp_reply(s, out_of_order(c, s->state));
	else if (c->arg == ARG_NONE && arg != NULL)
		smtp_reply(s, SR_NO_ARG);
	else if (c->arg == ARG_NEED && arg == NULL)
		smtp_reply(s, c->noarg);
	else
		smtp_reply(s, c->fn(s, arg != NULL ? arg : ""));
}

/* Read and run commands until the session ends. */
static void __attribute__((noreturn))
serve(struct session *s)
{
	enum io_status st;
	size_t len;
	int flags;

	io_printf(&s->io, "220 %s ESMTP ready", s->cfg.host);
	for (;;) {
		st = io_getline(&s->io, s->line, SMTP_CMD_MAX - 2, &len,
		    &flags, s->cfg.timeout);
		if (st == IO_TIMEOUT)
			smtp_finish(s, SR_TIMEOUT, EXIT_ABORTED, "timeout");
		if (st != IO_LINE)
			smtp_finish(s, SR_NONE, EXIT_ABORTED, "disconnect");
		if (s->sniff && proxy_sniff(&s->sniff, s->line, len,
		    (flags & LINE_NUL) != 0)) {
			log_msg(LOG_WARNING, "proxy header from untrusted %s "
			    "refused session=%s", s->peer, s->sid);
			smtp_finish(s, SR_PROXY, EXIT_ABORTED, "proxy-untrusted");
		}
		if (flags & LINE_TOOLONG)
			smtp_reply(s, SR_CMD_LONG);
		else if (flags & (LINE_BARE_LF | LINE_BARE_CR))
			smtp_reply(s, SR_CMD_BARE);
		else if (flags & LINE_NUL)
			smtp_reply(s, SR_CMD_NUL);
		else
			dispatch(s, s->line, len);
		if (s->quit)
			smtp_finish(s, SR_NONE, EXIT_NORMAL, "quit");
		if (s->io.failed)
			smtp_finish(s, SR_NONE, EXIT_ABORTED, "write-failed");
		if (s->errors >= SMTP_ERRORS_MAX)
			smtp_finish(s, SR_ERRORS, EXIT_ABORTED, "too-many-errors");
	}
}

/* Name the postmaster mailbox: -p, else the first user. */
static void
find_postmaster(struct session *s)
{
	const struct user *u;

	if (s->cfg.postmaster != NULL) {
		if ((u = users_find(&s->users, s->cfg.postmaster)) == NULL) {
			if (!s->cfg.check && !s->cfg.tls) {
				io_printf(&s->io, "421 4.3.0 %s Service not "
				    "available", s->cfg.host);
				io_flush(&s->io);
			}
			die(EXIT_USAGE, "postmaster %s is not in %s",
			    s->cfg.postmaster, s->cfg.users_path);
		}
		snprintf(s->postmaster, sizeof(s->postmaster), "%s",
		    u->address);
	} else if (s->users.count > 0)
		snprintf(s->postmaster, sizeof(s->postmaster), "%s",
		    s->users.list[0].address);
}

int
main(int argc, char **argv)
{
	static struct session s;

	session_start(&s.cfg, PROTO_SMTP, argc, argv, &s.io, &s.users,
	    &s.aliases);
	find_postmaster(&s);
	if (s.cfg.check)
		exit(EXIT_NORMAL);
	/* Not calloc: an entry is written before it is counted, and
	 * zeroing every one would make all their pages resident. */
	s.groups = reallocarray(NULL, (size_t)s.cfg.max_rcpt,
	    sizeof(*s.groups));
	s.boxes = reallocarray(NULL, ALIAS_RCPT_MAX, sizeof(*s.boxes));
	if (s.groups == NULL || s.boxes == NULL) {
		if (!s.cfg.tls) {
			io_printf(&s.io, "421 4.3.0 %s Service not available",
			    s.cfg.host);
			io_flush(&s.io);
		}
		die(EXIT_TEMP, "out of memory");
	}
	s.book.users = &s.users;
	s.book.aliases = &s.aliases;
	s.book.postmaster = s.postmaster;
	s.book.delims = s.cfg.delims;
	s.state = S_START;
	log_session_id(s.sid, sizeof(s.sid));
	s.local = peer_identify(&s.cfg, s.sid, s.peer, s.proxy,
	    sizeof(s.peer));
	/* Under implicit TLS nothing goes in clear. */
	if (s.local < 0)
		smtp_finish(&s, s.cfg.tls ? SR_NONE : SR_PROXY, EXIT_ABORTED,
		    "proxy-refused");
	s.sniff = s.cfg.proxy && s.proxy[0] == '\0';
	if (!peer_uid(&s.uid))
		s.uid = -1;
	/* Implicit TLS (RFC 8314): the handshake before the greeting. */
	if (s.cfg.tls && io_start_tls(&s.io, s.peer) < 0)
		smtp_finish(&s, SR_NONE, EXIT_ABORTED, "tls-failed");
	serve(&s);
}
