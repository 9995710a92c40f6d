/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A raw BTF reader for what the tool asks of the kernel's BTF before loading: a few enums by
 * name, a typedef's function prototype, whether a function exists. libbpf parses vmlinux BTF
 * itself when it loads the programs (and Debian's 1.1 cannot be handed a parsed one); parsing it
 * a second time with btf__parse cost a quarter of the tracer's start. This maps the file,
 * checks the header, walks the type section once to index the types, and answers from the
 * mapping: nothing is copied. sysfs lets vmlinux BTF be mapped from kernel 6.16 only, and never
 * a module's: those are read into memory (vmlinux's in about 5 ms here, against 1 ms mapped).
 *
 * Every offset and length in the input is checked before it is used: a truncated or hostile
 * file gives -EINVAL (or -EPROTO for another byte order), never a read out of bounds. Opening a
 * file, such a refusal hands it to libbpf's btf__parse, which may know a kind newer than this
 * reader (a newer kernel) or swap the byte order: the scan then answers from libbpf's parse.
 */
#ifndef DS_BTF_SCAN_H
#define DS_BTF_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include <linux/btf.h>

struct btf_scan;

/*
 * Open the BTF file at path. base is NULL for vmlinux; for a module's split BTF it is the
 * vmlinux scan, whose type ids and string offsets the module's continue (base must outlive the
 * result). What the raw reader refuses goes to libbpf (a module only where its base went too).
 * Returns 0 and *out, or -errno (the raw reader's -EINVAL or -EPROTO where libbpf failed too);
 * prints nothing of its own (libbpf's warnings go through its print callback).
 */
int btf_scan_open(const char *path, const struct btf_scan *base, struct btf_scan **out);
/* 0 when the raw reader read s; else its error, for which libbpf's parse stood in. */
int btf_scan_raw_err(const struct btf_scan *s);
/* The same over size bytes at data (4-byte aligned), which the caller keeps until the free. */
int btf_scan_mem(const void *data, size_t size, const struct btf_scan *base, struct btf_scan **out);
/* Unmaps or frees what open read; pointers into the scan (types, names) die with it. */
void btf_scan_free(struct btf_scan *s);

/* One past the last type id (the base's types included), as libbpf's btf__type_cnt. */
uint32_t btf_scan_type_cnt(const struct btf_scan *s);
/* The first type id of s's own types: 1 for vmlinux, the base's count for a split BTF. */
uint32_t btf_scan_start_id(const struct btf_scan *s);
/* Type id (of s or its base); NULL for 0 (void) or an id past the end. */
const struct btf_type *btf_scan_type(const struct btf_scan *s, uint32_t id);
/* The string at offset off (of s or its base); NULL past the string sections. */
const char *btf_scan_str(const struct btf_scan *s, uint32_t off);
/* The first type of this kind and name, searched in the base and then in s: its id, or -ENOENT. */
int btf_scan_find(const struct btf_scan *s, const char *name, unsigned kind);

static inline unsigned btf_scan_kind(const struct btf_type *t)
{
	return BTF_INFO_KIND(t->info);
}

static inline unsigned btf_scan_vlen(const struct btf_type *t)
{
	return BTF_INFO_VLEN(t->info);
}

/* t is an ENUM or an ENUM64. */
static inline int btf_scan_is_enum(const struct btf_type *t)
{
	return btf_scan_kind(t) == BTF_KIND_ENUM || btf_scan_kind(t) == BTF_KIND_ENUM64;
}

/*
 * Member i (< vlen) of enum t of s: its name and value (an ENUM's as an unsigned 32-bit
 * number, as the kernel's drop reasons are). Returns 0, or -EINVAL when its name lies past the
 * strings.
 */
int btf_scan_enum_member(const struct btf_scan *s, const struct btf_type *t, unsigned i,
			 const char **name, uint64_t *value);

#endif
