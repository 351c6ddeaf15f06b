/*
 * pop3-handler.c: one POP3 session (RFC 1939, with RFC 2449 extensions
 * and RFC 6856 UTF-8 user names) on standard input and output.
 *
 * Logins (USER/PASS, or AUTH PLAIN of RFC 5034) need TLS (STLS of RFC
 * 2595, or implicit TLS) unless the client is on this host or -P allows
 * them.
 *
 * Login locks the maildrop and takes a snapshot of it; DELE only marks,
 * and messages are removed only by QUIT in the TRANSACTION state.  A
 * dropped connection, a timeout or a crash deletes nothing; the lock is
 * released at every end, and one left by a crash is broken by the stale
 * rule of ms-lock.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "tunables.h"
#include "lineio.h"
#include "log.h"
#include "mailstore.h"
#include "peer.h"
#include "sasl.h"
#include "session.h"
#include "tls.h"
#include "users.h"

enum state {
	P_AUTH = 1,		/* AUTHORIZATION */
	P_TRANS = 2		/* TRANSACTION */
};

/* Every fixed reply of the program.  Extended response codes in brackets
 * are RFC 2449 section 8 and RFC 3206. */
enum reply {
	PR_NONE,		/* already replied */
	PR_OK, PR_USER, PR_UTF8, PR_BYE, PR_RSET_DONE,
	PR_NEED_USER, PR_AUTH_FAIL, PR_AUTH_TOO_MANY, PR_IN_USE, PR_SYS_TEMP,
	PR_BAD_NUMBER, PR_NO_MESSAGE, PR_DELETED, PR_BAD_ARGS, PR_STATE,
	PR_UNKNOWN, PR_NOT_SUPPORTED, PR_LONG, PR_BARE, PR_NUL, PR_ERRORS,
	PR_UPDATE_FAILED, PR_NEED_TLS, PR_TLS_ACTIVE, PR_AUTH_CANCELLED,
	PR_AUTH_MECH, PR_AUTH_DECODE, PR_PROXY
};

static const char *const replies[] = {
	[PR_OK] =		"+OK",
	[PR_USER] =		"+OK Send PASS",
	[PR_UTF8] =		"+OK UTF8 enabled",
	[PR_BYE] =		"+OK Bye",
	[PR_RSET_DONE] =	"+OK Deletion marks removed",
	[PR_NEED_USER] =	"-ERR Send USER first",
	[PR_AUTH_FAIL] =	"-ERR [AUTH] Invalid user name or password",
	[PR_AUTH_TOO_MANY] =	"-ERR [AUTH] Too many failed logins, closing",
	[PR_IN_USE] =		"-ERR [IN-USE] Maildrop is locked by another "
				    "session",
	[PR_SYS_TEMP] =		"-ERR [SYS/TEMP] Temporary failure, try again "
				    "later",
	[PR_BAD_NUMBER] =	"-ERR Bad message number",
	[PR_NO_MESSAGE] =	"-ERR No such message",
	[PR_DELETED] =		"-ERR Message already deleted",
	[PR_BAD_ARGS] =		"-ERR Bad arguments",
	[PR_STATE] =		"-ERR Command not valid in this state",
	[PR_UNKNOWN] =		"-ERR Unknown command",
	[PR_NOT_SUPPORTED] =	"-ERR Command not supported",
	[PR_LONG] =		"-ERR Line too long",
	[PR_BARE] =		"-ERR Bare CR or LF; lines must end with CRLF",
	[PR_NUL] =		"-ERR NUL octet in command",
	[PR_ERRORS] =		"-ERR Too many errors, closing",
	[PR_UPDATE_FAILED] =	"-ERR [SYS/TEMP] Some deleted messages were "
				    "not removed",
	[PR_NEED_TLS] =		"-ERR [AUTH] Plain-text login needs TLS: send "
				    "STLS first",
	[PR_TLS_ACTIVE] =	"-ERR TLS already active",
	[PR_AUTH_CANCELLED] =	"-ERR Authentication cancelled",
	[PR_AUTH_MECH] =		"-ERR Unsupported authentication mechanism",
	[PR_AUTH_DECODE] =	"-ERR Cannot decode response",
	/* -x: a bad, missing or untrusted PROXY protocol header */
	[PR_PROXY] =		"-ERR PROXY header refused, closing",
};

/* CAPA: the login lines first, when they apply (cmd_capa), then the
 * rest. */
