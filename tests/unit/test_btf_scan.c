// SPDX-License-Identifier: GPL-2.0
/*
 * The raw BTF reader (user/btf_scan.c) against libbpf's parser: every type of a BTF holding each
 * kind, of a module's split BTF, and of the running kernel's vmlinux, read alike; the reason
 * table and the features the tracer asks for the same as libbpf's reading gives; and hostile
 * files (truncated, bad magic, sections past the end, a member count past the end, an unknown
 * kind, names past the strings) refused with -EINVAL, never read out of bounds (the sanitizer
 * build runs this too).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "btf_scan.h"
#include "kfeatures.h"
#include "reasons.h"
#include "btf_same.h"
#include "tap.h"
#include "test_btf_build.h"

/* A private, 4-byte aligned copy of btf's raw bytes, which the hostile cases edit. */
static uint8_t *raw_copy(const struct btf *b, size_t *size)
{
	__u32 n;
	const void *raw = btf__raw_data(b, &n);
	uint8_t *p = malloc(n);

	memcpy(p, raw, n);
	*size = n;
	return p;
}

static int scan_err(const void *data, size_t size)
{
	struct btf_scan *s = NULL;
	int err = btf_scan_mem(data, size, NULL, &s);

	if (!err != !!s)
		return -1000; /* a result and an error disagree */
	btf_scan_free(s);
	return err;
}

static void built(void)
{
	struct btf *b = all_kinds_btf();
	struct reason_table *t = NULL;
	struct btf_scan *s = NULL;
	size_t size;
	uint8_t *raw = raw_copy(b, &size);
	const struct btf_type *typ;
	const char *name;
	uint64_t v;
	int id;

	if (!ok(btf_scan_mem(raw, size, NULL, &s) == 0, "a BTF with every kind is read"))
		return;
	btf_same(s, b, "every kind");
	id = btf_scan_find(s, "widget_drop_reason", BTF_KIND_ENUM64);
	is_int(id, btf__find_by_name_kind(b, "widget_drop_reason", BTF_KIND_ENUM64),
	       "an ENUM64 found by name, at libbpf's id");
	typ = btf_scan_type(s, id);
	ok(!btf_scan_enum_member(s, typ, 2, &name, &v) && !strcmp(name, "WIDGET_DROP_HUGE") &&
		   v == 1ull << 40,
	   "its member's 64-bit value whole");
	is_int(btf_scan_find(s, "widget_drop_reason", BTF_KIND_ENUM), -ENOENT,
	       "a name of another kind is not found");
	ok(btf_scan_find(s, "bpf_rdonly_cast", BTF_KIND_FUNC) > 0, "a FUNC by name");
	typ = btf_scan_type(s, btf_scan_find(s, "signed_enum", BTF_KIND_ENUM));
	ok(typ && !btf_scan_enum_member(s, typ, 0, &name, &v) && v == 0xffffffffu,
	   "a negative ENUM value (-1) as its unsigned 32 bits, as the reasons read it");
	is_int(btf_scan_find(s, "no_such_func", BTF_KIND_FUNC), -ENOENT, "an absent one");
	btf_scan_free(s);

	is_int(scan_reasons(b, "/nonexistent", "every kind, for the reasons", &t), 0,
	       "the reasons of that BTF");
	ok(t && reasons_find(t, (5u << 16) | 2) && reasons_find(t, 3) && !reasons_find(t, 4),
	   "core and ENUM64 subsystem reasons named, SKB_DROP_REASON_MAX not");
	reasons_free(t);
	free(raw);
	btf__free(b);
}

