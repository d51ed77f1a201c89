#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# build-test-hmm.sh OUTDIR - build OUTDIR/test_hmm.ko, the kernel's own
# lib/test_hmm.c (Linux 6.1) as an out-of-tree module against the kernel
# headers in KDIR, so that the benchmark can compare our GPU-style device
# with the dmirror device it is modelled on, in the same boot.
#
# The sources come from scripts/linux-source.sh; nothing of them is kept in
# this repository.  They are copied to OUTDIR/src and edited there, because
# the Debian kernel lacks CONFIG_DEVICE_PRIVATE:
#
#  1. make_device_exclusive_range() is only built with DEVICE_PRIVATE, so
#     the module would not link: without it, the name is defined to fail
#     with -EOPNOTSUPP (the EXCLUSIVE command then fails, with -EBUSY).
#  2. memremap_pages() of device-private memory WARNs and fails without
#     DEVICE_PRIVATE, and module init allocates one such chunk per
#     device: without it, dmirror_allocate_chunk() fails at once with
#     -EOPNOTSUPP, and device init does not treat that as fatal (the
#     migration commands then fail; READ, WRITE and SNAPSHOT of system
#     memory do not use device memory).
#
# Each edit is guarded by #ifndef CONFIG_DEVICE_PRIVATE / IS_ENABLED(), so
# on a kernel with it the module is the unmodified one, and each edit must
# match exactly once: a different test_hmm.c fails the build loudly
# instead of being mis-edited.  The edited sources and the module's build
# stay in WORKDIR for inspection; only test_hmm.ko goes to OUTDIR.
#
# Environment: WORKDIR (default OUTDIR/../test-hmm), KDIR (default /lib/modules/$KVER/build, KVER the newest
# under /lib/modules), LINUX_SRC as for scripts/linux-source.sh.

set -eu

die() {
	echo "build-test-hmm.sh: error: $*" >&2
	exit 1
}

[ $# -eq 1 ] || die "usage: scripts/build-test-hmm.sh OUTDIR"
REPO=$(cd "$(dirname "$0")/.." && pwd)
OUTDIR=$(mkdir -p "$1" && cd "$1" && pwd) || die "cannot create '$1'"
LINUX_SRC=${LINUX_SRC:-$REPO/build/linux-source}
newest_kver() {
	for dir in /lib/modules/[0-9]*; do
		[ ! -d "$dir" ] || basename "$dir"
	done | sort -V | tail -n 1
}
KVER=${KVER:-$(newest_kver)}
KDIR=${KDIR:-/lib/modules/$KVER/build}
[ -d "$KDIR" ] || die "no kernel build tree at '$KDIR'"

"$REPO/scripts/linux-source.sh" "$LINUX_SRC"
SRC=${WORKDIR:-$(dirname "$OUTDIR")/test-hmm}
rm -rf "$SRC"
mkdir -p "$SRC"
cp "$LINUX_SRC/lib/test_hmm.c" "$LINUX_SRC/lib/test_hmm_uapi.h" "$SRC/"

# edit PATTERN REPLACEMENT: one sed substitution on test_hmm.c that must
# match exactly one line.
edit() {
	n=$(grep -c -e "$1" "$SRC/test_hmm.c" || true)
	[ "$n" = 1 ] ||
		die "test_hmm.c: '$1' matches $n lines, expected 1 (not the" \
		    "Linux 6.1 file this script knows how to edit)"
	sed -i -e "s|$1|$2|" "$SRC/test_hmm.c"
}

# 1. After the last include: a failing stand-in for the missing symbol.
edit '^#include "test_hmm_uapi.h"$' \
'#include "test_hmm_uapi.h"\
\
/* Edited at build time (scripts/build-test-hmm.sh): no DEVICE_PRIVATE. */\
#ifndef CONFIG_DEVICE_PRIVATE\
#define make_device_exclusive_range(mm, start, end, pages, owner) \\\
	(-EOPNOTSUPP)\
#endif'

# 2a. No device-private chunk without DEVICE_PRIVATE.
edit '^	devmem = kzalloc(sizeof(\*devmem), GFP_KERNEL);$' \
'	/* Edited at build time: device memory needs DEVICE_PRIVATE. */\
	if (!IS_ENABLED(CONFIG_DEVICE_PRIVATE) \&\&\
	    mdevice->zone_device_type == HMM_DMIRROR_MEMORY_DEVICE_PRIVATE)\
		return -EOPNOTSUPP;\
	devmem = kzalloc(sizeof(*devmem), GFP_KERNEL);'

# 2b. ... and a device without its first chunk still registers.
edit '^	return dmirror_allocate_chunk(mdevice, NULL);$' \
'	/* Edited at build time: without device memory, system memory only. */\
	ret = dmirror_allocate_chunk(mdevice, NULL);\
	return ret == -EOPNOTSUPP ? 0 : ret;'

echo 'obj-m := test_hmm.o' >"$SRC/Kbuild"
echo "  KBUILD  $OUTDIR/test_hmm.ko (lib/test_hmm.c, edited)"
make -s -C "$KDIR" M="$SRC" modules >"$SRC/build.log" 2>&1 || {
	cat "$SRC/build.log" >&2
	die "building test_hmm.ko failed"
}
cp "$SRC/test_hmm.ko" "$OUTDIR/test_hmm.ko"
