/*
 * smtp-handler.c: one SMTP session (RFC 5321) on standard input and
 * output, for mail to the local users of the users file.  Mail is never
 * relayed: a recipient is either a local user (or postmaster at a local
 * domain) or refused.
 *
 * A message is written to the store as it arrives and acknowledged only
 * after the store has made it durable.  Only CRLF "." CRLF ends DATA, so
 * no reading of line ends can make one message into two (SMTP smuggling).
 * In a message a LF alone ends a line as CRLF does (what an editor
 * writes, and what Postfix accepts by default); a CR alone has no safe
 * meaning and makes the whole message invalid, and a command line must
 * end in CRLF.
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
#include "config.h"
#include "limits.h"
#include "lineio.h"
#include "log.h"
#include "mailstore.h"
#include "tls.h"
#include "users.h"

/* Session states; a command row lists the states it is legal in. */
enum state {
	S_START = 1,		/* before HELO or EHLO */
	S_READY = 2,		/* no transaction */
	S_MAIL = 4,		/* sender given */
	S_RCPT = 8		/* at least one recipient */
};
#define S_ANY	(S_START | S_READY | S_MAIL | S_RCPT)

/* Every reply of the program (RFC 5321 4.2, RFC 3463 enhanced codes; RFC
 * 2034 leaves them out of the greeting and the HELO and EHLO replies). */
enum reply {
	SR_NONE,			/* already replied */
	SR_OK, SR_SENDER_OK, SR_RCPT_OK, SR_VRFY, SR_HELP, SR_BYE,
	SR_NEED_HELO, SR_NESTED_MAIL, SR_NEED_MAIL, SR_NEED_RCPT,
	SR_SYNTAX_MAIL, SR_SYNTAX_RCPT, SR_NO_ARG, SR_NEED_ARG, SR_BAD_HELO,
	SR_BAD_SENDER, SR_BAD_RCPT, SR_UTF8, SR_PARAM_UNKNOWN, SR_PARAM_VALUE,
	SR_SIZE, SR_NO_USER, SR_RELAY, SR_TOO_MANY_RCPT, SR_USERS_TEMP,
	SR_TOO_BIG, SR_BAD_LINE_END, SR_LONG_LINE, SR_NUL, SR_STORE_TEMP,
	SR_STORE_PERM, SR_NOT_IMPL, SR_UNKNOWN, SR_CMD_LONG, SR_CMD_BARE,
	SR_CMD_NUL, SR_ERRORS, SR_TIMEOUT, SR_TLS_READY, SR_TLS_ACTIVE,
	SR_AUTH_OK, SR_AUTH_FAIL, SR_AUTH_ENCRYPT, SR_AUTH_MECH,
	SR_AUTH_CANCEL, SR_AUTH_DECODE, SR_AUTH_LONG, SR_AUTH_TWICE,
	SR_AUTH_IN_MAIL, SR_AUTH_NEEDED, SR_AUTH_TEMP, SR_AUTH_TOO_MANY,
	SR_NOT_YOURS, SR_PROXY
};

