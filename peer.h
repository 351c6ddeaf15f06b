/*
 * peer.h: who a session's client is: the peer of the connection on
 * standard input (or, without a socket, what the launcher's environment
 * says), whether it is on this host, and, behind a trusted proxy, the
 * client its PROXY header names.
 */
#ifndef PEER_H
#define PEER_H

#include <stddef.h>

#include "options.h"

/* Write the numeric address of the connection's peer into buf:
 * getpeername(0) when standard input is a socket (an IPv4-mapped
 * address as IPv4, net_text()), else $REMOTE_ADDR or $TCPREMOTEIP if
 * they hold an address, else "unknown". */
void	peer_address(char *buf, size_t size);

/* Nonzero if the connection's peer is on this host: standard input is
 * not an IPv4 or IPv6 socket (a pipe, a terminal, a Unix socket), or the
 * peer is a loopback address. */
int	peer_local(void);

/* When standard input is a Unix socket (a program of this host, as
 * sendmail(8) connects), set *uid to the user the kernel says is at its
 * other end (SO_PEERCRED), which no client can choose, and return 1;
 * else return 0. */
int	peer_uid(long *uid);

/* The session's client, logged with the session id sid as the session's
 * first line.  Writes the connection's peer into peer and "" into proxy,
 * both of size octets, and returns whether the client is on this host.
 * With -x, when that peer is in the list, reads its PROXY header from
 * standard input first: the peer becomes the proxy, the client the one
 * the header names, on this host only if its address is loopback; a
 * LOCAL or UNKNOWN header keeps the connection's own.  Returns -1,
 * logged, when a trusted peer sends no valid header in time. */
int	peer_identify(const struct config *c, const char *sid, char *peer,
	    char *proxy, size_t size);

#endif
