/*
 * listener.c: a small tcpserver.  It listens on TCP addresses and runs one
 * program per connection, with the connection on fds 0 and 1 and its
 * addresses in the environment (PROTO=TCP, TCPREMOTEIP, ...), as
 * ucspi-tcp's tcpserver does.  Built with LISTEN_PROTO_SMTP or
 * LISTEN_PROTO_POP3 it is mysmtpd or mypopd, which run the handler
 * installed beside them.
 *
 * The listener speaks no protocol and reads nothing from clients: it
 * accepts, counts sessions (in all and per source address) and spawns.
 * From a trusted proxy (-x) it peeks at the PROXY header, without taking
 * a byte of it, to count the session under the client's address; the
 * session reads the header itself.
 * With -s (always, as mysmtpd and mypopd) it keeps a spare: the program
 * started ahead with --handoff and a socket to us, which forks each
 * session ahead of its client, as our child, to take the connection over
 * that socket (handoff.h): a client waits for no exec, and a session
 * costs a fork rather than an exec and the C library's start-up.
 * With PORT "-" it takes its listening sockets from systemd (Accept=no)
 * and reports readiness and its sessions through sd_notify().  It logs
 * to the journal or syslog only; fd 2 is left to the programs for their
 * own fatal messages.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "limits.h"
#include "log.h"
#include "proxy.h"

#if defined(LISTEN_PROTO_SMTP)
#define PROGNAME	"mysmtpd"
#define HANDLER		"smtp-handler"
/* RFC 5321 3.8: a server that cannot serve replies 421 and closes;
 * RFC 3463 X.3.2: system not accepting network messages. */
#define REFUSE_TEXT	"421 4.3.2 Too many sessions, try again later"
#elif defined(LISTEN_PROTO_POP3)
#define PROGNAME	"mypopd"
#define HANDLER		"pop3-handler"
/* RFC 3206 section 4: SYS/TEMP, a temporary problem of the server. */
#define REFUSE_TEXT	"-ERR [SYS/TEMP] Too many sessions, try again later"
#else
#define PROGNAME	"listener"
#endif

#ifdef HANDLER
#define OPTSTRING	"+:b:c:C:x:h"
#define USAGE \
	"usage: " PROGNAME " [-b ADDR]... [-c MAX] [-C MAX] [-x LIST] PORT\n" \
	"       [HANDLER-OPTION...]\n" \
	"Run " HANDLER ", from the directory of " PROGNAME ", with the\n" \
	"HANDLER-OPTIONs for each connection to TCP PORT (\"-\": the\n" \
	"sockets systemd passes).\n"
#else
#define OPTSTRING	"+:b:c:C:m:sx:h"
#define USAGE \
	"usage: listener [-b ADDR]... [-c MAX] [-C MAX] [-m TEXT] [-s]" \
	" [-x LIST] PORT\n       PROGRAM [ARG...]\n" \
	"Run PROGRAM with ARGs for each connection to TCP PORT (\"-\": the\n" \
	"sockets systemd passes), with the connection on its standard\n" \
	"input and output.\n"
#endif

/* A running session, for the per-source count. */
struct session {
	pid_t	pid;
	char	ip[INET6_ADDRSTRLEN];
};

/* Who a connection is from. */
enum via {
	DIRECT,		/* the peer itself */
	PROXIED,	/* the client a trusted peer's PROXY header names */
	PROXY_LOCAL	/* a trusted peer's header without a client (LOCAL or
			 * UNKNOWN: its health checks): the peer itself */
};

/* An accepted connection: its peer, which the session's environment
 * describes, and the client it is counted under for -C. */
struct conn {
	int		 fd;
	char		 peer[INET6_ADDRSTRLEN];
	unsigned	 peer_port;
	char		 client[INET6_ADDRSTRLEN];
	unsigned	 client_port;
	enum via	 via;
	size_t		 hdrlen;	/* octets of the PROXY header */
	int		 lowat;		/* SO_RCVLOWAT was raised */
};

/* Room for describe(): two addresses, two ports and a few words. */
#define WHO_MAX		(2 * INET6_ADDRSTRLEN + 64)

/* A connection from a trusted proxy whose header has not all come. */
struct pending {
	struct conn	 c;
	long long	 deadline;	/* CLOCK_MONOTONIC, in ms */
};

/* What a look at a PROXY header found. */
enum peek {
	PEEK_DONE,	/* a whole header: the client is known */
	PEEK_MORE,	/* a correct start: wait for the rest */
	PEEK_BAD,	/* no header, or a bad one */
	PEEK_GONE	/* the proxy left, or the connection failed */
};

/* The variables that describe a connection, as tcpserver sets them.
 * Values inherited from our own environment must not pass for facts
 * about a connection: the session gets these, or none of them. */
static const char *const conn_vars[] = {
	"PROTO", "TCPREMOTEIP", "TCPREMOTEPORT", "TCPLOCALIP",
	"TCPLOCALPORT", "TCPREMOTEHOST", "TCPREMOTEINFO", "TCPLOCALHOST"
};
#define CONN_SET	5	/* the first five are set; no names are looked up */

struct listener {
	const char	*addrs[LISTEN_ADDRS_MAX];	/* -b, as given */
	size_t		 naddrs;
	int		 fds[LISTEN_ADDRS_MAX];		/* listening sockets */
	size_t		 nfds;
	unsigned long	 port;
	int		 systemd;	/* PORT "-": sockets from systemd */
	unsigned long	 max;		/* sessions allowed at once */
	unsigned long	 per_source;	/* -C: the same from one address */
	unsigned long	 sessions;	/* children running */
	unsigned long	 refused;	/* connections refused so far */
	struct session	*running;	/* max slots; pid 0 is a free one */
	char		*refuse;	/* refusal line with CRLF, or NULL */
	size_t		 refuselen;
	char		**argv;		/* program to run and its arguments */
	char		*proxy_args[PROXY_TRUST_MAX];	/* each -x, as given */
	size_t		 nproxy_args;
	struct proxy_list proxies;	/* -x: the trusted proxies */
	struct pending	*pending;	/* max slots, the first npending used */
	unsigned long	 npending;	/* counted with sessions against -c */
	struct pollfd	*pfd;		/* sockets, self-pipe, then pending */
	char		**env;		/* a session's environment */
	size_t		 nenv;		/* inherited entries in env */
	char		 conn_env[CONN_SET][16 + INET6_ADDRSTRLEN];
					/* env's entries for one connection */
	int		 spare;		/* -s: keep a spare */
	char		**spare_argv;	/* argv with --handoff */
	pid_t		 spare_pid;	/* the spare, or 0 */
	int		 spare_fd;	/* our end of its socket */
	unsigned long	 spare_uses;	/* sessions it has made */
};

