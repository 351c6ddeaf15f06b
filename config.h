/*
 * config.h: the command line shared by both handlers.
 */
#ifndef CONFIG_H
#define CONFIG_H

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
	int	check;		/* --check: validate and exit */
	char	hostbuf[256];
};

/* Parse the options of the handler for proto into *c, printing --help or
 * exiting with EXIT_USAGE on a bad option. */
void	config_parse(struct config *c, enum proto proto, int argc,
	    char **argv);

/* Load the users file named by c into *u.  Returns 0, or -1 with errno
 * set. */
int	config_users(const struct config *c, struct users *u);

#endif
