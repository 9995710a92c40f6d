// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "fix_cmd.h"
#include "kfeatures.h"
#include "pin.h"
#include "util.h"

/*
 * What a pin of ours is: a map of this type, key and value size, whose BTF names the value's
 * struct. meta first: pinned first, a directory holding any of the others has it too.
 */
static const struct pin_kind {
	const char *name;
	__u32 type, key_size, value_size;
	const char *value_type;
} pin_kinds[] = {
	{ "meta", BPF_MAP_TYPE_ARRAY, sizeof(__u32), sizeof(struct ds_meta), "ds_meta" },
	{ "drops", BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(__u32), sizeof(struct drop_slot), "drop_slot" },
	{ "stats", BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(__u32), sizeof(struct ds_stats), "ds_stats" },
	{ "ifnames", BPF_MAP_TYPE_HASH, sizeof(struct ifname_key), sizeof(struct ifname_value),
	  "ifname_value" },
	{ "retrans", BPF_MAP_TYPE_LRU_HASH, sizeof(struct retrans_key), sizeof(struct retrans_value),
	  "retrans_value" },
	{ "totals", BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(__u32), sizeof(struct ds_reason_total),
	  "ds_reason_total" },
	/* A ring buffer has neither key nor value, nor their BTF. */
	{ "events", BPF_MAP_TYPE_RINGBUF, 0, 0, NULL },
};

const char *const pin_link_names[PIN_LINKS] = { "link_kfree_skb", "link_tcp_retransmit_skb",
						"link_tcp_retransmit_synack" };

/* Bits of pin_kinds every tracer pins (retrans only with TCP retransmissions). */
#define PINS_ALWAYS (1u << 0 | 1u << 1 | 1u << 2 | 1u << 3 | 1u << 5 | 1u << 6)

static void pin_path(char *buf, size_t size, const char *dir, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

static int read_meta(int fd, struct ds_meta *m)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(fd, &zero, m) ? -errno : 0;
}

/* 0 when fd is a map of kind k as dropscope makes it; -EPROTO when it is something else (why
 * says what, for the user), or -errno when that cannot be told. */
static int map_is_sized(int fd, const struct pin_kind *k, bool any_size, char *why, size_t size)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	const struct btf_type *t;
	const char *name = NULL;
	struct btf *btf;
	int err;

	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		err = -errno;
		if (err != -EINVAL)
			return err;
		snprintf(why, size, "not a BPF map");
		return -EPROTO;
	}
	if (info.type != k->type ||
	    (!any_size && (info.key_size != k->key_size || info.value_size != k->value_size))) {
		snprintf(why, size, "map type %u, key %u, value %u bytes; ours: type %u, %u, %u",
			 info.type, info.key_size, info.value_size, k->type, k->key_size,
			 k->value_size);
		return -EPROTO;
	}
	if (!k->value_type)
		return 0;
	if (!info.btf_id) {
		snprintf(why, size, "a map without BTF");
		return -EPROTO;
	}
	btf = btf__load_from_kernel_by_id(info.btf_id);
	if (!btf)
		return -errno;
	t = btf__type_by_id(btf, info.btf_value_type_id);
	if (t && btf_is_struct(t))
		name = btf__name_by_offset(btf, t->name_off);
	err = name && !strcmp(name, k->value_type) ? 0 : -EPROTO;
	if (err)
		snprintf(why, size, "its value is '%s', ours is struct %s", name ? name : "?",
			 k->value_type);
	btf__free(btf);
	return err;
}

static int map_is(int fd, const struct pin_kind *k, char *why, size_t size)
{
	return map_is_sized(fd, k, false, why, size);
}

/*
 * The same for the pin at path; any_size: of an older layout, where only the map type and its
 * value's BTF name must match. For meta, *m gets its value.
 */
static int pin_is(const char *path, const struct pin_kind *k, bool any_size, char *why,
		  size_t size, struct ds_meta *m)
{
	int fd, err;

	fd = bpf_obj_get(path);
	if (fd < 0) {
		snprintf(why, size, "not a BPF map (%s)", strerror(errno));
		return -EPROTO;
	}
	err = map_is_sized(fd, k, any_size, why, size);
	if (!err && k == &pin_kinds[0])
		err = read_meta(fd, m);
	close(fd);
	return err;
}

