/*
 * handoff.h: a handler started ahead of its clients by the listener
 * (listener -s; the handlers' --handoff option).
 *
 * The listener starts the handler with --handoff and its end of a
 * SEQPACKET socket pair on fds 0 and 1, before any client comes: the
 * spare.  Each connection comes as one message on that socket: the
 * descriptor (SCM_RIGHTS) and its variables, NUL-terminated NAME=value
 * strings (at most HANDOFF_ENV_MAX octets).  The process that takes it
 * answers with one message, its pid (a pid_t), and is from then on the
 * connection's session.  An end of file on the socket means the
 * listener lets the spare go.
 *
 * The spare forks the session processes ahead, one at a time, as
 * siblings (CLONE_PARENT): each is the listener's child, as if the
 * listener had started it, and waits on the socket for one connection.
 * A spare that cannot fork takes the next connection itself and
 * answers with its own pid, which tells the listener that no sessions
 * will follow from it.
 */
#ifndef HANDOFF_H
#define HANDOFF_H

/* Serve as the spare; return only in a session process, with the
 * connection on fds 0 and 1 and its variables in the environment.  If
 * ahead is not NULL, each session process calls ahead(arg) before it
 * waits for its connection, if that is not already there: work that
 * needs no client, done while no client waits for it.
 * Exits 0 when the listener closes the socket, and with a diagnostic
 * when fd 0 is no socket (EXIT_USAGE) or a message holds no connection
 * (EXIT_TEMP). */
void	handoff_take(void (*ahead)(void *), void *arg);

#endif
