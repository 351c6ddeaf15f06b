/*
 * sasl.c: the SASL exchanges of AUTH, shared by both handlers (sasl.h).
 */
#include <string.h>

#include "log.h"
#include "sasl.h"

int
sasl_allowed(const struct io *io, int local, const struct config *c)
{
	return io->tls != NULL || local || c->plaintext_auth;
}

/* Send prompt and challenge, and read the client's response into
 * x->line; *resp is then the response. */
static enum sasl_status
challenge(struct sasl *x, struct io *io, const char *prompt,
    const char *text, int timeout, char **resp)
{
	enum io_status st;
	size_t len;
	int flags;

	io_printf(io, "%s%s", prompt, text);
	st = io_getline(io, x->line, sizeof(x->line) - 1, &len, &flags,
	    timeout);
	if (st == IO_TIMEOUT)
		return SASL_TIMEOUT;
	if (st != IO_LINE)
		return SASL_EOF;
	if (flags & LINE_TOOLONG)
		return SASL_LONG;
	if (flags != 0)
		return SASL_DECODE;
	*resp = x->line;
	return SASL_OK;
}

/* Decode one response into x->plain at off, with room for the rest;
 * *len is its length.  RFC 4954 section 4 and RFC 5034 section 4: "*"
 * cancels, and "=" is an empty initial response. */
static enum sasl_status
decode(struct sasl *x, const char *resp, size_t off, size_t *len)
{
	ssize_t n;

	if (strcmp(resp, "*") == 0)
		return SASL_CANCEL;
	n = auth_b64_decode(strcmp(resp, "=") == 0 ? "" : resp,
	    x->plain + off, sizeof(x->plain) - off);
	if (n < 0)
		return SASL_DECODE;
	*len = (size_t)n;
	return SASL_OK;
}

enum sasl_status
sasl_exchange(struct sasl *x, struct io *io, enum sasl_mech mech,
    const char *prompt, char *resp, int timeout, const char **user,
    const char **password, int *other)
{
	enum sasl_status r;
	size_t len, ulen;
	int rc;

	*other = 0;
	if (mech == SASL_PLAIN) {
		if (resp == NULL && (r = challenge(x, io, prompt, "", timeout,
		    &resp)) != SASL_OK)
			return r;
		if ((r = decode(x, resp, 0, &len)) != SASL_OK)
			return r;
		if ((rc = auth_plain(x->plain, len, user, password)) < 0)
			return SASL_DECODE;
		*other = rc;
		return SASL_OK;
	}
	/* LOGIN: "Username:" and "Password:", in base64. */
	if (resp == NULL && (r = challenge(x, io, prompt, "VXNlcm5hbWU6",
	    timeout, &resp)) != SASL_OK)
		return r;
	if ((r = decode(x, resp, 0, &ulen)) != SASL_OK)
		return r;
	if (ulen == 0 || memchr(x->plain, '\0', ulen) != NULL)
		return SASL_DECODE;
	if ((r = challenge(x, io, prompt, "UGFzc3dvcmQ6", timeout,
	    &resp)) != SASL_OK || (r = decode(x, resp, ulen + 1, &len)) !=
	    SASL_OK)
		return r;
	if (memchr(x->plain + ulen + 1, '\0', len) != NULL)
		return SASL_DECODE;
	*user = x->plain;
	*password = x->plain + ulen + 1;
	return SASL_OK;
}

void
sasl_wipe(struct sasl *x, struct io *io, char *line, size_t size)
{
	explicit_bzero(line, size);
	explicit_bzero(x->line, sizeof(x->line));
	explicit_bzero(x->plain, sizeof(x->plain));
	io_wipe(io);
}

enum auth_result
sasl_check(struct sasl *x, struct io *io, char *line, size_t size,
    struct users *users, const char *user, const char *logname,
    const char *password, const struct timespec *start, const char *sid,
    const char *peer, const struct user **u)
{
	enum auth_result r;
	char clean[LOG_TEXT_MAX + 1];

	r = auth_check(users, user, password, start, u);
	/* logname may be in a buffer the wipe clears. */
	log_clean(clean, sizeof(clean), logname, strlen(logname));
	sasl_wipe(x, io, line, size);
	/* The same line whatever was wrong; AUTH_TEMP was logged by
	 * auth_check(). */
	if (r == AUTH_FAIL)
		log_msg(LOG_NOTICE, "login failed session=%s peer=%s user=%s",
		    sid, peer, clean);
	return r;
}
