/*
 * spawn.c: starting a session as tcpserver does: the connection on fds 0
 * and 1, its addresses in the environment (PROTO=TCP, TCPREMOTEIP, ...),
 * and every other inherited descriptor and signal disposition gone.
 */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "listener.h"
#include "log.h"
#include "net.h"

/* The variables that describe a connection, as tcpserver sets them.
 * Values inherited from our own environment must not pass for facts
 * about a connection: the session gets these, or none of them. */
static const char *const conn_vars[] = {
	"PROTO", "TCPREMOTEIP", "TCPREMOTEPORT", "TCPLOCALIP",
	"TCPLOCALPORT", "TCPREMOTEHOST", "TCPREMOTEINFO", "TCPLOCALHOST",
	"UNIXREMOTEEUID", "UNIXREMOTEEGID", "UNIXREMOTEPID", "UNIXLOCALPATH"
};

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
void
spawn_env_setup(struct listener *l)
{
	extern char **environ;
	size_t i, j, n, len;

	for (n = 0; environ[n] != NULL; n++)
		;
	if ((l->env = calloc(n + CONN_SET + 1, sizeof(*l->env))) == NULL)
		die(EXIT_TEMP, "unable to allocate memory: %s", strerror(errno));
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
int
spawn_env_conn(struct listener *l, const struct conn *c)
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
	/* A Unix socket's, as ucspi-unix sets them: who connected, as the
	 * kernel says. */
	if (ss.ss_family == AF_UNIX) {
		struct ucred cr;
		socklen_t crlen = sizeof(cr);

		if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cr,
		    &crlen) < 0) {
			log_msg(LOG_ERR, "unable to learn who connected to a "
			    "Unix socket: %s", strerror(errno));
			return -1;
		}
		snprintf(vars[0], sizeof(vars[0]), "PROTO=UNIX");
		snprintf(vars[1], sizeof(vars[1]), "UNIXREMOTEEUID=%u",
		    (unsigned)cr.uid);
		snprintf(vars[2], sizeof(vars[2]), "UNIXREMOTEEGID=%u",
		    (unsigned)cr.gid);
		snprintf(vars[3], sizeof(vars[3]), "UNIXREMOTEPID=%ld",
		    (long)cr.pid);
		snprintf(vars[4], sizeof(vars[4]), "UNIXLOCALPATH=%.*s",
		    (int)sizeof(((struct sockaddr_un *)&ss)->sun_path),
		    ((struct sockaddr_un *)&ss)->sun_path);
	} else {
		net_sockaddr_text(&ss, lip, sizeof(lip), &lp);
		/* Of the connection itself: behind a proxy, of the proxy. */
		snprintf(vars[0], sizeof(vars[0]), "PROTO=TCP");
		snprintf(vars[1], sizeof(vars[1]), "TCPREMOTEIP=%s", c->peer);
		snprintf(vars[2], sizeof(vars[2]), "TCPREMOTEPORT=%u",
		    c->peer_port);
		snprintf(vars[3], sizeof(vars[3]), "TCPLOCALIP=%s", lip);
		snprintf(vars[4], sizeof(vars[4]), "TCPLOCALPORT=%u", lp);
	}
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
pid_t
spawn_start(int fd, char **argv, char **env)
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
