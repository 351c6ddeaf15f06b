/*
 * net.h: what every program needs of addresses and time, in one copy:
 * one spelling of a client's address, one loopback test, one clock.
 */
#ifndef NET_H
#define NET_H

#include <stddef.h>
#include <sys/socket.h>

/* Milliseconds of CLOCK_MONOTONIC.  It cannot fail on Linux; were it to,
 * no deadline could hold, so the program dies (EXIT_TEMP). */
long long net_now_ms(void);

/* Write the numeric text of the address a (4 octets for AF_INET, 16 for
 * AF_INET6, network order) into buf, of size at least INET6_ADDRSTRLEN.
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is written as the IPv4
 * address it holds, so that the log, the trace header, the per-client
 * count and the loopback test see one spelling of one client. */
void	net_text(int family, const void *a, char *buf, size_t size);

/* Write the address of ss into buf as net_text() does, and its port
 * into *port (when port is not NULL); "unknown" and 0 for a family that
 * is neither IPv4 nor IPv6. */
void	net_sockaddr_text(const struct sockaddr_storage *ss, char *buf,
	    size_t size, unsigned *port);

/* Fill *ss with the numeric IPv4 or IPv6 address text and port; returns
 * its length, or 0 if text is no address.  No name is ever looked up. */
socklen_t net_sockaddr(const char *text, unsigned port,
	    struct sockaddr_storage *ss);

/* Parse the numeric address text into *family and a[]; an IPv4-mapped
 * IPv6 address is taken as the IPv4 address it holds, as net_text()
 * writes it.  Returns 0, or -1 if text is not an address. */
int	net_parse(const char *text, int *family, unsigned char a[16]);

/* Nonzero if the numeric address text is a loopback address:
 * 127.0.0.0/8 (also IPv4-mapped) or ::1. */
int	net_loopback(const char *text);

#endif
