/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A streaming JSON writer: the writer tracks nesting and commas, callers only say what comes
 * next. Inside an object every value takes a key; inside an array the key is NULL.
 */
#ifndef DS_JSON_H
#define DS_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json_writer {
	FILE *f;
	int depth;
	bool pretty;
	bool need_comma[JSON_MAX_DEPTH];
};

void json_init(struct json_writer *j, FILE *f, bool pretty);
void json_object_begin(struct json_writer *j, const char *key);
void json_object_end(struct json_writer *j);
void json_array_begin(struct json_writer *j, const char *key);
void json_array_end(struct json_writer *j);
/* A NULL string is written as null. */
void json_string(struct json_writer *j, const char *key, const char *val);
void json_int(struct json_writer *j, const char *key, int64_t val);
void json_uint(struct json_writer *j, const char *key, uint64_t val);
/* NaN and infinities are written as null; decimals bounds the printed precision. */
void json_double(struct json_writer *j, const char *key, double val, int decimals);
void json_bool(struct json_writer *j, const char *key, bool val);
void json_null(struct json_writer *j, const char *key);
/* Ends the document with a newline. */
void json_finish(struct json_writer *j);

/* Writes s as a quoted JSON string (escaping quotes, backslashes and control bytes). */
void json_write_escaped(FILE *f, const char *s);

#endif
