/*
 * users.c: loading, looking up and checking the users file.  The file is
 * local and written by the operator, so stdio is fine here; it is still
 * parsed with bounds, since a mistake in it must not crash a handler.
 *
 * libcrypt is loaded with dlopen() when a hash is first checked, not
 * linked: most sessions (SMTP from other servers, any plain-text users
 * file) never check one, and mapping it costs every session about 70 KB
 * of its resident set.  It is still the system's shared library, so its
 * security updates apply without a rebuild.
 */
#include <crypt.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "address.h"
#include "tunables.h"
#include "log.h"
#include "users.h"

/* Checked when the user is unknown, so that the reply takes as long.  It
 * is a yescrypt hash of a random password nobody knows. */
static const char dummy_hash[] =
    "$y$j9T$ObN5ZPs4AzuKsdMAJn6pI/$fj2lrP/.sgoy7/JTFgF3uty1vEsiV.UuSXAd08ef1c.";

/* The soname of libxcrypt, whose crypt.h declares crypt_r. */
#define LIBCRYPT	"libcrypt.so.1"

/* Split one line into address and password; NULL address for a blank or
 * comment line.  Returns 0, or -1 if the line is malformed. */
static int
split_line(char *line, char **addr, char **pass)
{
	char *p = line;

	*addr = *pass = NULL;
	p += strspn(p, " \t");
	if (*p == '\0' || *p == '#')
		return 0;
	*addr = p;
	p += strcspn(p, " \t");
	if (*p == '\0')
		return -1;
	*p++ = '\0';
	p += strspn(p, " \t");
	*pass = p;
	p += strcspn(p, " \t");
	if (p == *pass)
		return -1;
	if (*p != '\0') {
		*p++ = '\0';
		p += strspn(p, " \t");
		if (*p != '\0' && *p != '#')
			return -1;
	}
	return 0;
}

int
users_usable(const char *addr)
{
	struct address a;

	if (addr_parse_mailbox(addr, strlen(addr), 1, &a) != ADDR_OK)
		return 0;
	return !a.quoted && strchr(addr, '/') == NULL;
}

/* Append one user to the table. */
static int
add(struct users *u, const char *addr, const char *pass)
{
	struct user *nl;

	if (u->count % 64 == 0) {
		nl = reallocarray(u->list, u->count + 64, sizeof(*nl));
		if (nl == NULL)
			return -1;
		u->list = nl;
	}
	nl = &u->list[u->count];
	nl->address = strdup(addr);
	nl->password = strdup(pass);
	if (nl->address == NULL || nl->password == NULL) {
		free(nl->address);
		free(nl->password);
		return -1;
	}
	u->count++;
	return 0;
}

/* Read every line of f into the empty table *u.  When an address appears
 * twice, lookups find the first. */
static int
parse(struct users *u, FILE *f)
{
	char line[USERS_LINE_MAX + 1], *addr, *pass;
	size_t lineno = 0;
	int bad;

	while (conf_read_line(f, line, USERS_LINE_MAX, &bad) >= 0) {
		lineno++;
		if (bad || split_line(line, &addr, &pass) < 0 || (addr != NULL &&
		    (!users_usable(addr) || strlen(pass) > PASSWORD_MAX))) {
			log_msg(LOG_WARNING, "%s:%zu: %s, skipped", u->path,
			    lineno, bad ? "line too long or has a NUL" :
			    "malformed line");
			continue;
		}
		if (addr == NULL)
			continue;
		if (u->count >= USERS_MAX) {
			log_msg(LOG_WARNING, "%s:%zu: more than %d users, "
			    "skipped", u->path, lineno, USERS_MAX);
			continue;
		}
		if (add(u, addr, pass) < 0)
			return -1;
	}
	return ferror(f) ? -1 : 0;
}

void
users_free(struct users *u)
{
	size_t i;

	for (i = 0; i < u->count; i++) {
		free(u->list[i].address);
		free(u->list[i].password);
	}
	free(u->list);
	u->list = NULL;
	u->count = 0;
}

/* Read path into a new table; on success replace *u's table with it. */
static int
load(struct users *u, const char *path)
{
	struct users fresh;
	struct stat st;
	FILE *f;
	int r, saved;

	memset(&fresh, 0, sizeof(fresh));
	fresh.path = path;
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	if (fstat(fileno(f), &st) < 0) {
		saved = errno;
		fclose(f);
		errno = saved;
		return -1;
	}
	r = parse(&fresh, f);
	saved = errno;
	fclose(f);
	if (r < 0) {
		users_free(&fresh);
		errno = saved;
		return -1;
	}
	conf_stamp_set(&fresh.stamp, &st);
	users_free(u);
	*u = fresh;
	return 0;
}

int
users_load(struct users *u, const char *path)
{
	memset(u, 0, sizeof(*u));
	u->path = path;
	return load(u, path);
}

int
users_refresh(struct users *u)
{
	struct stat st;

	if (u->once)
		return 0;
	if (stat(u->path, &st) < 0)
		return -1;
	if (conf_stamp_same(&u->stamp, &st))
		return 0;
	return load(u, u->path);
}

const struct user *
users_find(const struct users *u, const char *address)
{
	size_t i;

	for (i = 0; i < u->count; i++)
		if (strcasecmp(u->list[i].address, address) == 0)
			return &u->list[i];
	return NULL;
}

int
users_local_domain(const struct users *u, const char *domain)
{
	const char *at;
	size_t i;

	for (i = 0; i < u->count; i++) {
		at = strrchr(u->list[i].address, '@');
		if (at != NULL && strcasecmp(at + 1, domain) == 0)
			return 1;
	}
	return 0;
}

/* Compare two strings in time that depends only on their lengths. */
static int
same(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = la != lb;

	for (i = 0; i < la; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)b[i % (lb + 1)];
	return d == 0;
}

/* crypt_r from libcrypt, loaded on the first call; NULL with a log line
 * if it cannot be.  Never closed: the process ends with its session. */
static __typeof__(crypt_r) *
load_crypt_r(void)
{
	static __typeof__(crypt_r) *f;
	void *h;

	if (f != NULL)
		return f;
	if ((h = dlopen(LIBCRYPT, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		log_msg(LOG_ERR, "unable to load %s: %s", LIBCRYPT,
		    dlerror());
		return NULL;
	}
	/* The POSIX way to store dlsym()'s object pointer in a function
	 * pointer. */
	if ((*(void **)&f = dlsym(h, "crypt_r")) == NULL)
		log_msg(LOG_ERR, "%s lacks crypt_r", LIBCRYPT);
	return f;
}

int
users_check(const struct user *user, const char *password)
{
	__typeof__(crypt_r) *crypt_fn;
	struct crypt_data *cd;
	const char *stored, *h;
	int ok;

	stored = user != NULL ? user->password : dummy_hash;
	if (stored[0] != '$')
		return same(password, stored);
	if ((crypt_fn = load_crypt_r()) == NULL)
		return -1;
	/* crypt_data is large (32 KB); keep it off the stack. */
	if ((cd = calloc(1, sizeof(*cd))) == NULL) {
		log_msg(LOG_ERR, "password check: out of memory");
		return -1;
	}
	h = crypt_fn(password, stored, cd);
	ok = h != NULL && h[0] != '*' && same(h, stored) && user != NULL;
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}
