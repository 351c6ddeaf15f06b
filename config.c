/*
 * config.c: command-line options of the handlers.  Every option is also
 * described in --help, the README and the man pages.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "config.h"
#include "handoff.h"
#include "limits.h"
#include "lineio.h"
#include "log.h"
#include "mailstore.h"
#include "tls.h"

#define HANDOFF_HELP \
"      --handoff            be the listener's spare: make the sessions, each\n" \
"                           taking its connection over fd 0 (listener(8))\n"

static const char smtp_help[] =
"usage: smtp-handler [OPTION]...\n"
"Serve one SMTP session on standard input and output.\n"
"\n"
"  -u, --users FILE         users file (default users.txt)\n"
"  -d, --store DIR          mail store (default mail.store)\n"
"  -n, --hostname NAME      name in the greeting and trace headers\n"
"                           (default the node name)\n"
"  -p, --postmaster ADDRESS user who receives mail for postmaster\n"
"                           (default the first user in the users file)\n"
"  -s, --max-size OCTETS    largest message accepted (default 67108864)\n"
"  -r, --max-recipients N   recipients per message (default 100)\n"
"  -t, --timeout SECONDS    idle timeout (default 300, 600 in DATA)\n"
"  -c, --cert FILE          TLS certificate chain (PEM); with -k, offers\n"
"                           STARTTLS\n"
"  -k, --key FILE           TLS private key (PEM) of the certificate\n"
"  -T, --tls                TLS from the first byte (implicit TLS, port\n"
"                           465); needs -c and -k\n"
"  -P, --plaintext-auth     offer AUTH without TLS to any client\n"
"                           (default: only to clients on this host)\n"
"  -S, --submission         the submission role (ports 587, 465): AUTH\n"
"                           before MAIL, and only the user's own sender\n"
"  -x, --proxy LIST         take a PROXY protocol header (v1 or v2) from\n"
"                           these addresses or prefixes (a,b/n,...)\n"
"  -U, --user NAME          started as root, become NAME before reading\n"
"                           any input (default " RUN_USER_DEFAULT ", or " RUN_USER_FALLBACK "\n"
"                           where there is no " RUN_USER_DEFAULT ")\n"
"      --require-user       started as root, refuse to run without -U\n"
HANDOFF_HELP
"      --check              check the configuration and exit\n"
"  -h, --help               show this help\n";

static const char pop3_help[] =
"usage: pop3-handler [OPTION]...\n"
"Serve one POP3 session on standard input and output.\n"
"\n"
"  -u, --users FILE         users file (default users.txt)\n"
"  -d, --store DIR          mail store (default mail.store)\n"
"  -n, --hostname NAME      name in the greeting (default the node name)\n"
"  -t, --timeout SECONDS    idle timeout (default 600)\n"
"  -c, --cert FILE          TLS certificate chain (PEM); with -k, offers\n"
"                           STLS\n"
"  -k, --key FILE           TLS private key (PEM) of the certificate\n"
"  -T, --tls                TLS from the first byte (implicit TLS, port\n"
"                           995); needs -c and -k\n"
"  -P, --plaintext-auth     offer USER, PASS and AUTH without TLS to any\n"
"                           client (default: only to clients on this host)\n"
"  -x, --proxy LIST         take a PROXY protocol header (v1 or v2) from\n"
"                           these addresses or prefixes (a,b/n,...)\n"
"  -U, --user NAME          started as root, become NAME before reading\n"
"                           any input (default " RUN_USER_DEFAULT ", or " RUN_USER_FALLBACK "\n"
"                           where there is no " RUN_USER_DEFAULT ")\n"
"      --require-user       started as root, refuse to run without -U\n"
HANDOFF_HELP
"      --check              check the configuration and exit\n"
"  -h, --help               show this help\n";

static const struct option longopts[] = {
	{ "users", required_argument, NULL, 'u' },
	{ "store", required_argument, NULL, 'd' },
	{ "hostname", required_argument, NULL, 'n' },
	{ "postmaster", required_argument, NULL, 'p' },
	{ "max-size", required_argument, NULL, 's' },
	{ "max-recipients", required_argument, NULL, 'r' },
	{ "timeout", required_argument, NULL, 't' },
	{ "cert", required_argument, NULL, 'c' },
	{ "key", required_argument, NULL, 'k' },
	{ "tls", no_argument, NULL, 'T' },
	{ "plaintext-auth", no_argument, NULL, 'P' },
	{ "submission", no_argument, NULL, 'S' },
	{ "check", no_argument, NULL, 'C' },
	{ "handoff", no_argument, NULL, 'H' },
	{ "user", required_argument, NULL, 'U' },
	{ "require-user", no_argument, NULL, 'R' },
	{ "proxy", required_argument, NULL, 'x' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* A decimal number in [min, max], or a usage error naming opt. */
