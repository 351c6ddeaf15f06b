/*
 * handoff.c: the spare, a handler started ahead of its clients, which
 * forks each session before its client comes (see handoff.h for the
 * exchange with the listener).  Why a fork rather than an exec, and
 * what a fork shares that an exec would not, is in DESIGN.md, "Sessions
 * forked from a spare"; the users file, the certificate and the change
 * of user come after the fork, as they would after an exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "handoff.h"
#include "log.h"
#include "tunables.h"

/* Fork a process whose parent is our parent (CLONE_PARENT): the
 * listener reaps and counts it as a session it started.  clone3 takes
 * the same arguments on every architecture; the child's exit signal is
 * ours (SIGCHLD), as CLONE_PARENT requires.  Returns as fork() does. */
static pid_t
fork_sibling(void)
{
	struct clone_args a;

	memset(&a, 0, sizeof(a));
	a.flags = CLONE_PARENT;
	return (pid_t)syscall(SYS_clone3, &a, sizeof(a));
}

/* Take one connection from the listener: wait for its message, answer
 * with our pid, tell the spare on fd done (-1: none) that it may fork
 * the next, and put the connection on fds 0 and 1 and its variables in
 * the environment. */
static void
take_conn(int done)
{
	static char env[HANDOFF_ENV_MAX + 1];
	union {
		struct cmsghdr	h;
		char		buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { env, HANDOFF_ENV_MAX };
	struct msghdr m;
	struct cmsghdr *h;
	ssize_t n;
	pid_t pid;
	char *p;
	int fd;

	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl.buf;
	m.msg_controllen = sizeof(ctl.buf);
	while ((n = recvmsg(0, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		continue;
	/* The listener let us go. */
	if (n == 0)
		exit(EXIT_NORMAL);
	if (n < 0)
		die(EXIT_TEMP, "--handoff: unable to receive a connection: %s",
		    strerror(errno));
	h = CMSG_FIRSTHDR(&m);
	if (h == NULL || h->cmsg_level != SOL_SOCKET ||
	    h->cmsg_type != SCM_RIGHTS ||
	    h->cmsg_len != CMSG_LEN(sizeof(int)) ||
	    (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0)
		die(EXIT_TEMP, "--handoff: no connection in the message");
	memcpy(&fd, CMSG_DATA(h), sizeof(fd));
	/* The answer makes us the connection's session in the listener's
	 * count.  If it cannot be given, the listener has given up on the
	 * handoff, and the connection is not ours to serve. */
	pid = getpid();
	if (send(0, &pid, sizeof(pid), MSG_NOSIGNAL) != sizeof(pid))
		die(EXIT_TEMP, "--handoff: unable to answer the listener: %s",
		    strerror(errno));
	if (done >= 0 && (write(done, "", 1) != 1 || close(done) < 0))
		die(EXIT_TEMP, "--handoff: unable to tell the spare: %s",
		    strerror(errno));
	if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || close(fd) < 0)
		die(EXIT_TEMP, "--handoff: unable to take the connection: %s",
		    strerror(errno));
	/* env[n] ends the last string even if the listener did not. */
	env[n] = '\0';
	for (p = env; p < env + n; p += strlen(p) + 1)
		if (strchr(p, '=') != NULL && putenv(p) != 0)
			die(EXIT_TEMP, "--handoff: putenv: %s",
			    strerror(errno));
}

/* Do the work of ahead(arg) now unless a connection is already there:
 * under load that work would only hold up each handoff, since the
 * listener waits for our answer. */
static void
idle_work(void (*ahead)(void *), void *arg)
{
	struct pollfd p = { 0, POLLIN, 0 };

	if (ahead != NULL && poll(&p, 1, 0) == 0)
		ahead(arg);
}

/* The session process pid ended without a connection.  If the listener
 * closed the socket, that is how it lets us go; otherwise the process
 * died (it said why, or was killed), and the listener is told by our
 * end rather than by a spare forking one failure after another. */
static void __attribute__((noreturn))
ended(pid_t pid)
{
	struct pollfd p = { 0, POLLIN, 0 };

	if (poll(&p, 1, 0) == 1 && (p.revents & POLLHUP) != 0)
		exit(EXIT_NORMAL);
	die(EXIT_TEMP, "--handoff: session pid %ld ended before its "
	    "connection", (long)pid);
}

void
handoff_take(void (*ahead)(void *), void *arg)
{
	int type;
	socklen_t len = sizeof(type);
	int done[2], err;
	ssize_t n;
	pid_t pid;
	char b;

	if (getsockopt(0, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		die(EXIT_USAGE, "--handoff: unable to receive a connection on "
		    "fd 0: %s", strerror(errno));
	if (type != SOCK_SEQPACKET)
		die(EXIT_USAGE, "--handoff: fd 0 is no SEQPACKET socket");
	/* One session process waits at a time; a byte on done says it has
	 * its connection, an end of file without one that it ended. */
	for (;;) {
		if (pipe2(done, O_CLOEXEC) < 0) {
			err = errno;
			break;
		}
		if ((pid = fork_sibling()) < 0) {
			err = errno;
			if (close(done[0]) < 0 || close(done[1]) < 0)
				die(EXIT_TEMP, "close: %s", strerror(errno));
			break;
		}
		if (pid == 0) {
			if (close(done[0]) < 0)
				die(EXIT_TEMP, "close: %s", strerror(errno));
			idle_work(ahead, arg);
			take_conn(done[1]);
			return;
		}
		if (close(done[1]) < 0)
			die(EXIT_TEMP, "close: %s", strerror(errno));
		while ((n = read(done[0], &b, 1)) < 0 && errno == EINTR)
			continue;
		if (close(done[0]) < 0)
			die(EXIT_TEMP, "close: %s", strerror(errno));
		if (n != 1)
			ended(pid);
	}
	/* Unable to fork (no processes, or no clone3 here): this process
	 * becomes the next session, and its pid in the answer tells the
	 * listener to start another spare. */
	log_msg(LOG_WARNING, "--handoff: unable to fork a session, taking "
	    "the next connection in the spare: %s", strerror(err));
	idle_work(ahead, arg);
	take_conn(-1);
}
