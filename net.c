/*
 * net.c: address text and the monotonic clock, shared by the handlers
 * and the listener (net.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "net.h"

long long
net_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		die(EXIT_TEMP, "clock_gettime: %s", strerror(errno));
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether the IPv6 address a is IPv4-mapped (::ffff:a.b.c.d). */
static int
mapped(const unsigned char *a)
{
	static const unsigned char prefix[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	return memcmp(a, prefix, sizeof(prefix)) == 0;
}

void
net_text(int family, const void *a, char *buf, size_t size)
{
	const unsigned char *p = a;

	if (family == AF_INET6 && mapped(p)) {
		family = AF_INET;
		p += 12;
	}
	if (inet_ntop(family, p, buf, (socklen_t)size) == NULL)
		snprintf(buf, size, "unknown");
}

void
net_sockaddr_text(const struct sockaddr_storage *ss, char *buf,
    size_t size, unsigned *port)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	unsigned p = 0;

	if (ss->ss_family == AF_INET) {
		net_text(AF_INET, &sin->sin_addr, buf, size);
		p = ntohs(sin->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		net_text(AF_INET6, &sin6->sin6_addr, buf, size);
		p = ntohs(sin6->sin6_port);
	} else
		snprintf(buf, size, "unknown");
	if (port != NULL)
		*port = p;
}

socklen_t
net_sockaddr(const char *text, unsigned port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		return sizeof(*sin);
	}
	if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		return sizeof(*sin6);
	}
	return 0;
}

int
net_parse(const char *text, int *family, unsigned char a[16])
{
	if (inet_pton(AF_INET, text, a) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, a) != 1)
		return -1;
	*family = AF_INET6;
	if (mapped(a)) {
		memmove(a, a + 12, 4);
		*family = AF_INET;
	}
	return 0;
}

int
net_loopback(const char *text)
{
	static const unsigned char one[16] = { [15] = 1 };
	unsigned char a[16];
	int family;

	if (net_parse(text, &family, a) < 0)
		return 0;
	if (family == AF_INET)
		return a[0] == 127;
	return memcmp(a, one, sizeof(one)) == 0;
}