static long long
number(const char *s, long long min, long long max, const char *opt)
{
	long long v;
	char *end;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 ||
	    v < min || v > max)
		usage_error("%s needs a number from %lld to %lld", opt, min,
		    max);
	return v;
}

/* A host name for the greeting: printable, no spaces. */
static int
host_ok(const char *h)
{
	size_t n = strlen(h), i;

	if (n == 0 || n > 255)
		return 0;
	for (i = 0; i < n; i++)
		if (h[i] <= ' ' || h[i] >= 0x7f)
			return 0;
	return 1;
}

static void
defaults(struct config *c)
{
	struct utsname u;

	memset(c, 0, sizeof(*c));
	c->users_path = "users.txt";
	c->store = "mail.store";
	c->max_size = SMTP_SIZE_DEFAULT;
	c->max_rcpt = SMTP_RCPT_MAX;
	c->timeout = SMTP_CMD_TIMEOUT;
	c->data_timeout = SMTP_DATA_TIMEOUT;
	if (uname(&u) == 0)
		snprintf(c->hostbuf, sizeof(c->hostbuf), "%s", u.nodename);
	c->host = host_ok(c->hostbuf) ? c->hostbuf : "localhost";
}

/* -x LIST: add LIST to the trusted PROXY sources; -x may be repeated. */
static void
proxies(struct config *c, const char *list)
{
	struct proxy_list l;

	if (proxy_list_parse(&l, list) < 0 ||
	    l.n > PROXY_TRUST_MAX - c->proxies.n)
		usage_error("-x needs up to %d addresses or prefixes "
		    "such as 10.0.0.5,192.168.0.0/16,2001:db8::/32, with no "
		    "bits set past a prefix: %s", PROXY_TRUST_MAX, list);
	memcpy(c->proxies.nets + c->proxies.n, l.nets,
	    l.n * sizeof(l.nets[0]));
	c->proxies.n += l.n;
	c->proxy = 1;
}

