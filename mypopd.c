/*
 * mypopd.c: the listener with pop3-handler built in, as in the original
 * assignment: "mypopd PORT" (listener(8)).
 */
#include "listener.h"

/* RFC 3206 section 4: SYS/TEMP, a temporary problem of the server. */
static const struct variant mypopd = {
	"mypopd", "pop3-handler",
	"-ERR [SYS/TEMP] Too many sessions, try again later"
};

int
main(int argc, char **argv)
{
	listener_main(argc, argv, &mypopd);
}
