/*
 * tls.c: the OpenSSL side of TLS.  One process serves one session, so
 * the context is a file-level static made once at start-up; there is no
 * session cache or ticket to resume, since no process sees a second
 * connection.
 *
 * OpenSSL is loaded with dlopen() when a certificate is configured, not
 * linked: a session without TLS would otherwise map and relocate
 * libcrypto for nothing, which costs it about 0.6 ms and 1.7 MB of its
 * 2 to 4 MB.  The library is still the system's shared one, so its
 * security updates apply without a rebuild.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/opensslv.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "log.h"
#include "tls.h"

#define STR(x)		#x
#define XSTR(x)		STR(x)
/* The soname of the major version the headers describe: the ABI the
 * calls below were compiled against. */
#define LIBSSL		"libssl.so." XSTR(OPENSSL_VERSION_MAJOR)

/* Every OpenSSL function used, each typed by its declaration in the
 * headers, so that the compiler checks every call through the table.
 * The macros of the API that expand to SSL_CTX_ctrl() are spelled out
 * where they are used. */
#define OPENSSL_FUNCS(F) \
	F(ERR_clear_error) F(ERR_error_string_n) F(ERR_peek_last_error) \
	F(TLS_server_method) F(SSL_CTX_new) F(SSL_CTX_ctrl) \
	F(SSL_CTX_set_options) F(SSL_CTX_set_num_tickets) \
	F(SSL_CTX_use_certificate_chain_file) \
	F(SSL_CTX_set_default_passwd_cb) F(SSL_CTX_use_PrivateKey_file) \
	F(SSL_CTX_check_private_key) F(SSL_new) F(SSL_free) \
	F(SSL_set_rfd) F(SSL_set_wfd) F(SSL_get_error) F(SSL_accept) \
	F(SSL_read_ex) F(SSL_write_ex) F(SSL_shutdown) F(SSL_get_version) \
	F(SSL_get_current_cipher) F(SSL_CIPHER_get_name)

#define POINTER(f)	__typeof__(f) *f;
static struct {
	OPENSSL_FUNCS(POINTER)
} lib;

struct tls {
	SSL	*ssl;
};

static SSL_CTX *ctx;

/* The reason of the newest OpenSSL error, or of errno. */
const char *
tls_error(void)
{
	static char buf[256];
	unsigned long e;

	if (lib.ERR_peek_last_error == NULL ||
	    (e = lib.ERR_peek_last_error()) == 0)
		return errno != 0 ? strerror(errno) : "connection closed";
	lib.ERR_error_string_n(e, buf, sizeof(buf));
	lib.ERR_clear_error();
	return buf;
}

/* A key with a passphrase is refused: OpenSSL would otherwise ask for
 * it on the terminal, which under inetd is the client's socket. */
static int
no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return -1;
}

/* Load OpenSSL and fill the table; a missing library or function is a
 * configuration error, as a missing certificate is. */
