/*
 * listener.h: the parts of the listener, a small tcpserver, and the
 * three programs made of them (listener-main.c, mysmtpd.c, mypopd.c).
 *
 * listener.c is the core: options, the poll loop, the session limits,
 * reaping and stopping.  Around it: sockets.c (its own listening sockets
 * or systemd's), spawn.c (a session's environment and posix_spawn),
 * spare.c (the spare that forks sessions ahead, listener(8) -s),
 * pending.c (connections from a trusted proxy whose PROXY header is
 * still coming).  Each part uses only this header, the core's helpers
 * declared here, and the modules below (log, net, proxy).
 */
#ifndef LISTENER_H
#define LISTENER_H

#include <netinet/in.h>
#include <poll.h>
#include <sys/types.h>

#include "proxy.h"
#include "tunables.h"

/* What makes one program of the three: the listener itself runs the
 * PROGRAM of its command line; mysmtpd and mypopd run their handler
 * from their own directory, with the handler's options. */
struct variant {
	const char *progname;	/* for the log and the messages */
	const char *handler;	/* "smtp-handler", or NULL: PROGRAM */
	const char *refuse;	/* the refusal line, or NULL: -m */
};

/* A running session, for the per-source count. */
struct running {
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

/* Room for listen_describe(): two addresses, two ports and a few
 * words. */
#define WHO_MAX		(2 * INET6_ADDRSTRLEN + 64)

/* A connection from a trusted proxy whose header has not all come. */
struct pending {
	struct conn	 c;
	long long	 deadline;	/* CLOCK_MONOTONIC, in ms */
};

/* The variables that describe a connection, as tcpserver sets them:
 * the first CONN_SET are set (spawn.c); no names are looked up. */
#define CONN_SET	5

struct listener {
	const struct variant *v;
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
	struct running	*running;	/* max slots; pid 0 is a free one */
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
	char		 conn_env[CONN_SET][16 + 128];
					/* env's entries for one connection */
	int		 spare;		/* -s: keep a spare */
	char		**spare_argv;	/* argv with --handoff */
	pid_t		 spare_pid;	/* the spare, or 0 */
	int		 spare_fd;	/* our end of its socket */
	unsigned long	 spare_uses;	/* sessions it has made */
};

/* Run the program v describes with argc and argv: parse the options,
 * listen and serve until SIGTERM or SIGINT; never returns. */
void	listener_main(int argc, char **argv, const struct variant *v)
	    __attribute__((noreturn));

/* conn.c: the bottom of the listener, for every part. */

/* Send the refusal, if any, without waiting for the client, close c and
 * count it. */
void	conn_refuse(struct listener *l, struct conn *c);

/* Close connection c, which is no session. */
void	conn_close(struct conn *c);

/* Write who c is from into buf, for the log. */
const char *conn_describe(const struct conn *c, char *buf, size_t size);

/* Sessions running now for the client address ip. */
unsigned long conn_from(const struct listener *l, const char *ip);

/* Tell systemd, when it started us, how many sessions run and how many
 * connections were refused. */
void	conn_notify(const struct listener *l);

/* sockets.c: open l's listening sockets (-b, or every address), or take
 * those systemd passed (PORT "-"); dies on failure. */
void	sockets_open(struct listener *l);

/* spawn.c */

/* Make l->env: our environment without a connection's variables, with
 * room for one connection's. */
void	spawn_env_setup(struct listener *l);

/* Fill l->conn_env, and the session's slots of l->env, for connection
 * c.  Returns 0, or -1 (logged) when its local address is unknown. */
int	spawn_env_conn(struct listener *l, const struct conn *c);

/* Run argv with env and fd on fds 0 and 1, as a fresh process.  Returns
 * the pid, or -1 with errno set. */
pid_t	spawn_start(int fd, char **argv, char **env);

/* spare.c */

/* With -s, make l->spare_argv: l->argv with --handoff after the
 * program's name. */
void	spare_setup(struct listener *l);

/* With -s, start a spare if none waits. */
void	spare_start(struct listener *l);

/* Let the spare go: closing its socket ends it. */
void	spare_close(struct listener *l);

/* Hand connection c to the spare, with its variables (l->conn_env).
 * Returns the pid of c's session; SPARE_NONE when there is no spare or
 * it is gone, so that c needs a session started for it; SPARE_LOST when
 * the spare took c but no session answered: c is closed, since nothing
 * tells whether some process has it. */
enum { SPARE_NONE = -1, SPARE_LOST = -2 };
pid_t	spare_handoff(struct listener *l, const struct conn *c);

/* pending.c */

/* Take c, from a trusted proxy.  Returns 1 when its header is all here
 * and its session may start; else 0: c is kept pending, or closed or
 * refused (a bad header, or no room under -c). */
int	pending_accept(struct listener *l, struct conn *c);

/* Deal with pending connection k after poll() said revents of it, at
 * time now; slot k takes the last one's place, so the caller goes from
 * the last slot down.  Returns 1 when its header is whole and *ready is
 * the connection whose session may start; else 0: it is still pending,
 * or was closed. */
int	pending_event(struct listener *l, unsigned long k, short revents,
	    long long now, struct conn *ready);

/* Milliseconds poll() may sleep: until the first pending deadline, or
 * the end of a rest, or for ever (-1). */
int	pending_timeout(const struct listener *l, int resting, long long now);

#endif
