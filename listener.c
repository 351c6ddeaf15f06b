/*
 * listener.c: a small tcpserver.  It listens on TCP addresses and runs one
 * program per connection, with the connection on fds 0 and 1 and its
 * addresses in the environment (PROTO=TCP, TCPREMOTEIP, ...), as
 * ucspi-tcp's tcpserver does.  Built with LISTEN_PROTO_SMTP or
 * LISTEN_PROTO_POP3 it is mysmtpd or mypopd, which run the handler
 * installed beside them.
 *
 * The listener speaks no protocol and reads nothing from clients: it
 * accepts, counts sessions (in all and per source address) and forks.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "limits.h"
#include "log.h"

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
#define OPTSTRING	"+:b:c:C:h"
#define USAGE \
	"usage: " PROGNAME " [-b ADDR]... [-c MAX] [-C MAX] PORT" \
	" [HANDLER-OPTION...]\n" \
	"Run " HANDLER ", from the directory of " PROGNAME ", with the\n" \
	"HANDLER-OPTIONs for each connection to TCP PORT (\"-\": the\n" \
	"sockets systemd passes).\n"
#else
#define OPTSTRING	"+:b:c:C:m:h"
#define USAGE \
	"usage: listener [-b ADDR]... [-c MAX] [-C MAX] [-m TEXT] PORT" \
	" PROGRAM [ARG...]\n" \
	"Run PROGRAM with ARGs for each connection to TCP PORT (\"-\": the\n" \
	"sockets systemd passes), with the connection on its standard\n" \
	"input and output.\n"
#endif

/* A running session, for the per-source count. */
struct session {
	pid_t	pid;
	char	ip[INET6_ADDRSTRLEN];
};

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

/* In a child: log why it cannot become the session, and give up. */
static void __attribute__((noreturn))
child_fail(const char *what)
{
	log_msg(LOG_ERR, "unable to %s: %s", what, strerror(errno));
	_exit(EXIT_TEMP);
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
	static char check[] = "--check";
	char **args;
	int status;

	args = calloc((size_t)argc + 3, sizeof(*args));
	if (args == NULL)
		fail("allocate memory");
	args[0] = handler_path();
	args[1] = check;
	memcpy(args + 2, argv, (size_t)argc * sizeof(*args));
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

/* In a child: give the program the signal state of a fresh process, for
 * ignored signals (SIGPIPE here) would survive execv(). */
static void
default_signals(void)
{
	struct sigaction sa;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++) {
		/* SIGKILL, SIGSTOP and the C library's own signals cannot
		 * be changed: EINVAL for them is expected. */
		if (sigaction(sig, &sa, NULL) < 0 && errno != EINVAL)
			child_fail("reset signals");
	}
	if (sigprocmask(SIG_SETMASK, &sa.sa_mask, NULL) < 0)
		child_fail("reset the signal mask");
}

/* In a child: describe the connection on fd 0 in the environment. */
static void
set_env(const char *ip, unsigned port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char lip[INET6_ADDRSTRLEN], rport[8], lport[8];
	unsigned lp;

	if (getsockname(0, (struct sockaddr *)&ss, &len) < 0)
		child_fail("get the local address");
	addr_text(&ss, lip, sizeof(lip), &lp);
	snprintf(rport, sizeof(rport), "%u", port);
	snprintf(lport, sizeof(lport), "%u", lp);
	/* No names are looked up, and values inherited from our own
	 * environment must not pass for facts about this connection. */
	if (setenv("PROTO", "TCP", 1) < 0 ||
	    setenv("TCPREMOTEIP", ip, 1) < 0 ||
	    setenv("TCPREMOTEPORT", rport, 1) < 0 ||
	    setenv("TCPLOCALIP", lip, 1) < 0 ||
	    setenv("TCPLOCALPORT", lport, 1) < 0 ||
	    unsetenv("TCPREMOTEHOST") < 0 || unsetenv("TCPREMOTEINFO") < 0 ||
	    unsetenv("TCPLOCALHOST") < 0)
		child_fail("set the environment");
}

