/*
 * log.c: logging to the journal, with structured fields, or to syslog
 * where there is no journal; and the one fatal-error helper.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "limits.h"
#include "log.h"

#define JOURNAL_SOCKET	"/run/systemd/journal/socket"
#define FIELDS_MAX	16

static const char *progname = "mail";
static int stderr_ok = -1;	/* fd 2 is not a socket; -1: not known yet */
static int journal;		/* the journal is there to take our lines */

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
	journal = access(JOURNAL_SOCKET, W_OK) == 0;
	if (!journal)
		openlog(prog, LOG_PID | LOG_NDELAY, LOG_MAIL);
	(void)may_print();
}

/* Send msg with fields to the journal; returns 0, or -1 so that the
 * caller falls back to syslog. */
static int
to_journal(int prio, const char *msg, const char *const *fields, size_t n)
{
	struct iovec iov[FIELDS_MAX + 4];
	char m[LOG_LINE_MAX], p[32], id[64];
	size_t i, k = 0;

	snprintf(m, sizeof(m), "MESSAGE=%s", msg);
	snprintf(p, sizeof(p), "PRIORITY=%d", prio);
	snprintf(id, sizeof(id), "SYSLOG_IDENTIFIER=%s", progname);
	iov[k].iov_base = m;
	iov[k++].iov_len = strlen(m);
	iov[k].iov_base = p;
	iov[k++].iov_len = strlen(p);
	iov[k].iov_base = id;
	iov[k++].iov_len = strlen(id);
	iov[k].iov_base = (char *)"SYSLOG_FACILITY=2";	/* mail */
	iov[k++].iov_len = 17;
	for (i = 0; i < n && i < FIELDS_MAX; i++) {
		iov[k].iov_base = (char *)fields[i];
		iov[k++].iov_len = strlen(fields[i]);
	}
	return sd_journal_sendv(iov, (int)k) < 0 ? -1 : 0;
}

void
log_fields(int prio, const char *msg, const char *const *fields, size_t n)
{
	char line[LOG_LINE_MAX];
	size_t i, len;

	if (journal && to_journal(prio, msg, fields, n) == 0)
		return;
	/* syslog gets the fields as key=value words after the message. */
	len = (size_t)snprintf(line, sizeof(line), "%s", msg);
	for (i = 0; i < n && len < sizeof(line); i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, " %s",
		    fields[i]);
	syslog(prio, "%s", line);
}

void
log_msg(int prio, const char *fmt, ...)
{
	char buf[LOG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_fields(prio, buf, NULL, 0);
}

void
die(int status, const char *fmt, ...)
{
	char buf[LOG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_msg(LOG_ERR, "fatal: %s", buf);
	if (may_print())
		fprintf(stderr, "%s: fatal: %s\n", progname, buf);
	exit(status);
}

void
usage_error(const char *fmt, ...)
{
	char buf[LOG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_msg(LOG_ERR, "usage: %s", buf);
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

void
log_session_id(char *buf, size_t size)
{
	struct timeval tv;

	if (gettimeofday(&tv, NULL) < 0)
		tv.tv_sec = tv.tv_usec = 0;
	snprintf(buf, size, "%llx%05lx-%lx", (unsigned long long)tv.tv_sec,
	    (unsigned long)tv.tv_usec, (unsigned long)getpid());
}
