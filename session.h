/*
 * session.h: what both handlers do before a session and around it.
 */
#ifndef SESSION_H
#define SESSION_H

#include "aliases.h"
#include "lineio.h"
#include "options.h"
#include "users.h"

/* Everything a handler does before its session: open the log, ignore
 * SIGPIPE and SIGXFSZ, parse the options into *c, with --handoff wait
 * for the connection from the listener, set up *io on fds 0
 * and 1, load the users file into *u and the aliases file into *al
 * (with --check, exiting 100 if anything in it is wrong), and, started
 * as root, open the
 * store and become the session's user (-U, else RUN_USER_DEFAULT or
 * RUN_USER_FALLBACK).  If the file cannot be read,
 * the client gets a temporary-failure reply (unless --check) and the
 * program exits with EXIT_USAGE. */
void	session_start(struct config *c, enum proto proto, int argc,
	    char **argv, struct io *io, struct users *u, struct aliases *al);

#endif