/* Each way a file can lie about its bounds: -EINVAL (or -EPROTO), not a crash. */
static void hostile(void)
{
	struct btf *b = all_kinds_btf();
	struct btf_scan *s = NULL;
	size_t size, bad = 0;
	uint8_t *raw = raw_copy(b, &size), *p = malloc(size + 4);
	struct btf_header *h = (void *)p;
	struct btf_type *t;
	int id;

	if (!ok(btf_scan_mem(raw, size, NULL, &s) == 0, "the BTF the hostile cases edit is read")) {
		free(p);
		free(raw);
		btf__free(b);
		return;
	}
	id = btf_scan_find(s, "skb_drop_reason", BTF_KIND_ENUM);
	/* Where the enum lies in the copy p. */
	t = (void *)(p + ((const uint8_t *)btf_scan_type(s, id) - raw));
	btf_scan_free(s);

	/* Every truncation, each into a buffer of exactly that size (ASan sees a read past it). */
	for (size_t n = 0; n < size; n++) {
		uint8_t *q = malloc(n ? n : 1);

		memcpy(q, raw, n);
		if (scan_err(q, n) != -EINVAL)
			bad = bad ? bad : n + 1;
		free(q);
	}
	is_int(bad, 0, "every truncation of a %zu-byte BTF is -EINVAL", size);

#define CASE(what, want, edit)                                                                     \
	do {                                                                                       \
		memcpy(p, raw, size);                                                              \
		edit;                                                                              \
		is_int(scan_err(p, size), want, what);                                             \
	} while (0)
	CASE("the untouched copy is read", 0, (void)0);
	CASE("bad magic", -EINVAL, h->magic = 0x1234);
	CASE("the other byte order", -EPROTO, h->magic = 0x9FEB);
	CASE("version 2", -EINVAL, h->version = 2);
	CASE("a header shorter than struct btf_header", -EINVAL, h->hdr_len = 8);
	CASE("a header longer than the file", -EINVAL, h->hdr_len = size + 1);
	CASE("a type section past the end of the file", -EINVAL,
	     h->type_len = (size - h->hdr_len - h->type_off + 4) & ~3u);
	CASE("a type offset past the end", -EINVAL, h->type_off = 0xfffffff0);
	CASE("a string section past the end", -EINVAL, h->str_len += 1);
	CASE("offset and length that wrap around 32 bits", -EINVAL,
	     (h->str_off = 0x80000000, h->str_len = 0x80000000));
	CASE("a misaligned type section", -EINVAL, (h->type_off += 1, h->type_len -= 4));
	CASE("a string section that does not end in NUL", -EINVAL, p[size - 1] = 'x');
	CASE("a base whose first string is not empty", -EINVAL, p[h->hdr_len + h->str_off] = 'x');
	CASE("an enum's member count past the end (vlen 0xffff)", -EINVAL,
	     t->info = (t->info & ~0xffffu) | 0xffff);
	CASE("an unknown kind (25)", -EINVAL, t->info = (t->info & ~(0x1fu << 24)) | 25u << 24);
	CASE("a type's name offset past the strings", -EINVAL, t->name_off = h->str_len);
	CASE("an enum member's name offset past the strings", -EINVAL,
	     ((struct btf_enum *)(t + 1))[1].name_off = h->str_len + 100);
	CASE("a last type cut in its middle", -EINVAL, h->type_len -= 4);
	memcpy(p + 1, raw, size);
	is_int(scan_err(p + 1, size), -EINVAL, "a buffer that is not 4-byte aligned");
#undef CASE
	free(p);
	free(raw);
	btf__free(b);
}

static int write_file(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int ok_ = fd >= 0 && write(fd, data, n) == (ssize_t)n;

	if (fd >= 0)
		close(fd);
	return ok_ ? 0 : -1;
}

/* Where mmap is refused or the size unknown (sysfs before 6.16; here a pipe), the file is read. */
static void unmappable(void)
{
	struct btf *b = all_kinds_btf();
	struct btf_scan *s = NULL;
	char path[64];
	const void *raw;
	int fds[2];
	__u32 n;

	raw = btf__raw_data(b, &n);
	if (!ok(pipe(fds) == 0 && write(fds[1], raw, n) == (ssize_t)n, "a BTF in a pipe")) {
		btf__free(b);
		return;
	}
	close(fds[1]);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
	if (ok(btf_scan_open(path, NULL, &s) == 0, "read from the pipe, which has no size to map"))
		btf_same(s, b, "read, not mapped");
	btf_scan_free(s);
	close(fds[0]);
	btf__free(b);
}

