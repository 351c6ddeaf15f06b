/*
 * unit.h: the driver of the parsers' table-driven unit tests.  A case
 * notes differences with unit_differ(), unit_int() or unit_str() and ends
 * with unit_end(), which prints a TAP line, "ok N - name" or "not ok N -
 * name: what differed"; main() returns unit_done().  Inline, so that a
 * test using no unit_str() gets no warning.
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Only a case's first difference is kept: the rest follow from it. */
static char unit_why[512];
static int unit_bad, unit_cases, unit_failed;

/* Note that the current case differs from what was expected; returns 0. */
__attribute__((format(printf, 1, 2))) static inline int
unit_differ(const char *fmt, ...)
{
	va_list ap;

	if (!unit_bad) {
		va_start(ap, fmt);
		vsnprintf(unit_why, sizeof(unit_why), fmt, ap);
		va_end(ap);
	}
	unit_bad = 1;
	return 0;
}

/* Compare a result, named what, with the one expected; 1 if they match. */
static inline int
unit_int(const char *what, long got, long want)
{
	return got == want ||
	    unit_differ("%s %ld, expected %ld", what, got, want);
}

static inline int
unit_str(const char *what, const char *got, const char *want)
{
	return strcmp(got, want) == 0 ||
	    unit_differ("%s \"%s\", expected \"%s\"", what, got, want);
}

/* End the current case, whose name says what it tests, with its line;
 * flushed, so that a parser which crashes a later case leaves it shown. */
static inline void
unit_end(const char *name)
{
	printf("%sok %d - %s%s%s\n", unit_bad ? "not " : "", ++unit_cases,
	    name, unit_bad ? ": " : "", unit_bad ? unit_why : "");
	fflush(stdout);
	unit_failed += unit_bad;
	unit_bad = 0;
}

/* Print the plan and the count of failures.  Returns the exit status of
 * the test: 0 if every case passed, 1 otherwise. */
static inline int
unit_done(void)
{
	printf("1..%d\n", unit_cases);
	if (unit_failed > 0)
		printf("# %d of %d cases failed\n", unit_failed, unit_cases);
	return unit_failed > 0;
}

#endif
