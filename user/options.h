/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One option table per command: parsing (getopt_long's table and letters), the OPTIONS part of
 * --help (so the man page and the completion, made from --help) and `dropscope help --options`
 * all come from it.
 */
#ifndef DS_OPTIONS_H
#define DS_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

/*
 * One row of a command's table. A table ends with a row whose name and help are both NULL; a row
 * with no name but a help is a heading line of --help ("probing:"). When two rows have the same
 * name, the first one counts (so a command can put its own row before a shared macro's).
 */
struct ds_option {
	const char *name; /* the long name, without "--" */
	int val;	  /* what getopt_long returns: the letter (-X works too) if below 0x100 */
	int has_arg;	  /* no_argument, required_argument or optional_argument */
	const char *arg;  /* the value's name in --help ("S", "NS", "[DIR]") */
	const char *help; /* its --help text, '\n' between lines; NULL: another name of the row
			     before, shown on its line ("-s, --size, --psize BYTES") */
	bool hidden;	  /* a testing knob: parsed, but in no --help (README "For developers") */
};

/* getopt_long's view of a table (built by ds_getopt_init, on the caller's stack). */
#define DS_OPTIONS_MAX 64
struct ds_getopt {
	struct option longs[DS_OPTIONS_MAX + 1];
	char shorts[1 + 3 * DS_OPTIONS_MAX + 1]; /* ":" first, so a missing value is ':' */
};

/* Fill g from a table. Returns 0, or -E2BIG when the table has more rows than g holds. */
int ds_getopt_init(struct ds_getopt *g, const struct ds_option *opts);
/* getopt_long over g, with getopt's own messages off (ds_option_error prints one line). */
int ds_getopt(int argc, char **argv, struct ds_getopt *g);
/* The OPTIONS lines of --help: every row but the hidden ones, the text at column 24. */
void ds_options_help(FILE *f, const struct ds_option *opts);
/* `dropscope help --options CMD`: a line per long name, "--name", then "hidden" if it is. */
void ds_options_list(FILE *f, const struct ds_option *opts);

/*
 * One line for an option getopt_long refused: c is what ds_getopt returned, '?' (unknown) or
 * ':' (its value missing). Returns 2, the exit code of bad usage.
 */
int ds_option_error(const char *cmd, int c, char **argv, const struct ds_getopt *g);

#endif
