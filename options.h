/*
 * options.h: the command line shared by both handlers.
 */
#ifndef OPTIONS_H
#define OPTIONS_H

#include "proxy.h"

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
	const char *aliases_path;	/* -a, default aliases beside -u */
	const char *delims;	/* --recipient-delimiter, default "+" */
	long long quota;	/* -q: default mailbox limit; 0 none */
	struct proxy_list proxies;	/* -x: the trusted PROXY sources */
	int	proxy;		/* -x given */
	char	hostbuf[256];
	char	aliasbuf[4096];
};

/* Parse the options of the handler for proto into *c, printing --help or
 * exiting with EXIT_USAGE on a bad option. */
void	options_parse(struct config *c, enum proto proto, int argc,
	    char **argv);

/* A size in octets, with an optional K, M or G (powers of 1024, as
 * Dovecot's settings have them), or a usage error naming opt. */
long long options_size(const char *s, const char *opt);

#endif