static const struct {
	const char *code, *text;
} replies[] = {
	[SR_OK] =		{ "250 2.0.0", "Ok" },
	[SR_SENDER_OK] =		{ "250 2.1.0", "Sender ok" },
	[SR_RCPT_OK] =		{ "250 2.1.5", "Recipient ok" },
	[SR_VRFY] =		{ "252 2.5.0", "Cannot VRFY user, but will "
				    "accept message for local users" },
	[SR_HELP] =		{ "214 2.0.0", "Commands: HELO EHLO STARTTLS "
				    "AUTH MAIL RCPT DATA RSET VRFY NOOP QUIT "
				    "HELP" },
	[SR_BYE] =		{ "221 2.0.0", "Bye" },
	[SR_NEED_HELO] =		{ "503 5.5.1", "Send HELO or EHLO first" },
	[SR_NESTED_MAIL] =	{ "503 5.5.1", "Sender already given" },
	[SR_NEED_MAIL] =		{ "503 5.5.1", "Need MAIL first" },
	[SR_NEED_RCPT] =		{ "503 5.5.1", "Need RCPT first" },
	[SR_SYNTAX_MAIL] =	{ "501 5.5.4", "Syntax: MAIL FROM:<address>" },
	[SR_SYNTAX_RCPT] =	{ "501 5.5.4", "Syntax: RCPT TO:<address>" },
	[SR_NO_ARG] =		{ "501 5.5.4", "No argument allowed" },
	[SR_NEED_ARG] =		{ "501 5.5.4", "Argument required" },
	[SR_BAD_HELO] =		{ "501 5.5.4", "Syntax: HELO domain" },
	[SR_BAD_SENDER] =	{ "501 5.1.7", "Bad sender address syntax" },
	[SR_BAD_RCPT] =		{ "501 5.1.3", "Bad recipient address syntax" },
	[SR_UTF8] =		{ "553 5.6.7", "Non-ASCII address needs "
				    "SMTPUTF8" },
	[SR_PARAM_UNKNOWN] =	{ "555 5.5.4", "Unsupported parameter" },
	[SR_PARAM_VALUE] =	{ "501 5.5.4", "Bad parameter value" },
	[SR_SIZE] =		{ "552 5.3.4", "Message size exceeds fixed "
				    "limit" },
	[SR_NO_USER] =		{ "550 5.1.1", "No such user here" },
	[SR_RELAY] =		{ "550 5.7.1", "Relaying denied" },
	[SR_TOO_MANY_RCPT] =	{ "452 4.5.3", "Too many recipients" },
	[SR_USERS_TEMP] =	{ "451 4.3.0", "Users file unavailable, try "
				    "again later" },
	[SR_TOO_BIG] =		{ "552 5.3.4", "Message too big, not "
				    "delivered" },
	[SR_BAD_LINE_END] =	{ "554 5.6.0", "Message has a bare CR (a CR "
				    "not followed by LF); not delivered" },
	[SR_LONG_LINE] =		{ "554 5.6.0", "Message has a line over 1000 "
				    "octets; not delivered" },
	[SR_NUL] =		{ "554 5.6.0", "Message has a NUL octet; not "
				    "delivered" },
	[SR_STORE_TEMP] =	{ "451 4.3.0", "Temporary failure storing "
				    "message, try again later" },
	[SR_STORE_PERM] =	{ "554 5.3.0", "Message cannot be stored" },
	[SR_NOT_IMPL] =		{ "502 5.5.1", "Command not implemented" },
	[SR_UNKNOWN] =		{ "500 5.5.1", "Unknown command" },
	[SR_CMD_LONG] =		{ "500 5.5.2", "Line too long" },
	[SR_CMD_BARE] =		{ "500 5.5.2", "Bare CR or LF in command; "
				    "lines must end with CRLF" },
	[SR_CMD_NUL] =		{ "500 5.5.2", "NUL octet in command" },
	[SR_ERRORS] =		{ "421 4.7.0", "Too many errors, closing "
				    "connection" },
	[SR_TIMEOUT] =		{ "421 4.4.2", "Timeout, closing connection" },
	/* RFC 3207 */
	[SR_TLS_READY] =		{ "220 2.0.0", "Ready to start TLS" },
	[SR_TLS_ACTIVE] =	{ "503 5.5.1", "TLS already active" },
	/* RFC 4954 section 6 */
	[SR_AUTH_OK] =		{ "235 2.7.0", "Authentication successful" },
	[SR_AUTH_FAIL] =		{ "535 5.7.8", "Authentication credentials "
				    "invalid" },
	[SR_AUTH_ENCRYPT] =	{ "538 5.7.11", "Encryption required for "
				    "requested authentication mechanism" },
	[SR_AUTH_MECH] =		{ "504 5.5.4", "Unrecognized authentication "
				    "type" },
	[SR_AUTH_CANCEL] =	{ "501 5.0.0", "Authentication cancelled" },
	[SR_AUTH_DECODE] =	{ "501 5.5.2", "Cannot decode response" },
	[SR_AUTH_LONG] =		{ "500 5.5.6", "Authentication exchange line "
				    "is too long" },
	[SR_AUTH_TWICE] =	{ "503 5.5.1", "Already authenticated" },
	[SR_AUTH_IN_MAIL] =	{ "503 5.5.1", "AUTH not allowed during a "
				    "mail transaction" },
	[SR_AUTH_NEEDED] =	{ "530 5.7.0", "Authentication required" },
	[SR_AUTH_TEMP] =		{ "454 4.7.0", "Temporary authentication "
				    "failure" },
	[SR_AUTH_TOO_MANY] =	{ "421 4.7.0", "Too many failed logins, "
				    "closing connection" },
	/* RFC 6409 section 6.1 */
	[SR_NOT_YOURS] =		{ "553 5.7.1", "Sender address is not yours" },
	/* -x: a bad, missing or untrusted PROXY protocol header */
	[SR_PROXY] =		{ "421 4.7.0", "PROXY header refused, "
				    "closing connection" },
};