/* In a child: make connection fd the session and run the program. */
static void __attribute__((noreturn))
child(struct listener *l, int fd, const char *ip, unsigned port)
{
	int one = 1;

	default_signals();
	/* Replies are whole lines written at once; Nagle's algorithm would
	 * only hold back the next one. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		log_msg(LOG_WARNING, "unable to set TCP_NODELAY: %s",
		    strerror(errno));
	if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0)
		child_fail("move the connection to fds 0 and 1");
	/* Every fd above 2 is closed by execv(), not now, so that syslog
	 * still works if execv() fails. */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		closefrom(3);
	set_env(ip, port);
	execv(l->argv[0], l->argv);
	child_fail("run the program");
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

/* Note a session started (pid, ip) or ended (pid, NULL). */
static void
track(struct listener *l, pid_t pid, const char *ip)
{
	unsigned long i;

	for (i = 0; i < l->max; i++) {
		if (ip != NULL && l->running[i].pid == 0) {
			l->running[i].pid = pid;
			snprintf(l->running[i].ip, sizeof(l->running[i].ip),
			    "%s", ip);
			return;
		}
		if (ip == NULL && l->running[i].pid == pid) {
			l->running[i].pid = 0;
			return;
		}
	}
}

/* Send the refusal, if any, without waiting for the client, and close. */
static void
refuse(struct listener *l, int fd, const char *ip, unsigned port)
{
	if (l->refuse != NULL && send(fd, l->refuse, l->refuselen,
	    MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		log_msg(LOG_INFO, "unable to send refusal to %s port %u: %s",
		    ip, port, strerror(errno));
	if (close(fd) < 0)
		log_msg(LOG_ERR, "unable to close: %s", strerror(errno));
	l->refused++;
	log_msg(LOG_INFO, "refused %s port %u: %lu sessions running, %lu "
	    "from that address", ip, port, l->sessions, from_source(l, ip));
	notify_status(l);
}

/* Start the session of connection fd in a child.  Return -1 if fork()
 * failed, so that the caller rests before accepting again. */
static int
spawn(struct listener *l, int fd, const char *ip, unsigned port)
{
	sigset_t all, old;
	pid_t pid;

	/* Signals stay blocked across fork(), so that the child never runs
	 * our handler, which would wake us through the self-pipe. */
	sigfillset(&all);
	if (sigprocmask(SIG_BLOCK, &all, &old) < 0)
		fail("block signals");
	pid = fork();
	if (pid == 0)
		child(l, fd, ip, port);
	if (pid < 0)
		log_msg(LOG_ERR, "unable to fork: %s", strerror(errno));
	if (sigprocmask(SIG_SETMASK, &old, NULL) < 0)
		fail("unblock signals");
	if (pid < 0) {
		refuse(l, fd, ip, port);
		return -1;
	}
	if (close(fd) < 0)
		log_msg(LOG_ERR, "unable to close: %s", strerror(errno));
	l->sessions++;
	track(l, pid, ip);
	log_msg(LOG_INFO, "pid %ld: connection from %s port %u", (long)pid,
	    ip, port);
	notify_status(l);
	return 0;
}

/* Accept one connection on lfd and start or refuse its session.  Return
 * -1 when the caller should rest before accepting again. */
static int
accept_one(struct listener *l, int lfd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char ip[INET6_ADDRSTRLEN];
	unsigned port;
	int fd;

	fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
	if (fd < 0 && (errno == EAGAIN || errno == EINTR ||
	    errno == ECONNABORTED))
		return 0;
	/* Out of descriptors (EMFILE, ENFILE), memory or buffers, or a
	 * stranger failure: spinning on a socket that stays ready would
	 * only flood the log, so rest a moment instead. */
	if (fd < 0) {
		log_msg(LOG_WARNING, "unable to accept: %s", strerror(errno));
		return -1;
	}
	addr_text(&ss, ip, sizeof(ip), &port);
	if (l->sessions >= l->max ||
	    (l->per_source > 0 && from_source(l, ip) >= l->per_source)) {
		refuse(l, fd, ip, port);
		return 0;
	}
	return spawn(l, fd, ip, port);
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
		/* A child from before an exec() of ours is no session. */
		if (l->sessions > 0)
			l->sessions--;
		track(l, pid, NULL);
		notify_status(l);
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
 * them first. */
static void __attribute__((noreturn))
stop(struct listener *l)
{
	size_t i;

	for (i = 0; i < l->nfds; i++) {
		if (close(l->fds[i]) < 0)
			fail("close a listening socket");
	}
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
		l->sessions--;
		track(l, pid, NULL);
		notify_status(l);
	}
	log_msg(LOG_INFO, "stopped");
	exit(EXIT_NORMAL);
}

static void __attribute__((noreturn))
serve(struct listener *l)
{
	struct pollfd pfd[LISTEN_ADDRS_MAX + 1];
	char buf[64];
	size_t i;
	int n, resting = 0;

	for (;;) {
		/* poll() skips negative fds: that is how a rest stops
		 * accepting while signals are still seen. */
		for (i = 0; i < l->nfds; i++)
			pfd[i].fd = resting ? -1 : l->fds[i];
		pfd[l->nfds].fd = wake[0];
		for (i = 0; i <= l->nfds; i++)
			pfd[i].events = POLLIN;
		n = poll(pfd, l->nfds + 1, resting ? LISTEN_PAUSE_MS : -1);
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
	if ((l.running = calloc(l.max, sizeof(*l.running))) == NULL)
		fail("allocate memory");
	open_all(&l);
	/* Type=notify: ready once every socket listens. */
	if (getenv("NOTIFY_SOCKET") != NULL)
		(void)sd_notifyf(0, "READY=1\nSTATUS=0 sessions active, "
		    "0 refused\nMAINPID=%ld", (long)getpid());
	serve(&l);
}
