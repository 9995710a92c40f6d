// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kallsyms.h"
#include "util.h"

void ksyms_free(struct ksyms *k)
{
	if (!k)
		return;
	free(k->syms);
	free(k->strings);
	free(k);
}

/* Offsets into the string buffer stand in for pointers until parsing ends (the buffer may
 * still move); NO_MODULE marks a built-in function. */
#define NO_MODULE UINTPTR_MAX

static int add_string(struct ksyms *k, const char *s, uintptr_t *off)
{
	size_t len = strlen(s) + 1;

	if (array_reserve((void **)&k->strings, &k->strings_cap, k->strings_len + len, 1))
		return -ENOMEM;
	memcpy(k->strings + k->strings_len, s, len);
	*off = k->strings_len;
	k->strings_len += len;
	return 0;
}

static int add_sym(struct ksyms *k, uint64_t addr, const char *name, const char *module,
		   uintptr_t *last_module)
{
	uintptr_t name_off, mod_off = NO_MODULE;

	if (array_reserve((void **)&k->syms, &k->cap, k->n + 1, sizeof(*k->syms)) ||
	    add_string(k, name, &name_off))
		return -ENOMEM;
	if (module) {
		/* A module's symbols come together: store its name once. */
		if (*last_module != NO_MODULE && !strcmp(k->strings + *last_module, module))
			mod_off = *last_module;
		else if (add_string(k, module, &mod_off))
			return -ENOMEM;
		*last_module = mod_off;
	}
	k->syms[k->n].addr = addr;
	k->syms[k->n].name = (const char *)name_off;
	k->syms[k->n].module = (const char *)mod_off;
	k->n++;
	return 0;
}

/*
 * By address, then in input order: the names are still string offsets, which grow as lines
 * are read. The kernel merges identical functions (same address, several names): the first
 * one listed is the one kept, as ksyms_parse_for keeps it.
 */
static int cmp_addr(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return (uintptr_t)x->name < (uintptr_t)y->name ? -1 : (uintptr_t)x->name > (uintptr_t)y->name;
}

/* One line of kallsyms: a function's address, name and module ("" when built in). */
static bool parse_line(const char *line, uint64_t *addr, char name[256], char module[128])
{
	unsigned long long a;
	char type;
	int n;

	module[0] = '\0';
	n = sscanf(line, "%llx %c %255s [%127[^]]]", &a, &type, name, module);
	/* Functions only: drop locations are code addresses. */
	if (n < 3 || (type != 't' && type != 'T' && type != 'w' && type != 'W'))
		return false;
	*addr = a;
	return true;
}

static int cmp_u64(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

/* The nearest symbol at or below each wanted address, kept per gap between wanted addresses. */
struct gap_sym {
	uint64_t addr; /* 0: no symbol in this gap */
	char name[256];
	char module[128];
};

struct ksyms *ksyms_parse_for(FILE *f, const uint64_t *addrs, size_t n)
{
	uintptr_t last_module = NO_MODULE;
	struct gap_sym *gap = NULL;
	uint64_t *want = NULL, max_addr = 0;
	char line[512], name[256], module[128];
	struct ksyms *k = calloc(1, sizeof(*k));
	size_t nw = 0;
	int err = ENOMEM;

	if (!k)
		return NULL;
	want = malloc((n ? n : 1) * sizeof(*want));
	if (!want)
		goto cleanup;
	for (size_t i = 0; i < n; i++)
		if (addrs[i])
			want[nw++] = addrs[i];
	qsort(want, nw, sizeof(*want), cmp_u64);
	n = nw;
	nw = 0;
	for (size_t i = 0; i < n; i++)
		if (!nw || want[i] != want[nw - 1])
			want[nw++] = want[i];
	gap = calloc(nw ? nw : 1, sizeof(*gap));
	if (!gap)
		goto cleanup;
	/*
	 * One pass, in whatever order the kernel lists symbols: a symbol falls in the gap
	 * (want[i-1], want[i]] of the first wanted address at or above it, and only the highest
	 * one of each gap can contain a wanted address.
	 */
	while (fgets(line, sizeof(line), f)) {
		size_t lo = 0, hi = nw;
		uint64_t a;

		if (!parse_line(line, &a, name, module))
			continue;
		if (a > max_addr)
			max_addr = a;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (want[mid] < a)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == nw || a <= gap[lo].addr)
			continue;
		gap[lo].addr = a;
		strcpy(gap[lo].name, name);
		strcpy(gap[lo].module, module);
	}
	err = EPERM; /* every address 0: kptr_restrict hides them from us */
	if (!max_addr)
		goto cleanup;
	err = ENOMEM;
	for (size_t i = 0; i < nw; i++)
		if (gap[i].addr && add_sym(k, gap[i].addr, gap[i].name,
					   gap[i].module[0] ? gap[i].module : NULL, &last_module))
			goto cleanup;
	for (size_t i = 0; i < k->n; i++) {
		uintptr_t m = (uintptr_t)k->syms[i].module;

		k->syms[i].name = k->strings + (uintptr_t)k->syms[i].name;
		k->syms[i].module = m == NO_MODULE ? NULL : k->strings + m;
	}
	err = 0;
cleanup:
	free(gap);
	free(want);
	if (err) {
		ksyms_free(k);
		errno = err;
		return NULL;
	}
	return k;
}