struct session {
	struct io io;
	struct config cfg;
	struct users users;
	enum state state;
	int	esmtp;		/* EHLO rather than HELO */
	int	local;		/* the client is on this host (config_client) */
	int	sniff;		/* looking for an untrusted PROXY header */
	int	auth_fails;	/* failed logins */
	char	authuser[ADDRESS_MAX + 1];	/* logged in as; "" if not */
	int	quit;
	int	errors;		/* 5xx replies so far */
	unsigned long delivered;
	long long bytes;	/* octets of messages delivered */
	char	sid[32];	/* session id for the log */
	char	peer[64];	/* the client's address */
	char	proxy[64];	/* the proxy's, or "" */
	char	helo[256];
	char	postmaster[ADDRESS_MAX + 1];	/* users-file spelling */
	struct address sender;
	int	utf8;		/* MAIL had SMTPUTF8 */
	char	(*rcpt)[ADDRESS_MAX + 1];	/* mailbox names */
	size_t	nrcpt;
	char	first_rcpt[ADDRESS_MAX + 1];	/* as the client wrote it */
	char	line[SMTP_TEXT_MAX + 2];
	char	sasl[AUTH_LINE_MAX + 1];	/* an AUTH response, */
	char	plain[AUTH_LINE_MAX];		/* and decoded */
};

static void
reply(struct session *s, enum reply r)
{
	if (r == SR_NONE)
		return;
	if (replies[r].code[0] == '5')
		s->errors++;
	/* RFC 5321 4.2: 421 names the host that closes. */
	if (strncmp(replies[r].code, "421", 3) == 0)
		io_printf(&s->io, "%s %s %s", replies[r].code, s->cfg.host,
		    replies[r].text);
	else
		io_printf(&s->io, "%s %s", replies[r].code, replies[r].text);
}

/* End the session after reply r (SR_NONE: none) with status, logging
 * the one summary line of the session; result says why it ended. */
static void __attribute__((noreturn))
finish(struct session *s, enum reply r, int status, const char *result)
{
	char f[9][ADDRESS_MAX + 32], helo[LOG_TEXT_MAX + 1];
	const char *fields[9];
	int i;

	reply(s, r);
	io_end(&s->io);
	log_clean(helo, sizeof(helo), s->helo, strlen(s->helo));
	snprintf(f[0], sizeof(f[0]), "SESSION_ID=%s", s->sid);
	snprintf(f[1], sizeof(f[1]), "PEER=%s", s->peer);
	snprintf(f[2], sizeof(f[2]), "HELO=%s", helo);
	snprintf(f[3], sizeof(f[3]), "MESSAGES=%lu", s->delivered);
	snprintf(f[4], sizeof(f[4]), "BYTES=%lld", s->bytes);
	snprintf(f[5], sizeof(f[5]), "ERRORS=%d", s->errors);
	snprintf(f[6], sizeof(f[6]), "TLS=%s",
	    s->io.tls != NULL ? tls_version(s->io.tls) : "none");
	snprintf(f[7], sizeof(f[7]), "USER=%s",
	    s->authuser[0] != '\0' ? s->authuser : "-");
	snprintf(f[8], sizeof(f[8]), "RESULT=%s", result);
	for (i = 0; i < 9; i++)
		fields[i] = f[i];
	log_fields(LOG_INFO, "session end", fields, 9);
	exit(status);
}

static void
reset(struct session *s)
{
	s->nrcpt = 0;
	s->utf8 = 0;
	if (s->state != S_START)
		s->state = S_READY;
}

