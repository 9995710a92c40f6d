// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "btf_scan.h"
#include "kfeatures.h"
#include "util.h"

bool have_vmlinux_btf(void)
{
	return access(VMLINUX_BTF, R_OK) == 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && ds_verbose < 2)
		return 0;
	if (!ds_verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void libbpf_print_verbose(void)
{
	libbpf_set_print(libbpf_print);
}

/* Read once per run, straight from the mapped file (btf_scan.h): libbpf parses its own copy. */
static struct btf_scan *vmlinux_btf;

const struct btf_scan *kernel_btf(void)
{
	int err;

	if (!vmlinux_btf) {
		libbpf_print_verbose(); /* libbpf may parse it (btf_scan.h) */
		err = btf_scan_open(VMLINUX_BTF, NULL, &vmlinux_btf);
		if (err)
			errno = -err;
		else if (btf_scan_raw_err(vmlinux_btf))
			ds_debug("the raw BTF reader refused %s (%s): libbpf parsed it",
				 VMLINUX_BTF, strerror(-btf_scan_raw_err(vmlinux_btf)));
	}
	return vmlinux_btf;
}

void kernel_btf_release(void)
{
	btf_scan_free(vmlinux_btf);
	vmlinux_btf = NULL;
}

/* The arguments of raw tracepoint name (its btf_trace_<name> typedef), the leading void *ctx
 * not counted; -errno. */
static int raw_tp_args(const char *name)
{
	const struct btf_scan *btf = kernel_btf();
	const struct btf_type *t;
	char typedef_name[128];
	int id;

	if (!btf)
		return -errno;
	snprintf(typedef_name, sizeof(typedef_name), "btf_trace_%s", name);
	id = btf_scan_find(btf, typedef_name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return -ENOENT;
	/* typedef -> pointer -> function prototype */
	t = btf_scan_type(btf, btf_scan_type(btf, id)->type);
	if (t && btf_scan_kind(t) == BTF_KIND_PTR)
		t = btf_scan_type(btf, t->type);
	if (t && btf_scan_kind(t) == BTF_KIND_FUNC_PROTO && btf_scan_vlen(t) > 0)
		return btf_scan_vlen(t) - 1;
	return -ENOENT;
}

int kfree_skb_btf_args(void)
{
	return raw_tp_args("kfree_skb");
}

int tcp_retransmit_skb_btf_args(void)
{
	return raw_tp_args("tcp_retransmit_skb");
}

bool kernel_has_func(const char *name)
{
	const struct btf_scan *btf = kernel_btf();

	return btf && btf_scan_find(btf, name, BTF_KIND_FUNC) > 0;
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
