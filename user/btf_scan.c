// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "btf_scan.h"

struct btf_scan {
	const struct btf_scan *base;
	const uint8_t *types; /* the type section */
	const char *strs;     /* the string section, NUL-terminated when not empty */
	uint32_t strs_len;
	uint32_t start_id;  /* id of types[offs[0]] */
	uint32_t start_str; /* offset of strs[0]: the base's strings come first */
	uint32_t *offs;	    /* offset of each own type in types */
	size_t ntypes;
	void *data; /* the file: mapped, or read into malloc'd memory (data_len bytes) */
	size_t data_len;
	int data_is_mapped;
	struct btf *lbtf; /* libbpf's parse, where the raw reader refused the file */
	int raw_err;	  /* and the raw reader's error */
};

/* Bytes that follow struct btf_type for kind, or -1 for a kind this reader does not know. */
static int64_t kind_extra(unsigned kind, unsigned vlen)
{
	switch (kind) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return (int64_t)vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return (int64_t)vlen * sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO:
		return (int64_t)vlen * sizeof(struct btf_param);
	case BTF_KIND_DATASEC:
		return (int64_t)vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_ENUM64:
		return (int64_t)vlen * sizeof(struct btf_enum64);
	default:
		return -1;
	}
}

static uint32_t str_end(const struct btf_scan *s)
{
	return s->start_str + s->strs_len;
}

/* Names of an enum's members, which the tool reads, lie in the strings (the walk checked that the
 * members themselves lie in the type section). */
static bool enum_names_ok(const struct btf_scan *s, const struct btf_type *t)
{
	unsigned vlen = btf_scan_vlen(t);

	for (unsigned i = 0; i < vlen; i++) {
		uint32_t off = btf_scan_kind(t) == BTF_KIND_ENUM
				       ? ((const struct btf_enum *)(t + 1))[i].name_off
				       : ((const struct btf_enum64 *)(t + 1))[i].name_off;

		if (off >= str_end(s))
			return false;
	}
	return true;
}

/* The header and the sections' bounds; then one walk that indexes every type. */
static int scan(struct btf_scan *s, const uint8_t *data, size_t size)
{
	const struct btf_header *h = (const void *)data;
	uint64_t type_end, str_end_off;
	size_t off = 0;

	if (size < sizeof(*h) || ((uintptr_t)data & 3))
		return -EINVAL;
	if (h->magic != BTF_MAGIC)
		return h->magic == 0x9FEB ? -EPROTO : -EINVAL; /* the other byte order */
	if (h->version != BTF_VERSION || h->hdr_len < sizeof(*h) || h->hdr_len > size)
		return -EINVAL;
	size -= h->hdr_len;
	data += h->hdr_len;
	type_end = (uint64_t)h->type_off + h->type_len;
	str_end_off = (uint64_t)h->str_off + h->str_len;
	if (type_end > size || str_end_off > size || ((uintptr_t)(data + h->type_off) & 3) ||
	    (h->type_len & 3))
		return -EINVAL;
	/* Every in-range name offset must give a terminated string; the base's first is "". */
	s->strs = (const char *)data + h->str_off;
	s->strs_len = h->str_len;
	if (s->strs_len && s->strs[s->strs_len - 1])
		return -EINVAL;
	if (!s->base && (!s->strs_len || s->strs[0]))
		return -EINVAL;
	if ((uint64_t)s->start_str + s->strs_len > UINT32_MAX)
		return -EINVAL;
	s->types = data + h->type_off;
	/* As many entries as the section could hold (12 bytes a type at the least): never copied
	 * as it grows, and the pages past vmlinux's 125k types (2 in 5) are never touched. */
	s->offs = malloc((h->type_len / sizeof(struct btf_type) + 1) * sizeof(*s->offs));
	if (!s->offs)
		return -ENOMEM;
	while (off < h->type_len) {
		const struct btf_type *t = (const void *)(s->types + off);
		int64_t extra;

		if (h->type_len - off < sizeof(*t))
			return -EINVAL;
		extra = kind_extra(btf_scan_kind(t), btf_scan_vlen(t));
		if (extra < 0 || (uint64_t)extra > h->type_len - off - sizeof(*t) ||
		    t->name_off >= str_end(s))
			return -EINVAL;
		if (btf_scan_is_enum(t) && !enum_names_ok(s, t))
			return -EINVAL;
		if ((uint64_t)s->start_id + s->ntypes >= BTF_MAX_TYPE)
			return -EINVAL;
		s->offs[s->ntypes++] = off;
		off += sizeof(*t) + extra;
	}
	return 0;
}

static int scan_new(const struct btf_scan *base, struct btf_scan **out)
{
	struct btf_scan *s = calloc(1, sizeof(*s));

	*out = s;
	if (!s)
		return -ENOMEM;
	s->base = base;
	s->start_id = base ? btf_scan_type_cnt(base) : 1;
	s->start_str = base ? str_end(base) : 0;
	return 0;
}

int btf_scan_mem(const void *data, size_t size, const struct btf_scan *base, struct btf_scan **out)
{
	struct btf_scan *s;
	int err = scan_new(base, &s);

	if (!err)
		err = scan(s, data, size);
	if (err) {
		btf_scan_free(s);
		s = NULL;
	}
	*out = s;
	return err;
}