static int
has_8bit(const char *p)
{
	for (; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			return 1;
	return 0;
}

/* --- Commands ------------------------------------------------------ */

/* May a password cross this connection?  Under TLS, from this host, or
 * where the operator allows it with -P. */
static int
plain_ok(const struct session *s)
{
	return s->io.tls != NULL || s->local || s->cfg.plaintext_auth;
}

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
	reset(s);
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
	if (plain_ok(s) && s->authuser[0] == '\0')
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
parse_path(char *arg, const char *key, int utf8, struct address *a,
    char **rest, enum reply syntax, enum reply bad)
{
	size_t used, klen = strlen(key);
	char *p;

	if (strncasecmp(arg, key, klen) != 0)
		return syntax;
	p = arg + klen;
	p += strspn(p, " ");
	if (*p != '<')
		return syntax;
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
	/* The path may hold UTF-8 only if SMTPUTF8 is among the
	 * parameters after it (RFC 6531 3.4); those are checked below. */
	p = strcasestr(arg, " SMTPUTF8");
	utf8 = s->esmtp && p != NULL && (p[9] == '\0' || p[9] == ' ');
	r = parse_path(arg, "FROM:", utf8, &a, &rest, SR_SYNTAX_MAIL,
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
	return SR_SENDER_OK;
}

/* The mailbox for a recipient, or NULL with *r set to the refusal. */
static const char *
resolve(struct session *s, const struct address *a, enum reply *r)
{
	const struct user *u;
	struct address plain;

	if (users_refresh(&s->users) < 0) {
		log_msg(LOG_ERR, "users file %s: %s", s->cfg.users_path,
		    strerror(errno));
		*r = SR_USERS_TEMP;
		return NULL;
	}
	*r = SR_NO_USER;
	if (a->kind == ADDR_POSTMASTER)
		return s->postmaster[0] != '\0' ? s->postmaster : NULL;
	/* "alice"@example.com is alice@example.com (RFC 5321 4.1.2). */
	if (a->quoted && addr_unquote(a, &plain) == ADDR_OK)
		a = &plain;
	if ((u = users_find(&s->users, a->text)) != NULL)
		return u->address;
	if (!users_local_domain(&s->users, a->text + a->at + 1)) {
		*r = SR_RELAY;
		return NULL;
	}
	/* RFC 5321 4.5.1: postmaster at every local domain. */
	if (!a->quoted && a->at == 10 &&
	    strncasecmp(a->text, "postmaster", 10) == 0 &&
	    s->postmaster[0] != '\0')
		return s->postmaster;
	return NULL;
}

/* Sleep for seconds, whatever signals arrive. */
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
	const char *box;
	struct address a;
	enum reply r;
	char *rest;
	size_t i;

	r = parse_path(arg, "TO:", s->utf8, &a, &rest, SR_SYNTAX_RCPT,
	    SR_BAD_RCPT);
	if (r != SR_NONE)
		return r;
	if (a.kind == ADDR_NULL)
		return SR_BAD_RCPT;
	if (rest[strspn(rest, " ")] != '\0')
		return SR_PARAM_UNKNOWN;
	if (!s->utf8 && has_8bit(a.text))
		return SR_UTF8;
	if ((box = resolve(s, &a, &r)) == NULL) {
		if (r == SR_NO_USER)
			slow_down(SMTP_UNKNOWN_RCPT_DELAY);
		return r;
	}
	/* The same mailbox twice gets one copy. */
	for (i = 0; i < s->nrcpt; i++)
		if (strcmp(s->rcpt[i], box) == 0)
			return SR_RCPT_OK;
	if (s->nrcpt >= (size_t)s->cfg.max_rcpt)
		return SR_TOO_MANY_RCPT;
	if (s->nrcpt == 0)
		snprintf(s->first_rcpt, sizeof(s->first_rcpt), "%s", a.text);
	snprintf(s->rcpt[s->nrcpt++], ADDRESS_MAX + 1, "%s", box);
	s->state = S_RCPT;
	return SR_RCPT_OK;
}

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

static enum reply
cmd_data(struct session *s, char *arg)
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
		reset(s);
		return mr == MS_PERM ? SR_STORE_PERM : SR_STORE_TEMP;
	}
	b.store = trace(s, d, id);
	io_printf(&s->io, "354 End data with <CR><LF>.<CR><LF>");
	st = read_body(s, d, &b);
	if (st != IO_LINE) {
		/* Nothing is delivered from a message cut short. */
		ms_deliver_abort(d);
		finish(s, st == IO_TIMEOUT ? SR_TIMEOUT : SR_NONE,
		    EXIT_ABORTED, st == IO_TIMEOUT ? "timeout-in-data" :
		    "disconnect-in-data");
	}
	reset(s);
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
	reply(s, SR_TLS_READY);
	if (io_start_tls(&s->io) < 0)
		finish(s, SR_NONE, EXIT_ABORTED, "tls-failed");
	s->state = S_START;
	s->esmtp = 0;
	s->helo[0] = '\0';
	s->authuser[0] = '\0';
	reset(s);
	return SR_NONE;
}

