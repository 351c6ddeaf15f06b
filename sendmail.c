/*
 * sendmail.c: the sendmail(8) command of local programs (cron, mailx,
 * git send-email, PHP's mail()), with the command line of Postfix's and
 * OpenSMTPD's.  It needs no privilege: it hands the message to the
 * running smtp-handler over a Unix socket, which learns the caller's uid
 * from the kernel (SO_PEERCRED) and delivers through the same code and
 * checks as any SMTP client's mail: local recipients only, aliases,
 * subaddresses, the size limit, quotas.  DESIGN.md, "sendmail", says why
 * this and not a setuid or setgid program.
 *
 * Nothing is lost: a message that cannot be delivered now, or is
 * refused, is appended to the caller's ~/dead.letter, as mailx does, and
 * the one line on stderr says so.  The exit status is of sysexits.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "tunables.h"

static const char help[] =
"usage: sendmail [-t] [-i] [-f SENDER] [-F NAME] [-v] [RECIPIENT...]\n"
"       sendmail -bs\n"
"Hand a message on standard input to the local mail server, for local\n"
"recipients only.\n"
"\n"
"  -t           take the recipients from To, Cc and Bcc (Bcc is removed)\n"
"  -i, -oi      a line with a single dot is content, not the end\n"
"  -f, -r SENDER\n"
"               the envelope sender (default: the calling user)\n"
"  -F NAME      the display name of a From: added when there is none\n"
"  -v           show the SMTP dialogue on standard error\n"
"  -bm          deliver the message (the default)\n"
"  -bs          an SMTP session on standard input and output\n"
"  -bi          nothing to do: aliases are read as they change\n"
"  -q           nothing to do: there is no queue to run\n"
"      --socket PATH\n"
"               the server's socket (default " SENDMAIL_SOCKET ",\n"
"               or $MAILSERVER_SOCKET)\n"
"      --help   show this help\n"
"Postfix's other options (-B, -C, -N, -R, -V, -U, -L, -o..., ...) are\n"
"accepted and ignored.\n";

struct job {
	const char *sender;	/* -f, or NULL: the calling user */
	const char *fullname;	/* -F */
	const char *socket;
	int	dot_ok;		/* -i: a lone dot is content */
	int	from_headers;	/* -t */
	int	verbose;	/* -v */
	char	mode;		/* -b: 'm' or 's' */
	char	**rcpt;		/* the recipients */
	size_t	nrcpt, cap;
	char	user[64];	/* the calling user's name */
	char	home[4096];
	int	msg;		/* the message, as read, in a memfd */
	size_t	len;
	char	*text;		/* mapped */
	size_t	body;		/* where the header ends (after its line) */
	int	add_blank;	/* the body starts with no blank line */
	int	has_from, has_date, has_msgid;
	int	fd;		/* the server */
	char	in[IO_BUFSIZE];
	size_t	ilen;
};