struct ksyms *ksyms_parse(FILE *f)
{
	struct ksyms *k = calloc(1, sizeof(*k));
	char line[512], name[256], module[128];
	uintptr_t last_module = NO_MODULE;
	uint64_t max_addr = 0;
	size_t n;

	if (!k)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		uint64_t addr;

		if (!parse_line(line, &addr, name, module))
			continue;
		if (addr > max_addr)
			max_addr = addr;
		if (add_sym(k, addr, name, module[0] ? module : NULL, &last_module)) {
			ksyms_free(k);
			errno = ENOMEM;
			return NULL;
		}
	}
	if (k->n && max_addr == 0) {
		/* Every address is 0: kptr_restrict hides them from us. */
		ksyms_free(k);
		errno = EPERM;
		return NULL;
	}
	qsort(k->syms, k->n, sizeof(*k->syms), cmp_addr);
	n = 0;
	for (size_t i = 0; i < k->n; i++) {
		uintptr_t m = (uintptr_t)k->syms[i].module;

		if (n && k->syms[i].addr == k->syms[n - 1].addr)
			continue; /* a merged function's later name */
		k->syms[n].addr = k->syms[i].addr;
		k->syms[n].name = k->strings + (uintptr_t)k->syms[i].name;
		k->syms[n].module = m == NO_MODULE ? NULL : k->strings + m;
		n++;
	}
	k->n = n;
	return k;
}

struct ksyms *ksyms_load(void)
{
	FILE *f = fopen(KALLSYMS, "re");
	struct ksyms *k;
	int err;

	if (!f)
		return NULL;
	k = ksyms_parse(f);
	err = errno;
	fclose(f);
	errno = err;
	return k;
}

const struct ksym *ksyms_find(const struct ksyms *k, uint64_t addr)
{
	size_t lo = 0, hi;

	if (!k || !k->n || addr < k->syms[0].addr)
		return NULL;
	hi = k->n;
	/* Last symbol with address <= addr. */
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (k->syms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return &k->syms[lo];
}

const char *ksyms_name(const struct ksyms *k, uint64_t addr, char *buf, size_t size)
{
	const struct ksym *s;

	if (!addr)
		return NULL;
	s = ksyms_find(k, addr);
	if (s)
		return s->name;
	snprintf(buf, size, "0x%" PRIx64, addr);
	return buf;
}

const char *ksyms_module(const struct ksyms *k, uint64_t addr)
{
	const struct ksym *s = addr ? ksyms_find(k, addr) : NULL;

	return s ? s->module : NULL;
}

void ksyms_source_open(struct ksyms_source *s, const char *path)
{
	memset(s, 0, sizeof(*s));
	s->f = fopen(path, "re");
	if (!s->f)
		ds_debug("kernel symbols unavailable (%s): locations print as addresses",
			 strerror(errno));
}

/* Read s->f again: every symbol, or those of s->addrs. */
static void source_read(struct ksyms_source *s, bool all)
{
	struct ksyms *k;

	rewind(s->f);
	k = all ? ksyms_parse(s->f) : ksyms_parse_for(s->f, s->addrs, s->naddrs);
	if (!k) {
		ds_debug("kernel symbols unavailable (%s): locations print as addresses",
			 strerror(errno));
		fclose(s->f);
		s->f = NULL;
		/* A table read for other addresses would name a new one after the symbol
		 * below it in that table: none, and addresses print as such. */
		if (!s->all) {
			ksyms_free(s->k);
			s->k = NULL;
		}
		return;
	}
	ksyms_free(s->k);
	s->k = k;
	s->all = all;
}

static bool source_has(const struct ksyms_source *s, uint64_t a)
{
	for (size_t i = 0; i < s->naddrs; i++)
		if (s->addrs[i] == a)
			return true;
	return false;
}

const struct ksyms *ksyms_source_for(struct ksyms_source *s, const uint64_t *addrs, size_t n)
{
	size_t before = s->naddrs;
	uint64_t *grown;

	if (!s->f || s->all)
		return s->k;
	grown = realloc(s->addrs, (s->naddrs + n ? s->naddrs + n : 1) * sizeof(*grown));
	if (!grown)
		return NULL; /* s->k may not hold the new addresses: no names this time */
	s->addrs = grown;
	for (size_t i = 0; i < n; i++)
		if (addrs[i] && !source_has(s, addrs[i]))
			s->addrs[s->naddrs++] = addrs[i];
	if (s->naddrs != before || (!s->k && s->naddrs))
		source_read(s, false);
	return s->k;
}

const struct ksyms *ksyms_source_all(struct ksyms_source *s)
{
	if (s->f && !s->all)
		source_read(s, true);
	return s->k;
}

void ksyms_source_close(struct ksyms_source *s)
{
	ksyms_free(s->k);
	free(s->addrs);
	if (s->f)
		fclose(s->f);
	memset(s, 0, sizeof(*s));
}
