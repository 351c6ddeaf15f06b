/*
 * log.c: syslog logging and the one fatal-error helper.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include "limits.h"
#include "log.h"

static const char *progname = "mail";
static int stderr_ok = -1;	/* fd 2 is not a socket; -1: not known yet */

/* Whether fatal messages may go to fd 2: never when it is a socket, since
 * under inetd-style launchers that socket is the client. */
static int
may_print(void)
{
	struct stat st;

	if (stderr_ok < 0)
		stderr_ok = fstat(2, &st) == 0 && !S_ISSOCK(st.st_mode);
	return stderr_ok;
}

void
log_open(const char *prog)
{
	progname = prog;
	openlog(prog, LOG_PID | LOG_NDELAY, LOG_MAIL);
	(void)may_print();
}

void
log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(prio, fmt, ap);
	va_end(ap);
}

void
die(int status, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	syslog(LOG_ERR, "fatal: %s", buf);
	if (may_print())
		fprintf(stderr, "%s: fatal: %s\n", progname, buf);
	exit(status);
}

void
usage_error(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	syslog(LOG_ERR, "usage: %s", buf);
	if (may_print())
		fprintf(stderr, "%s: %s (see --help)\n", progname, buf);
	exit(EXIT_USAGE);
}

char *
log_clean(char *dst, size_t dstsize, const char *src, size_t len)
{
	size_t i, max;

	max = dstsize - 1;
	if (max > LOG_TEXT_MAX)
		max = LOG_TEXT_MAX;
	if (len > max)
		len = max;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	dst[len] = '\0';
	return dst;
}
