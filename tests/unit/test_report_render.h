/* SPDX-License-Identifier: GPL-2.0 */
/* A drop report rendered into a string, as trace prints it, for the unit tests that read it. */
#ifndef DS_TEST_REPORT_RENDER_H
#define DS_TEST_REPORT_RENDER_H

#include <stdio.h>

#include "trace_table.h"

/* The text table over seconds; the caller frees the string. */
static char *render_text(const struct drop_report *r, const struct name_ctx *n, double seconds)
{
	struct text_opts o = { .seconds = seconds, .max_detail = 5 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	drop_report_text(r, n, &o, f);
	fclose(f);
	return buf;
}

/* {"drops":[...]}; the caller frees the string. */
static char *render_json(const struct drop_report *r, const struct name_ctx *n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json_writer j;

	json_init(&j, f, false);
	json_object_begin(&j, NULL);
	drop_report_json(r, n, &j, "drops");
	json_object_end(&j);
	fclose(f);
	return buf;
}

#endif