/* The self-pipe: the signal handler writes a byte to wake[1], so that
 * poll() sees every signal, whenever it comes.  A handler reaches only
 * globals; these two are the only ones. */
static int wake[2] = { -1, -1 };
static volatile sig_atomic_t stopping;

static void __attribute__((noreturn))
fail(const char *what)
{
	die(EXIT_TEMP, "unable to %s: %s", what, strerror(errno));
}

/* Store the decimal number s in *out if it lies in min..max.  Digits only:
 * no sign, space or base prefix.  Return 0, or -1. */
static int
parse_number(const char *s, unsigned long min, unsigned long max,
    unsigned long *out)
{
	unsigned long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		/* max is far below ULONG_MAX / 10, so this cannot wrap. */
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return -1;
	}
	if (v < min)
		return -1;
	*out = v;
	return 0;
}

/* Fill *ss with the numeric address addr and port; return its length, or
 * 0 if addr is no IPv4 or IPv6 address.  No name is ever looked up: a
 * listener must not hang on DNS. */
static socklen_t
make_sockaddr(const char *addr, unsigned long port,
    struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct in_addr a4;
	struct in6_addr a6;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &a4) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_addr = a4;
		sin->sin_port = htons((uint16_t)port);
		return sizeof(*sin);
	}
	if (inet_pton(AF_INET6, addr, &a6) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = a6;
		sin6->sin6_port = htons((uint16_t)port);
		return sizeof(*sin6);
	}
	return 0;
}

/* Write the numeric address of ss into ip and its port into *port.  An
 * IPv4 client of the dual-stack socket arrives as ::ffff:a.b.c.d and is
 * written as the a.b.c.d it is. */
static void
addr_text(const struct sockaddr_storage *ss, char *ip, socklen_t iplen,
    unsigned *port)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	const void *src = &sin->sin_addr;
	int af = AF_INET;

	*port = ntohs(sin->sin_port);
	if (ss->ss_family == AF_INET6) {
		*port = ntohs(sin6->sin6_port);
		src = &sin6->sin6_addr;
		af = AF_INET6;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			src = &sin6->sin6_addr.s6_addr[12];
			af = AF_INET;
		}
	}
	if ((ss->ss_family != AF_INET && ss->ss_family != AF_INET6) ||
	    inet_ntop(af, src, ip, iplen) == NULL)
		snprintf(ip, iplen, "unknown");
}

#ifdef HANDLER
/* Run argv[0] with argv, wait for it and return its exit status. */
static int
run_wait(char **argv)
{
	pid_t pid;
	int status;

	/* So that the child's exit() cannot write our buffer a second time. */
	if (fflush(stdout) == EOF)
		fail("write to stdout");
	pid = fork();
	if (pid < 0)
		fail("fork");
	if (pid == 0) {
		execv(argv[0], argv);
		die(EXIT_TEMP, "unable to run %s: %s", argv[0],
		    strerror(errno));
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			fail("wait");
	}
	if (WIFSIGNALED(status))
		die(EXIT_TEMP, "%s killed by signal %d", argv[0],
		    WTERMSIG(status));
	return WEXITSTATUS(status);
}

/* Return the path of HANDLER in the directory of this executable: the two
 * are installed together, and PATH must not choose who gets the mail. */
static char *
handler_path(void)
{
	static char path[PATH_MAX];
	char *slash;
	ssize_t n;

	/* Room is left to put HANDLER in place of our own name. */
	n = readlink("/proc/self/exe", path, sizeof(path) - sizeof(HANDLER));
	if (n < 0)
		fail("read /proc/self/exe");
	if ((size_t)n == sizeof(path) - sizeof(HANDLER))
		die(EXIT_TEMP, "path of " PROGNAME " too long");
	path[n] = '\0';
	slash = strrchr(path, '/');
	if (slash == NULL)
		die(EXIT_TEMP, "path of " PROGNAME " not absolute: %s", path);
	memcpy(slash + 1, HANDLER, sizeof(HANDLER));
	return path;
}

/* Make l->argv "HANDLER OPTION...", after running "HANDLER --check
 * OPTION..." once: a bad option or a missing users file then stops the
 * daemon now, with the handler's own message on the operator's terminal,
 * and not later in every session. */
static void
handler_setup(struct listener *l, int argc, char **argv)
{
	static char check[] = "--check", x[] = "-x";
	char **args;
	size_t i = 0, j;
	int status;

	args = calloc((size_t)argc + 2 * l->nproxy_args + 3, sizeof(*args));
	if (args == NULL)
		fail("allocate memory");
	args[i++] = handler_path();
	args[i++] = check;
	/* Our -x lists go first, so that one option tells both of us which
	 * peers send a header: the handler reads it, we only peek. */
	for (j = 0; j < l->nproxy_args; j++) {
		args[i++] = x;
		args[i++] = l->proxy_args[j];
	}
	memcpy(args + i, argv, (size_t)argc * sizeof(*args));
	status = run_wait(args);
	if (status != EXIT_NORMAL)
		exit(status);
	/* The same array less "--check": path, options, NULL. */
	args[1] = args[0];
	l->argv = args + 1;
}
#endif

