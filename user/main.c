// SPDX-License-Identifier: GPL-2.0
/* dropscope: where does this server's packet loss happen, and why. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "util.h"

#ifndef DS_VERSION
#define DS_VERSION "0.1"
#endif

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "trace", cmd_trace, "count the kernel's packet drops by reason, queue and namespace" },
	{ "show", cmd_show, "print the drop maps pinned by 'trace --pin', without loading anything" },
	{ "counters", cmd_counters, "the host's loss counters over a window, with fixes" },
	{ "probe", cmd_probe, "probe the path hop by hop: where loss starts (like mtr)" },
	{ "diagnose", cmd_diagnose, "is the loss on this server or in the network: the verdict" },
	{ "demo", cmd_demo, "diagnose a built-in example network with a known fault" },
	{ NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: dropscope [-v] COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; commands[i].name; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'dropscope COMMAND --help' describes each command's options.\n");
}

int main(int argc, char **argv)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			ds_verbose++;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--version")) {
			printf("dropscope %s\n", DS_VERSION);
			return 0;
		} else {
			ds_err("unknown option '%s'; see 'dropscope --help'", argv[i]);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	for (size_t c = 0; commands[c].name; c++)
		if (!strcmp(argv[i], commands[c].name))
			return commands[c].run(argc - i, argv + i);
	ds_err("unknown command '%s'; see 'dropscope --help'", argv[i]);
	return 2;
}