/* b's raw bytes in the other byte order (btf_swap_raw), written to path. */
static int write_swapped(const struct btf *b, const char *path)
{
	size_t size;
	uint8_t *p = raw_copy(b, &size);
	int err;

	btf_swap_raw(p);
	err = write_file(path, p, size);
	free(p);
	return err;
}

/* What the raw reader refuses (here the other byte order, as a kind newer than it would be) goes
 * to libbpf, whose parse then answers: a vmlinux, and a module over it; a module over a raw
 * base stays refused. */
static void libbpf_fallback(void)
{
	char dir[] = "/tmp/test_btf_scan.XXXXXX", path[64], mpath[64];
	struct btf *all = all_kinds_btf(), *base, *mod;
	struct btf_scan *s = NULL, *sm = NULL;
	const void *raw;
	__u32 n;

	split_pair(&base, &mod);
	if (!ok(mkdtemp(dir) != NULL, "a directory for the swapped BTF"))
		goto out;
	snprintf(path, sizeof(path), "%s/vmlinux", dir);
	snprintf(mpath, sizeof(mpath), "%s/openvswitch", dir);
	write_swapped(all, path);
	if (ok(btf_scan_open(path, NULL, &s) == 0, "a BTF in the other byte order is read")) {
		is_int(btf_scan_raw_err(s), -EPROTO,
		       "by libbpf, where the raw reader said -EPROTO");
		btf_same(s, all, "the other byte order");
		ok(btf_scan_find(s, "widget_drop_reason", BTF_KIND_ENUM64) ==
			   btf__find_by_name_kind(all, "widget_drop_reason", BTF_KIND_ENUM64),
		   "a type found by name, at the native file's id");
	}
	btf_scan_free(s);
	s = NULL;

	write_swapped(base, path);
	write_swapped(mod, mpath);
	if (ok(btf_scan_open(path, NULL, &s) == 0, "a swapped base") &&
	    ok(btf_scan_open(mpath, s, &sm) == 0, "and its swapped module, split over it")) {
		is_int(btf_scan_start_id(sm), btf__type_cnt(base), "its ids continue the base's");
		btf_same(sm, mod, "a swapped split BTF");
	}
	btf_scan_free(sm);
	btf_scan_free(s);
	s = sm = NULL;

	raw = btf__raw_data(base, &n);
	write_file(path, raw, n);
	if (ok(btf_scan_open(path, NULL, &s) == 0, "a native base")) {
		is_int(btf_scan_raw_err(s), 0, "read raw");
		is_int(btf_scan_open(mpath, s, &sm), -EPROTO,
		       "a swapped module over it stays refused (libbpf has no base to split it "
		       "on)");
	}
	btf_scan_free(sm);
	btf_scan_free(s);
	unlink(mpath);
	unlink(path);
	rmdir(dir);
out:
	btf__free(mod);
	btf__free(base);
	btf__free(all);
}

/* A module's own string offsets start after the base's: a name past both is refused, and a
 * module without strings of its own (str_len 0, as libbpf writes one) names only the base's. */
