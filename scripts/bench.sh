#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh BUILD_DIR [ROUNDS] - make bench: what mirroring costs, as ratios
# of medians measured in one run.  Absolute times under QEMU's emulation
# mean nothing; the ratios do.
#
#   1. scripts/bench-hmm.sh: our GPU-style device against the kernel's
#      test_hmm dmirror in one QEMU boot under -icount: munmap and
#      MADV_DONTNEED of mirrored over unmirrored memory (4 KiB pages and
#      THP, regions of 1 to 64 MiB), N mirrors of one mm, fault costs.
#   2. scripts/bench-scale.sh: the userspace model: 10,000 windows, 64
#      mirrors, mirror->lock holds, fault batches, faulting threads.
#
# Each prints its tables and writes its plots into BUILD_DIR; then a
# paragraph says what the figures show.

set -u
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [ROUNDS]" >&2; exit 2; }
REPO=$(cd "$(dirname "$0")/.." && pwd)
build=$(mkdir -p "$1" && cd "$1" && pwd) || exit 2
rounds=${2:-41}
case $rounds in ''|*[!0-9]*) echo "bench: ROUNDS must be a number" >&2
	exit 2 ;; esac
KVER=${KVER:-$(find /lib/modules -mindepth 1 -maxdepth 1 -name '[0-9]*' \
	       -printf '%f\n' 2>/dev/null | sort -V | tail -n 1)}
export KVER

rc=0
"$REPO/scripts/bench-hmm.sh" "$build" "$rounds" || rc=1
echo
"$REPO/scripts/bench-scale.sh" "$build" "$rounds" || rc=1
echo

# verdict: a paragraph from the figures of both stages.
LC_ALL=C awk '
FILENAME ~ /bench-hmm.txt$/ && NF == 6 && $2 ~ /_ratio(_[0-9]+M)?$/ &&
    $2 ~ /^(munmap|dontneed)/ {
	thp = $2 ~ /_thp_/
	k = $1 SUBSEP thp
	if (!(k in lo) || $3 < lo[k]) lo[k] = $3
	if (!(k in hi) || $3 > hi[k]) hi[k] = $3
}
FILENAME ~ /bench-hmm.txt$/ && $2 == "mirrors64_dontneed_per_mirror" {
	per[$1] = $3
}
FILENAME ~ /bench-scale.txt$/ && /^scale\| .* = [0-9.]+$/ {
	line = $0
	sub(/^scale\| /, "", line)
	r = line
	sub(/.* = /, "", r)
	sub(/ = [0-9.]+$/, "", line)
	scale[line] = r
}
function range(l, t) {
	return sprintf("%.2f-%.2f", lo[l SUBSEP t], hi[l SUBSEP t])
}
END {
	if (("ours" SUBSEP 0) in lo)
		printf "Unmapping memory our device had fully mapped took " \
		       "%s times as long as unmapping unmirrored memory with " \
		       "4 KiB pages and %s with THP, over every size measured; " \
		       "test_hmm'\''s dmirror took %s and %s. ",
		       range("ours", 0), range("ours", 1),
		       range("dmirror", 0), range("dmirror", 1)
	if (("ours" in per) && ("dmirror" in per))
		printf "Each of 64 mirrors of one mm added %.2f of the " \
		       "unmirrored MADV_DONTNEED (dmirror: %.2f). ",
		       per["ours"], per["dmirror"]
	w = "win10000/win1 dontneed_split"
	c = "win10000/win1_cold dontneed_split"
	if (w in scale)
		printf "In the model, invalidating a range split into 10,000 " \
		       "windows cost %.2f times one window (goal: at most 2), " \
		       "%.2f with the windows out of the caches. ", scale[w],
		       scale[c]
	h = "hold_p99 1G/64M"
	if (h in scale)
		printf "The 99th percentile of mirror->lock holds during a " \
		       "1 GiB munmap was %.2f times that of a 64 MiB one " \
		       "(goal: at most 2).", scale[h]
	print ""
}' "$build/bench-hmm.txt" "$build/bench-scale.txt" 2>/dev/null | fmt -w 76
exit $rc