static void __attribute__((noreturn, format(printf, 2, 3)))
fail(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("sendmail: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static void
add_rcpt(struct job *j, const char *addr, size_t len)
{
	char **n;

	while (len > 0 && (addr[0] == ' ' || addr[0] == '\t')) {
		addr++;
		len--;
	}
	while (len > 0 && (addr[len - 1] == ' ' || addr[len - 1] == '\t'))
		len--;
	if (len == 0)
		return;
	if (len > ADDRESS_MAX)
		fail(EX_DATAERR, "recipient too long: %.*s", 60, addr);
	if (j->nrcpt == j->cap) {
		j->cap = j->cap == 0 ? 16 : j->cap * 2;
		if (j->cap > SENDMAIL_RCPT_MAX)
			fail(EX_USAGE, "more than %d recipients",
			    SENDMAIL_RCPT_MAX);
		if ((n = reallocarray(j->rcpt, j->cap, sizeof(*n))) == NULL)
			fail(EX_OSERR, "out of memory");
		j->rcpt = n;
	}
	if ((j->rcpt[j->nrcpt] = strndup(addr, len)) == NULL)
		fail(EX_OSERR, "out of memory");
	j->nrcpt++;
}

/* The options, as Postfix's sendmail takes them; those it ignores are
 * ignored here too, so that no caller breaks. */
static void
options(struct job *j, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	j->mode = 'm';
	opterr = 0;
	while ((ch = getopt_long(argc, argv,
	    "+A:B:C:F:GIL:N:O:R:UV:X:b:ce:f:h:imno:p:q::r:tvx", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'b':
			if (strcmp(optarg, "m") == 0 ||
			    strcmp(optarg, "s") == 0)
				j->mode = optarg[0];
			else if (strcmp(optarg, "i") == 0)
				exit(EX_OK);	/* newaliases */
			else
				fail(EX_USAGE, "-b%s is not supported: only "
				    "-bm, -bs and -bi", optarg);
			break;
		case 'f':
		case 'r':
			j->sender = optarg;
			break;
		case 'F': j->fullname = optarg; break;
		case 'i': j->dot_ok = 1; break;
		case 'o':
			/* -oi is -i; every other -oX is ignored. */
			if (strcmp(optarg, "i") == 0)
				j->dot_ok = 1;
			break;
		case 't': j->from_headers = 1; break;
		case 'v': j->verbose = 1; break;
		case 'q':
			/* -q, -q30m, -qRsite: there is no queue to run. */
			exit(EX_OK);
		case 'S': j->socket = optarg; break;
		case 'H':
			fputs(help, stdout);
			exit(EX_OK);
		case '?':
			fail(EX_USAGE, "unknown option %s (see --help)",
			    argv[optind - 1]);
		default:
			break;		/* accepted and ignored */
		}
	}
	for (; optind < argc; optind++)
		add_rcpt(j, argv[optind], strlen(argv[optind]));
}

/* Read standard input into j->msg, LF line ends; without -i a line that
 * is a single dot ends the input, as traditional sendmail does.  CRLF
 * is kept as it came. */
static void
read_message(struct job *j)
{
	char buf[IO_BUFSIZE], line[4];
	size_t n, i, at_bol = 1, held = 0;
	ssize_t r;
	int done = 0;

	if ((j->msg = memfd_create("message", MFD_CLOEXEC)) < 0)
		fail(EX_OSERR, "memfd_create: %s", strerror(errno));
	/* held: a "." at the start of a line, waiting for its LF. */
	while (!done && (r = read(0, buf, sizeof(buf))) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fail(EX_IOERR, "reading the message: %s",
			    strerror(errno));
		}
		n = (size_t)r;
		for (i = 0; i < n && !done; i++) {
			char c = buf[i];

			if (!j->dot_ok && held > 0) {
				if (c == '\n' || (c == '\r' && held == 1)) {
					if (c == '\r') {
						held = 2;
						continue;
					}
					done = 1;
					break;
				}
				memcpy(line, held == 2 ? ".\r" : ".", held);
				if (write(j->msg, line, held) != (ssize_t)held)
					fail(EX_IOERR, "memfd: %s",
					    strerror(errno));
				j->len += held;
				held = 0;
				at_bol = 0;
			}
			if (!j->dot_ok && at_bol && c == '.') {
				held = 1;
				continue;
			}
			if (write(j->msg, &c, 1) != 1)
				fail(EX_IOERR, "memfd: %s", strerror(errno));
			j->len++;
			at_bol = c == '\n';
			if (j->len > SENDMAIL_SIZE_MAX)
				fail(EX_DATAERR, "message over %lld octets",
				    (long long)SENDMAIL_SIZE_MAX);
		}
	}
	if (held > 0 && !done) {
		if (write(j->msg, held == 2 ? ".\r" : ".", held) !=
		    (ssize_t)held)
			fail(EX_IOERR, "memfd: %s", strerror(errno));
		j->len += held;
	}
	if (j->len == 0)
		j->text = "";
	else if ((j->text = mmap(NULL, j->len, PROT_READ | PROT_WRITE,
	    MAP_SHARED, j->msg, 0)) == MAP_FAILED)
		fail(EX_OSERR, "mmap: %s", strerror(errno));
}

/* The length of the line at p (to and with its LF), within end. */
static size_t
line_len(const char *p, const char *end)
{
	const char *lf = memchr(p, '\n', (size_t)(end - p));

	return lf != NULL ? (size_t)(lf - p) + 1 : (size_t)(end - p);
}

/* Whether the line at p is a blank line (LF or CRLF alone). */
static int
blank(const char *p, size_t n)
{
	return (n == 1 && p[0] == '\n') || (n == 2 && p[0] == '\r' &&
	    p[1] == '\n') || n == 0;
}

/* Whether the line at p (n octets) starts a header field: a name of
 * printable ASCII but ':', then ':' (RFC 5322 2.2), white space before
 * it allowed as the obsolete syntax has it (4.5). */
static int
is_field(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && (unsigned char)p[i] > ' ' &&
	    (unsigned char)p[i] < 127 && p[i] != ':')
		i++;
	if (i == 0)
		return 0;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i < n && p[i] == ':';
}

/* Add the addresses of one To, Cc or Bcc field (value v, n octets):
 * each "Name <addr>" or bare addr, at commas outside quotes and angle
 * brackets; a group "name: ... ;" gives its members. */
static void
field_addresses(struct job *j, const char *v, size_t n)
{
	size_t i, start = 0, lt = 0, gt = 0;
	int quote = 0, angle = 0;

	for (i = 0; i <= n; i++) {
		char c = i < n ? v[i] : ',';

		if (quote) {
			if (c == '\\' && i + 1 < n)
				i++;
			else if (c == '"')
				quote = 0;
			continue;
		}
		if (c == '"')
			quote = 1;
		else if (c == '<') {
			angle = 1;
			lt = i;
		} else if (c == '>' && angle) {
			angle = 0;
			gt = i;
		} else if (c == ':' && !angle)
			start = i + 1;		/* a group's name */
		else if ((c == ',' || c == ';' || c == '\r' || c == '\n') &&
		    !angle) {
			if (gt > lt && lt >= start)
				add_rcpt(j, v + lt + 1, gt - lt - 1);
			else
				add_rcpt(j, v + start, i - start);
			start = i + 1;
			lt = gt = 0;
		}
	}
}

/* Look at the header: which fields are there, the recipients of -t,
 * and the Bcc fields, each of whose lines is blanked out (its first
 * octet made NUL) so that it is neither sent nor kept. */
static void
read_header(struct job *j)
{
	char *p = j->text, *end = j->text + j->len, *f;
	size_t n, flen;
	int bcc;

	while (p < end) {
		n = line_len(p, end);
		if (blank(p, n)) {
			p += n;
			break;
		}
		/* A line that is no field ("echo hello | sendmail root")
		 * starts the body, as Postfix takes it: the blank line it
		 * lacks is added in front of it. */
		if (!is_field(p, n)) {
			j->add_blank = 1;
			break;
		}
		/* A field and its continuation lines. */
		f = p;
		flen = n;
		while (f + flen < end && (f[flen] == ' ' || f[flen] == '\t'))
			flen += line_len(f + flen, end);
		if (strncasecmp(f, "From:", 5) == 0)
			j->has_from = 1;
		else if (strncasecmp(f, "Date:", 5) == 0)
			j->has_date = 1;
		else if (strncasecmp(f, "Message-ID:", 11) == 0)
			j->has_msgid = 1;
		bcc = strncasecmp(f, "Bcc:", 4) == 0;
		if (j->from_headers && (strncasecmp(f, "To:", 3) == 0 ||
		    strncasecmp(f, "Cc:", 3) == 0 || bcc))
			field_addresses(j, f + (bcc ? 4 : 3),
			    flen - (bcc ? 4 : 3));
		/* Bcc is for the envelope alone: the stored copy must not
		 * show it, nor any of its continuation lines. */
		for (p = f; bcc && p < f + flen; p += line_len(p, end))
			p[0] = '\0';
		p = f + flen;
	}
	j->body = (size_t)(p - j->text);
}

/* --- The SMTP dialogue ---------------------------------------------- */

static void
send_all(struct job *j, const char *buf, size_t len)
{
	ssize_t w;

	while (len > 0) {
		if ((w = send(j->fd, buf, len, MSG_NOSIGNAL)) < 0) {
			if (errno == EINTR)
				continue;
			fail(EX_TEMPFAIL, "the mail server went away: %s",
			    strerror(errno));
		}
		buf += w;
		len -= (size_t)w;
	}
}

static void __attribute__((format(printf, 2, 3)))
command(struct job *j, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf) - 2)
		fail(EX_SOFTWARE, "command too long");
	if (j->verbose)
		fprintf(stderr, ">>> %s\n", buf);
	memcpy(buf + n, "\r\n", 2);
	send_all(j, buf, (size_t)n + 2);
}

