/*
 * auth.c: base64, PLAIN, and the login check with its fixed delay.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth.h"
#include "tunables.h"
#include "log.h"

/* The value of a base64 digit, or -1. */
static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

ssize_t
auth_b64_decode(const char *in, char *out, size_t size)
{
	size_t len = strlen(in), i, n = 0;
	int v[4], j, pad;

	if (len % 4 != 0)
		return -1;
	for (i = 0; i < len; i += 4) {
		/* '=' only at the very end: one or two of them. */
		pad = 0;
		for (j = 0; j < 4; j++) {
			if (in[i + j] == '=' && i + 4 == len && j >= 2 &&
			    (j == 3 || in[i + 3] == '=')) {
				v[j] = 0;
				pad++;
			} else if ((v[j] = b64_value((unsigned char)in[i + j]))
			    < 0)
				return -1;
		}
		if (n + 3 - (size_t)pad >= size)
			return -1;
		out[n++] = (char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[n++] = (char)((v[1] & 0xf) << 4 | v[2] >> 2);
		if (pad < 1)
			out[n++] = (char)((v[2] & 0x3) << 6 | v[3]);
	}
	if (size == 0)
		return -1;
	out[n] = '\0';
	return (ssize_t)n;
}

int
auth_plain(char *buf, size_t len, const char **user, const char **password)
{
	char *authcid, *pass, *end = buf + len;

	if ((authcid = memchr(buf, '\0', len)) == NULL)
		return -1;
	authcid++;
	if ((pass = memchr(authcid, '\0', (size_t)(end - authcid))) == NULL)
		return -1;
	pass++;
	/* No third NUL: the password runs to the end. */
	if (memchr(pass, '\0', (size_t)(end - pass)) != NULL ||
	    *authcid == '\0')
		return -1;
	*user = authcid;
	*password = pass;
	return buf[0] == '\0' || strcasecmp(buf, authcid) == 0 ? 0 : 1;
}

/* Sleep until start plus AUTH_FAIL_DELAY seconds. */
static void
delay_from(const struct timespec *start)
{
	struct timespec until = *start;

	until.tv_sec += AUTH_FAIL_DELAY;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL)
	    == EINTR)
		;
}

enum auth_result
auth_check(struct users *users, const char *user, const char *password,
    const struct timespec *start, const struct user **u)
{
	const struct user *found;
	int ok;

	if (users_refresh(users) < 0) {
		log_msg(LOG_ERR, "users file %s: %s", users->path,
		    strerror(errno));
		return AUTH_TEMP;
	}
	/* An unknown user is checked against a dummy hash, at the cost
	 * of a real one (users_check). */
	found = user != NULL ? users_find(users, user) : NULL;
	if ((ok = users_check(found, password)) < 0)
		return AUTH_TEMP;
	if (ok) {
		*u = found;
		return AUTH_OK;
	}
	delay_from(start);
	return AUTH_FAIL;
}
