/*
 * session.c: what both handlers do before a session and around it
 * (session.h): descriptors, signals and umask, the spare's handoff, the
 * TLS key and the users file, and giving up root for good.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handoff.h"
#include "log.h"
#include "mailstore.h"
#include "rcpt.h"
#include "session.h"
#include "tls.h"
#include "tunables.h"

/* The user a handler started as root runs its session as: -U, else
 * RUN_USER_DEFAULT, else RUN_USER_FALLBACK.  *why says how one was
 * chosen when -U did not name it, for --check, and is NULL otherwise. */
static const struct passwd *
session_user(const struct config *c, const char **why)
{
	const struct passwd *pw;

	if (c->user != NULL) {
		if ((pw = getpwnam(c->user)) == NULL)
			usage_error("no such user: %s", c->user);
		*why = NULL;
		return pw;
	}
	if (c->require_user)
		usage_error("refusing to run as root without -U "
		    "(--require-user): give -U USER");
	if ((pw = getpwnam(RUN_USER_DEFAULT)) != NULL) {
		*why = "started as root without -U";
		return pw;
	}
	*why = "started as root without -U, and there is no user "
	    RUN_USER_DEFAULT;
	if ((pw = getpwnam(RUN_USER_FALLBACK)) == NULL)
		usage_error("started as root without -U, and there is "
		    "neither a user " RUN_USER_DEFAULT " nor "
		    RUN_USER_FALLBACK ": give -U USER");
	return pw;
}

/* Tell the client, in its protocol, that the service is unavailable,
 * before the program exits; under implicit TLS nothing may go in clear,
 * and --check has no client. */
static void
unavailable(const struct config *c, enum proto proto, struct io *io)
{
	if (c->check || c->tls)
		return;
	if (proto == PROTO_SMTP)
		io_printf(io, "421 4.3.0 %s Service not available", c->host);
	else
		io_printf(io, "-ERR [SYS/TEMP] Service not available");
	io_flush(io);
}

/* Started as root, become the session's user for good, before any input
 * is read: a flaw in a session must not be a root flaw.  The store is
 * opened first, and made for that user if it does not exist, so that the
 * user needs no way to it of its own.  Without root, -U may only name the
 * user we are.  --check names the user when the command line does not. */
static void
become(const struct config *c, enum proto proto, struct io *io)
{
	const struct passwd *pw;
	const char *why;
	char name[256];
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0) {
		if (c->user != NULL && ((pw = getpwnam(c->user)) == NULL ||
		    pw->pw_uid != geteuid()))
			usage_error(pw == NULL ? "no such user: %s" :
			    "-U %s needs root", c->user);
		return;
	}
	pw = session_user(c, &why);
	if (pw->pw_uid == 0)
		usage_error("sessions may not run as root: -U must name "
		    "another user");
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	snprintf(name, sizeof(name), "%s", pw->pw_name);
	if (ms_store_pin(c->store, uid, gid, !c->check) != MS_OK &&
	    (errno != ENOENT || !c->check)) {
		int err = errno;

		unavailable(c, proto, io);
		die(EXIT_TEMP, "unable to open store %s: %s", c->store,
		    strerror(err));
	}
	if (setgroups(1, &gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
		die(EXIT_TEMP, "unable to become %s: %s", name,
		    strerror(errno));
	/* The change must be for good. */
	if (setuid(0) == 0)
		die(EXIT_TEMP, "still able to become root after becoming %s",
		    name);
	if (!c->check)
		return;
	/* Once, on the operator's terminal when a listener runs this at
	 * its start: which user it chose, since no option said so. */
	if (why != NULL)
		log_note("sessions run as %s: %s", name, why);
	if (ms_store_usable() < 0 && errno != ENOENT)
		log_note("warning: %s may not write in the store %s (%s): "
		    "mail will be deferred until it may", name, c->store,
		    strerror(errno));
}

/* Work a forked SMTP session does before its client comes: the first
 * message's file (ms-deliver.c). */
static void
prepare(void *arg)
{
	ms_deliver_prepare(((struct config *)arg)->store);
}

/* Read the aliases file; with --check, report what is wrong in it and
 * exit 100 if anything is. */
static void
load_aliases(const struct config *c, enum proto proto, struct io *io,
    struct users *u, struct aliases *al)
{
	struct rcpt_book book;
	int bad;

	if (aliases_load(al, c->aliases_path, c->check) < 0) {
		int err = errno;

		unavailable(c, proto, io);
		die(err == EACCES || err == EISDIR || err == ELOOP ?
		    EXIT_USAGE : EXIT_TEMP, "unable to read aliases file "
		    "%s: %s", c->aliases_path, strerror(err));
	}
	if (!c->check)
		return;
	book.users = u;
	book.aliases = al;
	book.postmaster = c->postmaster != NULL ? c->postmaster :
	    u->count > 0 ? u->list[0].address : "";
	book.delims = c->delims;
	bad = (int)al->skipped + rcpt_check(&book);
	if (bad > 0)
		die(EXIT_USAGE, "%d error%s in aliases file %s", bad,
		    bad > 1 ? "s" : "", c->aliases_path);
}

/* A transaction holds a directory open for each of its mailboxes (up to
 * ALIAS_RCPT_MAX) until its commit: let the soft limit of descriptors
 * rise to the hard one, as far as that needs. */
static void
more_files(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur >= 4 * ALIAS_RCPT_MAX)
		return;
	rl.rlim_cur = rl.rlim_max < 4 * ALIAS_RCPT_MAX ? rl.rlim_max :
	    4 * ALIAS_RCPT_MAX;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
}

