// SPDX-License-Identifier: GPL-2.0
/* dropscope: where does this server's packet loss happen, and why. */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include <bpf/libbpf.h>

#include "commands.h"
#include "kfeatures.h"
#include "reasons.h"
#include "util.h"

#ifndef DS_VERSION
#define DS_VERSION "0.1"
#endif

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

struct command_options {
	const char *name;
	const struct ds_option *opts;
};

/* Every option of every command, from its table: 'dropscope help --options CMD' (a hidden aid
 * for the docs test, which checks --help, the man page and the completion by it). */
static const struct command_options command_options[] = {
	{ "trace", trace_options },	{ "show", show_options }, { "counters", counters_options },
	{ "probe", probe_options },	{ "diagnose", diagnose_options },
	{ "demo", demo_options },	{ "monitor", monitor_options },
};

static int print_options(const char *cmd)
{
	for (size_t c = 0; c < ARRAY_SIZE(command_options); c++) {
		if (strcmp(cmd, command_options[c].name))
			continue;
		ds_options_list(stdout, command_options[c].opts);
		return 0;
	}
	ds_err("unknown command '%s'; see 'dropscope help'", cmd);
	return 2;
}

static const struct command commands[] = {
	{ "trace", cmd_trace, "count the kernel's packet drops by reason, queue and namespace" },
	{ "show", cmd_show, "print the drop maps pinned by 'trace --pin', without loading anything" },
	{ "counters", cmd_counters, "the host's loss counters over a window, with fixes" },
	{ "probe", cmd_probe, "probe the path hop by hop: where loss starts (like mtr)" },
	{ "diagnose", cmd_diagnose, "is the loss on this server or in the network: the verdict" },
	{ "demo", cmd_demo, "diagnose a built-in example network with a known fault" },
	{ "monitor", cmd_monitor, "the daemon: drops and probes all the time, for Prometheus" },
	{ NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: dropscope [-v] [--color=auto|always|never] COMMAND [OPTIONS]\n\n"
		   "Colour only on a terminal (auto), unless NO_COLOR is set and not empty.\n\n"
		   "commands:\n");
	for (size_t i = 0; commands[i].name; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "  %-10s %s\n  %-10s %s\n", "help", "this text, or 'help COMMAND': a command's options",
		"version", "the version, libbpf's, and the kernel features in use");
	fprintf(f, "\n'dropscope help COMMAND' (or 'dropscope COMMAND --help') describes each "
		   "command's options.\n");
}

/* What the tool is, and what of the running kernel it uses (as the tracer chooses). */
static int version(void)
{
	struct reason_table *reasons = NULL;
	struct utsname u;
	int args = kfree_skb_btf_args();
	bool btf = have_vmlinux_btf();

	printf("dropscope %s\nlibbpf %s\n", DS_VERSION, libbpf_version_string());
	if (!uname(&u))
		printf("kernel %s %s\n", u.release, u.machine);
	printf("kernel BTF: %s\n", btf ? "yes (" VMLINUX_BTF ")" : "no: the tracer cannot run");
	if (!btf)
		return 0;
	printf("kfree_skb: %s\n", args >= 3   ? "with drop reasons (5.17+)"
				  : args == 2 ? "without drop reasons (before 5.17)"
					      : "not found in BTF");
	printf("drop reasons in BTF: ");
	if (kernel_btf() && !reasons_from_scan(kernel_btf(), "/sys/kernel/btf", &reasons))
		printf("%zu\n", reasons->n);
	else
		printf("unreadable\n");
	printf("tp_btf header reads: %s\n",
	       kernel_has_func("bpf_rdonly_cast") ? "typed loads (bpf_rdonly_cast, 6.2+)" : "by copy");
	reasons_free(reasons);
	kernel_btf_release();
	return 0;
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
		} else if (!strncmp(argv[i], "--color=", 8) || !strcmp(argv[i], "--color")) {
			const char *when = argv[i][7] == '=' ? argv[i] + 8 : i + 1 < argc ? argv[++i] : "";

			if (parse_color_mode(when)) {
				ds_err("bad --color '%s': give auto, always or never", when);
				return 2;
			}
		} else if (!strcmp(argv[i], "--version")) {
			return version();
		} else {
			ds_err("unknown option '%s'; see 'dropscope --help'", argv[i]);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[i], "help") && i + 2 < argc && !strcmp(argv[i + 1], "--options"))
	{
		if (i + 3 < argc) {
			ds_err("unexpected argument '%s'; see 'dropscope help'", argv[i + 3]);
			return 2;
		}
		return print_options(argv[i + 2]);
	}
	if (!strcmp(argv[i], "version") || !strcmp(argv[i], "help")) {
		int takes = !strcmp(argv[i], "help"); /* help takes one COMMAND, version none */

		if (argc - i - 1 > takes) {
			ds_err("unexpected argument '%s'; see 'dropscope help'", argv[i + 1 + takes]);
			return 2;
		}
	}
	if (!strcmp(argv[i], "version"))
		return version();
	if (!strcmp(argv[i], "help")) {
		char help[] = "--help";

		if (i + 1 >= argc || !strcmp(argv[i + 1], "help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i + 1], "version")) {
			printf("usage: dropscope version\nThe version, libbpf's, and what of the "
			       "running kernel the tracer uses.\n");
			return 0;
		}
		for (size_t c = 0; commands[c].name; c++)
			if (!strcmp(argv[i + 1], commands[c].name)) {
				char *av[] = { argv[i + 1], help, NULL };

				return commands[c].run(2, av);
			}
		ds_err("unknown command '%s'; see 'dropscope help'", argv[i + 1]);
		return 2;
	}
	for (size_t c = 0; commands[c].name; c++)
		if (!strcmp(argv[i], commands[c].name))
			return commands[c].run(argc - i, argv + i);
	ds_err("unknown command '%s'; see 'dropscope --help'", argv[i]);
	return 2;
}
