/*
 * spare.c: the listener's side of the spare (-s, always as mysmtpd and
 * mypopd): the program started ahead with --handoff and a socket to us,
 * which forks each session ahead of its client, as our child, to take
 * the connection over that socket (handoff.h).  Why, and what it costs,
 * is in DESIGN.md, "Sessions forked from a spare".
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "listener.h"
#include "log.h"

/* With -s, make l->spare_argv: l->argv with --handoff after the
 * program's name. */
void
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
		die(EXIT_TEMP, "unable to allocate memory: %s", strerror(errno));
	l->spare_argv[0] = l->argv[0];
	l->spare_argv[1] = handoff_opt;
	memcpy(l->spare_argv + 2, l->argv + 1, n * sizeof(*l->argv));
}

/* Let the spare go: closing its socket ends it. */
void
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
void
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
	pid = spawn_start(sv[1], l->spare_argv, l->env);
	if (close(sv[1]) < 0)
		die(EXIT_TEMP, "unable to close the spare's end of its socket: %s", strerror(errno));
	if (pid < 0) {
		log_msg(LOG_WARNING, "unable to start a spare %s: %s",
		    l->spare_argv[0], strerror(errno));
		if (close(sv[0]) < 0)
			die(EXIT_TEMP, "unable to close the socket of a spare: %s", strerror(errno));
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

pid_t
spare_handoff(struct listener *l, const struct conn *c)
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
		return SPARE_NONE;
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
		return SPARE_NONE;
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
		return SPARE_LOST;
	}
	/* A spare that took the connection itself (it could not fork)
	 * makes no more; one that has made SPARE_SESSIONS_MAX makes way for
	 * a new one, with an address layout of its own (handoff.c). */
	if (pid == l->spare_pid || ++l->spare_uses >= SPARE_SESSIONS_MAX)
		spare_close(l);
	return pid;
}
