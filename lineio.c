/*
 * lineio.c: bounded line input and buffered output on the client
 * connection.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lineio.h"
#include "log.h"
#include "net.h"
#include "tls.h"

void
io_init(struct io *io, int in, int out, int timeout)
{
	struct stat st;
	int one = 1, fl;

	io->in = in;
	io->out = out;
	io->tls = NULL;
	io->tty = isatty(in);
	io->failed = 0;
	io->wtimeout = timeout;
	io->beat = NULL;
	io->beat_arg = NULL;
	io->ipos = io->ilen = io->olen = 0;
	if (fstat(out, &st) < 0 || !S_ISSOCK(st.st_mode))
		return;
	/* Replies leave in one write each flush; without this a spawned
	 * server loses 40 ms a reply to Nagle plus delayed ACK.  Fails
	 * harmlessly when the socket is not TCP. */
	(void)setsockopt(out, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* Launchers hand over a blocking socket, on which a client that
	 * stops reading would hold write() forever; non-blocking, every
	 * write waits in poll() under the session timeout.  Pipes and
	 * terminals are left alone: they may be shared with a shell. */
	if ((fl = fcntl(out, F_GETFL)) >= 0 && !(fl & O_NONBLOCK))
		(void)fcntl(out, F_SETFL, fl | O_NONBLOCK);
}

void
io_beat(struct io *io, void (*fn)(void *), void *arg)
{
	io->beat = fn;
	io->beat_arg = arg;
}

/* Wait until fd is ready for events or the deadline passes, calling the
 * beat (io_beat) before each poll(), which then waits at most
 * STORE_LOCK_BEAT seconds.  Returns 1 when ready, 0 on timeout, -1 on
 * error. */
static int
wait_fd(struct io *io, int fd, short events, long long deadline)
{
	struct pollfd pfd;
	long long left, slice;
	int n;

	slice = io->beat != NULL ? STORE_LOCK_BEAT * 1000LL : 60000;
	for (;;) {
		if (io->beat != NULL)
			io->beat(io->beat_arg);
		left = deadline - net_now_ms();
		if (left <= 0)
			return 0;
		pfd.fd = fd;
		pfd.events = events;
		n = poll(&pfd, 1, (int)(left > slice ? slice : left));
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* Wait for what a TLS step asked for (TLS_WANT_READ or TLS_WANT_WRITE).
 * Returns 1 when ready, 0 on timeout, -1 on error or TLS_FAILED. */
static int
wait_tls(struct io *io, ssize_t want, long long deadline)
{
	if (want == TLS_WANT_READ)
		return wait_fd(io, io->in, POLLIN, deadline);
	if (want == TLS_WANT_WRITE)
		return wait_fd(io, io->out, POLLOUT, deadline);
	return -1;
}

/* fill() under TLS: read first, since OpenSSL may hold decrypted bytes
 * that poll() cannot see, and wait only when it asks. */
static enum io_status
fill_tls(struct io *io, long long deadline)
{
	ssize_t n;
	int r;

	for (;;) {
		n = tls_read(io->tls, io->ibuf, sizeof(io->ibuf));
		if (n > 0) {
			io->ilen = (size_t)n;
			return IO_LINE;
		}
		if (n == 0)
			return IO_EOF;
		if ((r = wait_tls(io, n, deadline)) == 0)
			return IO_TIMEOUT;
		if (r < 0)
			return IO_ERROR;
	}
}

/* Refill the input buffer.  Returns an io_status; IO_LINE means "data". */
static enum io_status
fill(struct io *io, long long deadline)
{
	ssize_t n;
	int r;

	if (io_flush(io) < 0)
		return IO_ERROR;
	io->ipos = io->ilen = 0;
	if (io->tls != NULL)
		return fill_tls(io, deadline);
	for (;;) {
		r = wait_fd(io, io->in, POLLIN, deadline);
		if (r == 0)
			return IO_TIMEOUT;
		if (r < 0)
			return IO_ERROR;
		n = read(io->in, io->ibuf, sizeof(io->ibuf));
		if (n > 0) {
			io->ilen = (size_t)n;
			return IO_LINE;
		}
		if (n == 0)
			return IO_EOF;
		if (errno != EINTR && errno != EAGAIN)
			return IO_ERROR;
	}
}

/* Append in[0..n) to the line, noting NULs and CRs; what does not fit is
 * dropped and flagged.  A CR is held back in *cr, since only the next
 * byte tells whether it is the CR of a CRLF.  Runs of ordinary bytes are
 * found with strnlen() and memchr(), which look at many octets a step,
 * and copied whole: DATA passes every octet of a message through here. */
static void
append(char *line, size_t max, size_t *len, int *flags, int *cr,
    const char *in, size_t n)
{
	const char *stop;
	size_t run, room;

	while (n > 0) {
		if (*cr) {
			*flags |= LINE_BARE_CR;
			*cr = 0;
			if (*len < max)
				line[(*len)++] = '\r';
			else
				*flags |= LINE_TOOLONG;
		}
		run = strnlen(in, n);
		if ((stop = memchr(in, '\r', run)) != NULL)
			run = (size_t)(stop - in);
		room = max - *len;
		if (run > room) {
			*flags |= LINE_TOOLONG;
			memcpy(line + *len, in, room);
			*len = max;
		} else {
			memcpy(line + *len, in, run);
			*len += run;
		}
		in += run;
		n -= run;
		if (n == 0)
			break;
		if (*in == '\r')
			*cr = 1;
		else {
			*flags |= LINE_NUL;
			if (*len < max)
				line[(*len)++] = '\0';
			else
				*flags |= LINE_TOOLONG;
		}
		in++;
		n--;
	}
}

/* io_getline() and io_getdata(): lf_ends says whether a LF without a CR
 * ends the line (flagged LINE_LF_END) or is kept inside it (flagged
 * LINE_BARE_LF). */
static enum io_status
get_line(struct io *io, char *line, size_t max, size_t *len, int *flags,
    int timeout, int lf_ends)
{
	long long deadline = 0;
	enum io_status st;
	char *lf;
	size_t n;
	int cr = 0;

	*len = 0;
	*flags = 0;
	for (;;) {
		if (io->ipos == io->ilen) {
			/* The clock is read only when the line must wait: a
			 * message's lines mostly come from the buffer. */
			if (deadline == 0)
				deadline = net_now_ms() + timeout * 1000LL;
			st = fill(io, deadline);
			if (st != IO_LINE)
				return st;
		}
		n = io->ilen - io->ipos;
		lf = memchr(io->ibuf + io->ipos, '\n', n);
		if (lf != NULL)
			n = (size_t)(lf - (io->ibuf + io->ipos));
		append(line, max, len, flags, &cr, io->ibuf + io->ipos, n);
		io->ipos += n;
		if (lf == NULL)
			continue;
		io->ipos++;
		if (cr || io->tty || lf_ends) {
			if (!cr && !io->tty)
				*flags |= LINE_LF_END;
			line[*len] = '\0';
			return IO_LINE;
		}
		/* A bare LF does not end the line: it becomes part of it,
		 * so it can never split one command line into two. */
		*flags |= LINE_BARE_LF;
		append(line, max, len, flags, &cr, "\n", 1);
	}
}

enum io_status
io_getline(struct io *io, char *line, size_t max, size_t *len, int *flags,
    int timeout)
{
	return get_line(io, line, max, len, flags, timeout, 0);
}

enum io_status
io_getdata(struct io *io, char *line, size_t max, size_t *len, int *flags,
    int timeout)
{
	return get_line(io, line, max, len, flags, timeout, 1);
}

int
io_write(struct io *io, const char *buf, size_t len)
{
	size_t n;

	while (len > 0) {
		if (io->failed)
			return -1;
		if (io->olen == sizeof(io->obuf) && io_flush(io) < 0)
			return -1;
		n = sizeof(io->obuf) - io->olen;
		if (n > len)
			n = len;
		memcpy(io->obuf + io->olen, buf, n);
		io->olen += n;
		buf += n;
		len -= n;
	}
	return io->failed ? -1 : 0;
}

int
io_printf(struct io *io, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n > sizeof(buf) - 3)
		n = (int)sizeof(buf) - 3;	/* replies are ours; never happens */
	buf[n++] = '\r';
	buf[n++] = '\n';
	return io_write(io, buf, (size_t)n);
}

int
io_flush(struct io *io)
{
	long long deadline;
	size_t off = 0;
	ssize_t n;

	if (io->olen == 0)
		return io->failed ? -1 : 0;
	deadline = net_now_ms() + io->wtimeout * 1000LL;
	while (off < io->olen && !io->failed) {
		if (io->tls != NULL) {
			n = tls_write(io->tls, io->obuf + off, io->olen - off);
			if (n > 0)
				off += (size_t)n;
			else if (wait_tls(io, n, deadline) <= 0)
				io->failed = 1;
			continue;
		}
		n = write(io->out, io->obuf + off, io->olen - off);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN &&
		    wait_fd(io, io->out, POLLOUT, deadline) > 0)
			continue;
		io->failed = 1;
	}
	io->olen = 0;
	return io->failed ? -1 : 0;
}

