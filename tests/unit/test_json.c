// SPDX-License-Identifier: GPL-2.0
/* The JSON writer: commas, nesting, escaping, null for missing values. */
#include <math.h>
#include <stdlib.h>

#include "json.h"
#include "tap.h"

static char *render(void (*fn)(struct json_writer *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json_writer j;

	json_init(&j, f, false);
	fn(&j);
	fclose(f);
	return buf;
}

static void doc(struct json_writer *j)
{
	json_object_begin(j, NULL);
	json_string(j, "s", "a\"b\\c\n\x01");
	json_string(j, "n", NULL);
	json_int(j, "i", -5);
	json_uint(j, "u", 18446744073709551615ull);
	json_double(j, "d", 1.25, 2);
	json_double(j, "nan", NAN, 2);
	json_bool(j, "t", true);
	json_array_begin(j, "a");
	json_int(j, NULL, 1);
	json_object_begin(j, NULL);
	json_object_end(j);
	json_array_begin(j, NULL);
	json_array_end(j);
	json_array_end(j);
	json_object_end(j);
}

static void empty(struct json_writer *j)
{
	json_object_begin(j, NULL);
	json_array_begin(j, "x");
	json_array_end(j);
	json_object_end(j);
}

int main(void)
{
	char *s = render(doc);

	is_str(s,
	       "{\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"n\":null,\"i\":-5,\"u\":18446744073709551615,"
	       "\"d\":1.25,\"nan\":null,\"t\":true,\"a\":[1,{},[]]}",
	       "values, escapes, null, nesting and commas");
	free(s);
	s = render(empty);
	is_str(s, "{\"x\":[]}", "empty containers");
	free(s);
	return done_testing();
}