static void __attribute__((noreturn))
help(void)
{
#ifdef HANDLER
	static char opt[] = "--help";
	char *args[] = { NULL, opt, NULL };
#endif

	if (printf(USAGE "  -b ADDR     listen on the numeric IPv4 or IPv6"
	    " address ADDR (at most %d);\n"
	    "              default: every address, IPv6 and IPv4\n"
	    "  -c MAX      run at most MAX sessions at once (default %d)\n"
	    "  -C MAX      run at most MAX sessions at once for one client"
	    " address\n              (default: no limit but -c)\n"
#ifndef HANDLER
	    "  -m TEXT     send TEXT and CRLF to a connection refused because"
	    " of -c or\n              -C; without -m it is just closed\n"
	    "  -s          keep one PROGRAM started ahead with --handoff as"
	    " its first\n              argument, to make the sessions and"
	    " take connections over\n              fd 0 (smtp-handler and"
	    " pop3-handler do; see listener(8))\n"
#endif
	    "  -x LIST     trusted proxies (addresses or CIDR prefixes, comma-"
	    "separated):\n              a connection from one starts with a"
	    " PROXY header, and -C\n              counts its session under"
	    " the client the header names;\n"
#ifdef HANDLER
	    "              passed on to " HANDLER ", which reads the header\n"
#else
	    "              PROGRAM must read the header itself\n"
#endif
	    "  -h, --help  show this help\n", LISTEN_ADDRS_MAX,
	    LISTEN_SESSIONS_DEFAULT) < 0 || fflush(stdout) == EOF)
		fail("write to stdout");
#ifdef HANDLER
	if (printf("\nOptions of " HANDLER ":\n") < 0)
		fail("write to stdout");
	args[0] = handler_path();
	exit(run_wait(args));
#else
	exit(EXIT_NORMAL);
#endif
}

/* Keep the refusal line "text CRLF".  One line only: a CR or LF inside it
 * would make a second reply that the client never asked for. */
static void
set_refuse(struct listener *l, const char *text)
{
	size_t len = strlen(text);

	if (strpbrk(text, "\r\n") != NULL)
		usage_error("the -m text must be one line");
	free(l->refuse);
	l->refuse = malloc(len + 3);
	if (l->refuse == NULL)
		fail("allocate memory");
	memcpy(l->refuse, text, len);
	memcpy(l->refuse + len, "\r\n", 3);
	l->refuselen = len + 2;
}

/* -x LIST: add LIST to the trusted proxies, as the handlers do, and
 * keep it as given, for the handler. */
static void
add_proxies(struct listener *l, char *list)
{
	struct proxy_list more;

	if (proxy_list_parse(&more, list) < 0 ||
	    more.n > PROXY_TRUST_MAX - l->proxies.n)
		usage_error("bad -x list: %s (at most %d numeric addresses or "
		    "prefixes in all, such as 10.0.0.5,192.168.0.0/16)", list,
		    PROXY_TRUST_MAX);
	memcpy(l->proxies.nets + l->proxies.n, more.nets,
	    more.n * sizeof(more.nets[0]));
	l->proxies.n += more.n;
	/* Every list holds an entry, so PROXY_TRUST_MAX lists at most. */
	l->proxy_args[l->nproxy_args++] = list;
}

static void
parse_options(int argc, char **argv, struct listener *l)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sockaddr_storage ss;
	int c;

	opterr = 0;	/* our own messages, through usage_error() */
	while ((c = getopt_long(argc, argv, OPTSTRING, longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (l->naddrs == LISTEN_ADDRS_MAX)
				usage_error("at most %d -b addresses",
				    LISTEN_ADDRS_MAX);
			if (make_sockaddr(optarg, 0, &ss) == 0)
				usage_error("not a numeric IP address: %s",
				    optarg);
			l->addrs[l->naddrs++] = optarg;
			break;
		case 'c':
			if (parse_number(optarg, 1, LISTEN_SESSIONS_MAX,
			    &l->max) < 0)
				usage_error("bad session limit: %s", optarg);
			break;
		case 'C':
			if (parse_number(optarg, 1, LISTEN_SESSIONS_MAX,
			    &l->per_source) < 0)
				usage_error("bad per-source limit: %s",
				    optarg);
			break;
#ifndef HANDLER
		case 'm':
			set_refuse(l, optarg);
			break;
#endif
		case 's':
			l->spare = 1;
			break;
		case 'x':
			add_proxies(l, optarg);
			break;
		case 'h':
			help();
		case ':':
			usage_error("option -%c needs an argument", optopt);
		default:
			if (optopt != 0)
				usage_error("unknown option -%c", optopt);
			usage_error("unknown option %s", argv[optind - 1]);
		}
	}
}

static void
parse_args(int argc, char **argv, struct listener *l)
{
	parse_options(argc, argv, l);
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage_error("missing PORT");
	if (strcmp(argv[0], "-") == 0) {
		if (l->naddrs > 0)
			usage_error("-b and PORT \"-\" exclude each other");
		l->systemd = 1;
	} else if (parse_number(argv[0], 1, 65535, &l->port) < 0)
		usage_error("bad port: %s", argv[0]);
#ifdef HANDLER
	handler_setup(l, argc - 1, argv + 1);
#else
	if (argc < 2)
		usage_error("missing PROGRAM");
	/* A program that cannot run would fail every session; say so now. */
	if (access(argv[1], X_OK) < 0)
		die(EXIT_USAGE, "unable to run %s: %s", argv[1],
		    strerror(errno));
	l->argv = argv + 1;
#endif
}

/* With -s, make l->spare_argv: l->argv with --handoff after the
 * program's name. */
static void
spare_setup(struct listener *l)
{
	static char handoff_opt[] = "--handoff";
	size_t n;

	l->spare_fd = -1;
	if (!l->spare)
		return;
	for (n = 0; l->argv[n] != NULL; n++)
		;
	if ((l->spare_argv = calloc(n + 2, sizeof(*l->spare_argv))) == NULL)
		fail("allocate memory");
	l->spare_argv[0] = l->argv[0];
	l->spare_argv[1] = handoff_opt;
	memcpy(l->spare_argv + 2, l->argv + 1, n * sizeof(*l->argv));
}

/* Open, bind and listen on addr; return the socket, or -1 if the kernel
 * lacks the address family (errno EAFNOSUPPORT). */
static int
open_listen(const char *addr, unsigned long port, int v6only)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	len = make_sockaddr(addr, port, &ss);
	/* Non-blocking, so that a connection reset between poll() and
	 * accept() cannot stall the loop. */
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (fd < 0 && errno == EAFNOSUPPORT)
		return -1;
	if (fd < 0)
		fail("create a socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0))
		fail("set socket options");
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		die(EXIT_TEMP, "unable to bind %s port %lu: %s", addr, port,
		    strerror(errno));
	if (listen(fd, LISTEN_BACKLOG) < 0)
		fail("listen");
	log_msg(LOG_INFO, "listening on %s port %lu", addr, port);
	return fd;
}

/* Take the listening sockets systemd passed (socket activation with
 * Accept=no), checking that each is a listening stream socket. */