static const char capa_login[] =
	"USER\r\n"
	"SASL PLAIN\r\n";
static const char capabilities[] =
	"UIDL\r\n"
	"TOP\r\n"
	"RESP-CODES\r\n"
	"AUTH-RESP-CODE\r\n"
	"PIPELINING\r\n"
	"UTF8 USER\r\n"
	"IMPLEMENTATION pop3-handler\r\n"
	".\r\n";

struct session {
	struct io io;
	struct config cfg;
	struct users users;
	struct aliases aliases;	/* read only for --check */
	enum state state;
	int	quit;
	int	errors;		/* -ERR replies so far */
	int	fails;		/* failed logins */
	int	have_user;
	int	local;		/* the client is on this host (peer_identify) */
	int	sniff;		/* looking for an untrusted PROXY header */
	char	user[ADDRESS_MAX + 1];
	char	peer[64];	/* the client's address */
	char	proxy[64];	/* the proxy's, or "" */
	char	sid[32];	/* session id for the log */
	unsigned long sent;	/* messages sent by RETR and TOP */
	long long bytes;	/* their octets */
	size_t	deleted;	/* messages removed at QUIT */
	struct ms_mailbox *mb;
	char	line[POP3_CMD_MAX + 1];
	struct sasl sasl;	/* an AUTH exchange */
	char	out[IO_BUFSIZE];
};

static void
reply(struct session *s, enum reply r)
{
	if (r == PR_NONE)
		return;
	if (replies[r][0] == '-')
		s->errors++;
	io_printf(&s->io, "%s", replies[r]);
}

/* End the session after reply r (PR_NONE: none) with status, logging
 * the one summary line of the session; result says why it ended. */
static void __attribute__((noreturn))
finish(struct session *s, enum reply r, int status, const char *result)
{
	char f[8][ADDRESS_MAX + 32];
	const char *fields[8];
	int i;

	reply(s, r);
	io_end(&s->io);
	io_beat(&s->io, NULL, NULL);
	if (s->mb != NULL)
		ms_mailbox_close(s->mb);
	snprintf(f[0], sizeof(f[0]), "SESSION_ID=%s", s->sid);
	snprintf(f[1], sizeof(f[1]), "PEER=%s", s->peer);
	/* Only a logged-in name: a failed one may be a mistyped password. */
	snprintf(f[2], sizeof(f[2]), "USER=%s",
	    s->state == P_TRANS ? s->user : "-");
	snprintf(f[3], sizeof(f[3]), "MESSAGES=%lu", s->sent);
	snprintf(f[4], sizeof(f[4]), "BYTES=%lld", s->bytes);
	snprintf(f[5], sizeof(f[5]), "DELETED=%zu", s->deleted);
	snprintf(f[6], sizeof(f[6]), "TLS=%s",
	    s->io.tls != NULL ? tls_version(s->io.tls) : "none");
	snprintf(f[7], sizeof(f[7]), "RESULT=%s", result);
	for (i = 0; i < 8; i++)
		fields[i] = f[i];
	log_fields(LOG_INFO, "session end", fields, 8);
	exit(status);
}

/* A message number: decimal digits only, naming a message of the
 * snapshot that is not deleted.  Sets *i to its 0-based index. */
static enum reply
msgno(struct session *s, const char *arg, size_t *i)
{
	unsigned long long v = 0;
	const char *p;

	if (*arg == '\0')
		return PR_BAD_NUMBER;
	for (p = arg; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return PR_BAD_NUMBER;
		if (v > POP3_MESSAGES_MAX)	/* already out of range */
			continue;
		v = v * 10 + (unsigned long long)(*p - '0');
	}
	if (v == 0 || v > ms_count(s->mb))
		return PR_NO_MESSAGE;
	*i = (size_t)(v - 1);
	return ms_marked(s->mb, *i) ? PR_DELETED : PR_NONE;
}

/* --- AUTHORIZATION ------------------------------------------------- */

static enum reply
cmd_user(struct session *s, char **argv)
{
	if (!sasl_allowed(&s->io, s->local, &s->cfg))
		return PR_NEED_TLS;
	/* The same reply for every name: it must not reveal users. */
	if (strlen(argv[0]) >= sizeof(s->user))
		return PR_BAD_ARGS;
	snprintf(s->user, sizeof(s->user), "%s", argv[0]);
	s->have_user = 1;
	return PR_USER;
}

