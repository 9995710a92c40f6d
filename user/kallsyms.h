/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel addresses to function names, from /proc/kallsyms. */
#ifndef DS_KALLSYMS_H
#define DS_KALLSYMS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct ksym {
	uint64_t addr;
	const char *name;   /* the function: "nf_hook_slow", "nft_do_chain" */
	const char *module; /* its module ("nf_tables"), or NULL when built in */
};

struct ksyms {
	struct ksym *syms; /* sorted by address, one per address (the first name listed) */
	size_t n, cap;
	char *strings;
	size_t strings_len, strings_cap;
};

/* Parse text symbols from a kallsyms-format stream. Returns NULL and sets errno on failure. */
struct ksyms *ksyms_parse(FILE *f);
/*
 * Only the symbols that contain one of the n addresses in addrs (0s are skipped): what a report
 * of those addresses needs, without the kernel's hundred thousand other symbols. ksyms_find
 * is exact for those addresses only. Reads f from where it stands to its end. NULL with errno
 * set (EPERM when every address is 0, hidden by kptr_restrict).
 */
struct ksyms *ksyms_parse_for(FILE *f, const uint64_t *addrs, size_t n);
/* /proc/kallsyms; NULL with errno set (EPERM when addresses are hidden by kptr_restrict). */
struct ksyms *ksyms_load(void);
/* The symbol containing addr (the nearest one at or below it), or NULL. */
const struct ksym *ksyms_find(const struct ksyms *k, uint64_t addr);
/* The function's name (offset and module dropped), or "0x<addr>" when unknown; 0 gives NULL. */
const char *ksyms_name(const struct ksyms *k, uint64_t addr, char *buf, size_t size);
/* The module of the function at addr ("nf_tables"), or NULL: built in, or unknown. */
const char *ksyms_module(const struct ksyms *k, uint64_t addr);
void ksyms_free(struct ksyms *k);

/*
 * Kernel symbols read when a report needs them. /proc/kallsyms shows addresses to whoever
 * opened it (the opener's credentials decide, not the reader's, since 5.8 and in the stable
 * kernels before): ksyms_source_open while privileged, read later, after privileges are gone.
 * Reading all of it takes ~100 ms and a few MB: neither delays the attach or stays for the run. Only the symbols of the addresses asked
 * for are kept (ksyms_source_for), unless every one is (ksyms_source_all, for events).
 */
struct ksyms_source {
	FILE *f;	 /* NULL: symbols unavailable, locations print as addresses */
	struct ksyms *k; /* what was read last, NULL before */
	bool all;	 /* every symbol, not only those of addrs */
	uint64_t *addrs; /* the addresses k was read for */
	size_t naddrs;
};

#define KALLSYMS "/proc/kallsyms"

/* path: KALLSYMS, or a file in its format (the tests). */
void ksyms_source_open(struct ksyms_source *s, const char *path);
/* The symbols of the n addresses (0s skipped) and of those asked before: the file is read
 * again only when one is new. NULL while none could be read. */
const struct ksyms *ksyms_source_for(struct ksyms_source *s, const uint64_t *addrs, size_t n);
/* Every symbol. NULL when they could not be read. A table either returns is the source's: valid
 * until its next read (a new address, every symbol) or its close. */
const struct ksyms *ksyms_source_all(struct ksyms_source *s);
void ksyms_source_close(struct ksyms_source *s);

#endif
