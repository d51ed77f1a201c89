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
# Prints three tables: each figure's median for both devices with its
# interquartile range, and ours/dmirror; the unmap ratios for each region
# size of the size sweep; and the unmap ratios with 1 to 64 mirrors of
# one mm (the device opened that many times).  With gnuplot, writes
# BUILD_DIR/bench-hmm-munmap.png, bench-hmm-dontneed.png (cost and ratio
# against region size, 4 KiB pages and THP, both devices) and
# bench-hmm-mirrors.png.  Absolute times under QEMU's emulation are
# context only; ratios from one run are the result.
#
# Environment: BENCH_SIZE_MB (default 8) the region size of the main
# table; BENCH_SIZES (default 1,2,4,16,64) the sizes in MiB of the size
# sweep; BENCH_MIRRORS (default 1,8,64) the mirror counts, BENCH_MIRRORS_MB
# (default 1) their region size; BENCH_SWEEP_ROUNDS (default 9) rounds per
# sweep figure.

set -u
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [ROUNDS]" >&2; exit 2; }
REPO=$(cd "$(dirname "$0")/.." && pwd)
build=$(mkdir -p "$1" && cd "$1" && pwd) || exit 2
rounds=${2:-41}
size=${BENCH_SIZE_MB:-8}
sizes=${BENCH_SIZES:-1,2,4,16,64}
mirrors=${BENCH_MIRRORS:-1,8,64}
mirrors_mb=${BENCH_MIRRORS_MB:-1}
srounds=${BENCH_SWEEP_ROUNDS:-9}
icount=${BENCH_ICOUNT-3}
case $rounds$size$mirrors_mb$srounds in ''|*[!0-9]*)
	echo "bench-hmm: ROUNDS and BENCH_*_MB, BENCH_SWEEP_ROUNDS must be" \
	     "numbers" >&2; exit 2 ;; esac
case $sizes$mirrors in *[!0-9,]*)
	echo "bench-hmm: BENCH_SIZES and BENCH_MIRRORS are lists like 1,8,64" >&2
	exit 2 ;; esac
# shellcheck source=scripts/progress.sh
. "$REPO/scripts/progress.sh"

# The module goes where scripts/qemu-run.sh copies files into /tests.
"$REPO/scripts/build-test-hmm.sh" "$build/hmm-tests" || exit 2

bench="ndemo_bench -s $size -S $sizes -M $mirrors -m $mirrors_mb -R $srounds"
guest="$bench -l ours $rounds && rmmod notifier_demo &&
insmod /tests/test_hmm.ko && $bench -l dmirror $rounds; rc=\$?;
rmmod test_hmm; exit \$rc"

# progress: the guest log on stdin as it grows; a line per device done.
progress() {
	local line start=$SECONDS
	while IFS= read -r line; do
		line=${line%$'\r'}
		qemu_line "$line" && continue
		case $line in
		'bench| '*' done '*)
			line=${line#bench| }
			line_note "  ${line%% *}: done ($((SECONDS - start))s)"
			start=$SECONDS ;;
		'ndemo_bench: '*) line_note "  $line" ;;
		esac
	done
}

clock=()
[ -z "$icount" ] || clock=(--icount "$icount" --smp 1)
line_note "bench-hmm: ours, then test_hmm's dmirror, one boot" \
	  "(log: $build/bench-hmm-console.log)"
O_DIR=$build run_qemu progress "$build/bench-hmm-run.log" \
	"$build/bench-hmm-guest.log" -- \
	"$REPO/scripts/qemu-run.sh" "${clock[@]}" --timeout 3600 \
	--log "$build/bench-hmm-console.log" \
	--guest-log "$build/bench-hmm-guest.log" \
	--kernel-log "$build/bench-hmm-kernel.log" -- "$guest"
rc=$?
figures=$build/bench-hmm.txt
tr -d '\r' <"$build/bench-hmm-guest.log" | sed -n 's/^bench| //p' >"$figures"

echo "==== mmu_mirror vs test_hmm dmirror, one boot, ${size} MiB regions," \
     "${icount:+icount $icount, }$(date -u +%F) ===="
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
# The sweeps have tables of their own.
$2 ~ /_[0-9]+M$/ || $2 ~ /^mirrors/ { next }
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
}' "$figures"
echo "medians of $rounds rounds per figure; ratio figures are per-round" \
     "mirrored/plain and fault/walk; fault = first READ - second READ of a" \
     "populated region, per page"

