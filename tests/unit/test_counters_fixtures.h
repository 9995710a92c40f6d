/* SPDX-License-Identifier: GPL-2.0 */
/* Where the counter fixtures are, for the unit tests that read them. */
#ifndef DS_TEST_COUNTERS_FIXTURES_H
#define DS_TEST_COUNTERS_FIXTURES_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fixtures[640];

/* $DS_FIXTURES, else tests/fixtures/counters under the current directory (make runs the tests
 * from the top), else under the top of the tree this binary was built in (BUILD/tests/unit/X). */
static bool find_fixtures(void)
{
	const char *env = getenv("DS_FIXTURES");
	char exe[512];
	ssize_t n;

	if (env) {
		snprintf(fixtures, sizeof(fixtures), "%s", env);
		return access(fixtures, R_OK) == 0;
	}
	if (realpath("tests/fixtures/counters", fixtures))
		return true;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	for (int up = 0; up < 4; up++) {
		char *slash = strrchr(exe, '/');

		if (!slash)
			return false;
		*slash = '\0';
		snprintf(fixtures, sizeof(fixtures), "%s/tests/fixtures/counters", exe);
		if (access(fixtures, R_OK) == 0)
			return true;
	}
	return false;
}

#define FIXTURES_OR_BAIL()                                                                         \
	do {                                                                                       \
		if (!find_fixtures()) {                                                            \
			printf("Bail out! fixtures not found (tests/fixtures/counters); run from " \
			       "the top of the tree or set DS_FIXTURES\n");                        \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

#endif