static void split_offsets(void)
{
	struct btf *base, *mod, *m0 = NULL;
	struct btf_scan *sb = NULL, *sm = NULL;
	size_t bsize, msize, m0size;
	uint8_t *braw = NULL, *mraw = NULL, *m0raw = NULL;
	struct btf_header *mh, *bh;
	struct btf_type *t;
	int i32;

	split_pair(&base, &mod);
	i32 = btf__find_by_name_kind(base, "int", BTF_KIND_INT);
	m0 = btf__new_empty_split(base);
	btf__add_typedef(m0, "int", i32); /* a base string: the module adds none */
	btf__add_ptr(m0, i32);
	braw = raw_copy(base, &bsize);
	mraw = raw_copy(mod, &msize);
	m0raw = raw_copy(m0, &m0size);
	bh = (void *)braw;
	if (!ok(btf_scan_mem(braw, bsize, NULL, &sb) == 0, "a base for the split cases"))
		goto out;

	mh = (void *)m0raw;
	is_int(mh->str_len, 0, "a module without strings of its own has str_len 0");
	if (ok(btf_scan_mem(m0raw, m0size, sb, &sm) == 0, "and is read"))
		btf_same(sm, m0, "a module with str_len 0");
	btf_scan_free(sm);
	sm = NULL;
	t = (void *)(m0raw + mh->hdr_len + mh->type_off);
	t->name_off = bh->str_len; /* its first string, which it lacks */
	is_int(btf_scan_mem(m0raw, m0size, sb, &sm), -EINVAL,
	       "a name past the base's strings in a module with str_len 0 is -EINVAL");
	btf_scan_free(sm);
	sm = NULL;

	mh = (void *)mraw;
	t = (void *)(mraw + mh->hdr_len + mh->type_off);
	t->name_off = bh->str_len + mh->str_len - 1; /* the module's last byte: its NUL, "" */
	if (ok(btf_scan_mem(mraw, msize, sb, &sm) == 0, "a name at the module's last string byte"))
		is_str(btf_scan_str(sm, t->name_off), "", "is the empty string");
	btf_scan_free(sm);
	sm = NULL;
	t->name_off = bh->str_len + mh->str_len;
	is_int(btf_scan_mem(mraw, msize, sb, &sm), -EINVAL,
	       "a name at the end of the base's and the module's strings is -EINVAL");
	btf_scan_free(sm);
	sm = NULL;
	ok(btf_scan_str(sb, bh->str_len) == NULL, "the base has no string at its strings' end");
out:
	btf_scan_free(sb);
	free(m0raw);
	free(mraw);
	free(braw);
	btf__free(m0);
	btf__free(mod);
	btf__free(base);
}

/* A module's split BTF, read from a directory as /sys/kernel/btf: its subsystem reasons (and
 * its names, which continue the base's strings) as libbpf reads them. */
static void split(void)
{
	char dir[] = "/tmp/test_btf_scan.XXXXXX", path[64];
	struct btf *base, *mod;
	struct reason_table *t = NULL;
	struct btf_scan *sb = NULL, *sm = NULL;
	const void *raw;
	__u32 n;

	split_pair(&base, &mod);
	if (!ok(mkdtemp(dir) != NULL, "a directory for the split BTF"))
		return;
	raw = btf__raw_data(base, &n);
	snprintf(path, sizeof(path), "%s/vmlinux", dir);
	write_file(path, raw, n);
	is_int(btf_scan_open(path, NULL, &sb), 0, "the base opened from a file");
	raw = btf__raw_data(mod, &n);
	snprintf(path, sizeof(path), "%s/openvswitch", dir);
	write_file(path, raw, n);
	if (ok(btf_scan_open(path, sb, &sm) == 0, "the module's split BTF opened on it")) {
		is_int(btf_scan_start_id(sm), btf__type_cnt(base), "its ids continue the base's");
		btf_same(sm, mod, "split");
		ok(btf_scan_find(sm, "ovs_drop_reason", BTF_KIND_ENUM) > 0 &&
			   btf_scan_find(sm, "skb_drop_reason", BTF_KIND_ENUM) > 0,
		   "its own types and the base's found by name");
	}
	btf_scan_free(sm);
	btf_scan_free(sb);
	is_int(reasons_load(dir, &t), 0, "the reasons of the directory");
	ok(t && reasons_find(t, 2) && reasons_find(t, (3 << 16) | 1) && t->consumed == 1,
	   "vmlinux's reasons and the module's are named");

	/* A module whose bytes are garbage is passed over, as libbpf's parse failing was. */
	write_file(path, "garbage!", 8);
	reasons_free(t);
	t = NULL;
	is_int(reasons_load(dir, &t), 0, "a garbage module's BTF is passed over");
	ok(t && !reasons_find(t, (3 << 16) | 1), "and names nothing");
	unlink(path);
	reasons_free(t);
	t = NULL;
	snprintf(path, sizeof(path), "%s/vmlinux", dir);
	write_file(path, "", 0);
	is_int(reasons_load(dir, &t), -EINVAL, "an empty vmlinux is -EINVAL");
	unlink(path);
	is_int(reasons_load(dir, &t), -ENOENT, "a missing one -ENOENT");
	rmdir(dir);
	reasons_free(t);
	btf__free(mod);
	btf__free(base);
}

