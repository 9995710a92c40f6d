// SPDX-License-Identifier: GPL-2.0
/* One option table: getopt's table and letters, --help's lines and the list, all from it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "tap.h"

enum { OPT_LONG_ONLY = 0x100, OPT_KNOB };

static const struct ds_option table[] = {
	{"duration", 'd', required_argument, "S", "how long\nsecond line"},
	{"json", 'j', no_argument, NULL, "one JSON object"},
	{"long-only", OPT_LONG_ONLY, no_argument, NULL, "no letter"},
	{"size", 's', required_argument, "BYTES", "probe size"},
	{"psize", 's', required_argument, NULL, NULL},
	{"knob", OPT_KNOB, required_argument, "N", "a testing knob", true},
	{"a-rather-long-option-name", 'x', optional_argument, "[DIR]", "on a line of its own"},
	{NULL, 0, 0, NULL, "section:"},
	{"json", 'J', no_argument, NULL, "shadowed: the first json counts"},
	{0},
};

/* What a FILE-writing function prints, as a malloc'ed string. */
static char *capture(void (*fn)(FILE *, const struct ds_option *), const struct ds_option *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fn(f, t);
	fclose(f);
	return buf;
}

int main(void)
{
	struct ds_getopt g;
	char *help, *list;
	size_t n = 0;
	int c;

	is_int(ds_getopt_init(&g, table), 0, "the table converts");
	is_str(g.shorts, ":d:js:x::",
	       "letters from the rows, ':' after a required value, '::' after an optional one");
	for (; g.longs[n].name; n++)
		;
	is_int((int)n, 7, "every long name once: the shadowed json left out");
	is_int(g.longs[6].has_arg, optional_argument, "the argument kind carried over");

	{
		char *argv[] = {"x", "--psize", "10", "-j", "--knob=3", "--json=1", NULL};

		optind = 0;
		c = ds_getopt(6, argv, &g);
		is_int(c, 's', "--psize, an alias, returns the letter");
		ok(optarg && !strcmp(optarg, "10"), "with its value");
		is_int(ds_getopt(6, argv, &g), 'j', "-j");
		is_int(ds_getopt(6, argv, &g), OPT_KNOB, "a hidden knob is still parsed");
		is_int(ds_getopt(6, argv, &g), '?',
		       "--json=1: refused, a value where none is taken");
	}

	help = capture(ds_options_help, table);
	ok(strstr(help, "  -d, --duration S      how long\n"
			"                        second line\n") != NULL,
	   "letter, name, value, text at column 24, continuation indented");
	ok(strstr(help, "      --long-only       no letter\n") != NULL,
	   "an option without a letter is indented past where the letter goes");
	ok(strstr(help, "  -s, --size, --psize BYTES\n                        probe size\n") !=
		   NULL,
	   "an alias on its row's line; too long, so the text on the next");
	ok(strstr(help, "knob") == NULL, "a hidden row is not in --help");
	ok(strstr(help, "  -x, --a-rather-long-option-name [DIR]\n") != NULL,
	   "an optional value shown as written");
	ok(strstr(help, "\nsection:\n") != NULL, "a heading row printed as it is");
	ok(strstr(help, "shadowed") == NULL, "a shadowed row is not printed");
	list = capture(ds_options_list, table);
	is_str(list,
	       "--duration\n--json\n--long-only\n--size\n--psize\n--knob hidden\n"
	       "--a-rather-long-option-name\n",
	       "the list: every name once, hidden ones marked");
	free(help);
	free(list);
	return done_testing();
}
