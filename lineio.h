/*
 * lineio.h: the client connection.  Bounded line input with a deadline for
 * each whole line, and buffered output flushed before the program waits
 * for input (so pipelined replies leave in one write).
 * No stdio touches the connection.
 */
#ifndef LINEIO_H
#define LINEIO_H

#include <stddef.h>

#include "tunables.h"

/* What io_getline found. */
enum io_status {
	IO_LINE,		/* a line, possibly flagged */
	IO_EOF,			/* end of input before a line end */
	IO_TIMEOUT,		/* the deadline passed */
	IO_ERROR		/* read or poll failed */
};

/* Flags of a line read by io_getline. */
enum {
	LINE_TOOLONG = 1 << 0,	/* longer than max: the rest was discarded */
	LINE_BARE_LF = 1 << 1,	/* has a LF without CR (not on a tty) */
	LINE_BARE_CR = 1 << 2,	/* a CR somewhere other than before the LF */
	LINE_NUL = 1 << 3,	/* a NUL byte */
	LINE_LF_END = 1 << 4	/* ended by a LF alone (io_getdata only) */
};

struct tls;

struct io {
	int	in, out;
	struct tls *tls;	/* TLS once started, else NULL */
	int	tty;		/* input is a terminal: LF alone ends lines */
	int	failed;		/* an output error happened: stop writing */
	int	wtimeout;	/* seconds one flush may wait for the client */
	void	(*beat)(void *);	/* called while waiting (io_beat) */
	void	*beat_arg;
	size_t	ipos, ilen;	/* unread input is ibuf[ipos..ilen) */
	size_t	olen;		/* pending output is obuf[0..olen) */
	char	ibuf[IO_BUFSIZE];
	char	obuf[IO_BUFSIZE];
};

/* Set up io on the descriptors in and out, with timeout seconds for a
 * client to take a flush of output; notes whether in is a tty and, when
 * out is a socket, makes it non-blocking without Nagle's algorithm. */
void	io_init(struct io *io, int in, int out, int timeout);

/* While the session waits for its client, to read or to write, call
 * fn(arg) every STORE_LOCK_BEAT seconds and whenever a wait begins: a
 * POP3 session keeps its maildrop lock fresh with it however long its
 * client stays silent.  fn must be cheap when it has nothing to do.  A
 * NULL fn (io_init's default) stops the calls. */
void	io_beat(struct io *io, void (*fn)(void *), void *arg);

/* Read one line into line (room for max bytes plus a NUL), without its
 * line end, within timeout seconds for the whole line.  Sets *len and
 * *flags.  Only CRLF ends a line (LF alone too on a tty); the caller
 * decides what a flag means.
 * Pending output is flushed before the program blocks. */
enum io_status io_getline(struct io *io, char *line, size_t max, size_t *len,
	    int *flags, int timeout);

/* io_getline() for the lines of a message (SMTP DATA): a LF without a
 * CR ends the line too, and the line is flagged LINE_LF_END, as Postfix
 * reads message content by default since 3.9.  The caller must not take
 * such a line for the end of the data: only CRLF "." CRLF ends it. */
enum io_status io_getdata(struct io *io, char *line, size_t max,
	    size_t *len, int *flags, int timeout);

/* Queue len bytes for the client; returns 0, or -1 once output failed.
 * Callers may ignore the result of one write: io->failed stays set, and
 * the session loop ends the session when it sees it. */
int	io_write(struct io *io, const char *buf, size_t len);

/* Queue a formatted line and a CRLF; returns as io_write. */
int	io_printf(struct io *io, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Send all queued output; returns 0, or -1 on error or write timeout. */
int	io_flush(struct io *io);

/* Drop input that is already buffered (at a change of security state). */
void	io_discard(struct io *io);

/* Flush pending output, drop buffered input (the client may not slip
 * commands in before the handshake: CVE-2011-0411), then run the TLS
 * handshake within the write timeout.  Returns 0, or -1 (logged, with
 * the client's address peer) when the session cannot go on. */
int	io_start_tls(struct io *io, const char *peer);

/* Flush pending output and, under TLS, send the closing alert. */
void	io_end(struct io *io);

/* Overwrite the input already consumed (after a password was read). */
void	io_wipe(struct io *io);

#endif
