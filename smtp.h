/*
 * smtp.h: the SMTP session, shared by the files of smtp-handler, each
 * calling only those below it: smtp-handler.c (the commands and the
 * session's loop), smtp-data.c (the message of a transaction) and
 * smtp-reply.c (every reply, and the end of the session).
 */
#ifndef SMTP_H
#define SMTP_H

#include <stddef.h>

#include "address.h"
#include "lineio.h"
#include "mailstore.h"
#include "options.h"
#include "rcpt.h"
#include "sasl.h"
#include "tunables.h"
#include "users.h"

/* Session states; a command row lists the states it is legal in. */
enum state {
	S_START = 1,		/* before HELO or EHLO */
	S_READY = 2,		/* no transaction */
	S_MAIL = 4,		/* sender given */
	S_RCPT = 8		/* at least one recipient */
};
#define S_ANY	(S_START | S_READY | S_MAIL | S_RCPT)

/* Every reply of the program (RFC 5321 4.2, RFC 3463 enhanced codes; RFC
 * 2034 leaves them out of the greeting and the HELO and EHLO replies). */
enum reply {
	SR_NONE,			/* already replied */
	SR_OK, SR_SENDER_OK, SR_RCPT_OK, SR_VRFY, SR_HELP, SR_BYE,
	SR_NEED_HELO, SR_NESTED_MAIL, SR_NEED_MAIL, SR_NEED_RCPT,
	SR_SYNTAX_MAIL, SR_SYNTAX_RCPT, SR_NO_ARG, SR_NEED_ARG, SR_BAD_HELO,
	SR_BAD_SENDER, SR_BAD_RCPT, SR_UTF8, SR_PARAM_UNKNOWN, SR_PARAM_VALUE,
	SR_SIZE, SR_NO_USER, SR_RELAY, SR_TOO_MANY_RCPT, SR_USERS_TEMP,
	SR_TOO_BIG, SR_BAD_LINE_END, SR_LONG_LINE, SR_NUL, SR_STORE_TEMP,
	SR_STORE_PERM, SR_NOT_IMPL, SR_UNKNOWN, SR_CMD_LONG, SR_CMD_BARE,
	SR_CMD_NUL, SR_ERRORS, SR_TIMEOUT, SR_TLS_READY, SR_TLS_ACTIVE,
	SR_AUTH_OK, SR_AUTH_FAIL, SR_AUTH_ENCRYPT, SR_AUTH_MECH,
	SR_AUTH_CANCEL, SR_AUTH_DECODE, SR_AUTH_LONG, SR_AUTH_TWICE,
	SR_AUTH_IN_MAIL, SR_AUTH_NEEDED, SR_AUTH_TEMP, SR_AUTH_TOO_MANY,
	SR_NOT_YOURS, SR_PROXY, SR_ALIASES_TEMP, SR_LIST_TOO_BIG,
	SR_QUOTA_FULL, SR_QUOTA_LIST, SR_QUOTA_BIG, SR_QUOTA_TEMP
};

/* One recipient accepted: the address as the client gave it, and the
 * mailboxes it added to the transaction (a user's, or an alias's
 * members not reached before).  Its copy is one file, linked into each
 * of them. */
struct group {
	char	given[ADDRESS_MAX + 1];	/* X-Original-To */
	char	found[ADDRESS_MAX + 1];	/* Delivered-To: the user, or the
					 * alias for a list */
	size_t	first, n;		/* boxes[first .. first + n) */
};

/* A mailbox of the transaction, with its quota as RCPT found it. */
struct box {
	char	name[ADDRESS_MAX + 1];	/* the users file's spelling */
	struct ms_quota q;
};

struct session {
	struct io io;
	struct config cfg;
	struct users users;
	enum state state;
	int	esmtp;		/* EHLO rather than HELO */
	int	local;		/* the client is on this host (peer_identify) */
	long	uid;		/* a local program's user (peer_uid), or -1 */
	int	sniff;		/* looking for an untrusted PROXY header */
	int	auth_fails;	/* failed logins */
	char	authuser[ADDRESS_MAX + 1];	/* logged in as; "" if not */
	int	quit;
	int	errors;		/* 5xx replies so far */
	unsigned long delivered;
	long long bytes;	/* octets of messages delivered */
	char	sid[32];	/* session id for the log */
	char	peer[64];	/* the client's address */
	char	proxy[64];	/* the proxy's, or "" */
	char	helo[256];
	char	postmaster[ADDRESS_MAX + 1];	/* users-file spelling */
	struct address sender;
	int	utf8;		/* MAIL had SMTPUTF8 */
	long long size_hint;	/* MAIL's SIZE=, or 0 */
	struct group *groups;	/* the recipients accepted, -r of them */
	size_t	ngroups;
	struct box *boxes;	/* their mailboxes, ALIAS_RCPT_MAX */
	size_t	nboxes;
	struct aliases aliases;
	struct rcpt_book book;	/* what RCPT looks addresses up in */
	struct rcpt_boxes found;	/* the last lookup */
	char	line[SMTP_TEXT_MAX + 2];
	struct sasl sasl;	/* an AUTH exchange */
};

/* Send reply r (SR_NONE: none), counting a 5xx as an error. */
void	smtp_reply(struct session *s, enum reply r);

/* End the session after reply r (SR_NONE: none) with status, logging
 * the one summary line of the session; result says why it ended. */
void	smtp_finish(struct session *s, enum reply r, int status,
	    const char *result)
	    __attribute__((noreturn));

/* Forget the transaction: no sender, no recipients. */
void	smtp_reset(struct session *s);

/* DATA (RFC 5321 4.1.1.4): read the message and deliver it to the
 * transaction's recipients, all or none; returns the reply, or SR_NONE
 * once it has replied itself (smtp-data.c). */
enum reply smtp_data(struct session *s, char *arg);

#endif
