#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# build-hmm-tests.sh OUTDIR - build OUTDIR/hmm-tests, a static binary of the
# kernel's unmodified tools/testing/selftests/vm/hmm-tests.c (Linux 6.1),
# wrapped by tools/testing/selftests/hmm-wrapper/hmm_tests_filter.c so that
# single tests can be selected with HMM_TESTS_ONLY (see that file).
#
# The kernel sources come from scripts/linux-source.sh, extracted into
# LINUX_SRC (default: build/linux-source in this repository).  CC selects the
# compiler (default: gcc).

set -eu

die() {
	echo "build-hmm-tests.sh: error: $*" >&2
	exit 1
}

[ $# -eq 1 ] || die "usage: scripts/build-hmm-tests.sh OUTDIR"
OUTDIR=$1

REPO=$(cd "$(dirname "$0")/.." && pwd)
LINUX_SRC=${LINUX_SRC:-$REPO/build/linux-source}
CC=${CC:-gcc}
WRAPPER=$REPO/tools/testing/selftests/hmm-wrapper/hmm_tests_filter.c
SELFTESTS=$LINUX_SRC/tools/testing/selftests

command -v "$CC" >/dev/null 2>&1 ||
	die "compiler '$CC' not found (run 'make deps')"
[ -f "$WRAPPER" ] || die "wrapper source '$WRAPPER' is missing"

"$REPO/scripts/linux-source.sh" "$LINUX_SRC"
[ -f "$SELFTESTS/vm/hmm-tests.c" ] ||
	die "'$SELFTESTS/vm/hmm-tests.c' is missing after extraction"

mkdir -p "$OUTDIR"
BIN=$OUTDIR/hmm-tests

# Flags of the kernel's selftests/vm Makefile (-Wall, the tree root for
# lib/test_hmm_uapi.h and mm/gup_test.h, -lrt -lpthread), plus the
# selftest directories the wrapper includes from, and -static for the
# guest's initramfs.  The UAPI headers are the system's (linux-libc-dev).
echo "  CC      $BIN"
if ! $CC -Wall -g \
	-I "$LINUX_SRC" -I "$SELFTESTS/vm" -I "$SELFTESTS" \
	-static -o "$BIN.tmp" "$WRAPPER" -lrt -lpthread; then
	rm -f "$BIN.tmp"
	die "compiling hmm-tests failed"
fi

# The filter must hold on this toolchain: one selector, one test.
one=hmm.hmm_device_private.open_close
got=$(HMM_TESTS_ONLY=$one HMM_TESTS_LIST=1 "$BIN.tmp") ||
	die "'$BIN.tmp' could not list its tests"
if [ "$got" != "$one" ]; then
	rm -f "$BIN.tmp"
	die "test filter self-check failed: HMM_TESTS_ONLY=$one listed" \
	    "'$got'"
fi
mv "$BIN.tmp" "$BIN"
