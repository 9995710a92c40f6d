// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/nsfs.h>

#include "netns.h"
#include "util.h"

#define NETNS_RUN_DIR "/run/netns"

uint32_t netns_self_inode(void)
{
	struct stat st;

	/*
	 * The thread's, not /proc/self's (the main thread's): a thread that asks while the main
	 * thread is inside another namespace must not take that one for its own.
	 */
	if (stat("/proc/thread-self/ns/net", &st))
		return 0;
	return (uint32_t)st.st_ino;
}

int netns_resolve(const char *spec, struct netns_ref *out)
{
	char path[512];
	struct stat st;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	if (!spec || !strcmp(spec, "self"))
		spec = "self";
	snprintf(out->name, sizeof(out->name), "%s", spec);
	if (!strcmp(spec, "all")) {
		out->all = true;
		return 0;
	}
	if (!*spec || strlen(spec) >= sizeof(path) - sizeof(NETNS_RUN_DIR) - 1)
		return -EINVAL;
	if (!strcmp(spec, "self"))
		snprintf(path, sizeof(path), "/proc/self/ns/net");
	else if (strchr(spec, '/'))
		snprintf(path, sizeof(path), "%s", spec);
	else
		snprintf(path, sizeof(path), NETNS_RUN_DIR "/%s", spec);
	out->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (out->fd < 0)
		return -errno;
	if (fstat(out->fd, &st)) {
		int err = -errno;

		netns_close(out);
		return err;
	}
	/* A regular file, or a namespace of another kind, is not a network namespace. */
	if (ioctl(out->fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
		netns_close(out);
		return -EINVAL;
	}
	out->inode = (uint32_t)st.st_ino;
	return 0;
}

void netns_report(const char *verb, const char *spec, int err)
{
	if (!spec)
		spec = "self";
	if (err == -ENOENT && !strcmp(verb, "open"))
		ds_err("unknown network namespace '%s': not a name in %s ('ip netns list') nor a "
		       "namespace file",
		       spec, NETNS_RUN_DIR);
	else
		ds_err("failed to %s network namespace '%s': %s; %s", verb, spec, strerror(-err),
		       err == -EPERM || err == -EACCES ? "run as root"
						       : "'ip netns list' shows the names");
}

void netns_close(struct netns_ref *ns)
{
	if (ns->fd >= 0)
		close(ns->fd);
	ns->fd = -1;
}

int netns_enter(const struct netns_ref *ns, int *saved)
{
	*saved = -1;
	if (ns->all || ns->fd < 0 || ns->inode == netns_self_inode())
		return 0;
	*saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*saved < 0)
		return -errno;
	if (setns(ns->fd, CLONE_NEWNET)) {
		int err = -errno;

		close(*saved);
		*saved = -1;
		return err;
	}
	return 0;
}

int netns_leave(int saved)
{
	int err = 0;

	if (saved < 0)
		return 0;
	if (setns(saved, CLONE_NEWNET))
		err = -errno;
	close(saved);
	return err;
}

void netns_name_of(uint32_t inode, char *buf, size_t size)
{
	char path[512];
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (size)
		buf[0] = '\0';
	if (inode == netns_self_inode()) {
		snprintf(buf, size, "self");
		return;
	}
	d = opendir(NETNS_RUN_DIR);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), NETNS_RUN_DIR "/%s", de->d_name);
		if (!stat(path, &st) && (uint32_t)st.st_ino == inode) {
			snprintf(buf, size, "%s", de->d_name);
			break;
		}
	}
	closedir(d);
}