echo
echo "---- unmap cost by region size, mirrored/plain per round, medians of" \
     "$srounds rounds (q1-q3) ----"
awk '
NF == 6 && $2 ~ /_[0-9]+M$/ {
	f = $2; sub(/_[0-9]+M$/, "", f)
	s = $2; sub(/.*_/, "", s); sub(/M$/, "", s)
	k = $1 SUBSEP f SUBSEP s
	med[k] = $3; lo[k] = $4; hi[k] = $5
	if (!(s in seen)) { seen[s] = 1; size[ns++] = s }
}
function cell(l, f, s,   k) {
	k = l SUBSEP f SUBSEP s
	return (k in med) ? sprintf("%s (%s-%s)", med[k], lo[k], hi[k]) : "-"
}
END {
	printf "%-4s %-9s %-5s %-22s %-22s %10s %10s %10s\n", "MiB", "op",
	       "pages", "ours", "dmirror", "plain us", "ours us", "dm us"
	for (i = 0; i < ns; i++)
		for (o = 0; o < 2; o++)
			for (p = 0; p < 2; p++) {
				op = o ? "dontneed" : "munmap"
				pg = p ? "thp" : "4k"
				b = op "_" pg
				printf "%-4s %-9s %-5s %-22s %-22s %10s %10s %10s\n",
				       size[i], op, pg,
				       cell("ours", b "_ratio", size[i]),
				       cell("dmirror", b "_ratio", size[i]),
				       med["ours" SUBSEP b "_plain" SUBSEP size[i]],
				       med["ours" SUBSEP b "_mirrored" SUBSEP size[i]],
				       med["dmirror" SUBSEP b "_mirrored" SUBSEP size[i]]
			}
}' "$figures"
echo "THP regions below 2 MiB are mapped with 4 KiB pages."

echo
echo "---- ${mirrors_mb} MiB of 4 KiB pages mapped by N mirrors of one mm" \
     "(the device opened N times), mirrored/plain, medians of $srounds" \
     "rounds; per mirror = (ratio - 1) / N ----"
awk '
NF == 6 && $2 ~ /^mirrors/ {
	n = $2; sub(/^mirrors/, "", n); sub(/_.*/, "", n)
	f = $2; sub(/^mirrors[0-9]+_/, "", f)
	k = $1 SUBSEP f SUBSEP n
	med[k] = $3; lo[k] = $4; hi[k] = $5
	if (!(n in seen)) { seen[n] = 1; cnt[nn++] = n }
}
function cell(l, f, n,   k) {
	k = l SUBSEP f SUBSEP n
	return (k in med) ? sprintf("%s (%s-%s)", med[k], lo[k], hi[k]) : "-"
}
END {
	printf "%-7s %-9s %-22s %-10s %-22s %-10s\n", "mirrors", "op",
	       "ours", "per mirror", "dmirror", "per mirror"
	for (i = 0; i < nn; i++)
		for (o = 0; o < 2; o++) {
			op = o ? "dontneed" : "munmap"
			printf "%-7s %-9s %-22s %-10s %-22s %-10s\n", cnt[i], op,
			       cell("ours", op "_ratio", cnt[i]),
			       med["ours" SUBSEP op "_per_mirror" SUBSEP cnt[i]],
			       cell("dmirror", op "_ratio", cnt[i]),
			       med["dmirror" SUBSEP op "_per_mirror" SUBSEP cnt[i]]
		}
}' "$figures"
[ $rc -eq 0 ] || echo "bench-hmm: FAILED (see $build/bench-hmm-console.log)"

command -v gnuplot >/dev/null 2>&1 || {
	echo "bench-hmm: no gnuplot, no plots (make deps installs it)"
	exit $rc; }

