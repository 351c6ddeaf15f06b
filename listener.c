/*
 * listener.c: the core of the listener, a small tcpserver (listener.h).
 * It listens on TCP addresses and runs one program per connection, with
 * the connection on fds 0 and 1 and its addresses in the environment
 * (PROTO=TCP, TCPREMOTEIP, ...), as ucspi-tcp's tcpserver does.  As
 * mysmtpd and mypopd it runs the handler installed beside it.
 *
 * The listener speaks no protocol and reads nothing from clients: it
 * accepts, counts sessions (in all and per source address) and spawns.
 * From a trusted proxy (-x) it peeks at the PROXY header (pending.c).
 * With -s (always, as mysmtpd and mypopd) it keeps a spare that forks
 * each session ahead of its client (spare.c).  With PORT "-" it takes
 * its listening sockets from systemd (sockets.c) and reports readiness
 * and its sessions through sd_notify().  It logs to the journal or
 * syslog only; fd 2 is left to the programs for their own fatal
 * messages.
 */
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

#include "listener.h"
#include "log.h"
#include "net.h"
#include "proxy.h"

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

/* Return the path of the handler in the directory of this executable:
 * the two are installed together, and PATH must not choose who gets the
 * mail. */
static char *
handler_path(const struct variant *v)
{
	static char path[PATH_MAX];
	size_t hlen = strlen(v->handler) + 1;
	char *slash;
	ssize_t n;

	/* Room is left to put the handler in place of our own name. */
	n = readlink("/proc/self/exe", path, sizeof(path) - hlen);
	if (n < 0)
		fail("read /proc/self/exe");
	if ((size_t)n == sizeof(path) - hlen)
		die(EXIT_TEMP, "path of %s too long", v->progname);
	path[n] = '\0';
	slash = strrchr(path, '/');
	if (slash == NULL)
		die(EXIT_TEMP, "path of %s not absolute: %s", v->progname,
		    path);
	memcpy(slash + 1, v->handler, hlen);
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
	args[i++] = handler_path(l->v);
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

/* --help: our usage and options, and, as mysmtpd or mypopd, the
 * handler's own after them. */
static void __attribute__((noreturn))
help(const struct variant *v)
{
	static char opt[] = "--help";
	char *args[] = { NULL, opt, NULL };

	if (v->handler != NULL)
		printf("usage: %s [-b ADDR]... [-c MAX] [-C MAX] [-x LIST] PORT\n"
		    "       [HANDLER-OPTION...]\n"
		    "Run %s, from the directory of %s, with the\n"
		    "HANDLER-OPTIONs for each connection to TCP PORT (\"-\": the\n"
		    "sockets systemd passes).\n", v->progname, v->handler,
		    v->progname);
	else
		printf("usage: listener [-b ADDR]... [-c MAX] [-C MAX] "
		    "[-m TEXT] [-s] [-x LIST] PORT\n       PROGRAM [ARG...]\n"
		    "Run PROGRAM with ARGs for each connection to TCP PORT "
		    "(\"-\": the\nsockets systemd passes), with the "
		    "connection on its standard\ninput and output.\n");
	printf("  -b ADDR     listen on the numeric IPv4 or IPv6"
	    " address ADDR, or on the\n"
	    "              Unix socket ADDR if it starts with / (at most"
	    " %d);\n"
	    "              default: every address, IPv6 and IPv4\n"
	    "  -c MAX      run at most MAX sessions at once (default %d)\n"
	    "  -C MAX      run at most MAX sessions at once for one client"
	    " address\n              (default: no limit but -c)\n",
	    LISTEN_ADDRS_MAX, LISTEN_SESSIONS_DEFAULT);
	if (v->handler == NULL)
		printf("  -m TEXT     send TEXT and CRLF to a connection refused "
		    "because of -c or\n              -C; without -m it is just "
		    "closed\n"
		    "  -s          keep one PROGRAM started ahead with --handoff "
		    "as its first\n              argument, to make the sessions "
		    "and take connections over\n              fd 0 "
		    "(smtp-handler and pop3-handler do; see listener(8))\n");
	printf("  -x LIST     trusted proxies (addresses or CIDR prefixes, "
	    "comma-separated):\n              a connection from one starts "
	    "with a PROXY header, and -C\n              counts its session "
	    "under the client the header names;\n");
	if (v->handler != NULL)
		printf("              passed on to %s, which reads the "
		    "header\n", v->handler);
	else
		printf("              PROGRAM must read the header itself\n");
	printf("  -h, --help  show this help\n");
	if (ferror(stdout) || fflush(stdout) == EOF)
		fail("write to stdout");
	if (v->handler == NULL)
		exit(EXIT_NORMAL);
	if (printf("\nOptions of %s:\n", v->handler) < 0)
		fail("write to stdout");
	args[0] = handler_path(v);
	exit(run_wait(args));
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
	const char *opts;
	int c;

	opterr = 0;	/* our own messages, through usage_error() */
	/* mysmtpd and mypopd always keep a spare and have a fixed refusal:
	 * neither -s nor -m. */
	opts = l->v->handler != NULL ? "+:b:c:C:x:h" : "+:b:c:C:m:sx:h";
	while ((c = getopt_long(argc, argv, opts, longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (l->naddrs == LISTEN_ADDRS_MAX)
				usage_error("at most %d -b addresses",
				    LISTEN_ADDRS_MAX);
			if (optarg[0] != '/' && net_sockaddr(optarg, 0, &ss) == 0)
				usage_error("not a numeric IP address or the "
				    "path of a Unix socket: %s", optarg);
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
		case 'm':
			set_refuse(l, optarg);
			break;
		case 's':
			l->spare = 1;
			break;
		case 'x':
			add_proxies(l, optarg);
			break;
		case 'h':
			help(l->v);
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
	if (l->v->handler != NULL) {
		handler_setup(l, argc - 1, argv + 1);
		return;
	}
	if (argc < 2)
		usage_error("missing PROGRAM");
	/* A program that cannot run would fail every session; say so now. */
	if (access(argv[1], X_OK) < 0)
		die(EXIT_USAGE, "unable to run %s: %s", argv[1],
		    strerror(errno));
	l->argv = argv + 1;
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

/* Start the session of connection c.  Return -1 if it could not start
 * (no processes or memory), so that the caller rests before accepting
 * again. */
static int
session(struct listener *l, struct conn *c)
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
	if (spawn_env_conn(l, c) < 0) {
		conn_refuse(l, c);
		return 0;
	}
	if ((pid = spare_handoff(l, c)) == SPARE_LOST) {
		conn_close(c);
		return 0;
	}
	if (pid < 0 && (pid = spawn_start(c->fd, l->argv, l->env)) < 0) {
		log_msg(LOG_ERR, "unable to run %s: %s", l->argv[0],
		    strerror(errno));
		conn_refuse(l, c);
		return -1;
	}
	conn_close(c);
	l->sessions++;
	track(l, pid, c->client);
	log_msg(LOG_INFO, "pid %ld: connection from %s", (long)pid,
	    conn_describe(c, who, sizeof(who)));
	conn_notify(l);
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
	    (l->per_source > 0 && conn_from(l, c->client) >=
	    l->per_source)) {
		conn_refuse(l, c);
		return 0;
	}
	/* The session reads its socket as any other would. */
	if (c->lowat && setsockopt(c->fd, SOL_SOCKET, SO_RCVLOWAT, &one,
	    sizeof(one)) < 0) {
		log_msg(LOG_ERR, "unable to reset SO_RCVLOWAT for %s: %s",
		    conn_describe(c, who, sizeof(who)), strerror(errno));
		conn_close(c);
		return 0;
	}
	return session(l, c);
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
	net_sockaddr_text(&ss, c.peer, sizeof(c.peer), &c.peer_port);
	/* A program of this host, on a Unix socket (sendmail(8)). */
	if (ss.ss_family == AF_UNIX)
		snprintf(c.peer, sizeof(c.peer), "local");
	memcpy(c.client, c.peer, sizeof(c.client));
	c.client_port = c.peer_port;
	c.via = DIRECT;
	if (l->proxies.n > 0 && proxy_trusted(&l->proxies, c.peer))
		return pending_accept(l, &c) ? admit(l, &c) : 0;
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
			conn_notify(l);
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
		conn_close(&l->pending[--l->npending].c);
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
			conn_notify(l);
		}
	}
	log_msg(LOG_INFO, "stopped");
	exit(EXIT_NORMAL);
}

static void __attribute__((noreturn))
serve(struct listener *l)
{
	struct pollfd *pfd = l->pfd;
	struct conn ready;
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
		    pending_timeout(l, resting, net_now_ms()));
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
		now = net_now_ms();
		for (k = polled; k-- > 0;) {
			if (pending_event(l, k, n > 0 ?
			    pfd[l->nfds + 1 + k].revents : 0, now, &ready) &&
			    admit(l, &ready) < 0)
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

void
listener_main(int argc, char **argv, const struct variant *v)
{
	struct listener l;

	memset(&l, 0, sizeof(l));
	l.v = v;
	l.max = LISTEN_SESSIONS_DEFAULT;
	/* Before log_open(), which opens the syslog socket. */
	std_fds();
	log_open(v->progname);
	/* Before anything forks, so that a SIG_IGN for SIGCHLD inherited
	 * from our parent cannot make waitpid() lose the --check child. */
	setup_signals();
	if (v->refuse != NULL)
		set_refuse(&l, v->refuse);
	parse_args(argc, argv, &l);
	/* The handler takes --handoff. */
	if (v->handler != NULL)
		l.spare = 1;
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
	sockets_open(&l);
	/* After sockets_open(): sd_listen_fds() takes LISTEN_FDS and its kin
	 * out of the environment, and the sessions must not see them. */
	spawn_env_setup(&l);
	spare_setup(&l);
	spare_start(&l);
	/* Type=notify: ready once every socket listens. */
	if (getenv("NOTIFY_SOCKET") != NULL)
		(void)sd_notifyf(0, "READY=1\nSTATUS=0 sessions active, "
		    "0 refused\nMAINPID=%ld", (long)getpid());
	serve(&l);
}
