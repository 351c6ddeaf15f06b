/*
 * smtp-reply.c: what the SMTP session says (smtp.h): every reply of the
 * program, on one screen, and the end of the session with its one
 * summary line.  RFC 5321 4.2 for the codes, RFC 3463 for the enhanced
 * ones; RFC 2034 leaves them out of the greeting and the HELO and EHLO
 * replies, which are written where they are made.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "smtp.h"
#include "tls.h"

static const struct {
	const char *code, *text;
} replies[] = {
	[SR_OK] =		{ "250 2.0.0", "Ok" },
	[SR_SENDER_OK] =		{ "250 2.1.0", "Sender ok" },
	[SR_RCPT_OK] =		{ "250 2.1.5", "Recipient ok" },
	[SR_VRFY] =		{ "252 2.5.0", "Cannot VRFY user, but will "
				    "accept message for local users" },
	[SR_HELP] =		{ "214 2.0.0", "Commands: HELO EHLO STARTTLS "
				    "AUTH MAIL RCPT DATA RSET VRFY NOOP QUIT "
				    "HELP" },
	[SR_BYE] =		{ "221 2.0.0", "Bye" },
	[SR_NEED_HELO] =		{ "503 5.5.1", "Send HELO or EHLO first" },
	[SR_NESTED_MAIL] =	{ "503 5.5.1", "Sender already given" },
	[SR_NEED_MAIL] =		{ "503 5.5.1", "Need MAIL first" },
	[SR_NEED_RCPT] =		{ "503 5.5.1", "Need RCPT first" },
	[SR_SYNTAX_MAIL] =	{ "501 5.5.4", "Syntax: MAIL FROM:<address>" },
	[SR_SYNTAX_RCPT] =	{ "501 5.5.4", "Syntax: RCPT TO:<address>" },
	[SR_NO_ARG] =		{ "501 5.5.4", "No argument allowed" },
	[SR_NEED_ARG] =		{ "501 5.5.4", "Argument required" },
	[SR_BAD_HELO] =		{ "501 5.5.4", "Syntax: HELO domain" },
	[SR_BAD_SENDER] =	{ "501 5.1.7", "Bad sender address syntax" },
	[SR_BAD_RCPT] =		{ "501 5.1.3", "Bad recipient address syntax" },
	[SR_UTF8] =		{ "553 5.6.7", "Non-ASCII address needs "
				    "SMTPUTF8" },
	[SR_PARAM_UNKNOWN] =	{ "555 5.5.4", "Unsupported parameter" },
	[SR_PARAM_VALUE] =	{ "501 5.5.4", "Bad parameter value" },
	[SR_SIZE] =		{ "552 5.3.4", "Message size exceeds fixed "
				    "limit" },
	[SR_NO_USER] =		{ "550 5.1.1", "No such user here" },
	[SR_RELAY] =		{ "550 5.7.1", "Relaying denied" },
	[SR_TOO_MANY_RCPT] =	{ "452 4.5.3", "Too many recipients" },
	[SR_USERS_TEMP] =	{ "451 4.3.0", "Users file unavailable, try "
				    "again later" },
	[SR_ALIASES_TEMP] =	{ "451 4.3.0", "Aliases file unavailable, try "
				    "again later" },
	/* RFC 3463 X.5.3: too many recipients, here behind one address. */
	[SR_LIST_TOO_BIG] =	{ "550 5.5.3", "List has too many members" },
	/* RFC 3463 X.2.2: mailbox full; 552 for a message the whole
	 * limit could never hold (RFC 1870 section 6). */
	[SR_QUOTA_FULL] =	{ "452 4.2.2", "Mailbox full, try again "
				    "later" },
	[SR_QUOTA_LIST] =	{ "452 4.2.2", "Mailbox of a list member full, "
				    "try again later" },
	[SR_QUOTA_BIG] =		{ "552 5.2.2", "Message exceeds the "
				    "mailbox's whole limit" },
	[SR_QUOTA_TEMP] =	{ "451 4.3.0", "Mailbox unavailable, try "
				    "again later" },
	[SR_TOO_BIG] =		{ "552 5.3.4", "Message too big, not "
				    "delivered" },
	[SR_BAD_LINE_END] =	{ "554 5.6.0", "Message has a bare CR (a CR "
				    "not followed by LF); not delivered" },
	[SR_LONG_LINE] =		{ "554 5.6.0", "Message has a line over 1000 "
				    "octets; not delivered" },
	[SR_NUL] =		{ "554 5.6.0", "Message has a NUL octet; not "
				    "delivered" },
	[SR_STORE_TEMP] =	{ "451 4.3.0", "Temporary failure storing "
				    "message, try again later" },
	[SR_STORE_PERM] =	{ "554 5.3.0", "Message cannot be stored" },
	[SR_NOT_IMPL] =		{ "502 5.5.1", "Command not implemented" },
	[SR_UNKNOWN] =		{ "500 5.5.1", "Unknown command" },
	[SR_CMD_LONG] =		{ "500 5.5.2", "Line too long" },
	[SR_CMD_BARE] =		{ "500 5.5.2", "Bare CR or LF in command; "
				    "lines must end with CRLF" },
	[SR_CMD_NUL] =		{ "500 5.5.2", "NUL octet in command" },
	[SR_ERRORS] =		{ "421 4.7.0", "Too many errors, closing "
				    "connection" },
	[SR_TIMEOUT] =		{ "421 4.4.2", "Timeout, closing connection" },
	/* RFC 3207 */
	[SR_TLS_READY] =		{ "220 2.0.0", "Ready to start TLS" },
	[SR_TLS_ACTIVE] =	{ "503 5.5.1", "TLS already active" },
	/* RFC 4954 section 6 */
	[SR_AUTH_OK] =		{ "235 2.7.0", "Authentication successful" },
	[SR_AUTH_FAIL] =		{ "535 5.7.8", "Authentication credentials "
				    "invalid" },
	[SR_AUTH_ENCRYPT] =	{ "538 5.7.11", "Encryption required for "
				    "requested authentication mechanism" },
	[SR_AUTH_MECH] =		{ "504 5.5.4", "Unrecognized authentication "
				    "type" },
	[SR_AUTH_CANCEL] =	{ "501 5.0.0", "Authentication cancelled" },
	[SR_AUTH_DECODE] =	{ "501 5.5.2", "Cannot decode response" },
	[SR_AUTH_LONG] =		{ "500 5.5.6", "Authentication exchange line "
				    "is too long" },
	[SR_AUTH_TWICE] =	{ "503 5.5.1", "Already authenticated" },
	[SR_AUTH_IN_MAIL] =	{ "503 5.5.1", "AUTH not allowed during a "
				    "mail transaction" },
	[SR_AUTH_NEEDED] =	{ "530 5.7.0", "Authentication required" },
	[SR_AUTH_TEMP] =		{ "454 4.7.0", "Temporary authentication "
				    "failure" },
	[SR_AUTH_TOO_MANY] =	{ "421 4.7.0", "Too many failed logins, "
				    "closing connection" },
	/* RFC 6409 section 6.1 */
	[SR_NOT_YOURS] =		{ "553 5.7.1", "Sender address is not yours" },
	/* -x: a bad, missing or untrusted PROXY protocol header */
	[SR_PROXY] =		{ "421 4.7.0", "PROXY header refused, "
				    "closing connection" },
};

