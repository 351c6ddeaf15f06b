/*
 * pending.c: connections from a trusted proxy (-x) whose PROXY header
 * has not all come.  The listener looks at the header without taking an
 * octet of it, to count the session under the client's address; the
 * session reads the header itself.  Such a connection waits, counted
 * against -c, until its header is whole or PROXY_TIMEOUT passes.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "listener.h"
#include "log.h"
#include "net.h"

/* What a look at a PROXY header found. */
enum peek {
	PEEK_DONE,	/* a whole header: the client is known */
	PEEK_MORE,	/* a correct start: wait for the rest */
	PEEK_BAD,	/* no header, or a bad one */
	PEEK_GONE	/* the proxy left, or the connection failed */
};


/* Look at the PROXY header at the start of c's connection without
 * taking an octet of it: the session reads the header itself, and may
 * find the client's first octets right behind it.  hup says that poll()
 * saw the proxy stop sending.  On PEEK_DONE the client is filled in; on
 * PEEK_BAD and PEEK_GONE, *why says what went wrong. */
static enum peek
peek_header(struct conn *c, int hup, const char **why)
{
	unsigned char buf[PROXY_V2_MAX];
	unsigned char a[16];
	struct proxy_hdr h;
	int family;
	ssize_t n;
	int r, want;

	n = recv(c->fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		*why = "closed";
		return hup ? PEEK_GONE : PEEK_MORE;
	}
	if (n < 0) {
		*why = strerror(errno);
		return PEEK_GONE;
	}
	if (n == 0) {
		*why = "closed";
		return PEEK_GONE;
	}
	memset(&h, 0, sizeof(h));
	r = proxy_parse(buf, (size_t)n, &h);
	if (r < 0) {
		*why = h.why != NULL ? h.why : "not a PROXY header";
		return PEEK_BAD;
	}
	if (r == 0 && (size_t)n == sizeof(buf)) {
		*why = "header too long";
		return PEEK_BAD;
	}
	if (r == 0 && hup) {
		*why = "closed";
		return PEEK_GONE;
	}
	if (r == 0) {
		/* Peeked octets stay unread, and poll() would call the
		 * socket ready again at once: raise the mark past them, so
		 * that it wakes us when more has come. */
		want = (int)n + 1;
		if (setsockopt(c->fd, SOL_SOCKET, SO_RCVLOWAT, &want,
		    sizeof(want)) < 0) {
			*why = strerror(errno);
			return PEEK_GONE;
		}
		c->lowat = 1;
		return PEEK_MORE;
	}
	c->hdrlen = (size_t)r;
	if (h.local) {
		c->via = PROXY_LOCAL;
		return PEEK_DONE;
	}
	/* Written again as net_text() writes a peer, so that one client
	 * is one entry of the per-source count however it was spelt. */
	if (net_parse(h.src, &family, a) < 0) {
		*why = "bad source address";
		return PEEK_BAD;
	}
	net_text(family, a, c->client, sizeof(c->client));
	c->client_port = h.src_port;
	c->via = PROXIED;
	return PEEK_DONE;
}

/* Close c, which sent no usable PROXY header, and say why: a bad header
 * or a timeout is a refusal, a proxy that left is not.  The session
 * would refuse such a connection too; refusing it here saves a fork. */
static void
drop(struct listener *l, struct conn *c, enum peek what, const char *why)
{
	if (what == PEEK_BAD)
		log_msg(LOG_NOTICE, "bad PROXY header from %s port %u: %s; "
		    "closed", c->peer, c->peer_port, why);
	else if (what == PEEK_MORE)
		log_msg(LOG_NOTICE, "no whole PROXY header from %s port %u "
		    "in %d s; closed", c->peer, c->peer_port, PROXY_TIMEOUT);
	else
		log_msg(LOG_INFO, "%s port %u: %s before its PROXY header "
		    "ended", c->peer, c->peer_port, why);
	conn_close(c);
	if (what != PEEK_GONE) {
		l->refused++;
		conn_notify(l);
	}
}

int
pending_accept(struct listener *l, struct conn *c)
{
	const char *why = NULL;
	enum peek r;

	r = peek_header(c, 0, &why);
	if (r == PEEK_DONE)
		return 1;
	if (r != PEEK_MORE) {
		drop(l, c, r, why);
		return 0;
	}
	if (l->sessions + l->npending >= l->max) {
		conn_refuse(l, c);
		return 0;
	}
	l->pending[l->npending].c = *c;
	l->pending[l->npending].deadline = net_now_ms() + PROXY_TIMEOUT * 1000LL;
	l->npending++;
	return 0;
}

int
pending_event(struct listener *l, unsigned long k, short revents,
    long long now, struct conn *ready)
{
	struct conn c = l->pending[k].c;
	const char *why = NULL;
	enum peek r = PEEK_MORE;

	if (revents != 0)
		r = peek_header(&c, (revents & (POLLRDHUP | POLLHUP |
		    POLLERR)) != 0, &why);
	if (r == PEEK_MORE && now < l->pending[k].deadline) {
		l->pending[k].c = c;
		return 0;
	}
	l->pending[k] = l->pending[--l->npending];
	if (r == PEEK_DONE) {
		*ready = c;
		return 1;
	}
	drop(l, &c, r, why);
	return 0;
}

int
pending_timeout(const struct listener *l, int resting, long long now)
{
	long long t = resting ? LISTEN_PAUSE_MS : -1;
	unsigned long k;

	for (k = 0; k < l->npending; k++) {
		long long left = l->pending[k].deadline - now;

		if (left < 0)
			left = 0;
		if (t < 0 || left < t)
			t = left;
	}
	return (int)t;
}
