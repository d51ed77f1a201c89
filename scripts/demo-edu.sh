#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo-edu.sh - the DMA device row of "make demo": a stopped process whose
# buffer QEMU's edu device has mapped for DMA, paged out from outside, with
# the device mirroring through MMU notifiers versus pinning (VFIO-style).
#
# Usage: scripts/demo-edu.sh BUILD_DIR [MiB]
#
# Boots the test kernel with the emulated IOMMU and edu (scripts/qemu-run.sh
# --iommu-edu) and runs /tests/edum_pageout_demo there (tools/edu-mirror),
# MiB defaulting to $DEMO_MIB or 64.  Prints the demo's table and a verdict
# (appended to $VERDICT_OUT instead when that is set).  scripts/demo.sh
# runs it after its own table.  Logs: BUILD_DIR/demo-edu-*.log.
#
# Exit status: 0 if the demo ran, printed its table and the guest and
# kernel stayed healthy; 1 otherwise; 2 for usage errors.

set -u

die() { echo "demo-edu: error: $*" >&2; exit 2; }

# verdict: a paragraph on the table's rows (stdin, "|"-separated: mode,
# MiB, RSS stopped, after pageout, swap, DMA data, CPU data).
verdict() {
	LC_ALL=C awk -F'|' '
	function trim(x) { gsub(/^ +| +$/, "", x); return x }
	function mib(x) { x = trim(x); sub(/ MiB$/, "", x); return x + 0 }
	NF >= 7 && trim($2) ~ /^[0-9]+$/ {
		m = trim($1) ~ /^pinned/ ? "p" : "n"
		MIB[m] = trim($2); B[m] = mib($3); A[m] = mib($4)
		S[m] = mib($5); D[m] = trim($6); C[m] = trim($7)
	}
	END {
		if (!("n" in A) || !("p" in A)) {
			print "edu: the table is incomplete; no verdict."
			exit
		}
		printf "edu DMA device behind an IOMMU, %d MiB DMA-mapped by a " \
		       "stopped process: paged out from outside, the process " \
		       "kept %.1f of %.1f MiB in RAM (%.1f MiB went to swap) " \
		       "with the device mirroring through MMU notifiers, and " \
		       "%.1f of %.1f MiB when the device pinned it as VFIO " \
		       "does. ", MIB["n"], A["n"], B["n"], S["n"], A["p"], B["p"]
		if (A["n"] < B["n"] / 10 && A["p"] > B["p"] * 0.9)
			printf "An IOMMU domain kept by the helper lets " \
			       "reclaim take memory a non-faulting DMA device " \
			       "has mapped; pinning keeps all of it. "
		else
			printf "That is not the expected contrast (see the " \
			       "logs). "
		if (D["n"] == "ok" && D["p"] == "ok" && C["n"] == "ok" && \
		    C["p"] == "ok")
			print "After resuming, the device copied the right data " \
			      "out of the buffer in both modes."
		else
			printf "The data check FAILED (notifier: DMA %s, CPU " \
			       "%s; pinned: DMA %s, CPU %s).\n", D["n"], C["n"], \
			       D["p"], C["p"]
	}' | fmt -w 76
}

# progress: the guest log on stdin as it grows; one line per mode.
progress() {
	local line n=0 start=0
	while IFS= read -r line; do
		line=${line%$'\r'}
		qemu_line "$line" && continue
		case $line in
		'edum_pageout_demo: '*' mode, '*' MiB...')
			[ "$progress_open" = 0 ] ||
				line_close "done ($((SECONDS - start))s)"
			n=$((n + 1))
			start=$SECONDS
			line=${line#edum_pageout_demo: }
			line_open "  [$n/2] ${line%...}" ;;
		'edum| BEGIN')
			[ "$progress_open" = 0 ] ||
				line_close "done ($((SECONDS - start))s)" ;;
		'edum_pageout_demo: '*)
			line_note "  $line" ;;
		esac
	done
	[ "$progress_open" = 0 ] || line_close "did not finish"
}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then die "usage: $0 BUILD_DIR [MiB]"; fi
REPO=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/progress.sh
. "$REPO/scripts/progress.sh"
KVER=${KVER:-$(find /lib/modules -mindepth 1 -maxdepth 1 -name '[0-9]*' \
	       -printf '%f\n' 2>/dev/null | sort -V | tail -n 1)}
export KVER
build=$(mkdir -p "$1" && cd "$1" && pwd) || die "cannot use build dir '$1'"
mib=${2:-${DEMO_MIB:-64}}
case $mib in ''|*[!0-9]*|0) die "MiB must be a positive number, got '$mib'" ;; esac

[ -x "$build/tools/edum_pageout_demo" ] ||
	echo "demo-edu: warning: $build/tools/edum_pageout_demo not built" >&2

console=$build/demo-edu-console.log
guest=$build/demo-edu-guest.log
result=$build/demo-edu-result
# The pinned run keeps its MiB resident; zram takes the notifier run's.
mem=$((1024 + 2 * mib))
zram=$((mib * 2 + 64))
[ $zram -ge 512 ] || zram=512

line_note "demo: edu DMA device behind an IOMMU, $mib MiB DMA-mapped by a" \
	  "stopped process in each mode (log: $console)"
line_open "  boot $KVER, edu behind intel-iommu"
# shellcheck disable=SC2086
O_DIR=$build run_qemu progress "$build/demo-edu-qemu-run.log" "$guest" -- \
	"$REPO/scripts/qemu-run.sh" --iommu-edu --timeout $((300 + 10 * mib)) \
	--mem "$mem" --append "mm.zram=${zram}M" \
	--log "$console" --kernel-log "$build/demo-edu-kernel.log" \
	--guest-log "$guest" --result "$result" \
	${QEMU_RUN_OPTS:-} -- edum_pageout_demo "$mib"
rc=$?

table=$(tr -d '\r' <"$guest" 2>/dev/null |
	sed -n '/^edum| BEGIN$/,/^edum| END$/p' |
	sed '/^edum| BEGIN$/d; /^edum| END$/d; s/^edum|//')

echo
echo "========== edu DMA device: RSS of a stopped process, pinned vs notifier =========="
if [ -n "$table" ]; then
	printf '%s\n' "$table"
	printf '%s\n' "$table" | verdict >"$build/demo-edu-verdict.txt"
else
	echo "demo-edu: no result table in the guest output ($guest); last lines:"
	tr -d '\r' <"$guest" 2>/dev/null | tail -n 15 | sed 's/^/  /'
	[ $rc -ne 0 ] || rc=1
fi
echo "=================================================================================="
echo "logs: $console (all), $guest (guest only)"
if [ -s "$build/demo-edu-verdict.txt" ]; then
	if [ -n "${VERDICT_OUT:-}" ]; then
		{ cat "$build/demo-edu-verdict.txt"; echo; } >>"$VERDICT_OUT"
	else
		echo
		cat "$build/demo-edu-verdict.txt"
	fi
fi
if [ $rc -ne 0 ]; then
	echo "demo-edu: FAILED; last lines of the console:"
	show_tail "$console" 15
fi
exit $rc