void
smtp_reply(struct session *s, enum reply r)
{
	if (r == SR_NONE)
		return;
	if (replies[r].code[0] == '5')
		s->errors++;
	/* RFC 5321 4.2: 421 names the host that closes. */
	if (strncmp(replies[r].code, "421", 3) == 0)
		io_printf(&s->io, "%s %s %s", replies[r].code, s->cfg.host,
		    replies[r].text);
	else
		io_printf(&s->io, "%s %s", replies[r].code, replies[r].text);
}

void
smtp_finish(struct session *s, enum reply r, int status, const char *result)
{
	char f[9][ADDRESS_MAX + 32], helo[LOG_TEXT_MAX + 1];
	const char *fields[9];
	int i;

	smtp_reply(s, r);
	io_end(&s->io);
	log_clean(helo, sizeof(helo), s->helo, strlen(s->helo));
	snprintf(f[0], sizeof(f[0]), "SESSION_ID=%s", s->sid);
	snprintf(f[1], sizeof(f[1]), "PEER=%s", s->peer);
	snprintf(f[2], sizeof(f[2]), "HELO=%s", helo);
	snprintf(f[3], sizeof(f[3]), "MESSAGES=%lu", s->delivered);
	snprintf(f[4], sizeof(f[4]), "BYTES=%lld", s->bytes);
	snprintf(f[5], sizeof(f[5]), "ERRORS=%d", s->errors);
	snprintf(f[6], sizeof(f[6]), "TLS=%s",
	    s->io.tls != NULL ? tls_version(s->io.tls) : "none");
	snprintf(f[7], sizeof(f[7]), "USER=%s",
	    s->authuser[0] != '\0' ? s->authuser : "-");
	snprintf(f[8], sizeof(f[8]), "RESULT=%s", result);
	for (i = 0; i < 9; i++)
		fields[i] = f[i];
	log_fields(LOG_INFO, "session end", fields, 9);
	exit(status);
}

void
smtp_reset(struct session *s)
{
	s->ngroups = 0;
	s->nboxes = 0;
	s->size_hint = 0;
	s->utf8 = 0;
	if (s->state != S_START)
		s->state = S_READY;
}
