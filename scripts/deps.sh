#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh - install the Debian packages this tree needs that are missing:
# the compiler, the kernel image and headers to build against and boot,
# QEMU and the initramfs tools, the static checkers, the kernel source (for
# hmm-tests, checkpatch and the debug kernel, whose build also needs flex
# and bison), liburcu for the userspace model, and dkms (make check
# builds the modules through it once, from a clean copy), gnuplot for the
# plots make bench writes.
#
# Prints one line saying what it did.  Installing needs root; when nothing
# is missing it does not.

set -eu

PACKAGES="build-essential linux-headers-amd64 linux-image-amd64
qemu-system-x86 busybox-static cpio kmod sparse coccinelle linux-source-6.1
liburcu-dev libelf-dev bc dkms gnuplot-nox flex bison"

die() {
	echo "deps: error: $*" >&2
	exit 1
}

command -v dpkg-query >/dev/null 2>&1 ||
	die "dpkg-query not found: this needs a Debian system (bookworm)"

missing=
for pkg in $PACKAGES; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null ||
		 true)
	[ "$status" = installed ] || missing="$missing $pkg"
done
missing=${missing# }

if [ -z "$missing" ]; then
	# shellcheck disable=SC2086 # one word per package
	set -- $PACKAGES
	echo "deps: all $# packages already installed"
	exit 0
fi

[ "$(id -u)" = 0 ] ||
	die "missing packages: $missing; installing them needs root" \
	    "(run 'sudo make deps')"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! apt-get update >"$log" 2>&1; then
	cat "$log" >&2
	die "apt-get update failed"
fi
# shellcheck disable=SC2086 # one word per package
if ! DEBIAN_FRONTEND=noninteractive apt-get install -y \
		--no-install-recommends $missing >"$log" 2>&1; then
	cat "$log" >&2
	die "apt-get install failed for: $missing"
fi
echo "deps: installed $missing"