# sweep LABEL FIGURE: "MiB MEDIAN Q1 Q3" rows of FIGURE_<MiB>M; a THP
# figure only from 2 MiB on (smaller regions have no THP).
sweep() {
	sed -n "s/^$1 $2_\([0-9]*\)M \([^ ]*\) \([^ ]*\) \([^ ]*\) .*/\1 \2 \3 \4/p" \
		"$figures" | sort -n |
		awk -v thp="$(case $2 in *_thp_*) echo 1 ;; esac)" \
			'!thp || $1 >= 2'
}
# counts LABEL FIGURE: "N MEDIAN Q1 Q3" rows of mirrors<N>_FIGURE.
counts() {
	sed -n "s/^$1 mirrors\([0-9]*\)_$2 \([^ ]*\) \([^ ]*\) \([^ ]*\) .*/\1 \2 \3 \4/p" \
		"$figures" | sort -n
}
for op in munmap dontneed; do
	for pg in 4k thp; do
		sweep ours "${op}_${pg}_plain" >"$build/bench-hmm-$op-$pg-plain.dat"
		for l in ours dmirror; do
			sweep "$l" "${op}_${pg}_mirrored" \
				>"$build/bench-hmm-$op-$pg-$l-us.dat"
			sweep "$l" "${op}_${pg}_ratio" \
				>"$build/bench-hmm-$op-$pg-$l-ratio.dat"
		done
	done
	for l in ours dmirror; do
		counts "$l" "${op}_ratio" >"$build/bench-hmm-mirrors-$op-$l.dat"
	done
done
(
	cd "$build" && gnuplot <<'GP'
set terminal pngcairo size 960,440 noenhanced
set grid
set key below maxrows 3
set logscale x 2
set style data yerrorlines
# ours blue, dmirror red, unmirrored grey; THP dashed with circles.
set style line 1 lc rgb '#1f5fbf' pt 7 ps 0.8
set style line 2 lc rgb '#1f5fbf' pt 6 dt 2
set style line 3 lc rgb '#c0392b' pt 7 ps 0.8
set style line 4 lc rgb '#c0392b' pt 6 dt 2
set style line 5 lc rgb '#808080' pt 7 ps 0.8
set style line 6 lc rgb '#808080' pt 6 dt 2
do for [op in "munmap dontneed"] {
	set output sprintf('bench-hmm-%s.png', op)
	set multiplot layout 1,2 title sprintf('%s of a region the device had fully mapped (Debian 6.1 guest, icount; medians, bars q1-q3)', op)
	set logscale y
	set xlabel 'region MiB'
	set ylabel 'us (virtual)'
	set title 'cost'
	f(d, pg, k) = sprintf('bench-hmm-%s-%s-%s.dat', op, pg, d . k)
	plot f('plain', '4k', '') u 1:2:3:4 ls 5 t 'unmirrored 4k', \
	     f('plain', 'thp', '') u 1:2:3:4 ls 6 t 'unmirrored THP', \
	     f('ours', '4k', '-us') u 1:2:3:4 ls 1 t 'ours 4k', \
	     f('ours', 'thp', '-us') u 1:2:3:4 ls 2 t 'ours THP', \
	     f('dmirror', '4k', '-us') u 1:2:3:4 ls 3 t 'dmirror 4k', \
	     f('dmirror', 'thp', '-us') u 1:2:3:4 ls 4 t 'dmirror THP'
	set ylabel 'mirrored / unmirrored'
	set title 'ratio, per round'
	plot f('ours', '4k', '-ratio') u 1:2:3:4 ls 1 t 'ours 4k', \
	     f('ours', 'thp', '-ratio') u 1:2:3:4 ls 2 t 'ours THP', \
	     f('dmirror', '4k', '-ratio') u 1:2:3:4 ls 3 t 'dmirror 4k', \
	     f('dmirror', 'thp', '-ratio') u 1:2:3:4 ls 4 t 'dmirror THP'
	unset multiplot
}
set terminal pngcairo size 720,440 noenhanced
set output 'bench-hmm-mirrors.png'
set title 'N mirrors of one mm (device opened N times), 4 KiB pages'
unset logscale
set xrange [0:*]
set yrange [0:*]
set xlabel 'mirrors'
set ylabel 'mirrored / unmirrored'
set key below maxrows 2
plot 'bench-hmm-mirrors-munmap-ours.dat' u 1:2:3:4 ls 1 t 'ours munmap', \
     'bench-hmm-mirrors-dontneed-ours.dat' u 1:2:3:4 ls 2 t 'ours DONTNEED', \
     'bench-hmm-mirrors-munmap-dmirror.dat' u 1:2:3:4 ls 3 t 'dmirror munmap', \
     'bench-hmm-mirrors-dontneed-dmirror.dat' u 1:2:3:4 ls 4 t 'dmirror DONTNEED'
GP
) >"$build/bench-hmm-gnuplot.log" 2>&1 &&
	echo "bench-hmm: plots $build/bench-hmm-{munmap,dontneed,mirrors}.png" ||
	echo "bench-hmm: gnuplot failed (see $build/bench-hmm-gnuplot.log)"
exit $rc
