/*
 * listener-main.c: the listener program, which runs the PROGRAM of its
 * command line for each connection (listener(8)).
 */
#include "listener.h"

static const struct variant listener = { "listener", NULL, NULL };

int
main(int argc, char **argv)
{
	listener_main(argc, argv, &listener);
}
