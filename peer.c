/*
 * peer.c: who the client of a session is (peer.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "log.h"
#include "net.h"
#include "peer.h"
#include "proxy.h"

int
peer_local(void)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char text[64];

	if (getpeername(0, (struct sockaddr *)&ss, &sl) < 0)
		return errno == ENOTSOCK;
	if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
		return ss.ss_family == AF_UNIX;
	net_sockaddr_text(&ss, text, sizeof(text), NULL);
	return net_loopback(text);
}

int
peer_uid(long *uid)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct ucred cr;
	socklen_t crlen = sizeof(cr);

	if (getsockname(0, (struct sockaddr *)&ss, &sl) < 0 ||
	    ss.ss_family != AF_UNIX ||
	    getsockopt(0, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) < 0)
		return 0;
	*uid = (long)cr.uid;
	return 1;
}

/* An address from the environment is used only if it is one. */
static int
is_address(const char *s)
{
	unsigned char a[16];
	int family;

	return s != NULL && net_parse(s, &family, a) == 0;
}

void
peer_address(char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	const char *env;

	if (getpeername(0, (struct sockaddr *)&ss, &sl) == 0 &&
	    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)) {
		net_sockaddr_text(&ss, buf, size, NULL);
		return;
	}
	/* A program of this host, on a Unix socket. */
	if (sl > 0 && ss.ss_family == AF_UNIX) {
		snprintf(buf, size, "local");
		return;
	}
	env = getenv("REMOTE_ADDR");
	if (!is_address(env))
		env = getenv("TCPREMOTEIP");
	if (!is_address(env))
		env = "unknown";
	snprintf(buf, size, "%s", env);
}

int
peer_identify(const struct config *c, const char *sid, char *peer,
    char *proxy, size_t size)
{
	struct proxy_hdr h;
	int local;

	peer_address(peer, size);
	proxy[0] = '\0';
	if (!c->proxy || !proxy_trusted(&c->proxies, peer)) {
		log_msg(LOG_INFO, "connect peer=%s session=%s", peer, sid);
		return peer_local();
	}
	snprintf(proxy, size, "%s", peer);
	/* A proxy sends its header at once, before any byte of its
	 * client's, so it gets PROXY_TIMEOUT; or -t, if that is shorter,
	 * since -t bounds every wait of the session. */
	if (proxy_read(0, c->timeout < PROXY_TIMEOUT ? c->timeout :
	    PROXY_TIMEOUT, &h) < 0) {
		log_msg(LOG_WARNING, "proxy header from %s refused: %s "
		    "session=%s", proxy, h.why, sid);
		return -1;
	}
	if (h.local)
		local = peer_local();
	else {
		snprintf(peer, size, "%s", h.src);
		/* Passwords in clear only from this host (sasl_allowed):
		 * the client's address decides, not the proxy's. */
		local = net_loopback(peer);
	}
	log_msg(LOG_INFO, "connect peer=%s proxy=%s session=%s", peer, proxy,
	    sid);
	return local;
}
