// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
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

static int cmp_addr(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

struct ksyms *ksyms_parse(FILE *f)
{
	struct ksyms *k = calloc(1, sizeof(*k));
	char line[512], name[256], module[128];
	uintptr_t last_module = NO_MODULE;
	uint64_t max_addr = 0;

	if (!k)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long addr;
		char type;
		int n;

		module[0] = '\0';
		n = sscanf(line, "%llx %c %255s [%127[^]]]", &addr, &type, name, module);
		if (n < 3)
			continue;
		/* Functions only: drop locations are code addresses. */
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		if (addr > max_addr)
			max_addr = addr;
		if (add_sym(k, addr, name, n == 4 ? module : NULL, &last_module)) {
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
	for (size_t i = 0; i < k->n; i++) {
		uintptr_t m = (uintptr_t)k->syms[i].module;

		k->syms[i].name = k->strings + (uintptr_t)k->syms[i].name;
		k->syms[i].module = m == NO_MODULE ? NULL : k->strings + m;
	}
	qsort(k->syms, k->n, sizeof(*k->syms), cmp_addr);
	return k;
}

struct ksyms *ksyms_load(void)
{
	FILE *f = fopen("/proc/kallsyms", "re");
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
