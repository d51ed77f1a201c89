#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-hmm.sh BUILD_DIR [ROUNDS] - our GPU-style device against the
# kernel's test_hmm dmirror, in one guest boot, with one benchmark program
# (tools/notifier-demo/ndemo_bench.c) driving /dev/hmm_dmirror0 of each.
#
# test_hmm.ko is built first from the Debian linux-source-6.1 tarball by
# scripts/build-test-hmm.sh (edited at build time to load without
# CONFIG_DEVICE_PRIVATE).  Both modules register /dev/hmm_dmirror0, so the
# guest runs the benchmark on ours (loaded at boot), unloads it, loads
# test_hmm and runs the benchmark again.
#
# The guest runs with one CPU under QEMU's -icount: its clock counts
# guest instructions (8 ns each), not host time, so the figures do not
# move with the host's load and repeat from run to run; "ns" below are
# such virtual nanoseconds.  BENCH_ICOUNT= (empty) measures host time
# instead.
#
# Prints one table: each figure's median for both devices with its
# interquartile range, and ours/dmirror.  Absolute times under QEMU's
# emulation are context only; ratios from one run are the result.
# BENCH_SIZE_MB (default 8) sets the unmap region size.

set -u
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [ROUNDS]" >&2; exit 2; }
REPO=$(cd "$(dirname "$0")/.." && pwd)
build=$(mkdir -p "$1" && cd "$1" && pwd) || exit 2
rounds=${2:-41}
size=${BENCH_SIZE_MB:-8}
icount=${BENCH_ICOUNT-3}
case $rounds$size in ''|*[!0-9]*) echo "bench-hmm: ROUNDS and" \
	"BENCH_SIZE_MB must be numbers" >&2; exit 2 ;; esac

# The module goes where scripts/qemu-run.sh copies files into /tests.
"$REPO/scripts/build-test-hmm.sh" "$build/hmm-tests" || exit 2

bench="ndemo_bench -s $size"
guest="$bench -l ours $rounds && rmmod notifier_demo &&
insmod /tests/test_hmm.ko && $bench -l dmirror $rounds; rc=\$?;
rmmod test_hmm; exit \$rc"

clock=()
[ -z "$icount" ] || clock=(--icount "$icount" --smp 1)
O_DIR=$build "$REPO/scripts/qemu-run.sh" "${clock[@]}" --timeout 1800 \
	--log "$build/bench-hmm-console.log" \
	--guest-log "$build/bench-hmm-guest.log" \
	--kernel-log "$build/bench-hmm-kernel.log" -- "$guest" >/dev/null
rc=$?

echo "==== mmu_mirror vs test_hmm dmirror, one boot, ${size} MiB regions," \
     "${icount:+icount $icount, }$(date -u +%F) ===="
tr -d '\r' <"$build/bench-hmm-guest.log" | sed -n 's/^bench| //p' |
awk '
function show(f,   o, m, r) {
	o = f SUBSEP "ours"
	m = f SUBSEP "dmirror"
	r = "-"
	if ((o in med) && (m in med) && med[m] + 0 != 0)
		r = sprintf("%.2f", med[o] / med[m])
	printf "%-24s %9s %-19s %9s %-19s %7s\n", f " (" unit[f] ")",
	       med[o], "(" lo[o] "-" hi[o] ")", med[m],
	       "(" lo[m] "-" hi[m] ")", r
}
$2 == "done" { done[$1] = 1; next }
NF == 6 {
	k = $2 SUBSEP $1
	med[k] = $3; lo[k] = $4; hi[k] = $5; unit[$2] = $6
	if (!($2 in seen)) { seen[$2] = 1; order[n++] = $2 }
}
END {
	printf "%-24s %9s %-19s %9s %-19s %7s\n", "figure (unit)", "ours",
	       "(q1-q3)", "dmirror", "(q1-q3)", "ours/dm"
	for (i = 0; i < n; i++)
		show(order[i])
	if (!("ours" in done) || !("dmirror" in done))
		print "bench-hmm: a device run did not complete"
}'
echo "medians of $rounds rounds per figure; ratio figures are per-round" \
     "mirrored/plain and fault/walk; fault = first READ - second READ of a" \
     "populated region, per page"
[ $rc -eq 0 ] || echo "bench-hmm: FAILED (see $build/bench-hmm-console.log)"
exit $rc