/* 0 when path is a pinned BPF link; -EPROTO (why says what) otherwise. (A map's fd answers
 * bpf_obj_get_info_by_fd as well: its fdinfo tells a link by its link_type line.) */
static int link_is(const char *path, char *why, size_t size)
{
	char info[64], text[1024];
	int fd = bpf_obj_get(path), err = -EPROTO;

	if (fd < 0) {
		snprintf(why, size, "not a BPF link (%s)", strerror(errno));
		return -EPROTO;
	}
	snprintf(info, sizeof(info), "/proc/self/fdinfo/%d", fd);
	if (read_file(info, text, sizeof(text)) > 0 && strstr(text, "\nlink_type:"))
		err = 0;
	else
		snprintf(why, size, "not a BPF link");
	close(fd);
	return err;
}

static int link_index(const char *name)
{
	for (int i = 0; i < PIN_LINKS; i++)
		if (!strcmp(name, pin_link_names[i]))
			return i;
	return -1;
}

static int pin_index(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(pin_kinds); i++)
		if (!strcmp(name, pin_kinds[i].name))
			return (int)i;
	return -1;
}

/* Whether pins that passed clear_stale's checks can be adopted by a monitor that wants. */
static bool reusable(unsigned maps, unsigned links, const struct ds_meta *m,
		     const struct pin_reuse *want, char *why, size_t size)
{
	if ((maps & PINS_ALWAYS) != PINS_ALWAYS || !(links & 1u)) {
		snprintf(why, size, "not a whole monitor's pins");
		return false;
	}
	/* TCP retransmissions: the map and both links, or none of them. */
	if (!!(maps & 1u << 4) != ((links & 6u) == 6u)) {
		snprintf(why, size, "the TCP programs are not whole");
		return false;
	}
	if (!want->any && (m->filter_netns != want->netns || m->filter_ifindex)) {
		snprintf(why, size, "they count namespace %u, this monitor %u", m->filter_netns,
			 want->netns);
		return false;
	}
	return true;
}

/* Make meta say that we own the adopted pins now. */
static void adopt_meta(const struct pin_claim *c)
{
	struct ds_meta m;
	char path[600];
	__u32 zero = 0;
	int fd;

	pin_path(path, sizeof(path), c->dir, "meta");
	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	if (!read_meta(fd, &m)) {
		m.pid = getpid();
		bpf_map_update_elem(fd, &zero, &m, BPF_EXIST);
	}
	close(fd);
}

/*
 * With the lock held on a directory we did not create: the pins under our names were left by
 * a dropscope that is gone, if they are provably dropscope's (a meta of ours, and each map of
 * our kind; of an older layout, each map of our type and value struct, and each link a link).
 * Those are adopted (want, and compatible) or replaced, and we say so; anything else under our
 * names is a clash, refused and left alone. Files under other names are not ours to look at.
 */
