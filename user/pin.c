// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
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

static int read_meta(int fd, struct ds_meta *m)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(fd, &zero, m) ? -errno : 0;
}

static int pid_alive(__u32 pid)
{
	return pid && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* The pid in dir's meta pin, or 0 when there is none (yet). */
static __u32 meta_pid(const char *dir)
{
	struct ds_meta m;
	char path[600];
	int fd;

	pin_path(path, sizeof(path), dir, "meta");
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (read_meta(fd, &m))
		m.pid = 0;
	close(fd);
	return m.pid;
}

static int pin_index(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(pin_names); i++)
		if (!strcmp(name, pin_names[i]))
			return (int)i;
	return -1;
}

/*
 * With the lock held: whatever is in the directory was left by a tracer that died (or it is
 * not ours at all, and we touch nothing).
 */
static int clear_stale(const struct pin_claim *c)
{
	char path[600];
	struct dirent *de;
	unsigned stale = 0;
	DIR *d = opendir(c->dir);
	int err = 0;

	if (!d) {
		err = -errno;
		ds_err("failed to read pin directory %s: %s", c->dir, strerror(-err));
		return err;
	}
	while ((de = readdir(d))) {
		int i;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		i = pin_index(de->d_name);
		if (i < 0) {
			ds_err("pin directory %s holds '%s', which is not dropscope's; choose another "
			       "directory with --pin DIR",
			       c->dir, de->d_name);
			err = -EEXIST;
			break;
		}
		stale |= 1u << i;
	}
	closedir(d);
	if (err || !stale)
		return err;
	ds_debug("replacing stale pins in %s (their tracer, pid %u, is gone)", c->dir,
		 meta_pid(c->dir));
	for (size_t i = 0; i < ARRAY_SIZE(pin_names); i++) {
		if (!(stale & (1u << i)))
			continue;
		pin_path(path, sizeof(path), c->dir, pin_names[i]);
		if (unlink(path) && errno != ENOENT) {
			err = -errno;
			ds_err("failed to remove the stale pin %s: %s", path, strerror(-err));
			return err;
		}
	}
	return 0;
}

/* Open and lock dir; 1 when the directory vanished under us (retry), 0 locked, or -errno. */
static int lock_dir(struct pin_claim *c)
{
	struct stat a, b;
	int fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		ds_err("failed to open pin directory %s: %s", c->dir, strerror(errno));
		return -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int err = errno;
		__u32 pid;

		close(fd);
		if (err != EWOULDBLOCK) {
			ds_err("failed to lock pin directory %s: %s", c->dir, strerror(err));
			return -err;
		}
		pid = meta_pid(c->dir);
		if (pid)
			ds_err("pin directory %s is in use by dropscope (pid %u); stop it, or choose "
			       "another directory with --pin DIR",
			       c->dir, pid);
		else
			ds_err("pin directory %s is in use by another dropscope that is starting; "
			       "choose another directory with --pin DIR",
			       c->dir);
		return -EBUSY;
	}
	/* The lock is on an inode: make sure it is still the one at that path, not a directory
	 * its last owner removed between our open and our lock. */
	if (fstat(fd, &a) || stat(c->dir, &b) || a.st_nlink == 0 || a.st_ino != b.st_ino ||
	    a.st_dev != b.st_dev) {
		close(fd);
		return 1;
	}
	c->dir_fd = fd;
	return 0;
}

