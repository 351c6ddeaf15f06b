/*
 * mailquota.c: the mailboxes' quotas for the operator, as doveadm quota
 * get and set are for Dovecot: each user's usage and limit, and a user's
 * own limit set or taken away.  The quotas are Maildir++'s maildirsize
 * files in the store (ms-quota.c), which the handlers read at each RCPT.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "mailstore.h"
#include "options.h"
#include "tunables.h"
#include "users.h"

static const char help[] =
"usage: mailquota [-u FILE] [-d DIR] [-q SIZE] [get] [ADDRESS...]\n"
"       mailquota [-u FILE] [-d DIR] set ADDRESS SIZE|none|default\n"
"Show the usage and limit of every user, or of the ADDRESSes; or give a\n"
"user a limit of its own (octets, or with K, M or G), no limit (none), or\n"
"the handlers' default back (default).\n"
"\n"
"  -u, --users FILE   users file (default users.txt)\n"
"  -d, --store DIR    mail store (default mail.store)\n"
"  -q, --quota SIZE   the default limit the handlers are given with -q,\n"
"                     to show for users without their own (default none)\n"
"  -h, --help         show this help\n";

/* Started as root, work as the store's owner, so that every file made
 * is the owner's, as the handlers' are. */
static void
become_owner(const char *store)
{
	struct stat st;

	if (geteuid() != 0)
		return;
	if (stat(store, &st) < 0)
		die(EXIT_USAGE, "unable to open store %s: %s", store,
		    strerror(errno));
	if (st.st_uid == 0)
		die(EXIT_USAGE, "the store %s is root's; the handlers cannot "
		    "write in it (chown it to their user)", store);
	if (setgroups(1, &st.st_gid) < 0 || setgid(st.st_gid) < 0 ||
	    setuid(st.st_uid) < 0)
		die(EXIT_TEMP, "unable to become the store's owner: %s",
		    strerror(errno));
}

/* One line of the table for user u. */
static int
show(const char *store, const char *name, long long deflimit)
{
	struct ms_quota q;
	char pct[16];

	if (ms_quota_get(store, name, deflimit > 0 ? deflimit :
	    MS_QUOTA_COUNT, &q) != MS_OK) {
		fprintf(stderr, "mailquota: %s: cannot read its quota: %s\n",
		    name, strerror(errno));
		return -1;
	}
	if (q.limit > 0)
		snprintf(pct, sizeof(pct), "%lld%%", q.used * 100 / q.limit);
	else
		snprintf(pct, sizeof(pct), "-");
	printf("%-32s %12lld %12lld %5s %8lld  %s\n", name, q.used,
	    q.limit > 0 ? q.limit : 0, pct, q.count,
	    q.own ? (q.limit > 0 ? "own" : "own (none)") :
	    deflimit > 0 ? "default" : "none");
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "users", required_argument, NULL, 'u' },
		{ "store", required_argument, NULL, 'd' },
		{ "quota", required_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *users_path = "users.txt", *store = "mail.store";
	const struct user *u;
	struct users users;
	long long deflimit = 0, limit;
	int ch, i, bad = 0, unknown = 0;

	log_open("mailquota");
	umask(077);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+u:d:q:h", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'u': users_path = optarg; break;
		case 'd': store = optarg; break;
		case 'q': deflimit = options_size(optarg, "-q"); break;
		case 'h':
			fputs(help, stdout);
			return EXIT_NORMAL;
		default:
			usage_error("unknown option or missing value: %s",
			    argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;
	if (users_load(&users, users_path) < 0)
		die(EXIT_USAGE, "unable to read users file %s: %s",
		    users_path, strerror(errno));
	become_owner(store);
	if (argc > 0 && strcmp(argv[0], "set") == 0) {
		if (argc != 3)
			usage_error("set needs ADDRESS and SIZE, none or "
			    "default");
		if ((u = users_find(&users, argv[1])) == NULL)
			die(EXIT_USAGE, "no such user: %s", argv[1]);
		if (strcmp(argv[2], "default") == 0)
			limit = -1;
		else if (strcmp(argv[2], "none") == 0)
			limit = 0;
		else
			limit = options_size(argv[2], "set");
		if (ms_quota_set(store, u->address, limit) != MS_OK)
			die(EXIT_TEMP, "unable to set the quota of %s: %s",
			    u->address, strerror(errno));
		bad = show(store, u->address, deflimit) < 0;
		users_free(&users);
		return bad ? EXIT_TEMP : EXIT_NORMAL;
	}
	if (argc > 0 && strcmp(argv[0], "get") == 0) {
		argc--;
		argv++;
	}
	printf("%-32s %12s %12s %5s %8s  %s\n", "address", "used", "limit",
	    "%", "messages", "limit from");
	if (argc == 0)
		for (i = 0; (size_t)i < users.count; i++)
			bad |= show(store, users.list[i].address, deflimit) < 0;
	for (i = 0; i < argc; i++) {
		if ((u = users_find(&users, argv[i])) == NULL) {
			fprintf(stderr, "mailquota: no such user: %s\n",
			    argv[i]);
			unknown = 1;
			continue;
		}
		if (show(store, u->address, deflimit) < 0)
			bad = 1;
	}
	users_free(&users);
	/* A store that cannot be read is the worse news. */
	return bad ? EXIT_TEMP : unknown ? EXIT_USAGE : EXIT_NORMAL;
}
