// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor_config.h"

int monitor_target_valid(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > MONITOR_TARGET_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr(".-_:%", *s)))
			return 0;
	return 1;
}

void monitor_targets_free(char **targets, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(targets[i]);
	free(targets);
}

/* Add s (len bytes) unless it is there already; 0, or -EINVAL (err says why), -ENOMEM. */
static int add_target(char ***v, size_t *n, const char *s, size_t len, const char *where, char *err,
		      size_t size)
{
	char *t = strndup(s, len);

	if (!t)
		return -ENOMEM;
	if (!monitor_target_valid(t)) {
		snprintf(err, size, "%sbad target '%.64s': expected a host name or an address",
			 where, t);
		free(t);
		return -EINVAL;
	}
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i], t)) {
			free(t);
			return 0;
		}
	if (*n >= MONITOR_MAX_TARGETS) {
		snprintf(err, size, "%stoo many targets: at most %d", where, MONITOR_MAX_TARGETS);
		free(t);
		return -EINVAL;
	}
	(*v)[(*n)++] = t;
	return 0;
}

int monitor_targets_build(char *const *cli, size_t n, const char *text, char ***out, size_t *nout,
			  char *err, size_t size)
{
	char **v = calloc(MONITOR_MAX_TARGETS, sizeof(*v)), where[32];
	size_t count = 0, line = 0;
	int rc = 0;

	*out = NULL;
	*nout = 0;
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n && !rc; i++)
		rc = add_target(&v, &count, cli[i], strlen(cli[i]), "", err, size);
	for (const char *p = text; p && *p && !rc;) {
		const char *eol = strchrnul(p, '\n'), *hash = memchr(p, '#', eol - p);
		const char *b = p, *e = hash ? hash : eol;

		line++;
		while (b < e && (*b == ' ' || *b == '\t' || *b == '\r'))
			b++;
		while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		if (e > b) {
			snprintf(where, sizeof(where), "line %zu: ", line);
			rc = add_target(&v, &count, b, e - b, where, err, size);
		}
		p = *eol ? eol + 1 : eol;
	}
	if (rc) {
		monitor_targets_free(v, count);
		return rc;
	}
	*out = v;
	*nout = count;
	return 0;
}
