// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <linux/magic.h>

#include "kfeatures.h"
#include "util.h"

bool have_vmlinux_btf(void)
{
	return access(VMLINUX_BTF, R_OK) == 0;
}

/* Parsing the kernel's BTF takes tens of milliseconds: once per run. */
static struct btf *vmlinux_btf;

struct btf *kernel_btf(void)
{
	if (!vmlinux_btf)
		vmlinux_btf = btf__parse(VMLINUX_BTF, NULL);
	return vmlinux_btf;
}

void kernel_btf_release(void)
{
	btf__free(vmlinux_btf);
	vmlinux_btf = NULL;
}

int kfree_skb_btf_args(void)
{
	struct btf *btf = kernel_btf();
	const struct btf_type *t;
	int id, n = -ENOENT;

	if (!btf)
		return -errno;
	id = btf__find_by_name_kind(btf, "btf_trace_kfree_skb", BTF_KIND_TYPEDEF);
	if (id > 0) {
		/* typedef -> pointer -> function prototype */
		t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
		if (t && btf_is_ptr(t))
			t = btf__type_by_id(btf, t->type);
		if (t && btf_is_func_proto(t))
			n = btf_vlen(t) - 1;
	}
	return n;
}

int tcp_retransmit_skb_btf_args(void)
{
	struct btf *btf = kernel_btf();
	const struct btf_type *t;
	int id, n = -ENOENT;

	if (!btf)
		return -errno;
	id = btf__find_by_name_kind(btf, "btf_trace_tcp_retransmit_skb", BTF_KIND_TYPEDEF);
	if (id > 0) {
		/* typedef -> pointer -> function prototype, as for kfree_skb */
		t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
		if (t && btf_is_ptr(t))
			t = btf__type_by_id(btf, t->type);
		if (t && btf_is_func_proto(t))
			n = btf_vlen(t) - 1;
	}
	return n;
}

bool kernel_has_func(const char *name)
{
	struct btf *btf = kernel_btf();

	return btf && btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) > 0;
}

static bool is_fs(const char *path, long magic)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == magic;
}

int ensure_tracefs(void)
{
	if (is_fs(TRACEFS_ROOT, TRACEFS_MAGIC) || is_fs("/sys/kernel/debug/tracing", TRACEFS_MAGIC))
		return 0;
	if (mount("tracefs", TRACEFS_ROOT, "tracefs", 0, NULL)) {
		int err = -errno;

		ds_err("failed to mount tracefs on %s: %s; mount it with 'mount -t tracefs tracefs %s'",
		       TRACEFS_ROOT, strerror(-err), TRACEFS_ROOT);
		return err;
	}
	ds_debug("mounted tracefs on %s", TRACEFS_ROOT);
	return 0;
}

int ensure_bpffs(const char *dir)
{
	char parent[512];
	char *slash;

	snprintf(parent, sizeof(parent), "%s", dir);
	/* The directory itself may not exist yet: test the nearest existing ancestor. */
	while (access(parent, F_OK) && (slash = strrchr(parent, '/')) && slash != parent)
		*slash = '\0';
	if (is_fs(parent, BPF_FS_MAGIC))
		return 0;
	if (strncmp(dir, BPFFS_ROOT, strlen(BPFFS_ROOT)) || strcmp(parent, BPFFS_ROOT)) {
		ds_err("%s is not on a bpf filesystem; pin under %s, or mount one with "
		       "'mount -t bpf bpf DIR'", dir, BPFFS_ROOT);
		return -EINVAL;
	}
	if (mount("bpf", BPFFS_ROOT, "bpf", 0, "mode=0700")) {
		int err = -errno;

		ds_err("failed to mount bpffs on %s: %s; mount it with 'mount -t bpf bpf %s'",
		       BPFFS_ROOT, strerror(-err), BPFFS_ROOT);
		return err;
	}
	ds_debug("mounted bpffs on %s", BPFFS_ROOT);
	return 0;
}

void ephemeral_port_range(unsigned *lo, unsigned *hi)
{
	char buf[64];

	*lo = 32768;
	*hi = 60999;
	if (read_file("/proc/sys/net/ipv4/ip_local_port_range", buf, sizeof(buf)) > 0 &&
	    sscanf(buf, "%u %u", lo, hi) != 2) {
		*lo = 32768;
		*hi = 60999;
	}
}
