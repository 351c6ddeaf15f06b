/*
 * mailpasswd.c: add a user to the users file, or change a user's
 * password, storing a yescrypt hash.  The password is read from the
 * terminal (twice, without echo) or as one line of standard input, never
 * from the command line, where other users could see it in ps.  The file
 * is replaced atomically, so a handler never reads it half-written.
 */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "tunables.h"
#include "log.h"
#include "users.h"

/* Read at most this much of an existing users file. */
#define FILE_MAX	(64L * 1024 * 1024)

static const char help[] =
"usage: mailpasswd [-u FILE] ADDRESS\n"
"Add ADDRESS to the users file, or change its password.  The password is\n"
"read from the terminal, or as one line of standard input, and stored as\n"
"a yescrypt hash.\n"
"\n"
"  -u, --users FILE   users file (default users.txt)\n"
"  -h, --help         show this help\n";

/* Read one line into buf (size n) from fd 0, without its line end. */
static int
read_password(char *buf, size_t n, const char *prompt)
{
	struct termios old, quiet;
	int tty = isatty(0), ok;
	size_t len;

	if (tty) {
		/* Echo goes off before the prompt, so that nothing typed
		 * in answer to it can be shown. */
		if (tcgetattr(0, &old) < 0)
			return -1;
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		if (tcsetattr(0, TCSANOW, &quiet) < 0)
			return -1;
		fputs(prompt, stderr);
	}
	ok = fgets(buf, (int)n, stdin) != NULL;
	if (tty) {
		(void)tcsetattr(0, TCSANOW, &old);
		fputc('\n', stderr);
	}
	if (!ok)
		return -1;
	len = strcspn(buf, "\r\n");
	if (buf[len] == '\0' && len == n - 1)
		usage_error("password too long");
	buf[len] = '\0';
	return 0;
}

/* The new password's hash, in static storage. */
static const char *
new_hash(void)
{
	static struct crypt_data cd;
	char pw[PASSWORD_MAX + 2], again[PASSWORD_MAX + 2];
	const char *salt, *h;

	if (read_password(pw, sizeof(pw), "New password: ") < 0)
		die(EXIT_USAGE, "no password given");
	/* A POP3 PASS line holds at most this much (RFC 2449 section 4). */
	if (strlen(pw) == 0 || strlen(pw) > POP3_CMD_MAX - 7)
		usage_error("a password is 1 to %d octets", POP3_CMD_MAX - 7);
	if (isatty(0)) {
		if (read_password(again, sizeof(again), "Again: ") < 0 ||
		    strcmp(pw, again) != 0)
			die(EXIT_USAGE, "the passwords differ");
		explicit_bzero(again, sizeof(again));
	}
	if ((salt = crypt_gensalt("$y$", 0, NULL, 0)) == NULL)
		die(EXIT_TEMP, "crypt_gensalt: %s", strerror(errno));
	h = crypt_r(pw, salt, &cd);
	explicit_bzero(pw, sizeof(pw));
	if (h == NULL || h[0] != '$')
		die(EXIT_TEMP, "crypt: %s", strerror(errno));
	return h;
}

/* Read the whole users file (empty if it does not exist).  Sets *st to
 * its status, or to st_mode 0 when there is no file. */
static char *
slurp(const char *path, size_t *len, struct stat *st)
{
	char *buf;
	ssize_t n;
	int fd;

	*len = 0;
	memset(st, 0, sizeof(*st));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno != ENOENT)
			die(EXIT_TEMP, "unable to open %s: %s", path,
			    strerror(errno));
		return calloc(1, 1);
	}
	if (fstat(fd, st) < 0 || st->st_size > FILE_MAX)
		die(EXIT_TEMP, "unable to read %s: %s", path,
		    st->st_size > FILE_MAX ? "too large" : strerror(errno));
	if ((buf = malloc((size_t)st->st_size + 1)) == NULL)
		die(EXIT_TEMP, "out of memory");
	while ((n = read(fd, buf + *len, (size_t)st->st_size - *len)) > 0)
		*len += (size_t)n;
	if (n < 0)
		die(EXIT_TEMP, "unable to read %s: %s", path, strerror(errno));
	close(fd);
	buf[*len] = '\0';
	return buf;
}

/* Length of the line at p that names address as its first word, or 0. */
static int
names(const char *p, const char *end, const char *address)
{
	size_t w, n = strlen(address);

	p += strspn(p, " \t");
	w = strcspn(p, " \t\n");
	return p + w <= end && w == n && strncasecmp(p, address, n) == 0;
}

/* Write the file with address's line replaced or added into fd. */
static int
rewrite(FILE *out, const char *buf, size_t len, const char *address,
    const char *hash, int *changed)
{
	const char *p = buf, *end = buf + len, *nl;

	*changed = 0;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl != NULL ? nl + 1 : end;
		if (!*changed && names(p, nl, address)) {
			/* Keep the spelling already in the file. */
			const char *a = p + strspn(p, " \t");

			fprintf(out, "%.*s %s\n", (int)strlen(address), a,
			    hash);
			*changed = 1;
		} else
			fwrite(p, 1, (size_t)(nl - p), out);
		p = nl;
	}
	if (!*changed) {
		if (len > 0 && buf[len - 1] != '\n')
			fputc('\n', out);
		fprintf(out, "%s %s\n", address, hash);
	}
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}

/* Replace path by a new file with the same owner and mode. */
static void
replace(const char *path, const char *buf, size_t len, const struct stat *st,
    const char *address, const char *hash, int *changed)
{
	char tmp[4096], dir[4096];
	FILE *out;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.mailpasswd.XXXXXX", path);
	snprintf(dir, sizeof(dir), "%s", path);
	if ((fd = mkstemp(tmp)) < 0)
		die(EXIT_TEMP, "unable to create %s: %s", tmp, strerror(errno));
	if (fchmod(fd, st->st_mode != 0 ? st->st_mode & 07777 : 0640) < 0 ||
	    (st->st_mode != 0 && fchown(fd, st->st_uid, st->st_gid) < 0 &&
	    errno != EPERM) || (out = fdopen(fd, "w")) == NULL ||
	    rewrite(out, buf, len, address, hash, changed) < 0 ||
	    fsync(fd) < 0 || fclose(out) != 0 || rename(tmp, path) < 0) {
		int err = errno;

		unlink(tmp);
		die(EXIT_TEMP, "unable to write %s: %s", path, strerror(err));
	}
	if ((fd = open(dirname(dir), O_RDONLY | O_DIRECTORY)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "users", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = "users.txt", *hash;
	struct stat st;
	size_t len;
	char *buf;
	int ch, changed;

	log_open("mailpasswd");
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+u:h", longopts, NULL)) != -1) {
		if (ch == 'u')
			path = optarg;
		else if (ch == 'h') {
			fputs(help, stdout);
			return EXIT_NORMAL;
		} else
			usage_error("unknown option or missing value: %s",
			    argv[optind - 1]);
	}
	if (argc - optind != 1)
		usage_error("give exactly one ADDRESS");
	if (!users_usable(argv[optind]))
		usage_error("%s cannot be a user: not a plain address that "
		    "can name a mailbox", argv[optind]);
	buf = slurp(path, &len, &st);
	hash = new_hash();
	replace(path, buf, len, &st, argv[optind], hash, &changed);
	free(buf);
	printf("mailpasswd: %s %s in %s\n", changed ? "changed the password "
	    "of" : "added", argv[optind], path);
	return EXIT_NORMAL;
}
