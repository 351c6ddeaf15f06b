/*
 * config.h: the command line shared by both handlers.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include "lineio.h"
#include "proxy.h"
#include "users.h"

enum proto { PROTO_SMTP, PROTO_POP3 };

struct config {
	const char *users_path;	/* -u, default users.txt */
	const char *store;	/* -d, default mail.store */
	const char *host;	/* -n, default the node name */
	const char *postmaster;	/* -p, SMTP only */
	long long max_size;	/* -s, SMTP only */
	long	max_rcpt;	/* -r, SMTP only */
	int	timeout;	/* -t: command timeout in seconds */
	int	data_timeout;	/* DATA line timeout: -t, or the default */
	const char *cert;	/* -c: TLS certificate chain */
	const char *key;	/* -k: its private key */
	int	tls;		/* -T: implicit TLS */
	int	plaintext_auth;	/* -P: passwords without TLS from anywhere */
	int	submission;	/* -S: the submission role, SMTP only */
	int	check;		/* --check: validate and exit */
	int	handoff;	/* --handoff: the listener sends the connection */
	const char *user;	/* -U: the user to become when started as root */
	int	require_user;	/* --require-user: as root, no -U is an error */
	struct proxy_list proxies;	/* -x: the trusted PROXY sources */
	int	proxy;		/* -x given */
	char	hostbuf[256];
};

/* Parse the options of the handler for proto into *c, printing --help or
 * exiting with EXIT_USAGE on a bad option. */
void	config_parse(struct config *c, enum proto proto, int argc,
	    char **argv);

/* Everything a handler does before its session: open the log, ignore
 * SIGPIPE and SIGXFSZ, parse the options into *c, with --handoff wait
 * for the connection from the listener, set up *io on fds 0
 * and 1, load the users file into *u and, started as root, open the
 * store and become the session's user (-U, else RUN_USER_DEFAULT or
 * RUN_USER_FALLBACK).  If the file cannot be read,
 * the client gets a temporary-failure reply (unless --check) and the
 * program exits with EXIT_USAGE. */
void	config_setup(struct config *c, enum proto proto, int argc,
	    char **argv, struct io *io, struct users *u);

/* The session's client, logged with the session id sid as the session's
 * first line.  Writes the connection's peer (io_peer) into peer and ""
 * into proxy, both of size octets, and returns whether the client is on
 * this host (io_local).  With -x, when that peer is in the list, reads
 * its PROXY header from standard input first: the peer becomes the
 * proxy, the client the one the header names, on this host only if its
 * address is loopback; a LOCAL or UNKNOWN header keeps the connection's
 * own.  Returns -1, logged, when a trusted peer sends no valid header in
 * time. */
int	config_client(const struct config *c, const char *sid, char *peer,
	    char *proxy, size_t size);

#endif