static void
inherit_all(struct listener *l)
{
	int n, i, fl;

	n = sd_listen_fds(1);
	if (n <= 0)
		die(EXIT_USAGE, "PORT \"-\" needs listening sockets from "
		    "systemd (LISTEN_FDS): %s", n < 0 ? strerror(-n) : "none");
	if (n > LISTEN_ADDRS_MAX)
		die(EXIT_USAGE, "at most %d sockets from systemd",
		    LISTEN_ADDRS_MAX);
	for (i = 0; i < n; i++) {
		l->fds[i] = SD_LISTEN_FDS_START + i;
		if (sd_is_socket(l->fds[i], AF_UNSPEC, SOCK_STREAM, 1) <= 0)
			die(EXIT_USAGE, "fd %d from systemd is not a listening "
			    "stream socket", l->fds[i]);
		/* As our own sockets: see open_listen(). */
		if ((fl = fcntl(l->fds[i], F_GETFL)) < 0 ||
		    fcntl(l->fds[i], F_SETFL, fl | O_NONBLOCK) < 0)
			fail("make a socket non-blocking");
		log_msg(LOG_INFO, "listening on fd %d from systemd",
		    l->fds[i]);
	}
	l->nfds = (size_t)n;
}

static void
open_all(struct listener *l)
{
	if (l->systemd) {
		inherit_all(l);
		return;
	}
	/* By default one dual-stack socket takes IPv6 and IPv4 alike; a
	 * kernel without IPv6 gets a plain IPv4 one. */
	if (l->naddrs == 0) {
		l->fds[0] = open_listen("::", l->port, 0);
		if (l->fds[0] < 0)
			l->fds[0] = open_listen("0.0.0.0", l->port, 0);
		if (l->fds[0] < 0)
			fail("create a socket");
		l->nfds = 1;
	}
	/* An explicit IPv6 address means that address only. */
	for (; l->nfds < l->naddrs; l->nfds++) {
		l->fds[l->nfds] = open_listen(l->addrs[l->nfds], l->port, 1);
		if (l->fds[l->nfds] < 0)
			die(EXIT_TEMP, "unable to listen on %s: %s",
			    l->addrs[l->nfds], strerror(errno));
	}
}

static void
on_signal(int sig)
{
	int saved = errno;
	ssize_t r;

	if (sig != SIGCHLD)
		stopping = 1;
	/* A full pipe already holds a wake-up: a failed write loses
	 * nothing. */
	r = write(wake[1], "", 1);
	(void)r;
	errno = saved;
}

static void
setup_signals(void)
{
	struct sigaction sa;
	sigset_t set;

	if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) < 0)
		fail("create a pipe");
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	if (sigaction(SIGCHLD, &sa, NULL) < 0 ||
	    sigaction(SIGTERM, &sa, NULL) < 0 ||
	    sigaction(SIGINT, &sa, NULL) < 0)
		fail("set signal handlers");
	/* A client that leaves while it is refused must not kill us. */
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	if (sigaction(SIGPIPE, &sa, NULL) < 0)
		fail("ignore SIGPIPE");
	/* A mask inherited from our parent must not hide these three. */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_UNBLOCK, &set, NULL) < 0)
		fail("unblock signals");
}


/* Whether the variable name[0..len) is one of conn_vars. */
static int
is_conn_var(const char *name, size_t len)
{
	size_t k;

	for (k = 0; k < sizeof(conn_vars) / sizeof(conn_vars[0]); k++)
		if (strlen(conn_vars[k]) == len &&
		    memcmp(conn_vars[k], name, len) == 0)
			return 1;
	return 0;
}

/* Make l->env: our environment without conn_vars, and CONN_SET free
 * slots for a session's before the final NULL. */
static void
env_setup(struct listener *l)
{
	extern char **environ;
	size_t i, j, n, len;

	for (n = 0; environ[n] != NULL; n++)
		;
	if ((l->env = calloc(n + CONN_SET + 1, sizeof(*l->env))) == NULL)
		fail("allocate memory");
	for (i = j = 0; i < n; i++) {
		for (len = 0; environ[i][len] != '\0' &&
		    environ[i][len] != '='; len++)
			;
		if (!is_conn_var(environ[i], len))
			l->env[j++] = environ[i];
	}
	l->nenv = j;
}

/* Fill l->conn_env, and the session's slots of l->env, for connection c.
 * Returns 0, or -1 (logged) when its local address is unknown. */
static int
env_conn(struct listener *l, const struct conn *c)
{
	char (*vars)[sizeof(l->conn_env[0])] = l->conn_env;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char lip[INET6_ADDRSTRLEN];
	unsigned lp;

	if (getsockname(c->fd, (struct sockaddr *)&ss, &len) < 0) {
		log_msg(LOG_ERR, "unable to get the local address of a "
		    "connection from %s: %s", c->peer, strerror(errno));
		return -1;
	}
	addr_text(&ss, lip, sizeof(lip), &lp);
	/* Of the connection itself: behind a proxy, of the proxy. */
	snprintf(vars[0], sizeof(vars[0]), "PROTO=TCP");
	snprintf(vars[1], sizeof(vars[1]), "TCPREMOTEIP=%s", c->peer);
	snprintf(vars[2], sizeof(vars[2]), "TCPREMOTEPORT=%u", c->peer_port);
	snprintf(vars[3], sizeof(vars[3]), "TCPLOCALIP=%s", lip);
	snprintf(vars[4], sizeof(vars[4]), "TCPLOCALPORT=%u", lp);
	for (lp = 0; lp < CONN_SET; lp++)
		l->env[l->nenv + lp] = vars[lp];
	l->env[l->nenv + CONN_SET] = NULL;
	return 0;
}

/* Run argv with env and fd on fds 0 and 1, every other descriptor above
 * 2 closed, every signal at its default and unblocked, as in a fresh
 * process (an ignored SIGPIPE would survive exec).  posix_spawn() rather
 * than fork(): the child shares our memory until it execs, so no page
 * tables are copied for each session, and a failed exec comes back as an
 * error here.  (The C library blocks signals around the clone and resets
 * our handlers in the child, so that it never runs one.)  Returns the
 * pid, or -1 with errno set. */
