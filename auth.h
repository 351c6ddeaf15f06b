/*
 * auth.h: checking a login, for POP3 USER/PASS (RFC 1939), POP3 AUTH (RFC
 * 5034) and SMTP AUTH (RFC 4954): base64, the PLAIN mechanism (RFC 4616),
 * and a password check whose failure costs the same whatever was wrong.
 */
#ifndef AUTH_H
#define AUTH_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "users.h"

enum auth_result {
	AUTH_OK,		/* the password is the user's */
	AUTH_FAIL,		/* unknown user or wrong password */
	AUTH_TEMP		/* no check could be made now (the users file
				 * cannot be read, libcrypt not loaded, no
				 * memory); logged */
};

/* Decode the base64 text in (RFC 4648 section 4: padded, no spaces or
 * line breaks) into out, which has room for size bytes; a NUL is put
 * after the result.  Returns its length, or -1 if in is not base64 or
 * the result does not fit. */
ssize_t	auth_b64_decode(const char *in, char *out, size_t size);

/* Split a decoded PLAIN message, "authzid NUL authcid NUL password" (RFC
 * 4616), of len bytes in buf, setting *user and *password to point into
 * buf.  Returns 0; 1 if it asks to act as someone else (an authorization
 * identity other than none or the user's own), which is never allowed
 * and must fail like a wrong password; or -1 if the message has not
 * that shape. */
int	auth_plain(char *buf, size_t len, const char **user,
	    const char **password);

/* Check user (NULL: none) and password against the users file, read
 * again if it changed.  start is when the client asked: a failure
 * returns no sooner than AUTH_FAIL_DELAY seconds after it, so that time
 * tells nothing about what was wrong.  On AUTH_OK *u is the user. */
enum auth_result auth_check(struct users *users, const char *user,
	    const char *password, const struct timespec *start,
	    const struct user **u);

#endif
