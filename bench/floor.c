/*
 * floor.c: the physical floor of this machine for what a mail server does
 * per message and per session, measured with nothing else in the way.
 *
 *   floor fsync DIR COUNT PROCS SECONDS
 *	PROCS processes together make COUNT 1 KB files in DIR the way a
 *	Maildir delivery does: create in tmp/, write, fsync, close, link
 *	into new/, fsync new/, unlink from tmp/.
 *   floor exec COUNT SECONDS PROGRAM [ARG...]
 *	fork, exec PROGRAM with its output to /dev/null, and wait, COUNT
 *	times in a row.
 *   floor fork COUNT SECONDS
 *	fork a child that exits at once, and wait, COUNT times in a row:
 *	what a session forked from a spare costs at the least.
 *   floor smtp PORT one|fork SECONDS
 *	an SMTP server on 127.0.0.1:PORT that answers each command at once
 *	and stores nothing, for smtp-source to time the dialogue alone:
 *	"one" serves every connection in one process; "fork" gives each
 *	connection a process of its own, forked before the connection
 *	comes, as the listener's spare does.  It serves until it is killed
 *	or SECONDS pass, and prints nothing.
 *
 * The others stop after COUNT operations or SECONDS seconds, whichever
 * comes first, and print "RATE OPS SECONDS": operations a second,
 * operations done, seconds taken.  Exit status 0, 1 on a failed
 * operation, 100 on a usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FILE_SIZE	1024	/* the "1 KB message" of the SMTP workload */
#define COUNT_MAX	10000000UL
#define PROCS_MAX	256
#define SECONDS_MAX	3600
#define LINE_MAX_SMTP	1000	/* RFC 5321 4.5.3.1.6 */

static void __attribute__((noreturn))
usage(void)
{
	fputs("usage: floor fsync DIR COUNT PROCS SECONDS\n"
	    "       floor exec COUNT SECONDS PROGRAM [ARG...]\n"
	    "       floor fork COUNT SECONDS\n"
	    "       floor smtp PORT one|fork SECONDS\n", stderr);
	exit(100);
}

static void __attribute__((noreturn))
fail(const char *what)
{
	fprintf(stderr, "floor: fatal: unable to %s: %s\n", what,
	    strerror(errno));
	exit(1);
}

/* A decimal number from 1 to max, or a usage error. */
static unsigned long
number(const char *s, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 || v < 1 ||
	    v > max)
		usage();
	return v;
}

static double
now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		fail("read the clock");
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Make count files the Maildir way in tmp and new (open directory
 * descriptors), until the deadline; return how many were made. */
static unsigned long
deliver(int tmp, int newdir, unsigned long count, double deadline)
{
	static const char payload[FILE_SIZE] = { 'x' };
	char name[64];
	unsigned long i;
	int fd;

	for (i = 0; i < count && now() < deadline; i++) {
		snprintf(name, sizeof(name), "%ld.%lu.floor", (long)getpid(),
		    i);
		fd = openat(tmp, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0600);
		if (fd < 0)
			fail("create a file in tmp/");
		if (write(fd, payload, sizeof(payload)) !=
		    (ssize_t)sizeof(payload))
			fail("write");
		if (fsync(fd) < 0)
			fail("fsync a file");
		if (close(fd) < 0)
			fail("close");
		if (linkat(tmp, name, newdir, name, 0) < 0)
			fail("link into new/");
		if (fsync(newdir) < 0)
			fail("fsync new/");
		if (unlinkat(tmp, name, 0) < 0)
			fail("unlink from tmp/");
	}
	return i;
}

/* Open (making it if need be) the subdirectory sub of dir. */
static int
subdir(const char *dir, const char *sub)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		fail("make a directory");
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		fail("open a directory");
	return fd;
}

/* floor fsync: each process takes its share of the count and writes how
 * many files it made to a pipe, since an exit status cannot hold a
 * count. */
static void
run_fsync(int argc, char **argv)
{
	unsigned long count, procs, secs, done = 0, n, p;
	double start, deadline, took;
	int tmp, newdir, fds[2], status;
	pid_t pid;

	if (argc != 6)
		usage();
	count = number(argv[3], COUNT_MAX);
	procs = number(argv[4], PROCS_MAX);
	secs = number(argv[5], SECONDS_MAX);
	tmp = subdir(argv[2], "tmp");
	newdir = subdir(argv[2], "new");
	if (pipe(fds) < 0)
		fail("make a pipe");
	start = now();
	deadline = start + (double)secs;
	for (p = 0; p < procs; p++) {
		if ((pid = fork()) < 0)
			fail("fork");
		if (pid == 0) {
			/* Shares differ by one at most. */
			n = count / procs + (p < count % procs ? 1 : 0);
			n = deliver(tmp, newdir, n, deadline);
			if (write(fds[1], &n, sizeof(n)) != (ssize_t)sizeof(n))
				_exit(1);
			_exit(0);
		}
	}
	if (close(fds[1]) < 0)
		fail("close a pipe");
	for (p = 0; p < procs; p++) {
		if (wait(&status) < 0)
			fail("wait");
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			exit(1);
	}
	took = now() - start;
	while (read(fds[0], &n, sizeof(n)) == (ssize_t)sizeof(n))
		done += n;
	printf("%.1f %lu %.3f\n", (double)done / took, done, took);
}