static pid_t
start(int fd, char **argv, char **env)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t sa;
	sigset_t all, none;
	pid_t pid;
	int err;

	sigfillset(&all);
	sigemptyset(&none);
	if ((err = posix_spawn_file_actions_init(&fa)) != 0) {
		errno = err;
		return -1;
	}
	if ((err = posix_spawnattr_init(&sa)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		errno = err;
		return -1;
	}
	if ((err = posix_spawn_file_actions_adddup2(&fa, fd, 0)) == 0 &&
	    (err = posix_spawn_file_actions_adddup2(&fa, fd, 1)) == 0 &&
	    (err = posix_spawn_file_actions_addclosefrom_np(&fa, 3)) == 0 &&
	    (err = posix_spawnattr_setsigdefault(&sa, &all)) == 0 &&
	    (err = posix_spawnattr_setsigmask(&sa, &none)) == 0 &&
	    (err = posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETSIGDEF |
	    POSIX_SPAWN_SETSIGMASK)) == 0)
		err = posix_spawn(&pid, argv[0], &fa, &sa, argv, env);
	posix_spawnattr_destroy(&sa);
	posix_spawn_file_actions_destroy(&fa);
	if (err != 0) {
		errno = err;
		return -1;
	}
	return pid;
}

/* Tell systemd, when it started us, how many sessions run. */
static void
notify_status(const struct listener *l)
{
	if (l->systemd || getenv("NOTIFY_SOCKET") != NULL)
		(void)sd_notifyf(0, "STATUS=%lu sessions active, %lu refused",
		    l->sessions, l->refused);
}

/* Sessions running now for the client address ip. */
static unsigned long
from_source(const struct listener *l, const char *ip)
{
	unsigned long i, n = 0;

	for (i = 0; i < l->max; i++)
		if (l->running[i].pid != 0 && strcmp(l->running[i].ip, ip) == 0)
			n++;
	return n;
}

/* Note a session started (pid, ip) or ended (pid, NULL).  Returns
 * whether pid is, or was, a session: a spare, a process a spare made
 * that never took a connection, or a child from before an exec() of
 * ours, is not. */
static int
track(struct listener *l, pid_t pid, const char *ip)
{
	unsigned long i;

	for (i = 0; i < l->max; i++) {
		if (ip != NULL && l->running[i].pid == 0) {
			l->running[i].pid = pid;
			snprintf(l->running[i].ip, sizeof(l->running[i].ip),
			    "%s", ip);
			return 1;
		}
		if (ip == NULL && l->running[i].pid == pid) {
			l->running[i].pid = 0;
			return 1;
		}
	}
	return 0;
}

/* Let the spare go: closing its socket ends it. */
static void
spare_close(struct listener *l)
{
	if (l->spare_pid != 0 && close(l->spare_fd) < 0)
		log_msg(LOG_ERR, "unable to close the socket of spare pid "
		    "%ld: %s", (long)l->spare_pid, strerror(errno));
	l->spare_pid = 0;
	l->spare_fd = -1;
}

/* With -s, start a spare if none waits: the program with --handoff and
 * a socket to us on fds 0 and 1, in the environment of a session less
 * the connection's variables, which come with the connection. */
