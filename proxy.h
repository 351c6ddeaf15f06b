/*
 * proxy.h: the PROXY protocol, versions 1 and 2 (HAProxy's "The PROXY
 * protocol" specification), by which a TCP load balancer in front of the
 * handlers passes on the address of the client it accepted.  A header is
 * believed only from a configured trusted source (-x, --proxy=LIST).
 */
#ifndef PROXY_H
#define PROXY_H

#include <stddef.h>
#include <sys/socket.h>

#include "tunables.h"

/* The trusted sources: addresses or CIDR prefixes, IPv4 or IPv6. */
struct proxy_net {
	int	family;			/* AF_INET or AF_INET6 */
	unsigned char addr[16];		/* network byte order */
	unsigned prefix;		/* bits that must match */
};

struct proxy_list {
	size_t	n;
	struct proxy_net nets[PROXY_TRUST_MAX];
};

/* What a header said. */
struct proxy_hdr {
	int	local;		/* LOCAL (v2) or UNKNOWN (v1): no client
				 * address; keep the connection's own */
	char	src[64];	/* the client's numeric address */
	unsigned src_port;
	char	dst[64];	/* the address the client connected to */
	unsigned dst_port;
	const char *why;	/* set when proxy_parse fails */
};

/* Parse LIST ("10.0.0.5,192.168.0.0/16,::1") into *l.  Returns 0, or -1
 * on a bad entry, or more than PROXY_TRUST_MAX entries. */
int	proxy_list_parse(struct proxy_list *l, const char *list);

/* Nonzero if the numeric address text (as io_peer writes it) is in l. */
int	proxy_trusted(const struct proxy_list *l, const char *addr);

/* Parse a header at the start of buf[0..len).  Returns its length in
 * octets (> 0) and fills *h; 0 if buf is a correct beginning of a header
 * and more octets are needed; -1 if it is not a valid header (h->why says
 * why: no signature, bad version, bad address, too long...). */
int	proxy_parse(const unsigned char *buf, size_t len,
	    struct proxy_hdr *h);

/* Read one header from fd within timeout seconds, consuming exactly its
 * octets and nothing after it (the TLS handshake or the client's first
 * command may follow in the same segment).  Returns 0 with *h filled, or
 * -1 with h->why set (a timeout, end of input, or a bad header). */
int	proxy_read(int fd, int timeout, struct proxy_hdr *h);

/* With -x, a peer not in the list may not name a client, but a handler
 * cannot wait for input before its greeting: the header arrives as
 * command lines, version 1 as a first line "PROXY ...", version 2's
 * signature as two empty lines and a line of one NUL.  Start *state at 1
 * and pass each command line (nul: it holds a NUL) while *state is not
 * 0; returns 1 when the lines so far are such a header. */
int	proxy_sniff(int *state, const char *line, size_t len, int nul);

#endif
