/* SPDX-License-Identifier: GPL-2.0 */
/* One entry point per subcommand: argv[0] is the subcommand name; returns the exit code. */
#ifndef DS_COMMANDS_H
#define DS_COMMANDS_H

#include "options.h"

int cmd_trace(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_counters(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_diagnose(int argc, char **argv);
int cmd_demo(int argc, char **argv);

/* Each command's option table (options.h): every option it accepts, testing knobs included. */
extern const struct ds_option trace_options[], show_options[], counters_options[], probe_options[],
	diagnose_options[], demo_options[];

#endif