static void
spare_start(struct listener *l)
{
	int sv[2];
	pid_t pid;

	if (!l->spare || l->spare_pid != 0)
		return;
	/* SEQPACKET: the connection and its variables come as one message,
	 * and our close is an end of file to the spare. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		log_msg(LOG_WARNING, "unable to make the socket of a spare "
		    "session: %s", strerror(errno));
		return;
	}
	l->env[l->nenv] = NULL;
	pid = start(sv[1], l->spare_argv, l->env);
	if (close(sv[1]) < 0)
		fail("close the spare's end of its socket");
	if (pid < 0) {
		log_msg(LOG_WARNING, "unable to start a spare %s: %s",
		    l->spare_argv[0], strerror(errno));
		if (close(sv[0]) < 0)
			fail("close the socket of a spare");
		return;
	}
	l->spare_pid = pid;
	l->spare_fd = sv[0];
	l->spare_uses = 0;
}

/* The spare's answer to a connection sent: the pid of the process that
 * took it, or -1 if none came in time. */
static pid_t
spare_answer(struct listener *l)
{
	struct pollfd p = { l->spare_fd, POLLIN, 0 };
	pid_t pid;
	int n;

	while ((n = poll(&p, 1, SPARE_ANSWER_MS)) < 0 && errno == EINTR)
		continue;
	if (n <= 0 || recv(l->spare_fd, &pid, sizeof(pid), MSG_DONTWAIT) !=
	    (ssize_t)sizeof(pid) || pid <= 0)
		return -1;
	return pid;
}

/* Hand connection c to the spare, with its variables (l->conn_env).
 * Returns the pid of c's session; HANDOFF_NONE when there is no spare or
 * it is gone, so that c needs a session started for it; HANDOFF_LOST
 * when the spare took c but no session answered: c is closed, since
 * nothing tells whether some process has it. */
enum { HANDOFF_NONE = -1, HANDOFF_LOST = -2 };

static pid_t
handoff(struct listener *l, const struct conn *c)
{
	char env[HANDOFF_ENV_MAX];
	union {
		struct cmsghdr	h;
		char		buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { env, 0 };
	struct msghdr m;
	struct cmsghdr *h;
	size_t k, len;
	pid_t pid = l->spare_pid;

	if (pid == 0)
		return HANDOFF_NONE;
	_Static_assert(HANDOFF_ENV_MAX >= sizeof(l->conn_env),
	    "HANDOFF_ENV_MAX holds every variable of a connection");
	for (k = 0; k < CONN_SET; k++) {
		len = strlen(l->conn_env[k]) + 1;
		memcpy(env + iov.iov_len, l->conn_env[k], len);
		iov.iov_len += len;
	}
	memset(&m, 0, sizeof(m));
	memset(&ctl, 0, sizeof(ctl));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl.buf;
	m.msg_controllen = sizeof(ctl.buf);
	h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &c->fd, sizeof(int));
	/* Every message sent before was answered, so the socket is empty
	 * and this does not block.  A spare that died leaves EPIPE or
	 * ECONNRESET. */
	if (sendmsg(l->spare_fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		log_msg(LOG_WARNING, "spare pid %ld gone before its "
		    "connection: %s", (long)pid, strerror(errno));
		spare_close(l);
		return HANDOFF_NONE;
	}
	/* Closing our end makes a session that answers late find nobody
	 * to answer, and drop the connection instead of serving it. */
	if ((pid = spare_answer(l)) < 0) {
		log_msg(LOG_WARNING, "spare pid %ld gave no session for its "
		    "connection", (long)l->spare_pid);
		if (kill(l->spare_pid, SIGKILL) < 0)
			log_msg(LOG_ERR, "unable to end spare pid %ld: %s",
			    (long)l->spare_pid, strerror(errno));
		spare_close(l);
		return HANDOFF_LOST;
	}
	/* A spare that took the connection itself (it could not fork)
	 * makes no more; one that has made SPARE_SESSIONS_MAX makes way for
	 * a new one, with an address layout of its own (handoff.c). */
	if (pid == l->spare_pid || ++l->spare_uses >= SPARE_SESSIONS_MAX)
		spare_close(l);
	return pid;
}

/* Write who c is from into buf, for the log: "ADDR port N", and the
 * proxy it came through. */
static const char *
describe(const struct conn *c, char *buf, size_t size)
{
	switch (c->via) {
	case PROXIED:
		snprintf(buf, size, "%s port %u via proxy %s port %u",
		    c->client, c->client_port, c->peer, c->peer_port);
		break;
	case PROXY_LOCAL:
		snprintf(buf, size, "proxy %s port %u (PROXY header without "
		    "a client)", c->peer, c->peer_port);
		break;
	default:
		snprintf(buf, size, "%s port %u", c->peer, c->peer_port);
		break;
	}
	return buf;
}

/* Close connection c, which is no session. */
static void
close_conn(struct conn *c)
{
	if (close(c->fd) < 0)
		log_msg(LOG_ERR, "unable to close: %s", strerror(errno));
	c->fd = -1;
}

/* Send the refusal, if any, without waiting for the client, and close.
 * A PROXY header we peeked at is taken first: closing a socket with
 * unread octets resets it, and the reset could overtake the refusal on
 * its way through the proxy. */
static void
refuse(struct listener *l, struct conn *c)
{
	unsigned char buf[PROXY_V2_MAX];
	char who[WHO_MAX];

	if (c->hdrlen > 0 && recv(c->fd, buf, c->hdrlen, MSG_DONTWAIT) < 0)
		log_msg(LOG_INFO, "unable to read the PROXY header of %s: %s",
		    describe(c, who, sizeof(who)), strerror(errno));
	if (l->refuse != NULL && send(c->fd, l->refuse, l->refuselen,
	    MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		log_msg(LOG_INFO, "unable to send refusal to %s: %s",
		    describe(c, who, sizeof(who)), strerror(errno));
	close_conn(c);
	l->refused++;
	if (l->proxies.n > 0)
		log_msg(LOG_INFO, "refused %s: %lu sessions running, %lu "
		    "waiting for a PROXY header, %lu from that address",
		    describe(c, who, sizeof(who)), l->sessions, l->npending,
		    from_source(l, c->client));
	else
		log_msg(LOG_INFO, "refused %s: %lu sessions running, %lu from "
		    "that address", describe(c, who, sizeof(who)),
		    l->sessions, from_source(l, c->client));
	notify_status(l);
}

/* Start the session of connection c.  Return -1 if it could not start
 * (no processes or memory), so that the caller rests before accepting
 * again. */
static int
spawn(struct listener *l, struct conn *c)
{
	static const int one = 1;
	char who[WHO_MAX];
	pid_t pid;

	/* Replies are whole lines written at once; Nagle's algorithm would
	 * only hold back the next one. */
	if (setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one)) < 0)
		log_msg(LOG_WARNING, "unable to set TCP_NODELAY: %s",
		    strerror(errno));
	if (env_conn(l, c) < 0) {
		refuse(l, c);
		return 0;
	}
	if ((pid = handoff(l, c)) == HANDOFF_LOST) {
		close_conn(c);
		return 0;
	}
	if (pid < 0 && (pid = start(c->fd, l->argv, l->env)) < 0) {
		log_msg(LOG_ERR, "unable to run %s: %s", l->argv[0],
		    strerror(errno));
		refuse(l, c);
		return -1;
	}
	close_conn(c);
	l->sessions++;
	track(l, pid, c->client);
	log_msg(LOG_INFO, "pid %ld: connection from %s", (long)pid,
	    describe(c, who, sizeof(who)));
	notify_status(l);
	/* The next connection's spare starts while this session runs. */
	spare_start(l);
	return 0;
}

/* Start c's session, or refuse it when it would go over -c or -C.
 * Return -1 when the caller should rest before accepting again. */
static int
admit(struct listener *l, struct conn *c)
{
	static const int one = 1;
	char who[WHO_MAX];

	if (l->sessions + l->npending >= l->max ||
	    (l->per_source > 0 && from_source(l, c->client) >=
	    l->per_source)) {
		refuse(l, c);
		return 0;
	}
	/* The session reads its socket as any other would. */
	if (c->lowat && setsockopt(c->fd, SOL_SOCKET, SO_RCVLOWAT, &one,
	    sizeof(one)) < 0) {
		log_msg(LOG_ERR, "unable to reset SO_RCVLOWAT for %s: %s",
		    describe(c, who, sizeof(who)), strerror(errno));
		close_conn(c);
		return 0;
	}
	return spawn(l, c);
}

/* Milliseconds on the monotonic clock. */
static long long
now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		fail("read the clock");
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Look at the PROXY header at the start of c's connection without
 * taking an octet of it: the session reads the header itself, and may
 * find the client's first octets right behind it.  hup says that poll()
 * saw the proxy stop sending.  On PEEK_DONE the client is filled in; on
 * PEEK_BAD and PEEK_GONE, *why says what went wrong. */
static enum peek
peek_header(struct conn *c, int hup, const char **why)
{
	unsigned char buf[PROXY_V2_MAX];
	struct sockaddr_storage ss;
	struct proxy_hdr h;
	unsigned port;
	ssize_t n;
	int r, want;

	n = recv(c->fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		*why = "closed";
		return hup ? PEEK_GONE : PEEK_MORE;
	}
	if (n < 0) {
		*why = strerror(errno);
		return PEEK_GONE;
	}
	if (n == 0) {
		*why = "closed";
		return PEEK_GONE;
	}
	memset(&h, 0, sizeof(h));
	r = proxy_parse(buf, (size_t)n, &h);
	if (r < 0) {
		*why = h.why != NULL ? h.why : "not a PROXY header";
		return PEEK_BAD;
	}
	if (r == 0 && (size_t)n == sizeof(buf)) {
		*why = "header too long";
		return PEEK_BAD;
	}
	if (r == 0 && hup) {
		*why = "closed";
		return PEEK_GONE;
	}
	if (r == 0) {
		/* Peeked octets stay unread, and poll() would call the
		 * socket ready again at once: raise the mark past them, so
		 * that it wakes us when more has come. */
		want = (int)n + 1;
		if (setsockopt(c->fd, SOL_SOCKET, SO_RCVLOWAT, &want,
		    sizeof(want)) < 0) {
			*why = strerror(errno);
			return PEEK_GONE;
		}
		c->lowat = 1;
		return PEEK_MORE;
	}
	c->hdrlen = (size_t)r;
	if (h.local) {
		c->via = PROXY_LOCAL;
		return PEEK_DONE;
	}
	/* Written again as addr_text() writes a peer, so that one client
	 * is one entry of the per-source count however it was spelt. */
	if (make_sockaddr(h.src, 0, &ss) == 0) {
		*why = "bad source address";
		return PEEK_BAD;
	}
	addr_text(&ss, c->client, sizeof(c->client), &port);
	c->client_port = h.src_port;
	c->via = PROXIED;
	return PEEK_DONE;
}

/* Close c, which sent no usable PROXY header, and say why: a bad header
 * or a timeout is a refusal, a proxy that left is not.  The session
 * would refuse such a connection too; refusing it here saves a fork. */
static void
drop(struct listener *l, struct conn *c, enum peek what, const char *why)
{
	if (what == PEEK_BAD)
		log_msg(LOG_NOTICE, "bad PROXY header from %s port %u: %s; "
		    "closed", c->peer, c->peer_port, why);
	else if (what == PEEK_MORE)
		log_msg(LOG_NOTICE, "no whole PROXY header from %s port %u "
		    "in %d s; closed", c->peer, c->peer_port, PROXY_TIMEOUT);
	else
		log_msg(LOG_INFO, "%s port %u: %s before its PROXY header "
		    "ended", c->peer, c->peer_port, why);
	close_conn(c);
	if (what != PEEK_GONE) {
		l->refused++;
		notify_status(l);
	}
}

/* Take c, from a trusted proxy: start its session if its header is
 * all here, else keep it pending until the header is whole or its
 * deadline passes.  Pending connections count against -c, which bounds
 * them.  Return -1 when the caller should rest. */
static int
accept_proxied(struct listener *l, struct conn *c)
{
	const char *why = NULL;
	enum peek r;

	r = peek_header(c, 0, &why);
	if (r == PEEK_DONE)
		return admit(l, c);
	if (r != PEEK_MORE) {
		drop(l, c, r, why);
		return 0;
	}
	if (l->sessions + l->npending >= l->max) {
		refuse(l, c);
		return 0;
	}
	l->pending[l->npending].c = *c;
	l->pending[l->npending].deadline = now_ms() + PROXY_TIMEOUT * 1000LL;
	l->npending++;
	return 0;
}

/* Deal with pending connection k after poll() said revents of it, at
 * time now: start it, drop it, or leave it pending.  It leaves slot k
 * to the last pending one, so the caller goes from the last slot down.
 * Return -1 when the caller should rest. */
static int
pending_event(struct listener *l, unsigned long k, short revents,
    long long now)
{
	struct conn c = l->pending[k].c;
	const char *why = NULL;
	enum peek r = PEEK_MORE;

	if (revents != 0)
		r = peek_header(&c, (revents & (POLLRDHUP | POLLHUP |
		    POLLERR)) != 0, &why);
	if (r == PEEK_MORE && now < l->pending[k].deadline) {
		l->pending[k].c = c;
		return 0;
	}
	l->pending[k] = l->pending[--l->npending];
	if (r == PEEK_DONE)
		return admit(l, &c);
	drop(l, &c, r, why);
	return 0;
}

/* Accept one connection on lfd and start or refuse its session, or,
 * from a trusted proxy, wait for its header.  Return -1 when the caller
 * should rest before accepting again. */
static int
accept_one(struct listener *l, int lfd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct conn c;

	memset(&c, 0, sizeof(c));
	c.fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
	if (c.fd < 0 && (errno == EAGAIN || errno == EINTR ||
	    errno == ECONNABORTED))
		return 0;
	/* Out of descriptors (EMFILE, ENFILE), memory or buffers, or a
	 * stranger failure: spinning on a socket that stays ready would
	 * only flood the log, so rest a moment instead. */
	if (c.fd < 0) {
		log_msg(LOG_WARNING, "unable to accept: %s", strerror(errno));
		return -1;
	}
	addr_text(&ss, c.peer, sizeof(c.peer), &c.peer_port);
	memcpy(c.client, c.peer, sizeof(c.client));
	c.client_port = c.peer_port;
	c.via = DIRECT;
	if (l->proxies.n > 0 && proxy_trusted(&l->proxies, c.peer))
		return accept_proxied(l, &c);
	return admit(l, &c);
}

/* Collect every ended session, so that none stays a zombie and its slot
 * is free again. */
static void
reap(struct listener *l)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) != 0) {
		if (pid < 0 && errno == ECHILD)
			return;
		if (pid < 0)
			fail("wait");
		if (track(l, pid, NULL)) {
			l->sessions--;
			notify_status(l);
			/* A crash may be someone guessing at the address
			 * layout, which the spare's sessions share. */
			if (WIFSIGNALED(status) && l->spare_pid != 0) {
				log_msg(LOG_INFO, "a session was killed by a "
				    "signal: starting a new spare");
				spare_close(l);
				spare_start(l);
			}
		} else if (pid == l->spare_pid) {
			/* Started again with the next session, not now: a
			 * program that fails at once must not loop. */
			log_msg(LOG_WARNING, "spare pid %ld ended before its "
			    "connection", (long)pid);
			spare_close(l);
		}
		if (WIFSIGNALED(status))
			log_msg(LOG_INFO, "pid %ld: killed by signal %d",
			    (long)pid, WTERMSIG(status));
		else
			log_msg(LOG_INFO, "pid %ld: exit status %d",
			    (long)pid, WEXITSTATUS(status));
	}
}

