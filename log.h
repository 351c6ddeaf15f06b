/*
 * log.h: diagnostics.  Logs go to the journal, with structured fields,
 * when it is there, else to syslog (facility mail); never to the client:
 * under xinetd or systemd's Accept=yes, fds 1 and 2 may both be the
 * client's socket.
 */
#ifndef LOG_H
#define LOG_H

#include <stddef.h>
#include <syslog.h>

/* Exit statuses shared by every program (djb's and skarnet's convention). */
enum {
	EXIT_NORMAL = 0,	/* session ended by QUIT, or --check passed */
	EXIT_ABORTED = 1,	/* session cut: EOF, timeout, too many errors */
	EXIT_USAGE = 100,	/* usage or configuration error */
	EXIT_TEMP = 111		/* temporary system failure */
};

/* Open the log under the name prog; also decides whether fd 2 may carry
 * fatal messages (only when it is not a socket). */
void	log_open(const char *prog);

/* Log msg at priority prio with n fields "KEY=value" (journal field
 * names: upper case, digits and underscores).  The journal stores the
 * fields as fields; syslog gets them as words after the message.  Values
 * from the peer must have been through log_clean. */
void	log_fields(int prio, const char *msg, const char *const *fields,
	    size_t n);

/* Log one line at priority prio (LOG_INFO, LOG_ERR, ...). */
void	log_msg(int prio, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Report "prog: fatal: MESSAGE" to the log and, when it is not a socket,
 * to stderr, then exit with status.  For setup failures and impossible
 * states only. */
void	die(int status, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

/* Print "prog: MESSAGE" to stderr for a usage error and exit EXIT_USAGE. */
void	usage_error(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/* Print "prog: MESSAGE" to stderr when it is not a socket, and nowhere
 * else: what --check reports to the operator. */
void	log_note(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/* Copy at most len bytes of peer-supplied src into dst (size dstsize,
 * at least 1) for logging: control and non-ASCII bytes become '?', and the
 * text is cut to LOG_TEXT_MAX.  Returns dst. */
char	*log_clean(char *dst, size_t dstsize, const char *src, size_t len);

/* Write a session id, unique on this host, into buf: the start time in
 * microseconds and the process id, in hex. */
void	log_session_id(char *buf, size_t size);

#endif
