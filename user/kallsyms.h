/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel addresses to function names, from /proc/kallsyms. */
#ifndef DS_KALLSYMS_H
#define DS_KALLSYMS_H

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

#endif
