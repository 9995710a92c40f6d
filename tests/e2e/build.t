#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The build: a change to a BPF program rebuilds only the userspace files that include its
# skeleton (the skeletons are an order-only prerequisite; -MMD records who includes them), and a
# change to a header rebuilds what includes it. A build of its own, in a temporary directory.
. "$(dirname "$0")/../lib.sh"
t_need_root
cd "$T_TOP" || exit 1
B="$T_TMP/build"
make -s BUILD="$B" all >"$T_TMP/make.out" 2>&1
t_is "$?" 0 "a clean build in a directory of its own"
# -W: as if the file had just changed, without touching it.
rebuilt() { make BUILD="$B" -n -W "$1" all 2>/dev/null | grep -o -- '-c user/[a-z_]*\.c' | sort -u | tr '\n' ' '; }
t_is "$(rebuilt bpf/drops.bpf.c)" "-c user/trace_bpf.c " "a BPF program's change rebuilds only the file that includes its skeleton"
t_is "$(rebuilt bpf/tcp.bpf.c)" "-c user/trace_bpf.c " "the tcp programs (linked into the same object) too"
t_ge "$(rebuilt user/util.h | wc -w)" 20 "a header's change rebuilds every file that includes it"
t_is "$(make BUILD="$B" -n all 2>/dev/null | grep -c -- '-c ')" 0 "and nothing when nothing changed"
# The unit tests that run the prober's program have it made first (order-only: not relinked).
rm -f "$B/dropscope-prober"
t_ge "$(make BUILD="$B" -n "$B/tests/unit/test_probe_api" 2>/dev/null | grep -c -- "-o $B/dropscope-prober")" 1 \
	"a unit test's target makes the prober's program"
t_ge "$(make BUILD="$B" -n "$B/san/tests/unit/test_probe_api" 2>/dev/null | grep -c -- "-o $B/san/dropscope-prober")" 1 \
	"a sanitized unit test's target makes the sanitized program"
make -s BUILD="$B" "$B/dropscope-prober" >/dev/null 2>&1
t_is "$(stat -c %a "$B/dropscope-prober" 2>/dev/null)" 711 \
	"the build's program is 0711: a user who is not root cannot read it (README, Privileges)"

# make install into a staging directory: the binary and the README; uninstall removes them.
D="$T_TMP/dest"
# (LIBEXECDIR is not one of its variables: the program goes where dropscope looks for it.)
make -s BUILD="$B" DESTDIR="$D" PREFIX=/usr LIBEXECDIR=/usr/lib/dropscope install >/dev/null 2>&1
t_is "$?" 0 "make install DESTDIR=..."
t_check "installs the binary" test -x "$D/usr/sbin/dropscope"
t_check "and the prober's program under libexec/dropscope, where dropscope looks" \
	test -x "$D/usr/libexec/dropscope/dropscope-prober" -a ! -e "$D/usr/lib/dropscope"
t_is "$(stat -c %a "$D/usr/libexec/dropscope/dropscope-prober" 2>/dev/null)" 711 "mode 0711"
t_check "and the README under share/doc" cmp -s README.md "$D/usr/share/doc/dropscope/README.md"
t_check "the man page under share/man/man8" test -s "$D/usr/share/man/man8/dropscope.8"
t_check "the bash completion under share/bash-completion" test -s "$D/usr/share/bash-completion/completions/dropscope"
make -s BUILD="$B" DESTDIR="$D" PREFIX=/usr uninstall >/dev/null 2>&1
t_check "make uninstall removes them" test ! -e "$D/usr/sbin/dropscope" -a ! -e "$D/usr/share/doc/dropscope" \
	-a ! -e "$D/usr/libexec/dropscope" \
	-a ! -e "$D/usr/share/man/man8/dropscope.8" -a ! -e "$D/usr/share/bash-completion/completions/dropscope"
t_done