static int clear_stale(struct pin_claim *c, const struct pin_reuse *want)
{
	char path[600], why[128], names[160] = "", because[128] = "";
	struct ds_meta m = { 0 };
	struct dirent *de;
	unsigned stale = 0, links = 0;
	DIR *d = opendir(c->dir);
	bool older = false;
	int err = 0;

	if (!d) {
		err = -errno;
		ds_err("failed to read pin directory %s: %s", c->dir, strerror(-err));
		return err;
	}
	while ((de = readdir(d))) {
		int i = pin_index(de->d_name);

		if (i >= 0)
			stale |= 1u << i;
		i = link_index(de->d_name);
		if (i >= 0)
			links |= 1u << i;
	}
	closedir(d);
	if (!stale && !links)
		return 0;
	if (stale & 1u) {
		pin_path(path, sizeof(path), c->dir, "meta");
		err = pin_is(path, &pin_kinds[0], false, why, sizeof(why), &m);
		older = !err && m.abi_version != DS_ABI_VERSION;
	}
	for (size_t i = 0; i < ARRAY_SIZE(pin_kinds) + PIN_LINKS && (!err || i == 0); i++) {
		bool is_link = i >= ARRAY_SIZE(pin_kinds);
		const char *name = is_link ? pin_link_names[i - ARRAY_SIZE(pin_kinds)]
					   : pin_kinds[i].name;

		if (!(is_link ? links & (1u << (i - ARRAY_SIZE(pin_kinds))) : stale & (1u << i)))
			continue;
		pin_path(path, sizeof(path), c->dir, name);
		if (!(stale & 1u)) {
			snprintf(why, sizeof(why), "no dropscope 'meta' map beside it");
			err = -EPROTO;
		} else if (is_link) {
			err = link_is(path, why, sizeof(why));
		} else if (i) {
			err = pin_is(path, &pin_kinds[i], older, why, sizeof(why), &m);
		}
		if (err == -EPROTO) {
			ds_err("pin directory %s already holds '%s', which is not dropscope's (%s); "
			       "remove it, or choose another directory",
			       c->dir, name, why);
			return -EEXIST;
		}
		if (err) {
			ds_err("failed to inspect %s: %s", path, strerror(-err));
			return err;
		}
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			 *names ? ", " : "", name);
	}
	if (want && !older && reusable(stale, links, &m, want, because, sizeof(because))) {
		c->pinned = stale;
		c->links = links;
		c->reused = true;
		adopt_meta(c);
		if (!want->any)
			ds_err("reusing the pins in %s: the programs stayed attached (pid %u pinned "
			       "them), so every count goes on",
			       c->dir, m.pid);
		return 0;
	}
	/* Without -v too: the operator should know what we removed, and why. */
	if (older && want && want->any)
		ds_err("removing the pins in %s (%s) of a dropscope with layout version %u (ours "
		       "is %u)",
		       c->dir, names, m.abi_version, DS_ABI_VERSION);
	else if (older)
		ds_err("replacing the pins in %s (%s) of a dropscope with layout version %u (ours "
		       "is %u): their counts start again",
		       c->dir, names, m.abi_version, DS_ABI_VERSION);
	else if (want)
		ds_err("replacing the pins in %s (%s): %s; their counts start again", c->dir, names,
		       because);
	else
		ds_err("replacing the stale pins in %s (%s) of a dropscope that is gone (pid %u)",
		       c->dir, names, m.pid);
	/* Links first (they come last in this order, so unlink in reverse): no program runs
	 * into a map whose pin is gone. */
	c->cleared = true;
	for (size_t i = ARRAY_SIZE(pin_kinds) + PIN_LINKS; i-- > 0;) {
		bool is_link = i >= ARRAY_SIZE(pin_kinds);

		if (!(is_link ? links & (1u << (i - ARRAY_SIZE(pin_kinds))) : stale & (1u << i)))
			continue;
		pin_path(path, sizeof(path), c->dir,
			 is_link ? pin_link_names[i - ARRAY_SIZE(pin_kinds)] : pin_kinds[i].name);
		if (unlink(path) && errno != ENOENT) {
			err = -errno;
			ds_err("failed to remove the stale pin %s: %s", path, strerror(-err));
			return err;
		}
	}
	return 0;
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

/*
 * Open and lock an existing dir; 1 when there is none (or it vanished under us: retry), 0
 * locked, or -errno. A reader (`show`) holds a shared lock for a moment: wait that out.
 */
static int lock_dir(struct pin_claim *c)
{
	struct stat a, b;
	int fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), tries = 0;

	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		ds_err("failed to open pin directory %s: %s", c->dir, strerror(errno));
		return -errno;
	}
	while (flock(fd, LOCK_EX | LOCK_NB)) {
		int err = errno;
		__u32 pid;

		if (err == EWOULDBLOCK && ++tries < 20) {
			usleep(10000);
			continue;
		}
		close(fd);
		if (err != EWOULDBLOCK) {
			ds_err("failed to lock pin directory %s: %s", c->dir, strerror(err));
			return -err;
		}
		pid = meta_pid(c->dir);
		if (pid)
			ds_err("pin directory %s is in use by dropscope (pid %u); stop it, or choose "
			       "another directory",
			       c->dir, pid);
		else
			ds_err("pin directory %s is in use by another dropscope that is starting; "
			       "choose another directory",
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

/*
 * Create dir, locked before anyone can see it: made under a name of this process beside it,
 * locked, and renamed into place only if the name is still free. So a directory we created is
 * one no other tracer ever held. 0 created, 1 it exists now, or -errno.
 */
static int create_locked(struct pin_claim *c)
{
	char tmp[sizeof(c->dir) + 32];
	int fd, err;

	/* (bpffs allows no dots in names.) */
	snprintf(tmp, sizeof(tmp), "%s-new-%d", c->dir, (int)getpid());
	if (mkdir(tmp, 0700)) {
		err = -errno;
		ds_err("failed to create pin directory %s: %s", c->dir, strerror(-err));
		return err;
	}
	fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* What the host drops and to whom it talks is root's business: 0700, whatever the
	 * umask. */
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) || fchmod(fd, 0700)) {
		err = -errno;
		ds_err("failed to set up pin directory %s: %s", tmp, strerror(-err));
		goto fail;
	}
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, c->dir, RENAME_NOREPLACE)) {
		err = -errno;
		if (err == -EEXIST || err == -ENOTEMPTY) {
			err = 1;
			goto fail;
		}
		ds_err("failed to create pin directory %s: %s", c->dir, strerror(-err));
		goto fail;
	}
	c->dir_fd = fd;
	c->created = true;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	rmdir(tmp);
	return err;
}

