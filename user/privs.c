// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "privs.h"
#include "util.h"

#define NOBODY_ID 65534 /* when the password database does not name nobody */

static uid_t nobody_uid = NOBODY_ID;
static gid_t nobody_gid = NOBODY_ID;
static bool nobody_known;

void privs_lookup_nobody(void)
{
	struct passwd *pw;

	if (nobody_known)
		return;
	nobody_known = true;
	pw = getpwnam("nobody");
	if (pw && pw->pw_uid && pw->pw_gid) {
		nobody_uid = pw->pw_uid;
		nobody_gid = pw->pw_gid;
	}
}

void privs_nobody(uid_t *uid, gid_t *gid)
{
	privs_lookup_nobody();
	*uid = nobody_uid;
	*gid = nobody_gid;
}

void privs_set_nobody(uid_t uid, gid_t gid)
{
	nobody_known = true;
	nobody_uid = uid;
	nobody_gid = gid;
}

static int caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };

	memset(d, 0, 2 * sizeof(*d));
	return syscall(SYS_capget, &h, d) ? -errno : 0;
}

static int caps_set(uint64_t effective, uint64_t permitted, uint64_t inheritable)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)effective, (uint32_t)permitted, (uint32_t)inheritable },
		{ (uint32_t)(effective >> 32), (uint32_t)(permitted >> 32),
		  (uint32_t)(inheritable >> 32) },
	};

	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

static uint64_t caps_word(const struct __user_cap_data_struct d[2], int which)
{
	uint32_t lo = which == 0 ? d[0].effective : which == 1 ? d[0].permitted : d[0].inheritable;
	uint32_t hi = which == 0 ? d[1].effective : which == 1 ? d[1].permitted : d[1].inheritable;

	return (uint64_t)hi << 32 | lo;
}

uint64_t privs_effective(void)
{
	struct __user_cap_data_struct d[2];

	return caps_get(d) ? 0 : caps_word(d, 0);
}

static int last_cap(void)
{
	char buf[16];
	unsigned long v;

	if (read_file("/proc/sys/kernel/cap_last_cap", buf, sizeof(buf)) <= 0)
		return CAP_LAST_CAP;
	buf[strcspn(buf, "\n")] = 0;
	if (parse_ulong(buf, 0, 63, &v))
		return CAP_LAST_CAP;
	return (int)v;
}

void privs_clear_effective(void)
{
	struct __user_cap_data_struct d[2];

	if (!caps_get(d))
		caps_set(0, caps_word(d, 1), caps_word(d, 2));
}

/* A capability we are permitted (a file capability without +e) counts: make it effective. */
static void raise_permitted(void)
{
	struct __user_cap_data_struct d[2];

	if (!caps_get(d) && caps_word(d, 1) != caps_word(d, 0))
		caps_set(caps_word(d, 1), caps_word(d, 1), caps_word(d, 2));
}

bool privs_before_cap_bpf(void)
{
	return last_cap() < CAP_BPF;
}

uint64_t privs_lack(uint64_t need)
{
	uint64_t have;

	raise_permitted();
	have = privs_effective();

	/* Before 5.8 there is no CAP_BPF or CAP_PERFMON: CAP_SYS_ADMIN is what the kernel checks,
	 * and it still accepts it for both. */
	if (have & PRIV_CAP(CAP_SYS_ADMIN))
		have |= PRIV_CAP(CAP_BPF) | PRIV_CAP(CAP_PERFMON);
	return need & ~have;
}

const char *privs_cap_name(int cap)
{
	static const char *const names[] = {
		[CAP_DAC_OVERRIDE] = "CAP_DAC_OVERRIDE", [CAP_SETGID] = "CAP_SETGID",
		[CAP_SETUID] = "CAP_SETUID",		 [CAP_SETPCAP] = "CAP_SETPCAP",
		[CAP_NET_ADMIN] = "CAP_NET_ADMIN",	 [CAP_NET_RAW] = "CAP_NET_RAW",
		[CAP_SYS_ADMIN] = "CAP_SYS_ADMIN",	 [CAP_SYSLOG] = "CAP_SYSLOG",
		[CAP_PERFMON] = "CAP_PERFMON",		 [CAP_BPF] = "CAP_BPF",
	};
	static char buf[24];

	if (cap >= 0 && (size_t)cap < ARRAY_SIZE(names) && names[cap])
		return names[cap];
	snprintf(buf, sizeof(buf), "capability %d", cap);
	return buf;
}