/* The whole file into memory: where sysfs refuses mmap (before 6.16) or gives no size. */
static int read_all(int fd, size_t hint, void **buf, size_t *len)
{
	size_t cap = hint ? hint + 1 : 1 << 20, n = 0;
	char *p = malloc(cap), *q;
	ssize_t r;

	if (!p)
		return -ENOMEM;
	while ((r = read(fd, p + n, cap - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			free(p);
			return -errno;
		}
		n += r;
		if (n == cap) {
			q = realloc(p, cap * 2);
			if (!q) {
				free(p);
				return -ENOMEM;
			}
			p = q;
			cap *= 2;
		}
	}
	*buf = p;
	*len = n;
	return 0;
}

/*
 * What the raw reader refuses as malformed may be a kind newer than it (a kernel newer than the
 * tool) or the other byte order, which a system libbpf may know: its parse stands in, slower but
 * whole. A module's split BTF needs a base libbpf parsed too; over a raw base it stays refused.
 */
static int open_libbpf(const char *path, const struct btf_scan *base, int raw_err,
		       struct btf_scan **out)
{
	struct btf_scan *s;
	int err;

	if (base && !base->lbtf)
		return raw_err;
	err = scan_new(base, &s);
	if (err)
		return err;
	s->lbtf = base ? btf__parse_split(path, base->lbtf) : btf__parse(path, NULL);
	if (!s->lbtf) {
		btf_scan_free(s);
		return raw_err;
	}
	s->raw_err = raw_err;
	s->ntypes = btf__type_cnt(s->lbtf) - s->start_id;
	*out = s;
	return 0;
}

int btf_scan_open(const char *path, const struct btf_scan *base, struct btf_scan **out)
{
	struct btf_scan *s = NULL;
	struct stat st;
	int fd, err;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = fstat(fd, &st) ? -errno : scan_new(base, &s);
	if (err)
		goto cleanup;
	if (st.st_size > 0) {
		s->data = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (s->data != MAP_FAILED) {
			s->data_is_mapped = 1;
			s->data_len = st.st_size;
		} else {
			s->data = NULL;
		}
	}
	if (!s->data_is_mapped)
		err = read_all(fd, st.st_size > 0 ? st.st_size : 0, &s->data, &s->data_len);
	if (!err)
		err = scan(s, s->data, s->data_len);
cleanup:
	close(fd);
	if (!err) {
		*out = s;
		return 0;
	}
	btf_scan_free(s);
	return err == -EINVAL || err == -EPROTO ? open_libbpf(path, base, err, out) : err;
}

int btf_scan_raw_err(const struct btf_scan *s)
{
	return s->raw_err;
}

void btf_scan_free(struct btf_scan *s)
{
	if (!s)
		return;
	if (s->data_is_mapped)
		munmap(s->data, s->data_len);
	else
		free(s->data);
	free(s->offs);
	btf__free(s->lbtf);
	free(s);
}

uint32_t btf_scan_type_cnt(const struct btf_scan *s)
{
	return s->start_id + s->ntypes;
}

uint32_t btf_scan_start_id(const struct btf_scan *s)
{
	return s->start_id;
}

const struct btf_type *btf_scan_type(const struct btf_scan *s, uint32_t id)
{
	if (s->lbtf)
		return id && id < btf_scan_type_cnt(s) ? btf__type_by_id(s->lbtf, id) : NULL;
	if (id < s->start_id)
		return s->base ? btf_scan_type(s->base, id) : NULL;
	if (id - s->start_id >= s->ntypes)
		return NULL;
	return (const void *)(s->types + s->offs[id - s->start_id]);
}

const char *btf_scan_str(const struct btf_scan *s, uint32_t off)
{
	if (s->lbtf)
		return btf__str_by_offset(s->lbtf, off);
	if (off < s->start_str)
		return s->base ? btf_scan_str(s->base, off) : NULL;
	if (off - s->start_str >= s->strs_len)
		return NULL;
	return s->strs + (off - s->start_str);
}

int btf_scan_find(const struct btf_scan *s, const char *name, unsigned kind)
{
	int id;

	if (s->lbtf)
		return btf__find_by_name_kind(s->lbtf, name, kind);
	id = s->base ? btf_scan_find(s->base, name, kind) : -ENOENT;
	for (size_t i = 0; id < 0 && i < s->ntypes; i++) {
		const struct btf_type *t = (const void *)(s->types + s->offs[i]);
		const char *n;

		if (btf_scan_kind(t) != kind)
			continue;
		n = btf_scan_str(s, t->name_off);
		if (n && !strcmp(n, name))
			id = s->start_id + i;
	}
	return id;
}

int btf_scan_enum_member(const struct btf_scan *s, const struct btf_type *t, unsigned i,
			 const char **name, uint64_t *value)
{
	uint32_t name_off;

	if (btf_scan_kind(t) == BTF_KIND_ENUM) {
		const struct btf_enum *e = (const void *)(t + 1);

		name_off = e[i].name_off;
		*value = (uint32_t)e[i].val;
	} else {
		const struct btf_enum64 *e = (const void *)(t + 1);

		name_off = e[i].name_off;
		*value = (uint64_t)e[i].val_hi32 << 32 | e[i].val_lo32;
	}
	*name = btf_scan_str(s, name_off);
	return *name ? 0 : -EINVAL;
}