/* Read one reply (its last line into text, size octets); returns its
 * code, or 0 when the server went away or took too long. */
static int
reply(struct job *j, char *text, size_t size)
{
	struct pollfd p = { j->fd, POLLIN, 0 };
	char *lf;
	size_t n;
	ssize_t r;
	int code;

	for (;;) {
		while ((lf = memchr(j->in, '\n', j->ilen)) != NULL) {
			n = (size_t)(lf - j->in) + 1;
			j->in[n - 1] = '\0';
			if (n >= 2 && j->in[n - 2] == '\r')
				j->in[n - 2] = '\0';
			if (j->verbose)
				fprintf(stderr, "<<< %s\n", j->in);
			snprintf(text, size, "%.*s", (int)(size - 1), j->in);
			code = atoi(j->in);
			r = n > 3 && j->in[3] == '-';
			memmove(j->in, j->in + n, j->ilen - n);
			j->ilen -= n;
			if (!r)
				return code;
		}
		if (j->ilen == sizeof(j->in))
			return 0;
		if (poll(&p, 1, SENDMAIL_TIMEOUT * 1000) <= 0)
			return 0;
		r = recv(j->fd, j->in + j->ilen, sizeof(j->in) - j->ilen, 0);
		if (r <= 0)
			return 0;
		j->ilen += (size_t)r;
	}
}

