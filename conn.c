/*
 * conn.c: a connection outside a session, for every part of the
 * listener (listener.h): whom it is from, closing and refusing it, and
 * the status line systemd shows of the sessions running and refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "listener.h"
#include "log.h"

void
conn_notify(const struct listener *l)
{
	if (l->systemd || getenv("NOTIFY_SOCKET") != NULL)
		(void)sd_notifyf(0, "STATUS=%lu sessions active, %lu refused",
		    l->sessions, l->refused);
}

unsigned long
conn_from(const struct listener *l, const char *ip)
{
	unsigned long i, n = 0;

	for (i = 0; i < l->max; i++)
		if (l->running[i].pid != 0 && strcmp(l->running[i].ip, ip) == 0)
			n++;
	return n;
}

const char *
conn_describe(const struct conn *c, char *buf, size_t size)
{
	switch (c->via) {
	case PROXIED:
		snprintf(buf, size, "%s port %u via proxy %s port %u",
		    c->client, c->client_port, c->peer, c->peer_port);
		break;
	case PROXY_LOCAL:
		snprintf(buf, size, "proxy %s port %u (PROXY header without "
		    "a client)", c->peer, c->peer_port);
		break;
	default:
		snprintf(buf, size, "%s port %u", c->peer, c->peer_port);
		break;
	}
	return buf;
}

void
conn_close(struct conn *c)
{
	if (close(c->fd) < 0)
		log_msg(LOG_ERR, "unable to close: %s", strerror(errno));
	c->fd = -1;
}

/* Send the refusal, if any, without waiting for the client, and close.
 * A PROXY header we peeked at is taken first: closing a socket with
 * unread octets resets it, and the reset could overtake the refusal on
 * its way through the proxy. */
void
conn_refuse(struct listener *l, struct conn *c)
{
	unsigned char buf[PROXY_V2_MAX];
	char who[WHO_MAX];

	if (c->hdrlen > 0 && recv(c->fd, buf, c->hdrlen, MSG_DONTWAIT) < 0)
		log_msg(LOG_INFO, "unable to read the PROXY header of %s: %s",
		    conn_describe(c, who, sizeof(who)), strerror(errno));
	if (l->refuse != NULL && send(c->fd, l->refuse, l->refuselen,
	    MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		log_msg(LOG_INFO, "unable to send refusal to %s: %s",
		    conn_describe(c, who, sizeof(who)), strerror(errno));
	conn_close(c);
	l->refused++;
	if (l->proxies.n > 0)
		log_msg(LOG_INFO, "refused %s: %lu sessions running, %lu "
		    "waiting for a PROXY header, %lu from that address",
		    conn_describe(c, who, sizeof(who)), l->sessions, l->npending,
		    conn_from(l, c->client));
	else
		log_msg(LOG_INFO, "refused %s: %lu sessions running, %lu from "
		    "that address", conn_describe(c, who, sizeof(who)),
		    l->sessions, conn_from(l, c->client));
	conn_notify(l);
}