int pin_claim(const char *dir, struct pin_claim *c)
{
	bool created = false;
	struct stat st;
	int err;

	memset(c, 0, sizeof(*c));
	c->dir_fd = -1;
	if (strlen(dir) >= sizeof(c->dir) - 16) {
		ds_err("pin directory name too long: %s", dir);
		return -ENAMETOOLONG;
	}
	snprintf(c->dir, sizeof(c->dir), "%s", dir);
	err = ensure_bpffs(dir);
	if (err)
		return err;
	/* A few tries: a departing owner may remove the directory between our steps. */
	err = 1;
	for (int i = 0; i < 5 && err > 0; i++) {
		created = !mkdir(dir, 0700);
		if (!created && errno != EEXIST) {
			err = -errno;
			ds_err("failed to create pin directory %s: %s", dir, strerror(-err));
			return err;
		}
		err = lock_dir(c);
	}
	if (err > 0) {
		ds_err("failed to claim pin directory %s: it keeps being removed", dir);
		return -EAGAIN;
	}
	if (err)
		return err;
	err = clear_stale(c);
	if (err)
		goto fail;
	/* What the host drops and to whom it talks is root's business: 0700, whatever the umask
	 * or an earlier owner left. */
	if (fchmod(c->dir_fd, 0700) || fstat(c->dir_fd, &st)) {
		err = -errno;
		ds_err("failed to make pin directory %s mode 0700: %s", dir, strerror(-err));
		goto fail;
	}
	if ((st.st_mode & 07777) != 0700) {
		ds_err("pin directory %s is mode %04o, not 0700, after chmod", dir,
		       (unsigned)(st.st_mode & 07777));
		err = -EPERM;
		goto fail;
	}
	return 0;
fail:
	if (created)
		rmdir(dir);
	close(c->dir_fd);
	c->dir_fd = -1;
	return err;
}

static void unpin_own(struct pin_claim *c)
{
	char path[600];

	for (size_t i = 0; i < ARRAY_SIZE(pin_names); i++) {
		if (!(c->pinned & (1u << i)))
			continue;
		pin_path(path, sizeof(path), c->dir, pin_names[i]);
		unlink(path);
	}
	c->pinned = 0;
}

void pin_release(struct pin_claim *c)
{
	if (c->dir_fd < 0)
		return;
	unpin_own(c);
	/* Empty now unless someone put files of their own there: then it stays. */
	rmdir(c->dir);
	/* Last: the lock is what keeps the next tracer out until we are done. */
	close(c->dir_fd);
	c->dir_fd = -1;
}

int pin_maps(const struct tracer *t, struct pin_claim *c, const struct tracer_config *cfg)
{
	int fds[] = { tracer_drops_fd(t), tracer_stats_fd(t), tracer_ifnames_fd(t),
		      tracer_retrans_fd(t), tracer_meta_fd(t) };
	struct ds_meta m = { .abi_version = DS_ABI_VERSION };
	struct timespec ts;
	char path[600];
	__u32 zero = 0;
	int err;

	if (c->dir_fd < 0)
		return -EBADF;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	m.pid = getpid();
	m.start_boottime_ns = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	m.filter_netns = cfg->netns;
	m.filter_ifindex = cfg->ifindex;
	m.attach_mode = t->mode;
	if (bpf_map_update_elem(tracer_meta_fd(t), &zero, &m, BPF_ANY)) {
		err = -errno;
		ds_err("failed to write the meta map: %s", strerror(-err));
		return err;
	}
	for (size_t i = 0; i < ARRAY_SIZE(pin_names); i++) {
		if (fds[i] < 0)
			continue;
		pin_path(path, sizeof(path), c->dir, pin_names[i]);
		if (bpf_obj_pin(fds[i], path)) {
			err = -errno;
			ds_err("failed to pin %s: %s", path, strerror(-err));
			goto cleanup;
		}
		c->pinned |= 1u << i;
		/* The maps say what this host drops and to whom it talks: root only. */
		if (chmod(path, 0600)) {
			err = -errno;
			ds_err("failed to make %s mode 0600: %s", path, strerror(-err));
			goto cleanup;
		}
	}
	return 0;
cleanup:
	unpin_own(c);
	return err;
}

int pinned_open(const char *dir, struct pinned_maps *m)
{
	int *fds[] = { &m->drops, &m->stats, &m->ifnames, &m->retrans, &m->meta };
	char path[600];

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