static void
load_openssl(void)
{
	void *h;

	if ((h = dlopen(LIBSSL, RTLD_NOW | RTLD_LOCAL)) == NULL)
		die(EXIT_USAGE, "unable to load %s for TLS: %s", LIBSSL,
		    dlerror());
	/* The POSIX way to store dlsym()'s object pointer in a function
	 * pointer.  Never closed: the process ends with its session. */
#define LOOKUP(f) \
	if ((*(void **)&lib.f = dlsym(h, #f)) == NULL) \
		die(EXIT_USAGE, "%s lacks %s", LIBSSL, #f);
	OPENSSL_FUNCS(LOOKUP)
#undef LOOKUP
}

void
tls_load(const char *cert, const char *key)
{
	unsigned long e;

	load_openssl();
	/* TLS 1.2 and 1.3 only, with the library's default ciphers (RFC
	 * 8996, RFC 9325).  No renegotiation: a client must not restart
	 * the handshake in the middle of a session.  An end of input
	 * without close_notify is an end of input: SMTP and POP3 have
	 * their own ends (QUIT, the final dot), and a cut message is
	 * never delivered. */
	ctx = lib.SSL_CTX_new(lib.TLS_server_method());
	if (ctx == NULL ||
	    lib.SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MIN_PROTO_VERSION,
	    TLS1_2_VERSION, NULL) != 1)
		die(EXIT_TEMP, "unable to set up TLS: %s", tls_error());
	lib.SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET |
	    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_IGNORE_UNEXPECTED_EOF);
	(void)lib.SSL_CTX_ctrl(ctx, SSL_CTRL_SET_SESS_CACHE_MODE,
	    SSL_SESS_CACHE_OFF, NULL);
	/* TLS 1.3 sends tickets unless told not to, and none can ever
	 * be used here. */
	lib.SSL_CTX_set_num_tickets(ctx, 0);
	/* Partial writes let lineio keep its one buffer and offset. */
	(void)lib.SSL_CTX_ctrl(ctx, SSL_CTRL_MODE,
	    SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER, NULL);
	if (lib.SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		die(EXIT_USAGE, "unable to load certificate %s: %s", cert,
		    tls_error());
	lib.SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
	if (lib.SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		e = lib.ERR_peek_last_error();
		if (ERR_GET_LIB(e) == ERR_LIB_X509 &&
		    ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH)
			die(EXIT_USAGE, "key %s does not match certificate %s",
			    key, cert);
		die(EXIT_USAGE, "unable to load key %s (one with a passphrase "
		    "cannot be used): %s", key, tls_error());
	}
	if (lib.SSL_CTX_check_private_key(ctx) != 1)
		die(EXIT_USAGE, "key %s does not match certificate %s", key,
		    cert);
}

int
tls_loaded(void)
{
	return ctx != NULL;
}

struct tls *
tls_new(int in, int out)
{
	struct tls *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->ssl = lib.SSL_new(ctx)) == NULL ||
	    lib.SSL_set_rfd(t->ssl, in) != 1 || lib.SSL_set_wfd(t->ssl, out) != 1) {
		lib.SSL_free(t->ssl);
		free(t);
		return NULL;
	}
	return t;
}

/* Turn the result of an SSL call into a count or a TLS_ code. */
static ssize_t
result(struct tls *t, int n)
{
	switch (lib.SSL_get_error(t->ssl, n)) {
	case SSL_ERROR_NONE:
		return n;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_WANT_READ:
		return TLS_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return TLS_WANT_WRITE;
	case SSL_ERROR_SYSCALL:
		if (errno == EINTR)
			return TLS_WANT_READ;
		/* FALLTHROUGH */
	default:
		return TLS_FAILED;
	}
}

int
tls_handshake(struct tls *t)
{
	int n;

	lib.ERR_clear_error();
	errno = 0;
	n = lib.SSL_accept(t->ssl);
	return n == 1 ? 1 : (int)result(t, n);
}

ssize_t
tls_read(struct tls *t, void *buf, size_t n)
{
	size_t got = 0;
	int r;

	lib.ERR_clear_error();
	errno = 0;
	r = lib.SSL_read_ex(t->ssl, buf, n, &got);
	return r == 1 ? (ssize_t)got : result(t, r);
}

ssize_t
tls_write(struct tls *t, const void *buf, size_t n)
{
	size_t put = 0;
	int r;

	lib.ERR_clear_error();
	errno = 0;
	r = lib.SSL_write_ex(t->ssl, buf, n, &put);
	return r == 1 ? (ssize_t)put : result(t, r);
}

void
tls_free(struct tls *t)
{
	lib.SSL_free(t->ssl);
	free(t);
}

void
tls_close(struct tls *t)
{
	/* One try: the client may already be gone, and waiting for its
	 * alert would only hold the process. */
	lib.ERR_clear_error();
	(void)lib.SSL_shutdown(t->ssl);
}

const char *
tls_version(const struct tls *t)
{
	return lib.SSL_get_version(t->ssl);
}

const char *
tls_cipher(const struct tls *t)
{
	return lib.SSL_CIPHER_get_name(lib.SSL_get_current_cipher(t->ssl));
}