/* Stop listening and exit.  Running sessions go on to their end, as with
 * tcpserver, so that a restart cuts nobody off; under systemd we wait for
 * them first.  Connections still waiting for a PROXY header are no
 * sessions yet: they are closed. */
static void __attribute__((noreturn))
stop(struct listener *l)
{
	size_t i;

	for (i = 0; i < l->nfds; i++) {
		if (close(l->fds[i]) < 0)
			fail("close a listening socket");
	}
	/* The spare holds no client: end it now, and collect it, so that
	 * it does not outlive us waiting for an init to reap it. */
	if (l->spare_pid != 0) {
		pid_t pid = l->spare_pid;

		if (kill(pid, SIGKILL) < 0)
			log_msg(LOG_ERR, "unable to end spare pid %ld: %s",
			    (long)pid, strerror(errno));
		spare_close(l);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			continue;
	}
	if (l->npending > 0)
		log_msg(LOG_INFO, "closing %lu connections waiting for their "
		    "PROXY header", l->npending);
	while (l->npending > 0)
		close_conn(&l->pending[--l->npending].c);
	if (!l->systemd && getenv("NOTIFY_SOCKET") == NULL) {
		log_msg(LOG_INFO, "stopped, %lu sessions left running",
		    l->sessions);
		exit(EXIT_NORMAL);
	}
	/* Under systemd, sessions belong to our unit, which is killed as
	 * soon as we exit: wait for them to end (TimeoutStopSec= bounds
	 * the wait). */
	(void)sd_notify(0, "STOPPING=1");
	log_msg(LOG_INFO, "stopping, waiting for %lu sessions", l->sessions);
	while (l->sessions > 0) {
		pid_t pid = waitpid(-1, NULL, 0);

		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			break;
		if (track(l, pid, NULL)) {
			l->sessions--;
			notify_status(l);
		}
	}
	log_msg(LOG_INFO, "stopped");
	exit(EXIT_NORMAL);
}

