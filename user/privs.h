/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Privileges: what a command needs to start, and giving up what it no longer needs (mtr's
 * split). Capabilities decide, not the uid: a process that is not root but holds the
 * capabilities a command needs (file capabilities, `setpriv --ambient-caps`) is accepted, and
 * root is accepted because it holds them all.
 *
 * Once a command holds what it needs (raw sockets open, programs attached), it drops the rest
 * for good: the capabilities it no longer uses leave every set (effective, permitted,
 * inheritable, ambient and, where it may, the bounding set), no_new_privs is set so that no
 * exec can bring them back, and the code that reads network input runs as an unprivileged user
 * (nobody) with no capability at all.
 */
#ifndef DS_PRIVS_H
#define DS_PRIVS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/capability.h>

#define PRIV_CAP(c) (1ULL << (c))

/* The capabilities each kind of work needs. CAP_BPF and CAP_PERFMON arrived in 5.8; before,
 * CAP_SYS_ADMIN stands for both (privs_lack counts it so). */
#define PRIVS_TRACE (PRIV_CAP(CAP_BPF) | PRIV_CAP(CAP_PERFMON))
#define PRIVS_PROBE PRIV_CAP(CAP_NET_RAW)

/* Look up the unprivileged user (nobody) now, before a process that will drop to it closes its
 * descriptors: the password database may open files and sockets. */
void privs_lookup_nobody(void);

/* That user's uid and gid (looked up as privs_lookup_nobody does), for a program that becomes
 * it without reading the password database: privs_set_nobody there before privs_drop_all. */
void privs_nobody(uid_t *uid, gid_t *gid);
void privs_set_nobody(uid_t uid, gid_t gid);

/* The kernel predates CAP_BPF and CAP_PERFMON (5.8): CAP_SYS_ADMIN stands for both. */
bool privs_before_cap_bpf(void);

/* The capabilities to keep for reading BPF maps by descriptor where the kernel wants one:
 * CAP_BPF, or CAP_SYS_ADMIN before 5.8. */
#define PRIVS_MAP_READ (privs_before_cap_bpf() ? PRIV_CAP(CAP_SYS_ADMIN) : PRIV_CAP(CAP_BPF))

/* The effective capability set of the calling thread (bits by CAP_*); 0 if it cannot tell. */
uint64_t privs_effective(void);
/* No capability effective, the permitted and inheritable sets kept: before an exec that must
 * not see the file as readable through CAP_DAC_*. Best effort (capget/capset do not fail here). */
void privs_clear_effective(void);

/*
 * The capabilities of need that the process lacks (0: it may go on), after making effective
 * those it is permitted. CAP_SYS_ADMIN covers CAP_BPF and CAP_PERFMON, as the kernel lets it.
 */
uint64_t privs_lack(uint64_t need);

/*
 * Check that the process holds need; if not, print "WHAT needs CAP_X and CAP_Y (or root): ..."
 * on one line (CAP_SYS_ADMIN for CAP_BPF and CAP_PERFMON before 5.8) and return -EPERM.
 */
int privs_require(uint64_t need, const char *what);

/*
 * Become an unprivileged user for good: no supplementary groups, uid and gid nobody (when the
 * process runs as uid or gid 0), every capability gone from every set, no_new_privs. A process
 * that already runs as another user (file or ambient capabilities) keeps its uid and loses its
 * capabilities. Not dumpable either: no other process of that user may take its descriptors.
 * Checks the result (capget, and that uid and gid 0 cannot be had back). Returns 0 or -errno;
 * does not print (the caller says what it could not do).
 */
int privs_drop_all(void);

/*
 * Keep only the capabilities in keep (and the uid): every other one leaves every set, the
 * bounding set included where the process may change it; no_new_privs is set and the process is
 * no longer dumpable. Returns 0 or -errno; does not print.
 */
int privs_keep_only(uint64_t keep);

/*
 * Whether this kernel lets a process without capabilities read a BPF map it holds an fd of
 * (kernels before 6.5 refuse every bpf() command to it when kernel.unprivileged_bpf_disabled is
 * set). Tries it in a child process that drops everything, on map_fd (an array or hash with a
 * 4-byte key). Returns true or false; false when it cannot tell.
 */
bool privs_unprivileged_map_read(int map_fd);

/* "CAP_NET_RAW" for a capability number. */
const char *privs_cap_name(int cap);

#endif