int pin_claim(const char *dir, struct pin_claim *c)
{
	return pin_claim_reuse(dir, c, NULL);
}

int pin_claim_reuse(const char *dir, struct pin_claim *c, const struct pin_reuse *want)
{
	size_t len = strlen(dir);
	int err;

	memset(c, 0, sizeof(*c));
	c->dir_fd = -1;
	while (len > 1 && dir[len - 1] == '/')
		len--;
	if (len >= sizeof(c->dir) - 48) {
		ds_err("pin directory name too long: %s", dir);
		return -ENAMETOOLONG;
	}
	snprintf(c->dir, sizeof(c->dir), "%.*s", (int)len, dir);
	err = ensure_bpffs(c->dir);
	if (err)
		return err;
	/* A few tries: a departing owner may remove the directory between our steps, another
	 * tracer may create it between ours. */
	err = 1;
	for (int i = 0; i < 5 && err > 0; i++) {
		err = lock_dir(c);
		if (err > 0)
			err = create_locked(c);
	}
	if (err > 0) {
		ds_err("failed to claim pin directory %s: it keeps being removed", c->dir);
		return -EAGAIN;
	}
	if (err)
		return err;
	err = c->created ? 0 : clear_stale(c, want);
	if (err) {
		pin_release(c);
		return err;
	}
	return 0;
}

static void unpin_own(struct pin_claim *c)
{
	char path[600];

	/* Links first: their programs detach before the maps' pins go. */
	for (int i = 0; i < PIN_LINKS; i++) {
		if (!(c->links & (1u << i)))
			continue;
		pin_path(path, sizeof(path), c->dir, pin_link_names[i]);
		unlink(path);
	}
	c->links = 0;

	for (size_t i = 0; i < ARRAY_SIZE(pin_kinds); i++) {
		if (!(c->pinned & (1u << i)))
			continue;
		pin_path(path, sizeof(path), c->dir, pin_kinds[i].name);
		unlink(path);
	}
	c->pinned = 0;
}

void pin_release(struct pin_claim *c)
{
	if (c->dir_fd < 0)
		return;
	if (!c->keep)
		unpin_own(c);
	/* Only a directory we created, and only if empty: someone may have put files there. */
	if (c->created && !c->keep)
		rmdir(c->dir);
	/* Last: the lock is what keeps the next tracer out until we are done. */
	close(c->dir_fd);
	c->dir_fd = -1;
	c->created = false;
}

/* Pin fd at path and set bit in *pinned; then make it root's only: the maps say what this host
 * drops and to whom it talks. Prints its own error. */
static int pin_private(int fd, const char *path, unsigned *pinned, unsigned bit)
{
	int err;

	if (bpf_obj_pin(fd, path)) {
		err = -errno;
		ds_err("failed to pin %s: %s", path, strerror(-err));
		return err;
	}
	*pinned |= bit;
	if (chmod(path, 0600)) {
		err = -errno;
		ds_err("failed to make %s mode 0600: %s", path, strerror(-err));
		return err;
	}
	return 0;
}