/* Connect to the server's socket; returns the descriptor, or -1. */
static int
connect_server(struct job *j)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(j->socket) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, j->socket, strlen(j->socket) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* Keep the message in ~/dead.letter, in mbox form as mailx does, and
 * end with status, saying why and where. */
static void __attribute__((noreturn))
keep(struct job *j, int status, const char *why)
{
	char path[sizeof(j->home) + 16], head[256];
	const char *p = j->text, *end = j->text + j->len;
	time_t now = time(NULL);
	size_t n;
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/dead.letter", j->home);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0 || (f = fdopen(fd, "a")) == NULL)
		fail(status, "%s, and the message could not be kept in %s: "
		    "%s", why, path, strerror(errno));
	snprintf(head, sizeof(head), "From %s %s", j->sender != NULL ?
	    j->sender : j->user, ctime(&now));
	fputs(head, f);
	while (p < end) {
		n = line_len(p, end);
		if (j->add_blank && p == j->text + j->body)
			fputc('\n', f);
		/* mbox: a line that starts with "From " gets a '>'. */
		if (n >= 5 && memcmp(p, "From ", 5) == 0)
			fputc('>', f);
		if (p[0] != '\0')	/* a removed Bcc field */
			fwrite(p, 1, n, f);
		p += n;
	}
	if (j->len > 0 && end[-1] != '\n')
		fputc('\n', f);
	fputc('\n', f);
	if (fclose(f) == EOF)
		fail(status, "%s, and the message could not be kept in %s: "
		    "%s", why, path, strerror(errno));
	fail(status, "%s; the message is kept in %s", why, path);
}

/* The exit status a refusal earns. */
static int
status_of(int code, const char *text)
{
	if (code == 0 || code / 100 == 4)
		return EX_TEMPFAIL;
	/* 550 5.1.1 no such user, 550 5.7.1 relaying denied: the
	 * recipient is no local user. */
	if (strncmp(text + 4, "5.1.", 4) == 0 ||
	    strncmp(text + 4, "5.7.1", 5) == 0)
		return EX_NOUSER;
	if (strncmp(text + 4, "5.1.7", 5) == 0 ||
	    strncmp(text + 4, "5.5.", 4) == 0)
		return EX_DATAERR;
	return EX_UNAVAILABLE;
}