/* floor exec: fork, exec and wait, one after another. */
static void
run_exec(int argc, char **argv)
{
	unsigned long count, secs, i;
	double start, deadline, took;
	int devnull, status;
	pid_t pid;

	if (argc < 5)
		usage();
	count = number(argv[2], COUNT_MAX);
	secs = number(argv[3], SECONDS_MAX);
	if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
		fail("open /dev/null");
	start = now();
	deadline = start + (double)secs;
	for (i = 0; i < count && now() < deadline; i++) {
		if ((pid = fork()) < 0)
			fail("fork");
		if (pid == 0) {
			if (dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 ||
			    dup2(devnull, 2) < 0)
				_exit(111);
			execv(argv[4], argv + 4);
			_exit(111);	/* as the status of "cannot run" */
		}
		if (waitpid(pid, &status, 0) < 0)
			fail("wait");
		if (!WIFEXITED(status) || WEXITSTATUS(status) == 111) {
			fprintf(stderr, "floor: fatal: %s did not run\n",
			    argv[4]);
			exit(1);
		}
	}
	took = now() - start;
	printf("%.1f %lu %.3f\n", (double)i / took, i, took);
}

/* floor fork: fork, exit and wait, one after another. */
static void
run_fork(int argc, char **argv)
{
	unsigned long count, secs, i;
	double start, deadline, took;
	int status;
	pid_t pid;

	if (argc != 4)
		usage();
	count = number(argv[2], COUNT_MAX);
	secs = number(argv[3], SECONDS_MAX);
	start = now();
	deadline = start + (double)secs;
	for (i = 0; i < count && now() < deadline; i++) {
		if ((pid = fork()) < 0)
			fail("fork");
		if (pid == 0)
			_exit(0);
		if (waitpid(pid, &status, 0) < 0)
			fail("wait");
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			exit(1);
	}
	took = now() - start;
	printf("%.1f %lu %.3f\n", (double)i / took, i, took);
}

/* Answer one SMTP session on c, one reply for each line: 354 to DATA,
 * 250 to the line that ends the message, 221 to QUIT, 250 to the rest.
 * A line longer than the buffer is dropped unanswered. */
static void
serve(int c)
{
	static const char *const reply[] = {
		"250 ok\r\n", "354 go on\r\n", "221 bye\r\n" };
	static const char greeting[] = "220 floor ESMTP\r\n";
	char buf[LINE_MAX_SMTP + 1], *p, *line;
	size_t len = 0, n;
	ssize_t got;
	int data = 0, r;

	if (write(c, greeting, sizeof(greeting) - 1) < 0)
		return;
	for (;;) {
		if ((got = read(c, buf + len, sizeof(buf) - len)) <= 0)
			return;
		len += (size_t)got;
		line = buf;
		while ((p = memchr(line, '\n', len - (size_t)(line - buf)))
		    != NULL) {
			n = (size_t)(p + 1 - line);
			r = -1;
			if (data) {
				if (n == 3 && line[0] == '.')
					data = 0, r = 0;
			} else if (n >= 4 && strncasecmp(line, "DATA", 4) == 0)
				data = 1, r = 1;
			else if (n >= 4 && strncasecmp(line, "QUIT", 4) == 0)
				r = 2;
			else
				r = 0;
			if (r >= 0 && write(c, reply[r], strlen(reply[r])) < 0)
				return;
			if (r == 2)
				return;
			line = p + 1;
		}
		len -= (size_t)(line - buf);
		memmove(buf, line, len);
		if (len == sizeof(buf))
			len = 0;
	}
}

/* The next connection on ls, with Nagle off as the handlers have it;
 * -1 on a failure. */
static int
next_conn(int ls)
{
	int c, one = 1;

	if ((c = accept(ls, NULL, NULL)) < 0)
		return -1;
	if (setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0) {
		close(c);
		return -1;
	}
	return c;
}

/* floor smtp: each connection's process accepts it itself, then tells
 * the parent, which forks the next. */
static void
run_smtp(int argc, char **argv)
{
	struct sockaddr_in a;
	int ls, c, one = 1, fds[2], forked;
	pid_t pid, parent = getpid();
	char b;

	if (argc != 5 || (strcmp(argv[3], "one") != 0 &&
	    strcmp(argv[3], "fork") != 0))
		usage();
	forked = strcmp(argv[3], "fork") == 0;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)number(argv[2], 65535));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	alarm((unsigned)number(argv[4], SECONDS_MAX));
	if (signal(SIGCHLD, SIG_IGN) == SIG_ERR)
		fail("ignore SIGCHLD");
	if ((ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(ls, 128) < 0)
		fail("listen");
	for (;;) {
		if (!forked) {
			if ((c = next_conn(ls)) < 0)
				fail("accept a connection");
			serve(c);
			if (close(c) < 0)
				fail("close a connection");
			continue;
		}
		if (pipe(fds) < 0)
			fail("make a pipe");
		if ((pid = fork()) < 0)
			fail("fork");
		if (pid == 0) {
			/* Gone with the server, even while in accept(). */
			if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 ||
			    getppid() != parent || close(fds[0]) < 0)
				_exit(1);
			if ((c = next_conn(ls)) < 0 ||
			    write(fds[1], "", 1) != 1)
				_exit(1);
			serve(c);
			_exit(0);
		}
		if (close(fds[1]) < 0)
			fail("close a pipe");
		if (read(fds[0], &b, 1) != 1)
			fail("start a session process");
		if (close(fds[0]) < 0)
			fail("close a pipe");
	}
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "fsync") == 0)
		run_fsync(argc, argv);
	else if (strcmp(argv[1], "exec") == 0)
		run_exec(argc, argv);
	else if (strcmp(argv[1], "fork") == 0)
		run_fork(argc, argv);
	else if (strcmp(argv[1], "smtp") == 0)
		run_smtp(argc, argv);
	else
		usage();
	return 0;
}
