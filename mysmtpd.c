/*
 * mysmtpd.c: the listener with smtp-handler built in, as in the original
 * assignment: "mysmtpd PORT" (listener(8)).
 */
#include "listener.h"

/* RFC 5321 3.8: a server that cannot serve replies 421 and closes;
 * RFC 3463 X.3.2: system not accepting network messages. */
static const struct variant mysmtpd = {
	"mysmtpd", "smtp-handler",
	"421 4.3.2 Too many sessions, try again later"
};

int
main(int argc, char **argv)
{
	listener_main(argc, argv, &mysmtpd);
}