/* Milliseconds poll() may sleep: until the first pending deadline, or
 * the end of a rest, or for ever (-1). */
static int
poll_timeout(const struct listener *l, int resting, long long now)
{
	long long t = resting ? LISTEN_PAUSE_MS : -1;
	unsigned long k;

	for (k = 0; k < l->npending; k++) {
		long long left = l->pending[k].deadline - now;

		if (left < 0)
			left = 0;
		if (t < 0 || left < t)
			t = left;
	}
	return (int)t;
}

static void __attribute__((noreturn))
serve(struct listener *l)
{
	struct pollfd *pfd = l->pfd;
	char buf[64];
	long long now;
	unsigned long k, polled;
	size_t i;
	int n, resting = 0;

	for (;;) {
		/* poll() skips negative fds: that is how a rest stops
		 * accepting while signals, and the proxies' headers, are
		 * still seen. */
		for (i = 0; i < l->nfds; i++)
			pfd[i].fd = resting ? -1 : l->fds[i];
		pfd[l->nfds].fd = wake[0];
		for (i = 0; i <= l->nfds; i++)
			pfd[i].events = POLLIN;
		polled = l->npending;
		for (k = 0; k < polled; k++) {
			pfd[l->nfds + 1 + k].fd = l->pending[k].c.fd;
			pfd[l->nfds + 1 + k].events = POLLIN | POLLRDHUP;
		}
		n = poll(pfd, l->nfds + 1 + polled,
		    poll_timeout(l, resting, now_ms()));
		if (n < 0 && errno != EINTR)
			fail("poll");
		resting = 0;
		/* Empty the self-pipe; reap() and stopping deal with what
		 * its bytes stood for. */
		while (read(wake[0], buf, sizeof(buf)) > 0)
			continue;
		if (errno != EAGAIN && errno != EINTR)
			fail("read the self-pipe");
		reap(l);
		if (stopping)
			stop(l);
		/* From the last down: each slot done takes the last one's
		 * place, which has been seen to already. */
		now = now_ms();
		for (k = polled; k-- > 0;) {
			if (pending_event(l, k, n > 0 ?
			    pfd[l->nfds + 1 + k].revents : 0, now) < 0)
				resting = 1;
		}
		for (i = 0; n > 0 && i < l->nfds; i++) {
			if ((pfd[i].revents & POLLIN) != 0 &&
			    accept_one(l, l->fds[i]) < 0)
				resting = 1;
		}
	}
}

/* Make sure fds 0, 1 and 2 are open, on /dev/null if need be, so that no
 * socket of ours is ever one of them: a program's fd 2 must never be a
 * client's connection.  At most four rounds. */
static void
std_fds(void)
{
	int fd;

	do {
		fd = open("/dev/null", O_RDWR);
		if (fd < 0)
			fail("open /dev/null");
	} while (fd <= 2);
	if (close(fd) < 0)
		fail("close /dev/null");
}

int
main(int argc, char **argv)
{
	struct listener l;

	memset(&l, 0, sizeof(l));
	l.max = LISTEN_SESSIONS_DEFAULT;
	/* Before log_open(), which opens the syslog socket. */
	std_fds();
	log_open(PROGNAME);
	/* Before anything forks, so that a SIG_IGN for SIGCHLD inherited
	 * from our parent cannot make waitpid() lose the --check child. */
	setup_signals();
#ifdef REFUSE_TEXT
	set_refuse(&l, REFUSE_TEXT);
#endif
	parse_args(argc, argv, &l);
#ifdef HANDLER
	/* The handler takes --handoff. */
	l.spare = 1;
#endif
	if ((l.running = calloc(l.max, sizeof(*l.running))) == NULL)
		fail("allocate memory");
	/* Pending connections count against -c, so max slots hold them. */
	if (l.proxies.n > 0 &&
	    (l.pending = calloc(l.max, sizeof(*l.pending))) == NULL)
		fail("allocate memory");
	l.pfd = calloc(LISTEN_ADDRS_MAX + 1 + (l.pending != NULL ? l.max : 0),
	    sizeof(*l.pfd));
	if (l.pfd == NULL)
		fail("allocate memory");
	open_all(&l);
	/* After open_all(): sd_listen_fds() takes LISTEN_FDS and its kin
	 * out of the environment, and the sessions must not see them. */
	env_setup(&l);
	spare_setup(&l);
	spare_start(&l);
	/* Type=notify: ready once every socket listens. */
	if (getenv("NOTIFY_SOCKET") != NULL)
		(void)sd_notifyf(0, "READY=1\nSTATUS=0 sessions active, "
		    "0 refused\nMAINPID=%ld", (long)getpid());
	serve(&l);
}
