#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# linux-source.sh DEST - extract the few Linux 6.1 source files the project
# uses (the hmm selftest, its harness and UAPI headers, the test_hmm module
# the benchmark compares against, checkpatch and kernel-doc) from Debian's
# linux-source-6.1 tarball into DEST.
#
# Nothing from the kernel tree is kept in this repository; these files are
# extracted at build time.  DEST is owned by this script: it is replaced as a
# whole, and the extraction is skipped when DEST/.linux-source.stamp shows the
# same tarball and member list.
#
# Environment: LINUX_SOURCE_TARBALL overrides the tarball path.

set -eu

TARBALL=${LINUX_SOURCE_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
TOPDIR=linux-source-6.1
STAMP=.linux-source.stamp

# Paths relative to the top of the kernel tree.
MEMBERS="
tools/testing/selftests/vm/hmm-tests.c
tools/testing/selftests/kselftest_harness.h
tools/testing/selftests/kselftest.h
lib/test_hmm_uapi.h
lib/test_hmm.c
mm/gup_test.h
scripts/kernel-doc
scripts/checkpatch.pl
scripts/spelling.txt
scripts/const_structs.checkpatch
Documentation/dev-tools/checkpatch.rst
"

die() {
	echo "linux-source.sh: error: $*" >&2
	exit 1
}

[ $# -eq 1 ] || die "usage: scripts/linux-source.sh DEST"
DEST=$1
[ -n "$DEST" ] || die "DEST is empty"

[ -f "$TARBALL" ] ||
	die "kernel source tarball '$TARBALL' is missing (run 'make deps')"

# The stamp names the tarball, its size and mtime, and the member list, so
# a new tarball or a changed list triggers a fresh extraction.
want=$(printf '%s\n%s\n%s' "$TARBALL" \
	"$(stat -c '%s %Y' "$TARBALL")" "$MEMBERS")

if [ -f "$DEST/$STAMP" ] && [ "$(cat "$DEST/$STAMP")" = "$want" ]; then
	exit 0
fi

if [ -e "$DEST" ] && [ ! -f "$DEST/$STAMP" ] &&
   [ -n "$(ls -A "$DEST" 2>/dev/null)" ]; then
	die "'$DEST' exists, is not empty and was not made by this script;" \
	    "refusing to replace it"
fi

tmp="$DEST.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT

names=
for m in $MEMBERS; do
	names="$names $TOPDIR/$m"
done

echo "  EXTRACT $TARBALL -> $DEST"
# shellcheck disable=SC2086 # $names is a list of member names without blanks
if ! tar -xJf "$TARBALL" -C "$tmp" --strip-components=1 $names; then
	die "extracting from '$TARBALL' failed (is it a linux-source-6.1" \
	    "tarball with all of:$MEMBERS)"
fi

for m in $MEMBERS; do
	[ -f "$tmp/$m" ] || die "'$m' was not extracted from '$TARBALL'"
done

printf '%s\n' "$want" > "$tmp/$STAMP"
rm -rf "$DEST"
mv "$tmp" "$DEST"
trap - EXIT