/* Send the message, CRLF line ends and dots stuffed (RFC 5321 4.5.2),
 * with the fields it lacks in front: From, Date, Message-ID, as every
 * MTA's sendmail adds them. */
static void
send_message(struct job *j, const char *sender)
{
	const char *p = j->text, *end = j->text + j->len, *at;
	char out[IO_BUFSIZE + 8], date[64];
	time_t now = time(NULL);
	struct tm tm;
	size_t n, o = 0, k;

	at = strrchr(sender, '@');
	if (localtime_r(&now, &tm) != NULL)
		strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	else
		snprintf(date, sizeof(date), "%lld", (long long)now);
	if (!j->has_from) {
		if (j->fullname != NULL)
			command(j, "From: %s <%s>", j->fullname, sender);
		else
			command(j, "From: <%s>", sender);
	}
	if (!j->has_date)
		command(j, "Date: %s", date);
	if (!j->has_msgid)
		command(j, "Message-ID: <%lld.%ld.%s@%s>", (long long)now,
		    (long)getpid(), j->user, at != NULL ? at + 1 : "localhost");
	while (p < end) {
		n = line_len(p, end);
		if (p[0] == '\0') {		/* a removed Bcc field */
			p += n;
			continue;
		}
		if (j->add_blank && p == j->text + j->body) {
			if (o + 2 > IO_BUFSIZE) {
				send_all(j, out, o);
				o = 0;
			}
			out[o++] = '\r';
			out[o++] = '\n';
		}
		k = n;
		if (k > 0 && p[k - 1] == '\n')
			k--;
		if (k > 0 && p[k - 1] == '\r')
			k--;
		if (o + k + 4 > IO_BUFSIZE) {
			send_all(j, out, o);
			o = 0;
		}
		if (k > 0 && p[0] == '.')
			out[o++] = '.';
		while (k > IO_BUFSIZE - o - 4) {
			size_t part = IO_BUFSIZE - o - 4;

			memcpy(out + o, p, part);
			send_all(j, out, o + part);
			o = 0;
			p += part;
			n -= part;
			k -= part;
		}
		memcpy(out + o, p, k);
		o += k;
		out[o++] = '\r';
		out[o++] = '\n';
		p += n;
	}
	memcpy(out + o, ".\r\n", 3);
	send_all(j, out, o + 3);
	if (j->verbose)
		fprintf(stderr, ">>> (the message, %zu octets)\n>>> .\n",
		    j->len);
}

/* -bm: the transaction, all recipients or none. */
static void
deliver(struct job *j)
{
	char text[512], sender[ADDRESS_MAX + 1];
	const char *lt, *gt;
	size_t i;
	int code;

	if ((code = reply(j, text, sizeof(text))) != 220)
		keep(j, EX_TEMPFAIL, "the mail server is not ready");
	command(j, "EHLO localhost");
	if ((code = reply(j, text, sizeof(text))) != 250)
		keep(j, EX_TEMPFAIL, "the mail server refused EHLO");
	command(j, "MAIL FROM:<%s>", j->sender != NULL ? j->sender : j->user);
	if ((code = reply(j, text, sizeof(text))) != 250) {
		fprintf(stderr, "sendmail: sender %s: %s\n", j->sender != NULL ?
		    j->sender : j->user, text);
		keep(j, status_of(code, text), "the sender was refused");
	}
	/* The server says the sender it took, qualified. */
	snprintf(sender, sizeof(sender), "%s", j->sender != NULL ? j->sender :
	    j->user);
	if ((lt = strchr(text, '<')) != NULL && (gt = strchr(lt, '>')) !=
	    NULL && (size_t)(gt - lt) <= ADDRESS_MAX)
		snprintf(sender, sizeof(sender), "%.*s", (int)(gt - lt - 1),
		    lt + 1);
	for (i = 0; i < j->nrcpt; i++) {
		command(j, "RCPT TO:<%s>", j->rcpt[i]);
		if ((code = reply(j, text, sizeof(text))) != 250) {
			fprintf(stderr, "sendmail: %s: %s\n", j->rcpt[i],
			    text);
			command(j, "QUIT");
			keep(j, status_of(code, text), "nothing was "
			    "delivered, to anyone");
		}
	}
	command(j, "DATA");
	if ((code = reply(j, text, sizeof(text))) != 354) {
		fprintf(stderr, "sendmail: %s\n", code != 0 ? text :
		    "no answer to DATA");
		keep(j, status_of(code, text), "the mail server refused DATA");
	}
	send_message(j, sender);
	if ((code = reply(j, text, sizeof(text))) != 250) {
		fprintf(stderr, "sendmail: %s\n", code != 0 ? text :
		    "no answer after the message");
		keep(j, status_of(code, text), "the message was not delivered");
	}
	command(j, "QUIT");
	(void)reply(j, text, sizeof(text));
}

