// SPDX-License-Identifier: GPL-2.0
/* Duration and number parsing: what the command lines accept and refuse. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include "tap.h"
#include "util.h"

int main(void)
{
	double d;
	unsigned long n;

	is_int(parse_duration("30", false, &d), 0, "plain seconds");
	is_near(d, 30, 1e-9, "30 is 30 s");
	is_int(parse_duration("2.5", false, &d), 0, "fractions");
	is_near(d, 2.5, 1e-9, "2.5 s");
	is_int(parse_duration("500ms", false, &d), 0, "milliseconds");
	is_near(d, 0.5, 1e-9, "500ms is 0.5 s");
	is_int(parse_duration("3m", false, &d), 0, "minutes");
	is_near(d, 180, 1e-9, "3m is 180 s");
	is_int(parse_duration("1h", false, &d), 0, "hours");
	is_near(d, 3600, 1e-9, "1h is 3600 s");
	is_int(parse_duration("0", false, &d), -ERANGE, "zero refused unless allowed");
	is_int(parse_duration("0", true, &d), 0, "zero accepted when allowed");
	is_int(parse_duration("-1", false, &d), -EINVAL, "negative refused");
	is_int(parse_duration("5x", false, &d), -EINVAL, "unknown unit refused");
	is_int(parse_duration("", false, &d), -EINVAL, "empty refused");
	is_int(parse_duration("nan", false, &d), -EINVAL, "NaN refused");
	is_int(parse_duration("inf", false, &d), -EINVAL, "infinity refused");
	is_int(parse_duration("2d", false, &d), -EINVAL, "days are not a unit");
	is_int(parse_duration("100000", false, &d), -ERANGE, "over a day refused");
	is_int(parse_duration("0x10", false, &d), -EINVAL, "hex refused: numbers are decimal");
	is_int(parse_duration("0x1p3", false, &d), -EINVAL, "so is a hex float");
	is_int(parse_duration("1e2", false, &d), -EINVAL, "an exponent refused");
	is_int(parse_duration("1E2ms", false, &d), -EINVAL, "also before a unit");
	is_int(parse_duration("infinity", false, &d), -EINVAL, "infinity spelled out refused");
	is_int(parse_duration(".", false, &d), -EINVAL, "a lone point refused");
	is_int(parse_duration("ms", false, &d), -EINVAL, "a unit alone refused");
	is_int(parse_duration(" 5", false, &d), -EINVAL, "leading space refused");
	is_int(parse_duration(".5", false, &d), 0, "a leading point is a decimal");
	is_near(d, 0.5, 1e-9, ".5 is 0.5 s");
	is_int(parse_duration("2.ms", false, &d), 0, "so is a trailing one");
	is_near(d, 0.002, 1e-9, "2.ms is 2 ms");
	is_int(parse_duration("007", false, &d), 0, "leading zeros are decimal, not octal");
	is_near(d, 7, 1e-9, "007 is 7 s");

	is_int(parse_ulong("80", 1, 65535, &n), 0, "a port");
	is_int(n, 80, "port 80");
	is_int(parse_ulong("0", 1, 65535, &n), -ERANGE, "below the minimum");
	is_int(parse_ulong("65536", 1, 65535, &n), -ERANGE, "above the maximum");
	is_int(parse_ulong("-1", 0, 10, &n), -EINVAL, "a sign is refused");
	is_int(parse_ulong("12a", 0, 100, &n), -EINVAL, "trailing garbage is refused");
	is_int(parse_ulong("0x10", 0, 100, &n), -EINVAL, "hex is refused");
	is_int(parse_ulong("1e2", 0, 1000, &n), -EINVAL, "an exponent is refused");
	is_int(parse_ulong("010", 0, 100, &n), 0, "leading zeros: decimal");
	is_int(n, 10, "010 is 10, not octal 8");
	is_int(parse_ulong("", 0, 100, &n), -EINVAL, "empty is refused");
	is_int(parse_ulong("99999999999999999999999", 0, ~0ul, &n), -ERANGE, "overflow is refused");

	{
		struct row {
			int key;
			int val;
		} *rows = NULL, *r;
		size_t n = 0, cap = 0;
		int keys[] = { 5, 1, 9, 5, 3 };

		for (size_t i = 0; i < 5; i++) {
			r = sorted_upsert((void **)&rows, &n, &cap, sizeof(*r), &keys[i], sizeof(int));
			r->val++;
		}
		is_int(n, 4, "sorted_upsert: a repeated key is one row");
		ok(rows[0].key == 1 && rows[1].key == 3 && rows[2].key == 5 && rows[3].key == 9,
		   "rows stay sorted");
		is_int(((struct row *)sorted_find(rows, n, sizeof(*r), &keys[0], sizeof(int)))->val, 2,
		       "sorted_find finds the row the key was added to twice");
		ok(sorted_find(rows, n, sizeof(*r), &(int){ 4 }, sizeof(int)) == NULL,
		   "an absent key is not found");
		free(rows);
	}
	{
		/* Rows as a BPF map snapshot has them: a key, then counters summed on merge. */
		struct crow {
			uint32_t key[3];
			uint32_t pad;
			uint64_t a, b;
		} rows[] = {
			{ { 2, 0, 1 }, 0, 1, 10 }, { { 1, 0, 0 }, 0, 2, 20 },
			{ { 2, 0, 1 }, 0, 4, 40 }, { { 1, 0, 0 }, 0, 8, 80 },
			{ { 0, 9, 9 }, 0, 16, 160 }, { { 2, 0, 1 }, 0, 32, 320 },
		};
		size_t m = sort_merge_rows(rows, 6, sizeof(rows[0]), sizeof(rows[0].key),
					   offsetof(struct crow, a));

		is_int(m, 3, "sort_merge_rows: three distinct keys");
		ok(rows[0].key[0] == 0 && rows[1].key[0] == 1 && rows[2].key[0] == 2,
		   "sorted by key bytes");
		ok(rows[1].a == 10 && rows[1].b == 100, "equal keys: counters summed (2 + 8)");
		ok(rows[2].a == 37 && rows[2].b == 370, "three rows of one key summed (1 + 4 + 32)");
		ok(rows[0].a == 16 && rows[0].b == 160, "a single row kept as it was");
		is_int(sort_merge_rows(rows, 0, sizeof(rows[0]), 12, 16), 0, "no rows");
	}
	return done_testing();
}
