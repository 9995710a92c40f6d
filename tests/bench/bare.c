// SPDX-License-Identifier: GPL-2.0
/*
 * bare: the least a libbpf tool does to trace kfree_skb, for the benchmark to compare
 * dropscope's start and memory with: the skeleton of the empty tp_btf program (floor.bpf.c),
 * opened, loaded and attached; then "attached" on stderr, and a wait for SIGINT/SIGTERM (600 s
 * at most).
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "floor.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

int main(void)
{
	struct floor_bpf *skel = floor_bpf__open_and_load();

	if (!skel || floor_bpf__attach(skel)) {
		fprintf(stderr, "bare: failed to load or attach the empty program\n");
		floor_bpf__destroy(skel);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "attached\n");
	for (int i = 0; i < 600 && !stop; i++)
		sleep(1);
	floor_bpf__destroy(skel);
	return 0;
}