/* -bs: the session is the server's; carry it both ways. */
static void __attribute__((noreturn))
relay(struct job *j)
{
	struct pollfd p[2] = { { 0, POLLIN, 0 }, { j->fd, POLLIN, 0 } };
	char buf[IO_BUFSIZE];
	ssize_t n;
	int out;

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			fail(EX_OSERR, "poll: %s", strerror(errno));
		}
		if (p[1].revents) {
			if ((n = recv(j->fd, buf, sizeof(buf), 0)) <= 0)
				exit(EX_OK);
			for (out = 0; out < n;) {
				ssize_t w = write(1, buf + out,
				    (size_t)(n - out));

				if (w <= 0)
					exit(EX_IOERR);
				out += (int)w;
			}
		}
		if (p[0].revents) {
			if ((n = read(0, buf, sizeof(buf))) <= 0) {
				shutdown(j->fd, SHUT_WR);
				p[0].fd = -1;
			} else
				send_all(j, buf, (size_t)n);
		}
	}
}

int
main(int argc, char **argv)
{
	static struct job j;
	struct passwd *pw;
	const char *home;

	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fail(EX_OSERR, "signal: %s", strerror(errno));
	umask(077);
	/* The user is the kernel's: the uid, not $USER or $LOGNAME. */
	if ((pw = getpwuid(getuid())) == NULL)
		fail(EX_NOUSER, "no user of uid %ld", (long)getuid());
	snprintf(j.user, sizeof(j.user), "%s", pw->pw_name);
	/* ~ is $HOME, as mailx and the shell take it (the caller's own
	 * choice, since nothing here is privileged); the passwd entry's
	 * directory when $HOME is unset or not absolute. */
	home = getenv("HOME");
	if (home == NULL || home[0] != '/')
		home = pw->pw_dir;
	snprintf(j.home, sizeof(j.home), "%s", home);
	j.socket = getenv("MAILSERVER_SOCKET");
	if (j.socket == NULL || j.socket[0] == '\0')
		j.socket = SENDMAIL_SOCKET;
	options(&j, argc, argv);
	if (j.mode == 's') {
		if ((j.fd = connect_server(&j)) < 0)
			fail(EX_TEMPFAIL, "unable to reach the mail server at "
			    "%s: %s", j.socket, strerror(errno));
		relay(&j);
	}
	read_message(&j);
	read_header(&j);
	if (j.nrcpt == 0) {
		const char *why = j.from_headers ? "no recipients in To, Cc "
		    "or Bcc" : "no recipients (give them, or -t)";

		/* A message read is not lost for want of a recipient. */
		if (j.len > 0)
			keep(&j, EX_USAGE, why);
		fail(EX_USAGE, "%s", why);
	}
	if ((j.fd = connect_server(&j)) < 0) {
		char why[sizeof(j.home) + 300];

		snprintf(why, sizeof(why), "unable to reach the mail server "
		    "at %s: %s", j.socket, strerror(errno));
		keep(&j, EX_TEMPFAIL, why);
	}
	deliver(&j);
	return EX_OK;
}