void
config_parse(struct config *c, enum proto proto, int argc, char **argv)
{
	const char *opts = proto == PROTO_SMTP ? "+u:d:n:p:s:r:t:c:k:TPSU:x:h" :
	    "+u:d:n:t:c:k:TPU:x:h";
	int ch;

	defaults(c);
	if (proto == PROTO_POP3)
		c->timeout = c->data_timeout = POP3_TIMEOUT;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, opts, longopts, NULL)) != -1) {
		/* The long SMTP options get past the POP3 short list. */
		if (proto == PROTO_POP3 && (ch == 'p' || ch == 's' || ch == 'r' ||
		    ch == 'S'))
			usage_error("-%c is an option of smtp-handler only", ch);
		switch (ch) {
		case 'u': c->users_path = optarg; break;
		case 'd': c->store = optarg; break;
		case 'n':
			if (!host_ok(optarg))
				usage_error("bad host name");
			c->host = optarg;
			break;
		case 'p': c->postmaster = optarg; break;
		case 's':
			c->max_size = number(optarg, 1, 1LL << 40, "-s");
			break;
		case 'r':
			c->max_rcpt = (long)number(optarg, 1, 10000, "-r");
			break;
		case 't':
			c->timeout = (int)number(optarg, 1, 86400, "-t");
			c->data_timeout = c->timeout;
			break;
		case 'c': c->cert = optarg; break;
		case 'k': c->key = optarg; break;
		case 'T': c->tls = 1; break;
		case 'P': c->plaintext_auth = 1; break;
		case 'S': c->submission = 1; break;
		case 'C': c->check = 1; break;
		case 'H': c->handoff = 1; break;
		case 'U': c->user = optarg; break;
		case 'R': c->require_user = 1; break;
		case 'x': proxies(c, optarg); break;
		case 'h':
			fputs(proto == PROTO_SMTP ? smtp_help : pop3_help,
			    stdout);
			exit(EXIT_NORMAL);
		default:
			usage_error("unknown option or missing value: %s",
			    argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument: %s", argv[optind]);
	if ((c->cert == NULL) != (c->key == NULL))
		usage_error("-c and -k go together");
	if (c->tls && c->cert == NULL)
		usage_error("-T needs -c and -k");
}

/* The user a handler started as root runs its session as: -U, else
 * RUN_USER_DEFAULT, else RUN_USER_FALLBACK.  *why says how one was
 * chosen when -U did not name it, for --check, and is NULL otherwise. */
static const struct passwd *
session_user(const struct config *c, const char **why)
{
	const struct passwd *pw;

	if (c->user != NULL) {
		if ((pw = getpwnam(c->user)) == NULL)
			usage_error("no such user: %s", c->user);
		*why = NULL;
		return pw;
	}
	if (c->require_user)
		usage_error("refusing to run as root without -U "
		    "(--require-user): give -U USER");
	if ((pw = getpwnam(RUN_USER_DEFAULT)) != NULL) {
		*why = "started as root without -U";
		return pw;
	}
	*why = "started as root without -U, and there is no user "
	    RUN_USER_DEFAULT;
	if ((pw = getpwnam(RUN_USER_FALLBACK)) == NULL)
		usage_error("started as root without -U, and there is "
		    "neither a user " RUN_USER_DEFAULT " nor "
		    RUN_USER_FALLBACK ": give -U USER");
	return pw;
}

/* Tell the client, in its protocol, that the service is unavailable,
 * before the program exits; under implicit TLS nothing may go in clear,
 * and --check has no client. */
static void
unavailable(const struct config *c, enum proto proto, struct io *io)
{
	if (c->check || c->tls)
		return;
	if (proto == PROTO_SMTP)
		io_printf(io, "421 4.3.0 %s Service not available", c->host);
	else
		io_printf(io, "-ERR [SYS/TEMP] Service not available");
	io_flush(io);
}

/* Started as root, become the session's user for good, before any input
 * is read: a flaw in a session must not be a root flaw.  The store is
 * opened first, and made for that user if it does not exist, so that the
 * user needs no way to it of its own.  Without root, -U may only name the
 * user we are.  --check names the user when the command line does not. */
static void
become(const struct config *c, enum proto proto, struct io *io)
{
	const struct passwd *pw;
	const char *why;
	char name[256];
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0) {
		if (c->user != NULL && ((pw = getpwnam(c->user)) == NULL ||
		    pw->pw_uid != geteuid()))
			usage_error(pw == NULL ? "no such user: %s" :
			    "-U %s needs root", c->user);
		return;
	}
	pw = session_user(c, &why);
	if (pw->pw_uid == 0)
		usage_error("sessions may not run as root: -U must name "
		    "another user");
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	snprintf(name, sizeof(name), "%s", pw->pw_name);
	if (ms_store_pin(c->store, uid, gid, !c->check) != MS_OK &&
	    (errno != ENOENT || !c->check)) {
		int err = errno;

		unavailable(c, proto, io);
		die(EXIT_TEMP, "unable to open store %s: %s", c->store,
		    strerror(err));
	}
	if (setgroups(1, &gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
		die(EXIT_TEMP, "unable to become %s: %s", name,
		    strerror(errno));
	/* The change must be for good. */
	if (setuid(0) == 0)
		die(EXIT_TEMP, "still able to become root after becoming %s",
		    name);
	if (!c->check)
		return;
	/* Once, on the operator's terminal when a listener runs this at
	 * its start: which user it chose, since no option said so. */
	if (why != NULL)
		log_note("sessions run as %s: %s", name, why);
	if (ms_store_usable() < 0 && errno != ENOENT)
		log_note("warning: %s may not write in the store %s (%s): "
		    "mail will be deferred until it may", name, c->store,
		    strerror(errno));
}

/* Work a forked SMTP session does before its client comes: the first
 * message's file (mailstore.c). */
static void
prepare(void *arg)
{
	ms_deliver_prepare(((struct config *)arg)->store);
}

void
config_setup(struct config *c, enum proto proto, int argc, char **argv,
    struct io *io, struct users *u)
{
	int err;

	/* Nothing inherited beyond fds 0 to 2 is ours to keep (a launcher's
	 * stray descriptor must not reach the session); before the log
	 * opens its socket. */
	if (close_range(3, ~0U, 0) < 0)
		closefrom(3);
	log_open(proto == PROTO_SMTP ? "smtp-handler" : "pop3-handler");
	/* A client that goes away must not kill the handler mid-write, and
	 * a file size limit must be an error to handle, not a signal. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR ||
	    signal(SIGXFSZ, SIG_IGN) == SIG_ERR)
		die(EXIT_TEMP, "signal: %s", strerror(errno));
	umask(077);
	config_parse(c, proto, argc, argv);
	/* Only the options have been read: the users file, the certificate
	 * and -U all come after the handoff, in the session.
	 * A file made before the handoff belongs to whoever we are then, so
	 * it is made only when -U will not change that. */
	if (c->handoff)
		handoff_take(proto == PROTO_SMTP && geteuid() != 0 ?
		    prepare : NULL, c);
	/* The key and the users file are often readable by root only:
	 * both are read before root is given up. */
	if (c->cert != NULL)
		tls_load(c->cert, c->key);
	io_init(io, 0, 1, c->timeout);
	if (users_load(u, c->users_path) == 0) {
		become(c, proto, io);
		/* A file only root may read keeps the reading made as root
		 * for the session; one the session's user may read is read
		 * again when it changes, as always. */
		if (access(c->users_path, R_OK) < 0)
			u->once = 1;
		return;
	}
	err = errno;
	/* The client is told before the operator is. */
	unavailable(c, proto, io);
	/* A file that is missing or not ours to read is the operator's to
	 * fix; anything else (memory, I/O) may pass. */
	die(err == ENOENT || err == EACCES || err == ENOTDIR || err == EISDIR ||
	    err == ELOOP ? EXIT_USAGE : EXIT_TEMP,
	    "unable to read users file %s: %s", c->users_path, strerror(err));
}

int
config_client(const struct config *c, const char *sid, char *peer,
    char *proxy, size_t size)
{
	/* 127.0.0.0/8 and ::1 (an IPv4-mapped client is matched as IPv4). */
	static const struct proxy_list loopback = { 2, {
		{ AF_INET, { 127 }, 8 },
		{ AF_INET6, { [15] = 1 }, 128 }
	} };
	struct proxy_hdr h;
	int local;

	io_peer(peer, size);
	proxy[0] = '\0';
	if (!c->proxy || !proxy_trusted(&c->proxies, peer)) {
		log_msg(LOG_INFO, "connect peer=%s session=%s", peer, sid);
		return io_local();
	}
	snprintf(proxy, size, "%s", peer);
	/* A proxy sends its header at once, before any byte of its
	 * client's, so it gets PROXY_TIMEOUT; or -t, if that is shorter,
	 * since -t bounds every wait of the session. */
	if (proxy_read(0, c->timeout < PROXY_TIMEOUT ? c->timeout :
	    PROXY_TIMEOUT, &h) < 0) {
		log_msg(LOG_WARNING, "proxy header from %s refused: %s "
		    "session=%s", proxy, h.why, sid);
		return -1;
	}
	if (h.local)
		local = io_local();
	else {
		snprintf(peer, size, "%s", h.src);
		/* Passwords in clear only from this host (plain_ok): the
		 * client's address decides, not the proxy's. */
		local = proxy_trusted(&loopback, peer);
	}
	log_msg(LOG_INFO, "connect peer=%s proxy=%s session=%s", peer, proxy,
	    sid);
	return local;
}
