// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "options.h"
#include "util.h"

#define HELP_COLUMN 24

static bool is_end(const struct ds_option *o)
{
	return !o->name && !o->help;
}

/* Whether a row's name was already given by a row before it (the first one counts). */
static bool shadowed(const struct ds_option *opts, const struct ds_option *o)
{
	for (const struct ds_option *p = opts; p < o; p++)
		if (p->name && !strcmp(p->name, o->name))
			return true;
	return false;
}

int ds_getopt_init(struct ds_getopt *g, const struct ds_option *opts)
{
	size_t nl = 0, ns = 0;

	memset(g, 0, sizeof(*g));
	g->shorts[ns++] = ':';
	for (const struct ds_option *o = opts; !is_end(o); o++) {
		if (!o->name || shadowed(opts, o))
			continue;
		if (nl == DS_OPTIONS_MAX)
			return -E2BIG;
		g->longs[nl++] = (struct option){o->name, o->has_arg, NULL, o->val};
		if (o->val <= 0 || o->val >= 0x100 || strchr(g->shorts, o->val))
			continue;
		g->shorts[ns++] = (char)o->val;
		if (o->has_arg != no_argument)
			g->shorts[ns++] = ':';
		if (o->has_arg == optional_argument)
			g->shorts[ns++] = ':';
	}
	return 0;
}

int ds_getopt(int argc, char **argv, struct ds_getopt *g)
{
	opterr = 0;
	return getopt_long(argc, argv, g->shorts, g->longs, NULL);
}

void ds_options_help(FILE *f, const struct ds_option *opts)
{
	for (const struct ds_option *o = opts; !is_end(o); o++) {
		const char *text = o->help, *nl;
		int len;

		if (!o->name) {
			fprintf(f, "%s\n", o->help);
			continue;
		}
		if (o->hidden || !o->help || shadowed(opts, o))
			continue;
		if (o->val > 0 && o->val < 0x100)
			len = fprintf(f, "  -%c, --%s", o->val, o->name);
		else
			len = fprintf(f, "      --%s", o->name);
		for (const struct ds_option *a = o + 1; a->name && !a->help; a++)
			if (!a->hidden)
				len += fprintf(f, ", --%s", a->name);
		if (o->arg)
			len += fprintf(f, " %s", o->arg);
		/* Two spaces at least between the option and its text, or a line of its own. */
		if (len > HELP_COLUMN - 2) {
			fputc('\n', f);
			len = 0;
		}
		for (;; text = nl + 1) {
			nl = strchr(text, '\n');
			fprintf(f, "%*s%.*s\n", HELP_COLUMN - len, "",
				(int)(nl ? nl - text : (long)strlen(text)), text);
			len = 0;
			if (!nl)
				break;
		}
	}
}

void ds_options_list(FILE *f, const struct ds_option *opts)
{
	for (const struct ds_option *o = opts; !is_end(o); o++)
		if (o->name && !shadowed(opts, o))
			fprintf(f, "--%s%s\n", o->name, o->hidden ? " hidden" : "");
}

/*
 * The long option "--name" or "--name=value" names, or NULL: the exact name, or as getopt_long
 * reads an abbreviation, the one option it starts (rows that differ only in name count once).
 */
static const struct option *long_named(const struct option *o, const char *given, size_t len)
{
	const struct option *found = NULL;

	for (; o && o->name; o++) {
		if (strncmp(o->name, given + 2, len))
			continue;
		if (strlen(o->name) == len)
			return o;
		if (!found)
			found = o;
		else if (found->val != o->val || found->has_arg != o->has_arg)
			return NULL; /* ambiguous */
	}
	return found;
}

int ds_option_error(const char *cmd, int c, char **argv, const struct ds_getopt *g)
{
	const struct option *longopts = g->longs;
	const char *given = optind > 0 ? argv[optind - 1] : "";
	size_t len = strncmp(given, "--", 2) ? 0 : strcspn(given + 2, "=");
	const struct option *o = len ? long_named(longopts, given, len) : NULL;
	int matches = 0;

	/* The argument before optind is this option's only if it is the one getopt names. */
	if (o && optopt && o->val != optopt)
		o = NULL;

	if (o && c == ':') {
		ds_err("option '--%s' needs a value; see 'dropscope %s --help'", o->name, cmd);
	} else if (o && given[2 + len] == '=' && o->has_arg == no_argument) {
		ds_err("option '--%s' takes no value; see 'dropscope %s --help'", o->name, cmd);
	} else if (optopt > 0 && optopt < 0x100 && isprint(optopt)) {
		/* A short option (getopt names it in optopt, also inside a group such as -Zj). */
		ds_err("%s '-%c'%s; see 'dropscope %s --help'",
		       c == ':' ? "option" : "unknown option", optopt,
		       c == ':' ? " needs a value" : "", cmd);
	} else {
		for (const struct option *p = longopts; len && p->name; p++)
			matches += !strncmp(p->name, given + 2, len);
		ds_err("%s option '%.*s'; see 'dropscope %s --help'",
		       matches > 1 ? "ambiguous" : "unknown", (int)(len ? len + 2 : strlen(given)),
		       given, cmd);
	}
	return 2;
}