int pin_maps(const struct tracer *t, struct pin_claim *c, const struct tracer_config *cfg)
{
	/* In pin_kinds' order. */
	int fds[] = { tracer_meta_fd(t),    tracer_drops_fd(t),	  tracer_stats_fd(t),
		      tracer_ifnames_fd(t), tracer_retrans_fd(t), tracer_totals_fd(t),
		      tracer_events_fd(t) };
	struct ds_meta m = { .abi_version = DS_ABI_VERSION };
	struct timespec ts;
	char path[600], why[128];
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
	for (size_t i = 0; i < ARRAY_SIZE(pin_kinds); i++) {
		if (fds[i] < 0)
			continue;
		/* The next tracer recognises stale pins by pin_kinds: they must say what we pin. */
		err = map_is(fds[i], &pin_kinds[i], why, sizeof(why));
		if (err) {
			ds_err("internal error: the %s map is not what pin.c expects (%s)",
			       pin_kinds[i].name, err == -EPROTO ? why : strerror(-err));
			goto cleanup;
		}
		pin_path(path, sizeof(path), c->dir, pin_kinds[i].name);
		err = pin_private(fds[i], path, &c->pinned, 1u << i);
		if (err)
			goto cleanup;
	}
	return 0;
cleanup:
	unpin_own(c);
	return err;
}

int pin_links(const struct tracer *t, struct pin_claim *c)
{
	struct bpf_link *links[PIN_LINKS];
	char path[600];
	int err;

	tracer_links(t, links);
	for (int i = 0; i < PIN_LINKS; i++) {
		if (!links[i])
			continue;
		pin_path(path, sizeof(path), c->dir, pin_link_names[i]);
		err = pin_private(bpf_link__fd(links[i]), path, &c->links, 1u << i);
		if (err)
			goto cleanup;
	}
	return 0;
cleanup:
	for (int i = 0; i < PIN_LINKS; i++)
		if (c->links & (1u << i)) {
			pin_path(path, sizeof(path), c->dir, pin_link_names[i]);
			unlink(path);
		}
	c->links = 0;
	return err;
}

/*
 * Whether a tracer owns dir: it holds an exclusive flock on it for as long as its pins are
 * there, and the kernel drops the lock however it dies. Unlike meta's pid, this holds across
 * PID namespaces and after the pid is reused. 1 owned, 0 not, or -errno.
 */
static int dir_owned(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), owned;

	if (fd < 0)
		return -errno;
	/* Shared, and let go at once: a tracer claiming the directory waits that long. */
	if (!flock(fd, LOCK_SH | LOCK_NB))
		owned = 0;
	else
		owned = errno == EWOULDBLOCK ? 1 : -errno;
	close(fd);
	return owned;
}

int pinned_open(const char *dir, struct pinned_maps *m)
{
	/* In pin_kinds' order. */
	int *fds[] = { &m->meta,    &m->drops,	&m->stats, &m->ifnames,
		       &m->retrans, &m->totals, &m->events };
	/* A reader has no business writing: read-only, and so it works where only reads are
	 * allowed. */
	LIBBPF_OPTS(bpf_obj_get_opts, ro, .file_flags = BPF_F_RDONLY);
	char path[600];
	int err;

	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		*fds[i] = -1;
	for (size_t i = 0; i < ARRAY_SIZE(pin_kinds); i++) {
		pin_path(path, sizeof(path), dir, pin_kinds[i].name);
		*fds[i] = bpf_obj_get_opts(path, &ro);
	}
	if (m->drops < 0 || m->stats < 0 || m->meta < 0) {
		err = -ENOENT;
		if (access(dir, F_OK)) {
			char start[FINDING_FIX_LEN];

			fix_word_command("dropscope trace --pin", dir, start, sizeof(start));
			ds_err("no pinned maps in %s: start a tracer first: %s", dir, start);
		}
		else
			ds_err("failed to open the pinned maps in %s: %s", dir,
			       strerror(errno ? errno : ENOENT));
		goto fail;
	}
	err = read_meta(m->meta, &m->info);
	if (err || m->info.abi_version != DS_ABI_VERSION) {
		ds_err("the maps in %s have layout version %u; this dropscope reads version %u", dir,
		       m->info.abi_version, DS_ABI_VERSION);
		err = -EPROTO;
		goto fail;
	}
	err = dir_owned(dir);
	if (err < 0) {
		ds_err("failed to tell whether a tracer owns %s: %s", dir, strerror(-err));
		goto fail;
	}
	m->owner_alive = err;
	pin_path(path, sizeof(path), dir, pin_link_names[0]);
	m->attached = !access(path, F_OK);
	return 0;
fail:
	pinned_close(m);
	return err;
}

void pinned_close(struct pinned_maps *m)
{
	int *fds[] = { &m->drops, &m->stats,  &m->ifnames, &m->retrans,
		       &m->meta,  &m->totals, &m->events };

	for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}
