// SPDX-License-Identifier: GPL-2.0
#include <math.h>

#include "json.h"

void json_init(struct json_writer *j, FILE *f, bool pretty)
{
	j->f = f;
	j->depth = 0;
	j->pretty = pretty;
	j->need_comma[0] = false;
}

void json_write_escaped(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

static void indent(struct json_writer *j)
{
	if (!j->pretty)
		return;
	fputc('\n', j->f);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/* Comma, newline and key before any value. */
static void prefix(struct json_writer *j, const char *key)
{
	if (j->need_comma[j->depth])
		fputc(',', j->f);
	j->need_comma[j->depth] = true;
	if (j->depth > 0)
		indent(j);
	if (key) {
		json_write_escaped(j->f, key);
		fputs(j->pretty ? ": " : ":", j->f);
	}
}

static void open_scope(struct json_writer *j, const char *key, char c)
{
	prefix(j, key);
	fputc(c, j->f);
	if (j->depth < JSON_MAX_DEPTH - 1)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void close_scope(struct json_writer *j, char c)
{
	bool had_items = j->need_comma[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (had_items)
		indent(j);
	fputc(c, j->f);
}

void json_object_begin(struct json_writer *j, const char *key)
{
	open_scope(j, key, '{');
}

void json_object_end(struct json_writer *j)
{
	close_scope(j, '}');
}

void json_array_begin(struct json_writer *j, const char *key)
{
	open_scope(j, key, '[');
}

void json_array_end(struct json_writer *j)
{
	close_scope(j, ']');
}

void json_string(struct json_writer *j, const char *key, const char *val)
{
	prefix(j, key);
	if (val)
		json_write_escaped(j->f, val);
	else
		fputs("null", j->f);
}

void json_int(struct json_writer *j, const char *key, int64_t val)
{
	prefix(j, key);
	fprintf(j->f, "%lld", (long long)val);
}

void json_uint(struct json_writer *j, const char *key, uint64_t val)
{
	prefix(j, key);
	fprintf(j->f, "%llu", (unsigned long long)val);
}

void json_double(struct json_writer *j, const char *key, double val, int decimals)
{
	prefix(j, key);
	if (!isfinite(val))
		fputs("null", j->f);
	else
		fprintf(j->f, "%.*f", decimals, val);
}

void json_bool(struct json_writer *j, const char *key, bool val)
{
	prefix(j, key);
	fputs(val ? "true" : "false", j->f);
}

void json_null(struct json_writer *j, const char *key)
{
	prefix(j, key);
	fputs("null", j->f);
}

void json_finish(struct json_writer *j)
{
	fputc('\n', j->f);
	fflush(j->f);
}