/* Forget every copy of a password the session holds. */
static void
wipe(struct session *s)
{
	explicit_bzero(s->line, sizeof(s->line));
	explicit_bzero(s->sasl, sizeof(s->sasl));
	explicit_bzero(s->plain, sizeof(s->plain));
	io_wipe(&s->io);
}

/* Send a 334 challenge and read the client's response into s->sasl;
 * *resp is then the response.  Returns SR_NONE, or the reply that ends
 * the exchange. */
static enum reply
sasl_read(struct session *s, const char *challenge, char **resp)
{
	enum io_status st;
	size_t len;
	int flags;

	io_printf(&s->io, "334 %s", challenge);
	st = io_getline(&s->io, s->sasl, sizeof(s->sasl) - 1, &len, &flags,
	    s->cfg.timeout);
	if (st == IO_TIMEOUT)
		finish(s, SR_TIMEOUT, EXIT_ABORTED, "timeout");
	if (st != IO_LINE)
		finish(s, SR_NONE, EXIT_ABORTED, "disconnect");
	if (flags & LINE_TOOLONG)
		return SR_AUTH_LONG;
	if (flags != 0)
		return SR_AUTH_DECODE;
	*resp = s->sasl;
	return SR_NONE;
}

/* Decode one response into s->plain at off, with room for the rest.
 * RFC 4954 section 4: "*" cancels, and "=" is an empty initial
 * response. */
static enum reply
sasl_decode(struct session *s, const char *resp, size_t off, size_t *len)
{
	ssize_t n;

	if (strcmp(resp, "*") == 0)
		return SR_AUTH_CANCEL;
	n = auth_b64_decode(strcmp(resp, "=") == 0 ? "" : resp,
	    s->plain + off, sizeof(s->plain) - off);
	if (n < 0)
		return SR_AUTH_DECODE;
	*len = (size_t)n;
	return SR_NONE;
}

/* Read the PLAIN (RFC 4616) or LOGIN exchange after "AUTH mech [resp]"
 * into *user and *password; *other is set if PLAIN asked to act as
 * someone else. */
static enum reply
sasl_exchange(struct session *s, int login, char *resp, const char **user,
    const char **password, int *other)
{
	enum reply r;
	size_t len, ulen;
	int rc;

	*other = 0;
	if (!login) {
		if (resp == NULL && (r = sasl_read(s, "", &resp)) != SR_NONE)
			return r;
		if ((r = sasl_decode(s, resp, 0, &len)) != SR_NONE)
			return r;
		if ((rc = auth_plain(s->plain, len, user, password)) < 0)
			return SR_AUTH_DECODE;
		*other = rc;
		return SR_NONE;
	}
	/* LOGIN: "Username:" and "Password:", in base64. */
	if (resp == NULL && (r = sasl_read(s, "VXNlcm5hbWU6", &resp)) !=
	    SR_NONE)
		return r;
	if ((r = sasl_decode(s, resp, 0, &ulen)) != SR_NONE)
		return r;
	if (ulen == 0 || memchr(s->plain, '\0', ulen) != NULL)
		return SR_AUTH_DECODE;
	if ((r = sasl_read(s, "UGFzc3dvcmQ6", &resp)) != SR_NONE ||
	    (r = sasl_decode(s, resp, ulen + 1, &len)) != SR_NONE)
		return r;
	if (memchr(s->plain + ulen + 1, '\0', len) != NULL)
		return SR_AUTH_DECODE;
	*user = s->plain;
	*password = s->plain + ulen + 1;
	return SR_NONE;
}

