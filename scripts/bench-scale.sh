#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-scale.sh BUILD_DIR [ROUNDS] - how the helper scales, measured in
# the userspace model (tools/testing/model/bench/scale_bench.c) where the
# kernel clients cannot go: 10,000 windows in one mirror (the KVM-style
# client allows KVMM_MAX_SLOTS = 32 memslots, the GPU-style device one
# window per open), 64 mirrors of one mm, mirror->lock hold times and
# faulting threads; then the fault path with fault batches of 16 to 512
# pages (tools/testing/model/bench/fault_bench.c, built once per batch).
#
# Prints the figures (medians with their interquartile range, host CPU
# time of the measuring thread; wall time for the thread sweep) and the
# ratios against one window, one mirror, 64 MiB and one thread; for the
# batches, the fault cost per page and its ratio to a bare
# hmm_range_fault() walk of the same pages in the same round, the median
# of BATCH_PASSES (default 5) interleaved passes of 5 * ROUNDS rounds.  With gnuplot
# installed, writes BUILD_DIR/bench-scale-windows.png,
# bench-scale-mirrors.png, bench-scale-threads.png and
# bench-scale-batch.png.

set -u
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [ROUNDS]" >&2; exit 2; }
REPO=$(cd "$(dirname "$0")/.." && pwd)
build=$(mkdir -p "$1" && cd "$1" && pwd) || exit 2
rounds=${2:-41}
case $rounds in ''|*[!0-9]*) echo "bench-scale: ROUNDS must be a number" >&2
	exit 2 ;; esac
out=$build/bench-scale.txt

passes=${BATCH_PASSES:-5}
brounds=$((rounds * 5))
batches="16 32 64 128 256 512"
if ! make -s -C "$REPO/tools/testing/model" OUT="$build/model" bench \
		bench-batch >"$build/bench-scale-build.log" 2>&1; then
	echo "bench-scale: model build failed (see $build/bench-scale-build.log)"
	exit 1
fi
echo "==== mmu_mirror scaling, userspace model, $rounds rounds," \
     "$(date -u +%F) ===="
"$build/model/bench/scale_bench" "$rounds" >"$out" || {
	echo "bench-scale: scale_bench failed"; exit 1; }
awk '
/^# / { sub(/^# /, ""); print "  " $0; next }
$1 == "scale|" && NF == 6 { printf "  %-32s %9s %-21s %s\n", $2, $3,
			      "(" $4 "-" $5 ")", $6 }
' "$out"
echo "  ratios:"
sed -n 's/^scale| \(.*\) = \(.*\)/\1 \2/p' "$out" |
	awk '{ r = $NF; $NF = ""; printf "    %-44s %s\n", $0, r }'

# The fault batches, interleaved so that a slow spell of the host falls
# on every batch alike.
bout=$build/bench-scale-batch.txt
: >"$bout"
for _ in $(seq "$passes"); do
	for b in $batches; do
		"$build/model/bench/fault_bench_b$b" 4096 "$brounds" |
			grep '^fault|' >>"$bout" || {
			echo "bench-scale: fault_bench_b$b failed"; exit 1; }
	done
done
echo "  fault batch (pages): 4096 pages faulted per round, $brounds rounds," \
     "median of $passes passes; ratio = fault / bare walk, per round"