/* Each loaded module's split BTF over the running kernel's (at most 20: a few milliseconds each).
 */
static void loaded_modules(const struct btf_scan *s, struct btf *b)
{
	DIR *d = opendir("/sys/kernel/btf");
	struct dirent *de;
	char path[512];
	int n = 0;

	while (d && n < 20 && (de = readdir(d))) {
		struct btf_scan *sm = NULL;
		struct btf *m;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "vmlinux"))
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/btf/%s", de->d_name);
		m = btf__parse_split(path, b);
		if (!m)
			continue;
		if (ok(btf_scan_open(path, s, &sm) == 0, "module %s's BTF opened", de->d_name))
			btf_same(sm, m, de->d_name);
		btf_scan_free(sm);
		btf__free(m);
		n++;
	}
	if (d)
		closedir(d);
	if (!n)
		printf("# no module with BTF is loaded: only vmlinux compared\n");
}

/* The running kernel's BTF: the scan reads what libbpf reads, and the tracer's questions get
 * libbpf's answers. */
static void running_kernel(void)
{
	struct btf *b = btf__parse(VMLINUX_BTF, NULL);
	struct reason_table *t = NULL;
	const struct btf_scan *s;
	int has_reasons;
	const struct btf_type *typ;
	int id, args = -ENOENT;

	if (!b) {
		printf("# skipping the running kernel: libbpf cannot parse %s\n", VMLINUX_BTF);
		return;
	}
	s = kernel_btf();
	if (!ok(s != NULL, "kernel_btf reads %s", VMLINUX_BTF)) {
		btf__free(b);
		return;
	}
	btf_same(s, b, "vmlinux");
	id = btf__find_by_name_kind(b, "btf_trace_kfree_skb", BTF_KIND_TYPEDEF);
	typ = id > 0 ? btf__type_by_id(b, btf__type_by_id(b, id)->type) : NULL;
	if (typ && btf_is_ptr(typ))
		typ = btf__type_by_id(b, typ->type);
	if (typ && btf_is_func_proto(typ))
		args = btf_vlen(typ) - 1;
	is_int(kfree_skb_btf_args(), args, "kfree_skb's argument count as libbpf reads it (%d)",
	       args);
	is_int(kernel_has_func("bpf_rdonly_cast"),
	       btf__find_by_name_kind(b, "bpf_rdonly_cast", BTF_KIND_FUNC) > 0,
	       "whether bpf_rdonly_cast exists, as libbpf says");
	is_int(kernel_has_func("no_such_function_at_all"), 0, "a function the kernel lacks");
	loaded_modules(s, b);
	has_reasons = btf__find_by_name_kind(b, "skb_drop_reason", BTF_KIND_ENUM) > 0 ||
		      btf__find_by_name_kind(b, "skb_drop_reason", BTF_KIND_ENUM64) > 0;
	kernel_btf_release();
	btf__free(b);

	is_int(reasons_load("/sys/kernel/btf", &t), 0, "the running kernel's reasons");
	ok(t && t->has_reasons == has_reasons && (t->n > 0) == has_reasons,
	   "named where its BTF has enum skb_drop_reason (%s)", has_reasons ? "it has" : "not");
	reasons_free(t);
}

int main(void)
{
	built();
	hostile();
	split();
	split_offsets();
	unmappable();
	libbpf_fallback();
	running_kernel();
	return done_testing();
}