int privs_require(uint64_t need, const char *what)
{
	uint64_t lack = privs_lack(need);
	char list[160] = "";

	/* Before 5.8 the kernel knows only CAP_SYS_ADMIN for these. */
	if (privs_before_cap_bpf() && (need & (PRIV_CAP(CAP_BPF) | PRIV_CAP(CAP_PERFMON)))) {
		need &= ~(PRIV_CAP(CAP_BPF) | PRIV_CAP(CAP_PERFMON));
		need |= PRIV_CAP(CAP_SYS_ADMIN);
	}
	size_t len = 0;
	int n = 0;

	if (!lack)
		return 0;
	for (int c = 0; c < 64; c++) {
		if (!(need & PRIV_CAP(c)))
			continue;
		len += snprintf(list + len, len < sizeof(list) ? sizeof(list) - len : 0, "%s%s",
				n++ ? " and " : "", privs_cap_name(c));
		if (len >= sizeof(list))
			break;
	}
	ds_err("%s needs %s (or root): run it with sudo, or grant %s", what, list,
	       n > 1 ? "them" : "it");
	return -EPERM;
}


/* Out of the ambient and (where we may change it) the bounding set, but for keep. */
static void drop_inheritable_sets(uint64_t keep)
{
	bool setpcap = privs_effective() & PRIV_CAP(CAP_SETPCAP);
	int last = last_cap();

	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); /* EINVAL before 4.3: none */
	if (!setpcap)
		return;
	for (int c = 0; c <= last; c++)
		if (!(keep & PRIV_CAP(c)))
			prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
}

int privs_drop_all(void)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
	struct __user_cap_data_struct d[2];
	int err;

	if (getresuid(&ruid, &euid, &suid) || getresgid(&rgid, &egid, &sgid))
		return -errno;
	privs_lookup_nobody();
	drop_inheritable_sets(0);
	if (!ruid || !euid || !suid || !rgid || !egid || !sgid) {
		if (setgroups(0, NULL) || setresgid(nobody_gid, nobody_gid, nobody_gid) ||
		    setresuid(nobody_uid, nobody_uid, nobody_uid))
			return -errno;
	} else if (privs_effective() & PRIV_CAP(CAP_SETGID)) {
		/* Not root, but capable of keeping root's groups: give them up too. */
		if (setgroups(0, NULL))
			return -errno;
	}
	err = caps_set(0, 0, 0);
	if (err)
		return err;
	/* Not dumpable: another process of the same user may not ptrace us or take our
	 * descriptors (pidfd_getfd), the raw sockets among them. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		return -errno;

	/* Trust, but check: nothing left, and no way back to uid or gid 0. */
	err = caps_get(d);
	if (err)
		return err;
	if (caps_word(d, 0) || caps_word(d, 1) || caps_word(d, 2))
		return -EPERM;
	if (!getuid() || !geteuid() || !setuid(0) || !setgid(0))
		return -EPERM;
	if ((!rgid || !egid || !sgid) && (!getgid() || !getegid() || getgroups(0, NULL) > 0))
		return -EPERM;
	return 0;
}

int privs_keep_only(uint64_t keep)
{
	struct __user_cap_data_struct d[2];
	uint64_t eff, perm;
	int err;

	err = caps_get(d);
	if (err)
		return err;
	eff = caps_word(d, 0) & keep;
	perm = caps_word(d, 1) & keep;
	drop_inheritable_sets(keep);
	err = caps_set(eff, perm, 0);
	if (err)
		return err;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		return -errno;
	err = caps_get(d);
	if (err)
		return err;
	if ((caps_word(d, 1) & ~keep) || caps_word(d, 2))
		return -EPERM;
	return 0;
}

bool privs_unprivileged_map_read(int map_fd)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		struct bpf_map_info info;
		union bpf_attr attr;

		if (privs_drop_all())
			_exit(2);
		/* The bare call, not libbpf's: the prober's program links this file alone. */
		memset(&info, 0, sizeof(info));
		memset(&attr, 0, sizeof(attr));
		attr.info.bpf_fd = (__u32)map_fd;
		attr.info.info_len = sizeof(info);
		attr.info.info = (__u64)(unsigned long)&info;
		_exit(syscall(SYS_bpf, BPF_OBJ_GET_INFO_BY_FD, &attr, sizeof(attr)) ? 1 : 0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