awk '
function med(a, n,   i, j, t) {
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return a[int(n / 2)]
}
{
	b = $2; n = cnt[b]++
	if (!(b in seen)) { seen[b] = 1; order[nb++] = b }
	for (c = 4; c <= 14; c++)
		v[b, c, n] = $c
}
END {
	printf "  %-6s %-22s %-22s %-22s %s\n", "batch", "fault ns/page",
	       "walk ns/page", "fault/walk", "fault/fault(512)"
	for (i = 0; i < nb; i++) {
		b = order[i]
		for (c = 4; c <= 14; c++) {
			delete a
			for (k = 0; k < cnt[b]; k++)
				a[k] = v[b, c, k] + 0
			m[b, c] = med(a, cnt[b])
		}
	}
	for (i = 0; i < nb; i++) {
		b = order[i]
		printf "  %-6s %-22s %-22s %-22s %.2f\n", b,
		       sprintf("%.1f (%.1f-%.1f)", m[b, 4], m[b, 5], m[b, 6]),
		       sprintf("%.1f (%.1f-%.1f)", m[b, 8], m[b, 9], m[b, 10]),
		       sprintf("%.3f (%.3f-%.3f)", m[b, 12], m[b, 13], m[b, 14]),
		       m[b, 4] / m[order[nb - 1], 4]
		print b, m[b, 12], m[b, 13], m[b, 14], m[b, 4], m[b, 5],
		      m[b, 6] >"'"$build/bench-scale-batch.dat"'"
	}
}' "$bout"

command -v gnuplot >/dev/null 2>&1 || {
	echo "bench-scale: no gnuplot, no plots (make deps installs it)"
	exit 0; }

# data: "X MEDIAN Q1 Q3" rows of figures named PREFIX<X>SUFFIX.
data() {
	sed -n "s/^scale| $1\([0-9]*\)$2 \([0-9.]*\) \([0-9.]*\) \([0-9.]*\) .*/\1 \2 \3 \4/p" "$out"
}
data win _dontneed_split >"$build/bench-scale-w-dz.dat"
data win _dontneed_split_cold >"$build/bench-scale-w-dzc.dat"
data win _fault_split >"$build/bench-scale-w-fz.dat"
data win _dontneed_1win >"$build/bench-scale-w-d1.dat"
data win _fault_1win >"$build/bench-scale-w-f1.dat"
data mirrors _dontneed >"$build/bench-scale-m.dat"
data threads _fault_rate >"$build/bench-scale-t.dat"
(
	cd "$build" && gnuplot <<'GP'
set terminal pngcairo size 720,440 noenhanced
set grid
set key below
set style data yerrorlines
set output 'bench-scale-windows.png'
set title 'Windows in one mirror (model): median ns/page, bars q1-q3'
set logscale x
set xlabel 'windows'
set ylabel 'ns per page'
plot 'bench-scale-w-dz.dat' u 1:2:3:4 t 'DONTNEED, range split into the windows', \
     'bench-scale-w-dzc.dat' u 1:2:3:4 t 'the same, cold (the three counts in turn)', \
     'bench-scale-w-fz.dat' u 1:2:3:4 t 'fault, range split into the windows', \
     'bench-scale-w-d1.dat' u 1:2:3:4 t 'DONTNEED, one 1 MiB window among them', \
     'bench-scale-w-f1.dat' u 1:2:3:4 t 'fault, one 1 MiB window among them'
set output 'bench-scale-mirrors.png'
set title 'Mirrors of one mm (model): DONTNEED of 40000 entries'
set xlabel 'mirrors'
plot 'bench-scale-m.dat' u 1:2:3:4 t 'DONTNEED ns/page'
set output 'bench-scale-threads.png'
set title 'Faulting threads on one mirror, a munmap thread beside (model)'
unset logscale x
set xlabel 'faulting threads'
set ylabel 'Mpages/s, summed'
plot 'bench-scale-t.dat' u 1:2:3:4 t 'fault throughput'
set output 'bench-scale-batch.png'
set title 'Fault batch (MMU_MIRROR_FAULT_BATCH), 4096 pages per fault (model)'
set logscale x 2
set xlabel 'pages per batch'
set xrange [12:700]
set ylabel 'fault / bare hmm_range_fault() walk'
plot 'bench-scale-batch.dat' u 1:2:3:4 t 'per round, median of passes'
GP
) >"$build/bench-scale-gnuplot.log" 2>&1 &&
	echo "bench-scale: plots $build/bench-scale-{windows,mirrors,threads,batch}.png" ||
	echo "bench-scale: gnuplot failed (see $build/bench-scale-gnuplot.log)"
exit 0