/* The beat of a session that holds its maildrop (io_beat). */
static void
keep(void *mb)
{
	ms_mailbox_keep(mb);
}

/* Open the user's maildrop after a good password. */
static enum reply
enter(struct session *s, const char *box)
{
	enum ms_result r;
	size_t n;
	off_t octets;

	r = ms_mailbox_open(&s->mb, s->cfg.store, box);
	if (r == MS_LOCKED)
		return PR_IN_USE;
	if (r != MS_OK)
		return PR_SYS_TEMP;
	snprintf(s->user, sizeof(s->user), "%s", box);
	s->state = P_TRANS;
	/* A client silent for its whole timeout still holds the maildrop:
	 * the lock is kept fresh on a timer too (tunables.h). */
	io_beat(&s->io, keep, s->mb);
	ms_stat(s->mb, &n, &octets);
	log_msg(LOG_INFO, "login session=%s user=%s messages=%zu", s->sid,
	    box, n);
	io_printf(&s->io, "+OK Maildrop has %zu messages (%lld octets)", n,
	    (long long)octets);
	return PR_NONE;
}

/* Check a login, by PASS or AUTH, given at start; name is NULL for a
 * PLAIN message that asked to act as someone else. */
static enum reply
login(struct session *s, const char *name, const char *logname,
    const char *password, const struct timespec *start)
{
	const struct user *u;
	enum auth_result r;

	r = sasl_check(&s->sasl, &s->io, s->line, sizeof(s->line), &s->users,
	    name, logname, password, start, s->sid, s->peer, &u);
	if (r == AUTH_TEMP)
		return PR_SYS_TEMP;
	if (r == AUTH_OK)
		return enter(s, u->address);
	if (++s->fails >= POP3_AUTH_FAILS_MAX)
		finish(s, PR_AUTH_TOO_MANY, EXIT_ABORTED,
		    "too-many-failed-logins");
	return PR_AUTH_FAIL;
}

static enum reply
cmd_pass(struct session *s, char **argv)
{
	struct timespec start;

	if (!sasl_allowed(&s->io, s->local, &s->cfg))
		return PR_NEED_TLS;
	if (!s->have_user)
		return PR_NEED_USER;
	s->have_user = 0;
	clock_gettime(CLOCK_MONOTONIC, &start);
	return login(s, s->user, s->user, argv[0], &start);
}

/* AUTH [PLAIN [initial-response]] (RFC 5034).  Without a mechanism, the
 * list of them, as many clients still ask (RFC 1734). */
