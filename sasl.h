/*
 * sasl.h: the SASL exchanges of AUTH, shared by both handlers: PLAIN
 * (RFC 4616) in SMTP (RFC 4954) and POP3 (RFC 5034), and LOGIN in SMTP;
 * the check of the login, with the one log line of a failure; and the
 * wiping of every copy of a password.
 */
#ifndef SASL_H
#define SASL_H

#include <stddef.h>
#include <time.h>

#include "auth.h"
#include "lineio.h"
#include "options.h"
#include "tunables.h"
#include "users.h"

/* How an exchange ended. */
enum sasl_status {
	SASL_OK,		/* *user and *password are set */
	SASL_CANCEL,		/* the client sent "*" */
	SASL_DECODE,		/* not base64, or not the mechanism's shape */
	SASL_LONG,		/* a response over AUTH_LINE_MAX octets */
	SASL_TIMEOUT,		/* the client took longer than the timeout */
	SASL_EOF		/* the client went away */
};

/* The mechanisms. */
enum sasl_mech { SASL_PLAIN, SASL_LOGIN };

/* A response as it came, and decoded: the only copies of a password
 * besides the input buffer, all cleared by sasl_wipe(). */
struct sasl {
	char	line[AUTH_LINE_MAX + 1];
	char	plain[AUTH_LINE_MAX];
};

/* May a password cross this connection?  Under TLS, from this host
 * (local), or where the operator allows it with -P. */
int	sasl_allowed(const struct io *io, int local, const struct config *c);

/* Run the exchange of mech after the AUTH command, with its initial
 * response resp (NULL: none, so the first challenge asks for it).  Each
 * challenge is sent as prompt and the base64 text ("334 " in SMTP, "+ "
 * in POP3); each response must come within timeout seconds.  On SASL_OK
 * *user and *password point into x, and *other is set if PLAIN asked to
 * act as someone else (which must fail like a wrong password). */
enum sasl_status sasl_exchange(struct sasl *x, struct io *io,
	    enum sasl_mech mech, const char *prompt, char *resp, int timeout,
	    const char **user, const char **password, int *other);

/* Check user (NULL: none) and password, asked for at start, against the
 * users file (auth_check), then wipe every copy of the password (x, the
 * command line line of size octets, and the input consumed).  A failure
 * is logged here, the same line whatever was wrong, with the session id
 * sid, the client's address peer and the name given (logname). */
enum auth_result sasl_check(struct sasl *x, struct io *io, char *line,
	    size_t size, struct users *users, const char *user,
	    const char *logname, const char *password,
	    const struct timespec *start, const char *sid, const char *peer,
	    const struct user **u);

/* Forget every copy of a password: x, the command line line of size
 * octets, and the input already consumed. */
void	sasl_wipe(struct sasl *x, struct io *io, char *line, size_t size);

#endif