void
io_discard(struct io *io)
{
	io->ipos = io->ilen = 0;
}

int
io_start_tls(struct io *io, const char *peer)
{
	long long deadline = net_now_ms() + io->wtimeout * 1000LL;
	struct tls *t;
	int fl, r;

	if (io_flush(io) < 0)
		return -1;
	io_discard(io);
	/* OpenSSL reads whole records: on a blocking descriptor a client
	 * that stops in the middle of one would hold read() past every
	 * deadline.  (Output is already non-blocking if it is a socket.) */
	if ((fl = fcntl(io->in, F_GETFL)) < 0 ||
	    fcntl(io->in, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    (fl = fcntl(io->out, F_GETFL)) < 0 ||
	    fcntl(io->out, F_SETFL, fl | O_NONBLOCK) < 0) {
		log_msg(LOG_ERR, "fcntl: %s", strerror(errno));
		return -1;
	}
	if ((t = tls_new(io->in, io->out)) == NULL) {
		log_msg(LOG_ERR, "unable to start TLS: %s", tls_error());
		return -1;
	}
	while ((r = tls_handshake(t)) != 1) {
		if ((r = wait_tls(io, r, deadline)) <= 0) {
			log_msg(LOG_NOTICE, "TLS handshake failed peer=%s: %s",
			    peer, r == 0 ? "timeout" : tls_error());
			/* Freed, not left for the exit: nothing holds it. */
			tls_free(t);
			return -1;
		}
	}
	io->tls = t;
	return 0;
}

void
io_end(struct io *io)
{
	io_flush(io);
	if (io->tls != NULL && !io->failed)
		tls_close(io->tls);
}

void
io_wipe(struct io *io)
{
	explicit_bzero(io->ibuf, io->ipos);
}
