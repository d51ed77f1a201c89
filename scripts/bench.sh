#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh BUILD_DIR [ROUNDS] - what mirroring costs the unmap paths, as
# ratios of mirrored to unmirrored medians measured in one guest run.
# Absolute times under QEMU's emulation mean nothing; the ratios do.
#
# Prints a line per operation as it is measured, then the table and a
# verdict made from its figures.  The console goes to
# BUILD_DIR/bench-*.log (V=1 shows it as it comes).

set -u
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [ROUNDS]" >&2; exit 2; }
REPO=$(cd "$(dirname "$0")/.." && pwd)
build=$(mkdir -p "$1" && cd "$1" && pwd) || exit 2
rounds=${2:-41}
case $rounds in ''|*[!0-9]*) echo "bench: ROUNDS must be a number" >&2
	exit 2 ;; esac
# shellcheck source=scripts/progress.sh
. "$REPO/scripts/progress.sh"
KVER=${KVER:-$(find /lib/modules -mindepth 1 -maxdepth 1 -name '[0-9]*' \
	       -printf '%f\n' 2>/dev/null | sort -V | tail -n 1)}
export KVER

# The operations ndemo_bench measures: the entries of its cases[] table.
total=$(sed -n '/cases\[\] = {/,/};/p' "$REPO/tools/notifier-demo/ndemo_bench.c" |
	grep -c '{ "')

# progress: the guest log on stdin as it grows; a line per row of
# the table as ndemo_bench prints it.
progress() {
	local line n=0 start=$SECONDS row
	while IFS= read -r line; do
		line=${line%$'\r'}
		qemu_line "$line" && continue
		case $line in
		'bench| operation '*) start=$SECONDS ;;
		'bench| '*' | '*)
			n=$((n + 1))
			row=${line#bench| }
			IFS='|' read -r op _ _ ratio <<<"$row"
			line_note "$(printf '  [%d/%s] %s: ratio %s (%ds)' "$n" \
				     "${total:-?}" "$(echo $op)" "$(echo $ratio)" \
				     $((SECONDS - start)))"
			start=$SECONDS ;;
		'ndemo_bench: '*) line_note "  $line" ;;
		esac
	done
}

# verdict: a paragraph on the table's rows (stdin).
verdict() {
	LC_ALL=C awk -F'|' -v rounds="$rounds" '
	function trim(x) { gsub(/^ +| +$/, "", x); return x }
	NF == 4 && trim($4) ~ /^[0-9.]+$/ {
		n++
		op[n] = trim($1); r[n] = trim($4) + 0
		if (n == 1 || r[n] < lo) lo = r[n]
		if (n == 1 || r[n] > hi) { hi = r[n]; dear = op[n] }
		if (op[n] ~ /THP/) { t++; tsum += r[n] } else { s++; ssum += r[n] }
	}
	END {
		if (!n) { print "bench: no figures, no verdict."; exit }
		printf "Unmapping a range the device had fully mapped took %.2f " \
		       "to %.2f times as long as unmapping unmirrored memory " \
		       "(medians of %s rounds); the dearest operation was %s.", \
		       lo, hi, rounds, dear
		if (t && s)
			printf " On THP-backed ranges the ratio averages %.2f, on " \
			       "4 KiB pages %.2f.", tsum / t, ssum / s
		if (hi <= 1.25)
			printf " The cost stays within a quarter of the " \
			       "unmirrored time."
		else
			printf " At least one operation costs more than a " \
			       "quarter extra."
		print ""
	}' | fmt -w 76
}

line_note "bench: unmap cost of mirrored vs. plain memory, $rounds rounds" \
	  "per operation (log: $build/bench-console.log)"
line_open "  boot $KVER"
# shellcheck disable=SC2086
O_DIR=$build run_qemu progress "$build/bench-qemu-run.log" \
	"$build/bench-guest.log" -- \
	"$REPO/scripts/qemu-run.sh" --timeout 900 \
	--log "$build/bench-console.log" --guest-log "$build/bench-guest.log" \
	--kernel-log "$build/bench-kernel.log" ${QEMU_RUN_OPTS:-} \
	-- ndemo_bench "$rounds"
rc=$?
echo
echo "==== mmu_mirror: cost of a mirrored range to the core VM ===="
table=$(tr -d '\r' <"$build/bench-guest.log" | sed -n 's/^bench| //p')
printf '%s\n' "$table"
echo
printf '%s\n' "$table" | verdict
if [ $rc -ne 0 ]; then
	echo "bench: FAILED; last lines of the console:"
	show_tail "$build/bench-console.log" 15
fi
"$REPO/scripts/bench-hmm.sh" "$build" "$rounds" || rc=1
"$REPO/scripts/bench-scale.sh" "$build" "$rounds" || rc=1
exit $rc