/* AUTH mechanism [initial-response] (RFC 4954), PLAIN or LOGIN. */
static enum reply
cmd_auth(struct session *s, char *arg)
{
	const char *user = NULL, *password = NULL;
	char *resp, clean[LOG_TEXT_MAX + 1];
	const struct user *u;
	struct timespec start;
	enum auth_result ar;
	enum reply r;
	int login, other;

	if (s->authuser[0] != '\0')
		return SR_AUTH_TWICE;
	if (s->state != S_READY)
		return SR_AUTH_IN_MAIL;
	if ((resp = strchr(arg, ' ')) != NULL)
		*resp++ = '\0';
	if (strcasecmp(arg, "PLAIN") == 0)
		login = 0;
	else if (strcasecmp(arg, "LOGIN") == 0)
		login = 1;
	else
		return SR_AUTH_MECH;
	if (!plain_ok(s))
		return SR_AUTH_ENCRYPT;
	r = sasl_exchange(s, login, resp, &user, &password, &other);
	if (r != SR_NONE) {
		wipe(s);
		return r;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	ar = auth_check(&s->users, other ? NULL : user, password, &start, &u);
	log_clean(clean, sizeof(clean), user, strlen(user));
	wipe(s);
	/* Logged by auth_check(). */
	if (ar == AUTH_TEMP)
		return SR_AUTH_TEMP;
	if (ar == AUTH_OK) {
		snprintf(s->authuser, sizeof(s->authuser), "%s", u->address);
		log_msg(LOG_INFO, "login session=%s user=%s", s->sid,
		    s->authuser);
		return SR_AUTH_OK;
	}
	/* The same line whatever was wrong. */
	log_msg(LOG_NOTICE, "login failed session=%s peer=%s user=%s", s->sid,
	    s->peer, clean);
	if (++s->auth_fails >= SMTP_AUTH_FAILS_MAX) {
		reply(s, SR_AUTH_FAIL);
		finish(s, SR_AUTH_TOO_MANY, EXIT_ABORTED,
		    "too-many-failed-logins");
	}
	return SR_AUTH_FAIL;
}

static enum reply
cmd_rset(struct session *s, char *arg)
{
	(void)arg;
	reset(s);
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
	{ "DATA", S_RCPT, ARG_NONE, cmd_data, SR_NONE },
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
		reply(s, out_of_order(c, s->state));
	else if (c->arg == ARG_NONE && arg != NULL)
		reply(s, SR_NO_ARG);
	else if (c->arg == ARG_NEED && arg == NULL)
		reply(s, c->noarg);
	else
		reply(s, c->fn(s, arg != NULL ? arg : ""));
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
			finish(s, SR_TIMEOUT, EXIT_ABORTED, "timeout");
		if (st != IO_LINE)
			finish(s, SR_NONE, EXIT_ABORTED, "disconnect");
		if (s->sniff && proxy_sniff(&s->sniff, s->line, len,
		    (flags & LINE_NUL) != 0)) {
			log_msg(LOG_WARNING, "proxy header from untrusted %s "
			    "refused session=%s", s->peer, s->sid);
			finish(s, SR_PROXY, EXIT_ABORTED, "proxy-untrusted");
		}
		if (flags & LINE_TOOLONG)
			reply(s, SR_CMD_LONG);
		else if (flags & (LINE_BARE_LF | LINE_BARE_CR))
			reply(s, SR_CMD_BARE);
		else if (flags & LINE_NUL)
			reply(s, SR_CMD_NUL);
		else
			dispatch(s, s->line, len);
		if (s->quit)
			finish(s, SR_NONE, EXIT_NORMAL, "quit");
		if (s->io.failed)
			finish(s, SR_NONE, EXIT_ABORTED, "write-failed");
		if (s->errors >= SMTP_ERRORS_MAX)
			finish(s, SR_ERRORS, EXIT_ABORTED, "too-many-errors");
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

	config_setup(&s.cfg, PROTO_SMTP, argc, argv, &s.io, &s.users);
	find_postmaster(&s);
	if (s.cfg.check)
		exit(EXIT_NORMAL);
	/* Not calloc: an entry is written before it is counted, and
	 * zeroing every one would make all their pages resident. */
	s.rcpt = reallocarray(NULL, (size_t)s.cfg.max_rcpt, sizeof(*s.rcpt));
	if (s.rcpt == NULL) {
		if (!s.cfg.tls) {
			io_printf(&s.io, "421 4.3.0 %s Service not available",
			    s.cfg.host);
			io_flush(&s.io);
		}
		die(EXIT_TEMP, "out of memory");
	}
	s.state = S_START;
	log_session_id(s.sid, sizeof(s.sid));
	s.local = config_client(&s.cfg, s.sid, s.peer, s.proxy,
	    sizeof(s.peer));
	/* Under implicit TLS nothing goes in clear. */
	if (s.local < 0)
		finish(&s, s.cfg.tls ? SR_NONE : SR_PROXY, EXIT_ABORTED,
		    "proxy-refused");
	s.sniff = s.cfg.proxy && s.proxy[0] == '\0';
	/* Implicit TLS (RFC 8314): the handshake before the greeting. */
	if (s.cfg.tls && io_start_tls(&s.io) < 0)
		finish(&s, SR_NONE, EXIT_ABORTED, "tls-failed");
	serve(&s);
}
