/*
 * sockets.c: the listener's listening sockets: its own, bound to -b's
 * addresses or to every address, or those systemd passes (PORT "-",
 * socket activation with Accept=no).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "listener.h"
#include "log.h"
#include "net.h"

/* Open, bind and listen on the Unix socket path, for programs of this
 * host (sendmail(8)): any local user may connect, and the session learns
 * who from the kernel (SO_PEERCRED), so no one can pass for another.  A
 * socket left at path by an earlier run is replaced; anything else
 * there is not. */
static int
open_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		die(EXIT_USAGE, "socket path too long: %s", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		die(EXIT_TEMP, "unable to create a socket: %s",
		    strerror(errno));
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    unlink(path) < 0)
		die(EXIT_TEMP, "unable to replace %s: %s", path,
		    strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die(EXIT_TEMP, "unable to bind %s: %s", path, strerror(errno));
	if (chmod(path, 0666) < 0)
		die(EXIT_TEMP, "unable to open %s to local users: %s", path,
		    strerror(errno));
	if (listen(fd, LISTEN_BACKLOG) < 0)
		die(EXIT_TEMP, "unable to listen: %s", strerror(errno));
	log_msg(LOG_INFO, "listening on %s", path);
	return fd;
}

/* Open, bind and listen on addr; return the socket, or -1 if the kernel
 * lacks the address family (errno EAFNOSUPPORT).  An addr that starts
 * with '/' is a Unix socket. */
static int
open_listen(const char *addr, unsigned long port, int v6only)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	if (addr[0] == '/')
		return open_unix(addr);
	len = net_sockaddr(addr, (unsigned)port, &ss);
	/* Non-blocking, so that a connection reset between poll() and
	 * accept() cannot stall the loop. */
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (fd < 0 && errno == EAFNOSUPPORT)
		return -1;
	if (fd < 0)
		die(EXIT_TEMP, "unable to create a socket: %s", strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0))
		die(EXIT_TEMP, "unable to set socket options: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		die(EXIT_TEMP, "unable to bind %s port %lu: %s", addr, port,
		    strerror(errno));
	if (listen(fd, LISTEN_BACKLOG) < 0)
		die(EXIT_TEMP, "unable to listen: %s", strerror(errno));
	log_msg(LOG_INFO, "listening on %s port %lu", addr, port);
	return fd;
}

/* Take the listening sockets systemd passed (socket activation with
 * Accept=no), checking that each is a listening stream socket. */
static void
inherit_all(struct listener *l)
{
	int n, i, fl;

	n = sd_listen_fds(1);
	if (n <= 0)
		die(EXIT_USAGE, "PORT \"-\" needs listening sockets from "
		    "systemd (LISTEN_FDS): %s", n < 0 ? strerror(-n) : "none");
	if (n > LISTEN_ADDRS_MAX)
		die(EXIT_USAGE, "at most %d sockets from systemd",
		    LISTEN_ADDRS_MAX);
	for (i = 0; i < n; i++) {
		l->fds[i] = SD_LISTEN_FDS_START + i;
		if (sd_is_socket(l->fds[i], AF_UNSPEC, SOCK_STREAM, 1) <= 0)
			die(EXIT_USAGE, "fd %d from systemd is not a listening "
			    "stream socket", l->fds[i]);
		/* As our own sockets: see open_listen(). */
		if ((fl = fcntl(l->fds[i], F_GETFL)) < 0 ||
		    fcntl(l->fds[i], F_SETFL, fl | O_NONBLOCK) < 0)
			die(EXIT_TEMP, "unable to make a socket non-blocking: %s", strerror(errno));
		log_msg(LOG_INFO, "listening on fd %d from systemd",
		    l->fds[i]);
	}
	l->nfds = (size_t)n;
}

void
sockets_open(struct listener *l)
{
	if (l->systemd) {
		inherit_all(l);
		return;
	}
	/* By default one dual-stack socket takes IPv6 and IPv4 alike; a
	 * kernel without IPv6 gets a plain IPv4 one. */
	if (l->naddrs == 0) {
		l->fds[0] = open_listen("::", l->port, 0);
		if (l->fds[0] < 0)
			l->fds[0] = open_listen("0.0.0.0", l->port, 0);
		if (l->fds[0] < 0)
			die(EXIT_TEMP, "unable to create a socket: %s", strerror(errno));
		l->nfds = 1;
	}
	/* An explicit IPv6 address means that address only. */
	for (; l->nfds < l->naddrs; l->nfds++) {
		l->fds[l->nfds] = open_listen(l->addrs[l->nfds], l->port, 1);
		if (l->fds[l->nfds] < 0)
			die(EXIT_TEMP, "unable to listen on %s: %s",
			    l->addrs[l->nfds], strerror(errno));
	}
}
