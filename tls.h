/*
 * tls.h: TLS on the client connection (OpenSSL), for STARTTLS, STLS and
 * implicit TLS.  The certificate and key are loaded once, at start-up,
 * before any input; lineio does the waiting, this module only says what
 * OpenSSL wants next.
 */
#ifndef TLS_H
#define TLS_H

#include <stddef.h>
#include <sys/types.h>

struct tls;

/* What a TLS step asks for when it returns no data. */
enum {
	TLS_WANT_READ = -2,	/* wait for the input to be readable */
	TLS_WANT_WRITE = -3,	/* wait for the output to be writable */
	TLS_FAILED = -4		/* the connection is broken */
};

/* Load the certificate chain and the key (PEM files) for the server;
 * exits with EXIT_USAGE and a message naming the file if either cannot
 * be used. */
void	tls_load(const char *cert, const char *key);

/* Nonzero once tls_load succeeded. */
int	tls_loaded(void);

/* A TLS server connection reading in and writing out, or NULL (out of
 * memory). */
struct tls *tls_new(int in, int out);

/* One step of the handshake: 1 when done, else TLS_WANT_READ,
 * TLS_WANT_WRITE or TLS_FAILED. */
int	tls_handshake(struct tls *t);

/* Read up to n bytes: the count, 0 at the end of input, or a TLS_ code. */
ssize_t	tls_read(struct tls *t, void *buf, size_t n);

/* Write up to n bytes: the count written, or a TLS_ code.  After a
 * TLS_WANT_ code the same bytes must be offered again. */
ssize_t	tls_write(struct tls *t, const void *buf, size_t n);

/* Send the closing alert, without waiting for the client's. */
void	tls_close(struct tls *t);

/* Free t, a session that never started (its handshake failed). */
void	tls_free(struct tls *t);

/* Protocol and cipher in use, e.g. "TLSv1.3", "TLS_AES_256_GCM_SHA384". */
const char *tls_version(const struct tls *t);
const char *tls_cipher(const struct tls *t);

/* Why the last step failed, for the log (never NULL). */
const char *tls_error(void);

#endif
