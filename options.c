/*
 * options.c: the command line of the handlers and their --help (options.h).
 * Every option is also described in the handler's man page.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "log.h"
#include "options.h"
#include "tunables.h"

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
"  -a, --aliases FILE       aliases file (default: aliases beside the\n"
"                           users file)\n"
"      --recipient-delimiter CHARS\n"
"                           user+tag@domain reaches user@domain at any\n"
"                           of CHARS (default +; empty: off)\n"
"  -q, --quota SIZE         limit of a mailbox without one of its own,\n"
"                           octets or K, M, G (default none)\n"
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
"  -a, --aliases FILE       aliases file, checked by --check (default:\n"
"                           aliases beside the users file)\n"
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
	{ "aliases", required_argument, NULL, 'a' },
	{ "recipient-delimiter", required_argument, NULL, 'D' },
	{ "quota", required_argument, NULL, 'q' },
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

long long
options_size(const char *s, const char *opt)
{
	static const char units[] = "KMG";
	const char *u;
	long long v;
	char *end;
	int shift;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || errno != 0 || v < 0)
		usage_error("%s needs a size in octets, such as 104857600, "
		    "100M or 1G: %s", opt, s);
	if (*end != '\0') {
		if (end[1] != '\0' || (u = strchr(units, *end)) == NULL)
			usage_error("%s needs a size in octets, such as "
			    "104857600, 100M or 1G: %s", opt, s);
		shift = 10 * (int)(u - units + 1);
		if (v > (1LL << 50) >> shift)
			usage_error("%s is too large: %s", opt, s);
		v <<= shift;
	}
	if (v > 1LL << 50)
		usage_error("%s is too large: %s", opt, s);
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
	c->delims = RCPT_DELIMITER_DEFAULT;
	c->store = "mail.store";
	c->max_size = SMTP_SIZE_DEFAULT;
	c->max_rcpt = SMTP_RCPT_MAX;
	c->timeout = SMTP_CMD_TIMEOUT;
	c->data_timeout = SMTP_DATA_TIMEOUT;
	if (uname(&u) == 0)
		snprintf(c->hostbuf, sizeof(c->hostbuf), "%s", u.nodename);
	c->host = host_ok(c->hostbuf) ? c->hostbuf : "localhost";
}

/* The aliases file beside the users file: "aliases" in its directory,
 * as the assignment's layout gets one by making it beside users.txt. */
static void
default_aliases(struct config *c)
{
	const char *slash = strrchr(c->users_path, '/');
	size_t dir = slash != NULL ? (size_t)(slash - c->users_path) + 1 : 0;

	if (dir + sizeof("aliases") > sizeof(c->aliasbuf))
		usage_error("users file path too long: %s", c->users_path);
	memcpy(c->aliasbuf, c->users_path, dir);
	memcpy(c->aliasbuf + dir, "aliases", sizeof("aliases"));
	c->aliases_path = c->aliasbuf;
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
options_parse(struct config *c, enum proto proto, int argc, char **argv)
{
	const char *opts = proto == PROTO_SMTP ?
	    "+u:d:n:p:s:r:t:c:k:TPSU:x:a:q:h" : "+u:d:n:t:c:k:TPU:x:a:h";
	int ch;

	defaults(c);
	if (proto == PROTO_POP3)
		c->timeout = c->data_timeout = POP3_TIMEOUT;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, opts, longopts, NULL)) != -1) {
		/* The long SMTP options get past the POP3 short list. */
		if (proto == PROTO_POP3 && (ch == 'p' || ch == 's' || ch == 'r' ||
		    ch == 'S' || ch == 'q' || ch == 'D'))
			usage_error("%s is an option of smtp-handler only",
			    argv[optind - 1]);
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
		case 'a': c->aliases_path = optarg; break;
		case 'D':
			if (strpbrk(optarg, "@\"\\ \t") != NULL ||
			    strlen(optarg) > 16)
				usage_error("--recipient-delimiter needs up to "
				    "16 characters of a local part");
			c->delims = optarg;
			break;
		case 'q': c->quota = options_size(optarg, "-q"); break;
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
	if (c->aliases_path == NULL)
		default_aliases(c);
	if ((c->cert == NULL) != (c->key == NULL))
		usage_error("-c and -k go together");
	if (c->tls && c->cert == NULL)
		usage_error("-T needs -c and -k");
}