void
session_start(struct config *c, enum proto proto, int argc, char **argv,
    struct io *io, struct users *u, struct aliases *al)
{
	int err;

	/* Nothing inherited beyond fds 0 to 2 is ours to keep (a launcher's
	 * stray descriptor must not reach the session); before the log
	 * opens its socket. */
	if (close_range(3, ~0U, 0) < 0)
		closefrom(3);
	log_open(proto == PROTO_SMTP ? "smtp-handler" : "pop3-handler");
	/* A client that goes away must not kill the handler mid-write, and
	 * a file size limit must be an error to handle, not a signal. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR ||
	    signal(SIGXFSZ, SIG_IGN) == SIG_ERR)
		die(EXIT_TEMP, "signal: %s", strerror(errno));
	umask(077);
	options_parse(c, proto, argc, argv);
	/* Only the options have been read: the users file, the certificate
	 * and -U all come after the handoff, in the session.
	 * A file made before the handoff belongs to whoever we are then, so
	 * it is made only when -U will not change that. */
	if (c->handoff)
		handoff_take(proto == PROTO_SMTP && geteuid() != 0 ?
		    prepare : NULL, c);
	/* The key and the users file are often readable by root only:
	 * both are read before root is given up. */
	if (c->cert != NULL)
		tls_load(c->cert, c->key);
	io_init(io, 0, 1, c->timeout);
	if (users_load(u, c->users_path) == 0) {
		/* Only SMTP looks up recipients; POP3 reads the aliases
		 * file for --check alone, so that its sessions neither pay
		 * for it nor fail on it. */
		if (proto == PROTO_SMTP || c->check)
			load_aliases(c, proto, io, u, al);
		become(c, proto, io);
		/* A file only root may read keeps the reading made as root
		 * for the session; one the session's user may read is read
		 * again when it changes, as always. */
		if (access(c->users_path, R_OK) < 0)
			u->once = 1;
		if (proto == PROTO_SMTP) {
			if (access(c->aliases_path, R_OK) < 0 &&
			    errno == EACCES)
				al->once = 1;
			more_files();
		}
		return;
	}
	err = errno;
	/* The client is told before the operator is. */
	unavailable(c, proto, io);
	/* A file that is missing or not ours to read is the operator's to
	 * fix; anything else (memory, I/O) may pass. */
	die(err == ENOENT || err == EACCES || err == ENOTDIR || err == EISDIR ||
	    err == ELOOP ? EXIT_USAGE : EXIT_TEMP,
	    "unable to read users file %s: %s", c->users_path, strerror(err));
}