static enum reply
cmd_auth(struct session *s, char **argv)
{
	static const enum reply failed[] = {
		[SASL_CANCEL] = PR_AUTH_CANCELLED, [SASL_DECODE] = PR_AUTH_DECODE,
		[SASL_LONG] = PR_LONG
	};
	char *mech = argv[0], *resp;
	const char *user, *password;
	struct timespec start;
	enum sasl_status st;
	int other;

	if (!sasl_allowed(&s->io, s->local, &s->cfg))
		return PR_NEED_TLS;
	if (*mech == '\0') {
		io_printf(&s->io, "+OK\r\nPLAIN\r\n.");
		return PR_NONE;
	}
	if ((resp = strchr(mech, ' ')) != NULL)
		*resp++ = '\0';
	if (strcasecmp(mech, "PLAIN") != 0)
		return PR_AUTH_MECH;
	st = sasl_exchange(&s->sasl, &s->io, SASL_PLAIN, "+ ", resp,
	    s->cfg.timeout, &user, &password, &other);
	if (st == SASL_TIMEOUT || st == SASL_EOF)
		finish(s, PR_NONE, EXIT_ABORTED, st == SASL_TIMEOUT ?
		    "timeout" : "disconnect");
	if (st != SASL_OK) {
		sasl_wipe(&s->sasl, &s->io, s->line, sizeof(s->line));
		return failed[st];
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	return login(s, other ? NULL : user, user, password, &start);
}

/* STLS (RFC 2595 section 4): TLS from here on, with no USER remembered
 * and nothing the client sent before it kept. */
static enum reply
cmd_stls(struct session *s, char **argv)
{
	(void)argv;
	if (!tls_loaded())
		return PR_NOT_SUPPORTED;
	if (s->io.tls != NULL)
		return PR_TLS_ACTIVE;
	io_printf(&s->io, "+OK Begin TLS negotiation");
	if (io_start_tls(&s->io, s->peer) < 0)
		finish(s, PR_NONE, EXIT_ABORTED, "tls-failed");
	s->have_user = 0;
	return PR_NONE;
}

static enum reply
cmd_utf8(struct session *s, char **argv)
{
	(void)s;
	(void)argv;
	return PR_UTF8;
}

static enum reply
cmd_capa(struct session *s, char **argv)
{
	(void)argv;
	io_printf(&s->io, "+OK Capability list follows");
	if (sasl_allowed(&s->io, s->local, &s->cfg) && s->state == P_AUTH)
		io_write(&s->io, capa_login, sizeof(capa_login) - 1);
	if (tls_loaded() && s->io.tls == NULL && s->state == P_AUTH)
		io_printf(&s->io, "STLS");
	io_write(&s->io, capabilities, sizeof(capabilities) - 1);
	return PR_NONE;
}

static enum reply
cmd_quit(struct session *s, char **argv)
{
	size_t i;

	(void)argv;
	s->quit = 1;
	if (s->state != P_TRANS)
		return PR_BYE;
	/* RFC 1939 section 6: the UPDATE state. */
	if (ms_update(s->mb) != MS_OK)
		return PR_UPDATE_FAILED;
	for (i = 0; i < ms_count(s->mb); i++)
		s->deleted += ms_marked(s->mb, i) ? 1 : 0;
	return PR_BYE;
}

/* --- TRANSACTION --------------------------------------------------- */

static enum reply
cmd_stat(struct session *s, char **argv)
{
	size_t n;
	off_t octets;

	(void)argv;
	ms_stat(s->mb, &n, &octets);
	io_printf(&s->io, "+OK %zu %lld", n, (long long)octets);
	return PR_NONE;
}

/* LIST and UIDL: one message, or every message not deleted. */
static enum reply
listing(struct session *s, char **argv, int uidl)
{
	enum reply r;
	size_t i, n;
	off_t octets;

	if (argv[0] != NULL) {
		if ((r = msgno(s, argv[0], &i)) != PR_NONE)
			return r;
		if (uidl)
			io_printf(&s->io, "+OK %zu %s", i + 1,
			    ms_uid(s->mb, i));
		else
			io_printf(&s->io, "+OK %zu %lld", i + 1,
			    (long long)ms_size(s->mb, i));
		return PR_NONE;
	}
	ms_stat(s->mb, &n, &octets);
	io_printf(&s->io, "+OK %zu messages (%lld octets)", n,
	    (long long)octets);
	for (i = 0; i < ms_count(s->mb); i++) {
		if (ms_marked(s->mb, i))
			continue;
		/* A slow client may take long to read a long listing. */
		ms_mailbox_keep(s->mb);
		if (uidl)
			io_printf(&s->io, "%zu %s", i + 1, ms_uid(s->mb, i));
		else
			io_printf(&s->io, "%zu %lld", i + 1,
			    (long long)ms_size(s->mb, i));
	}
	io_write(&s->io, ".\r\n", 3);
	return PR_NONE;
}

static enum reply
cmd_list(struct session *s, char **argv)
{
	return listing(s, argv, 0);
}

static enum reply
cmd_uidl(struct session *s, char **argv)
{
	return listing(s, argv, 1);
}

/* Where a message being sent is. */
struct sending {
	int	bol;		/* at the beginning of a line */
	int	header;		/* still in the header */
	long long left;		/* body lines still to send; -1: all */
	size_t	linelen;	/* octets of the current line so far */
	long long octets;	/* octets of the message sent */
};

/* Send buf[0..n) of wire text dot-stuffed (RFC 1939 section 3), stopping
 * after the last body line TOP asked for.  Returns 1 when done early. */
static int
stuff(struct session *s, struct sending *x, const char *buf, size_t n)
{
	const char *p = buf, *end = buf + n, *nl;
	size_t len;

	while (p < end) {
		if (x->bol && *p == '.')
			io_write(&s->io, ".", 1);
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		io_write(&s->io, p, len);
		x->octets += (long long)len;
		p += len;
		x->linelen += len;
		x->bol = nl != NULL;
		if (nl == NULL)
			break;
		if (x->header && x->linelen == 2)
			x->header = 0;		/* the empty line */
		else if (!x->header && x->left > 0)
			x->left--;
		x->linelen = 0;
		if (!x->header && x->left == 0)
			return 1;
	}
	return 0;
}

/* RETR and TOP: send message i, with at most lines body lines (-1:
 * all). */
static enum reply
send_message(struct session *s, size_t i, long long lines)
{
	struct sending x = { 1, 1, lines, 0, 0 };
	struct ms_reader *r;
	ssize_t n;

	if (ms_read_open(s->mb, i, &r) != MS_OK)
		return PR_SYS_TEMP;
	io_printf(&s->io, "+OK %lld octets", (long long)ms_size(s->mb, i));
	while ((n = ms_read(r, s->out, sizeof(s->out))) > 0)
		if (stuff(s, &x, s->out, (size_t)n))
			break;
	ms_read_close(r);
	s->sent++;
	s->bytes += x.octets;
	if (n < 0) {
		/* The +OK is out; all that is left is to drop the client
		 * rather than send a truncated message as whole. */
		log_msg(LOG_ERR, "read error in message %zu", i + 1);
		finish(s, PR_NONE, EXIT_TEMP, "read-error");
	}
	io_write(&s->io, ".\r\n", 3);
	return PR_NONE;
}

static enum reply
cmd_retr(struct session *s, char **argv)
{
	enum reply r;
	size_t i;

	if ((r = msgno(s, argv[0], &i)) != PR_NONE)
		return r;
	return send_message(s, i, -1);
}

static enum reply
cmd_top(struct session *s, char **argv)
{
	long long lines = 0;
	enum reply r;
	const char *p;
	size_t i;

	if ((r = msgno(s, argv[0], &i)) != PR_NONE)
		return r;
	if (argv[1][0] == '\0')
		return PR_BAD_ARGS;
	for (p = argv[1]; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return PR_BAD_ARGS;
		if (lines < 1000000000000LL)	/* more than any message */
			lines = lines * 10 + (*p - '0');
	}
	return send_message(s, i, lines);
}

static enum reply
cmd_dele(struct session *s, char **argv)
{
	enum reply r;
	size_t i;

	if ((r = msgno(s, argv[0], &i)) != PR_NONE)
		return r;
	ms_mark(s->mb, i);
	io_printf(&s->io, "+OK Message %zu deleted", i + 1);
	return PR_NONE;
}

static enum reply
cmd_rset(struct session *s, char **argv)
{
	(void)argv;
	ms_unmark_all(s->mb);
	return PR_RSET_DONE;
}

static enum reply
cmd_noop(struct session *s, char **argv)
{
	(void)s;
	(void)argv;
	return PR_OK;
}

static enum reply
cmd_not_supported(struct session *s, char **argv)
{
	(void)s;
	(void)argv;
	return PR_NOT_SUPPORTED;
}

static enum reply
cmd_unknown(struct session *s, char **argv)
{
	(void)s;
	(void)argv;
	return PR_UNKNOWN;
}

/* Arguments: a count from min to max, or REST for PASS, whose one
 * argument is the rest of the line, spaces included (RFC 1939 section 7
 * allows this), and for AUTH, which parses its own. */
#define REST	(-1)
#define ARGS_MAX 2

/* The command table; the dispatcher checks state and argument count,
 * and the last row takes every unknown verb. */
static const struct command {
	const char *verb;
	int	states;
	int	min, max;
	enum reply (*fn)(struct session *, char **);
} commands[] = {
	{ "USER", P_AUTH, 1, 1, cmd_user },
	{ "PASS", P_AUTH, REST, REST, cmd_pass },
	{ "UTF8", P_AUTH, 0, 0, cmd_utf8 },
	{ "CAPA", P_AUTH | P_TRANS, 0, 0, cmd_capa },
	{ "QUIT", P_AUTH | P_TRANS, 0, 0, cmd_quit },
	{ "STAT", P_TRANS, 0, 0, cmd_stat },
	{ "LIST", P_TRANS, 0, 1, cmd_list },
	{ "UIDL", P_TRANS, 0, 1, cmd_uidl },
	{ "RETR", P_TRANS, 1, 1, cmd_retr },
	{ "TOP", P_TRANS, 2, 2, cmd_top },
	{ "DELE", P_TRANS, 1, 1, cmd_dele },
	{ "RSET", P_TRANS, 0, 0, cmd_rset },
	{ "NOOP", P_TRANS, 0, 0, cmd_noop },
	{ "APOP", P_AUTH | P_TRANS, 0, 99, cmd_not_supported },
	{ "AUTH", P_AUTH, REST, REST, cmd_auth },
	{ "STLS", P_AUTH, 0, 0, cmd_stls },
	{ NULL, P_AUTH | P_TRANS, 0, 99, cmd_unknown }
};

/* Split the arguments after the verb at single spaces into argv. */
static int
split_args(char *args, char **argv)
{
	int n = 0;
	char *p;

	while ((p = strsep(&args, " ")) != NULL) {
		if (*p == '\0' || n == ARGS_MAX)
			return -1;
		argv[n++] = p;
	}
	return n;
}

static void
dispatch(struct session *s, char *line)
{
	const struct command *c;
	char *argv[ARGS_MAX + 1] = { NULL, NULL, NULL }, *args;
	size_t vlen = strcspn(line, " ");
	int n;

	args = line[vlen] == ' ' ? line + vlen + 1 : NULL;
	for (c = commands; c->verb != NULL; c++)
		if (strlen(c->verb) == vlen &&
		    strncasecmp(c->verb, line, vlen) == 0)
			break;
	if (c->verb != NULL && !(c->states & s->state)) {
		reply(s, PR_STATE);
		return;
	}
	if (c->min == REST) {
		argv[0] = args != NULL ? args : "";
		reply(s, c->fn(s, argv));
		return;
	}
	n = args != NULL ? split_args(args, argv) : 0;
	if (n < c->min || n > c->max)
		reply(s, c->verb == NULL ? PR_UNKNOWN : PR_BAD_ARGS);
	else
		reply(s, c->fn(s, argv));
}

static void __attribute__((noreturn))
serve(struct session *s)
{
	enum io_status st;
	size_t len;
	int flags;

	io_printf(&s->io, "+OK %s POP3 ready", s->cfg.host);
	for (;;) {
		st = io_getline(&s->io, s->line, POP3_CMD_MAX - 2, &len,
		    &flags, s->cfg.timeout);
		/* RFC 1939 section 3: on the autologout timer, close
		 * without UPDATE and without a reply. */
		if (st != IO_LINE)
			finish(s, PR_NONE, EXIT_ABORTED, st == IO_TIMEOUT ?
			    "timeout" : "disconnect");
		if (s->sniff && proxy_sniff(&s->sniff, s->line, len,
		    (flags & LINE_NUL) != 0)) {
			log_msg(LOG_WARNING, "proxy header from untrusted %s "
			    "refused session=%s", s->peer, s->sid);
			finish(s, PR_PROXY, EXIT_ABORTED, "proxy-untrusted");
		}
		ms_mailbox_refresh(s->mb);
		if (flags & LINE_TOOLONG)
			reply(s, PR_LONG);
		else if (flags & (LINE_BARE_LF | LINE_BARE_CR))
			reply(s, PR_BARE);
		else if (flags & LINE_NUL)
			reply(s, PR_NUL);
		else
			dispatch(s, s->line);
		explicit_bzero(s->line, sizeof(s->line));
		if (s->quit)
			finish(s, PR_NONE, EXIT_NORMAL, "quit");
		if (s->io.failed)
			finish(s, PR_NONE, EXIT_ABORTED, "write-failed");
		if (s->errors >= POP3_ERRORS_MAX)
			finish(s, PR_ERRORS, EXIT_ABORTED, "too-many-errors");
	}
}

int
main(int argc, char **argv)
{
	static struct session s;

	session_start(&s.cfg, PROTO_POP3, argc, argv, &s.io, &s.users,
	    &s.aliases);
	if (s.cfg.check)
		exit(EXIT_NORMAL);
	s.state = P_AUTH;
	log_session_id(s.sid, sizeof(s.sid));
	s.local = peer_identify(&s.cfg, s.sid, s.peer, s.proxy,
	    sizeof(s.peer));
	/* Under implicit TLS nothing goes in clear. */
	if (s.local < 0)
		finish(&s, s.cfg.tls ? PR_NONE : PR_PROXY, EXIT_ABORTED,
		    "proxy-refused");
	s.sniff = s.cfg.proxy && s.proxy[0] == '\0';
	/* Implicit TLS (RFC 8314): the handshake before the greeting. */
	if (s.cfg.tls && io_start_tls(&s.io, s.peer) < 0)
		finish(&s, PR_NONE, EXIT_ABORTED, "tls-failed");
	serve(&s);
}
