// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "kfeatures.h"
#include "pin.h"
#include "util.h"

static const char *const pin_names[] = { "drops", "stats", "ifnames", "retrans", "meta" };

static void pin_path(char *buf, size_t size, const char *dir, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

void unpin_maps(const char *dir)
{
	char path[512];

	for (size_t i = 0; i < ARRAY_SIZE(pin_names); i++) {
		pin_path(path, sizeof(path), dir, pin_names[i]);
		unlink(path);
	}
	rmdir(dir);
}

static int read_meta(int fd, struct ds_meta *m)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(fd, &zero, m) ? -errno : 0;
}

static int pid_alive(__u32 pid)
{
	return pid && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* An existing dir: ours and stale (cleared, 0), in use (-EBUSY), or someone else's (-EEXIST). */
static int claim_dir(const char *dir)
{
	char path[512];
	struct ds_meta m;
	struct dirent *de;
	int fd, entries = 0;
	DIR *d = opendir(dir);

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			entries++;
	closedir(d);
	if (!entries)
		return 0;
	pin_path(path, sizeof(path), dir, "meta");
	fd = bpf_obj_get(path);
	if (fd < 0) {
		ds_err("pin directory %s is not empty and holds no dropscope maps; choose another "
		       "with --pin DIR", dir);
		return -EEXIST;
	}
	if (read_meta(fd, &m) == 0 && pid_alive(m.pid) && m.pid != (__u32)getpid()) {
		close(fd);
		ds_err("pin directory %s is in use by dropscope (pid %u); stop it, or choose "
		       "another directory with --pin DIR", dir, m.pid);
		return -EBUSY;
	}
	close(fd);
	ds_debug("replacing stale pins in %s (their tracer pid %u is gone)", dir, m.pid);
	unpin_maps(dir);
	return 0;
}

int pin_maps(const struct tracer *t, const char *dir, const struct tracer_config *cfg)
{
	int fds[] = { tracer_drops_fd(t), tracer_stats_fd(t), tracer_ifnames_fd(t),
		      tracer_retrans_fd(t), tracer_meta_fd(t) };
	struct ds_meta m = { .abi_version = DS_ABI_VERSION };
	struct timespec ts;
	char path[512];
	__u32 zero = 0;
	int err;

	err = ensure_bpffs(dir);
	if (err)
		return err;
	err = claim_dir(dir);
	if (err)
		return err;
	if (mkdir(dir, 0700) && errno != EEXIST) {
		err = -errno;
		ds_err("failed to create pin directory %s: %s", dir, strerror(-err));
		return err;
	}
	clock_gettime(CLOCK_BOOTTIME, &ts);
	m.pid = getpid();
	m.start_boottime_ns = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	m.filter_netns = cfg->netns;
	m.filter_ifindex = cfg->ifindex;
	m.attach_mode = t->mode;
	if (bpf_map_update_elem(tracer_meta_fd(t), &zero, &m, BPF_ANY)) {
		err = -errno;
		ds_err("failed to write the meta map: %s", strerror(-err));
		goto cleanup;
	}
	for (size_t i = 0; i < ARRAY_SIZE(pin_names); i++) {
		if (fds[i] < 0)
			continue;
		pin_path(path, sizeof(path), dir, pin_names[i]);
		if (bpf_obj_pin(fds[i], path)) {
			err = -errno;
			ds_err("failed to pin %s: %s", path, strerror(-err));
			goto cleanup;
		}
		/* The maps say what this host drops and to whom it talks: root only. */
		chmod(path, 0600);
	}
	return 0;
cleanup:
	unpin_maps(dir);
	return err;
}

int pinned_open(const char *dir, struct pinned_maps *m)
{
	int *fds[] = { &m->drops, &m->stats, &m->ifnames, &m->retrans, &m->meta };
	char path[512];

	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		*fds[i] = -1;
	for (size_t i = 0; i < ARRAY_SIZE(pin_names); i++) {
		pin_path(path, sizeof(path), dir, pin_names[i]);
		*fds[i] = bpf_obj_get(path);
	}
	if (m->drops < 0 || m->stats < 0 || m->meta < 0) {
		int err = -ENOENT;

		if (access(dir, F_OK))
			ds_err("no pinned maps in %s: start 'dropscope trace --pin %s' first", dir,
			       dir);
		else
			ds_err("failed to open the pinned maps in %s: %s", dir,
			       strerror(errno ? errno : ENOENT));
		pinned_close(m);
		return err;
	}
	if (read_meta(m->meta, &m->info) || m->info.abi_version != DS_ABI_VERSION) {
		ds_err("the maps in %s have layout version %u; this dropscope reads version %u", dir,
		       m->info.abi_version, DS_ABI_VERSION);
		pinned_close(m);
		return -EPROTO;
	}
	m->owner_alive = pid_alive(m->info.pid);
	return 0;
}

void pinned_close(struct pinned_maps *m)
{
	int *fds[] = { &m->drops, &m->stats, &m->ifnames, &m->retrans, &m->meta };

	for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}
