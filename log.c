/*
 * log.c: logging to the journal, with structured fields, or to syslog
 * where there is no journal; and the one fatal-error helper.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "tunables.h"
#include "log.h"

#define JOURNAL_SOCKET	"/run/systemd/journal/socket"
#define FIELDS_MAX	16

static const char *progname = "mail";
static int stderr_ok = -1;	/* fd 2 is not a socket; -1: not known yet */
static int journal = -1;	/* a datagram socket connected to the journal */

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
	struct sockaddr_un sa = { .sun_family = AF_UNIX,
	    .sun_path = JOURNAL_SOCKET };

	progname = prog;
	/* The journal's own datagram protocol, as libsystemd speaks it,
	 * without loading libsystemd's libraries into every session. */
	journal = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (journal >= 0 &&
	    connect(journal, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(journal);
		journal = -1;
	}
	if (journal < 0)
		openlog(prog, LOG_PID | LOG_NDELAY, LOG_MAIL);
	(void)may_print();
}

/* Append one field, "KEY=value", to an entry of the journal's native
 * protocol in buf: as a line, or, if the value holds a newline, as the
 * key, a newline, the value's length (64 bits, little-endian) and the
 * value.  Returns the new length, or size if it does not fit. */
static size_t
field(char *buf, size_t len, size_t size, const char *f)
{
	const char *eq = strchr(f, '='), *val;
	size_t klen, vlen, i;
	unsigned long long v;

	if (eq == NULL)
		return len;
	val = eq + 1;
	klen = (size_t)(eq - f);
	vlen = strlen(val);
	if (strchr(val, '\n') == NULL) {
		if (size - len < klen + vlen + 2)
			return size;
		memcpy(buf + len, f, klen + 1 + vlen);
		len += klen + 1 + vlen;
	} else {
		if (size - len < klen + vlen + 10)
			return size;
		memcpy(buf + len, f, klen);
		len += klen;
		buf[len++] = '\n';
		for (i = 0, v = vlen; i < 8; i++, v >>= 8)
			buf[len++] = (char)(v & 0xff);
		memcpy(buf + len, val, vlen);
		len += vlen;
	}
	buf[len++] = '\n';
	return len;
}

/* Send msg with fields to the journal; returns 0, or -1 so that the
 * caller falls back to syslog. */
static int
to_journal(int prio, const char *msg, const char *const *fields, size_t n)
{
	static char buf[LOG_LINE_MAX + FIELDS_MAX * LOG_FIELD_MAX];
	char m[LOG_LINE_MAX], p[32], id[64];
	const char *head[] = { m, p, id, "SYSLOG_FACILITY=2" };	/* mail */
	size_t i, len = 0;

	snprintf(m, sizeof(m), "MESSAGE=%s", msg);
	snprintf(p, sizeof(p), "PRIORITY=%d", prio);
	snprintf(id, sizeof(id), "SYSLOG_IDENTIFIER=%s", progname);
	for (i = 0; i < 4; i++)
		len = field(buf, len, sizeof(buf), head[i]);
	for (i = 0; i < n && i < FIELDS_MAX; i++)
		len = field(buf, len, sizeof(buf), fields[i]);
	if (len >= sizeof(buf))
		return -1;
	return send(journal, buf, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

void
log_fields(int prio, const char *msg, const char *const *fields, size_t n)
{
	char line[LOG_LINE_MAX];
	size_t i, len;

	if (journal >= 0 && to_journal(prio, msg, fields, n) == 0)
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

void
log_note(const char *fmt, ...)
{
	char buf[LOG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (may_print())
		fprintf(stderr, "%s: %s\n", progname, buf);
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
