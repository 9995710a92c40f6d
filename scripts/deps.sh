#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages that dropscope's build, tests, demo and benchmarks need,
# but only the ones missing, so a second run costs nothing.
# The sanitizer runtimes the tests link: gcc's (libasan, libubsan, liblsan) come with gcc, a hard
# dependency of its libgcc-N-dev; clang's (for the fuzz targets and CC=clang) are libclang-rt-14-dev.
set -eu

pkgs="make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config
      libclang-rt-14-dev iproute2 nftables iptables ethtool perl mtr-tiny bpftrace procps
      kmod jq curl bc iputils-ping strace util-linux man-db groff-base musl-tools
      prometheus prometheus-node-exporter scamper"

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages:$missing; run 'sudo make deps' or install them" >&2
	exit 1
fi
command -v apt-get >/dev/null 2>&1 || {
	echo "deps: apt-get not found; install by hand:$missing" >&2
	exit 1
}
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# prometheus and prometheus-node-exporter come with services that their maintainer scripts
# start (on :9090 and :9100, with or without systemd as init). The tests run their own, on
# ports of their own: forbid starting services while we install (policy-rc.d, which both
# invoke-rc.d and deb-systemd-invoke obey), unless the machine has its own policy already.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\n# dropscope deps.sh: no service starts during this install\nexit 101\n' \
		>/usr/sbin/policy-rc.d
	chmod 0755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
# shellcheck disable=SC2086
if ! apt-get install -y -q --no-install-recommends $missing >/dev/null; then
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends $missing >/dev/null
fi
