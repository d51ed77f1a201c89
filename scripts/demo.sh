#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh - the pinned-versus-notifier experiments, run in the test VM.
#
# Usage: scripts/demo.sh BUILD_DIR [MiB]
#
# Boots the test kernel through scripts/qemu-run.sh (zram swap, this tree's
# modules loaded) and runs two programs there: /tests/ndemo_pageout_demo,
# which mirrors MiB (default 64, or $DEMO_MIB) of memory through the
# notifier-demo device in each mode, pages it out and reads it back; and
# /tests/odp_pageout_demo, which does the same with RDMA memory regions
# of the odp-demo NIC (ODP, pinned, implicit ODP) read by RDMA READs.  It
# prints one line per run as it goes, then each program's table and a
# verdict per table: what its figures show, as a paragraph made from
# them.  The console (kernel and guest) goes to the logs; V=1 shows it as
# it comes.  Then scripts/demo-edu.sh adds the DMA device's table, from a
# second boot with the emulated IOMMU and QEMU's edu device: the RSS of a
# stopped process whose buffer the device mapped, notifier mode against
# pinned.
#
# BUILD_DIR is the build output directory (the Makefile's build/); the
# demo binaries are expected in BUILD_DIR/tools, and the
# logs go to BUILD_DIR/demo-*.log.  Extra qemu-run.sh options can be given
# in $QEMU_RUN_OPTS (e.g. "--mem 2048").  With VERDICT_OUT=FILE the
# verdict is appended to FILE instead of printed ("make demo" prints all
# verdicts at the end).
#
# Exit status: 0 if the demo ran, printed its table and the guest and
# kernel stayed healthy; 1 otherwise; 2 for usage errors.

set -u

die() { echo "demo: error: $*" >&2; exit 2; }

# verdict: a paragraph on the table's rows (stdin, "|"-separated cells:
# mode, MiB, RSS before, after pressure, after device read, swap-outs,
# swap-ins, data check; RSS cells "process / region" in MiB).
verdict() {
	LC_ALL=C awk -F'|' '
	function trim(x) { gsub(/^ +| +$/, "", x); return x }
	function region(cell,    a) { split(cell, a, "/"); return trim(a[2]) + 0 }
	NF >= 8 && trim($2) ~ /^[0-9]+$/ {
		m = trim($1)
		MIB[m] = trim($2); B[m] = region($3); P[m] = region($4)
		A[m] = region($5); SO[m] = trim($6); SI[m] = trim($7)
		D[m] = trim($8)
		KEPT[m] = B[m] > 0 ? 100 * P[m] / B[m] : -1
	}
	END {
		if (!("notifier" in KEPT) || !("pinned" in KEPT)) {
			print "notifier-demo: the table is incomplete; no verdict."
			exit
		}
		n = "notifier"; p = "pinned"
		printf "notifier-demo, %d MiB mirrored by the device: with MMU " \
		       "notifiers two MADV_PAGEOUT calls left %.1f MiB of the " \
		       "region in RAM (%d pages swapped out) and the device" \
		       "'"'"'s read brought %.1f MiB back (%d swap-ins); " \
		       "pinned, %.1f of %.1f MiB stayed in RAM (%d swapped " \
		       "out). ", MIB[n], P[n], SO[n], A[n], SI[n], P[p], B[p], SO[p]
		printf "Reclaim took %.0f%% of the mirrored memory with " \
		       "notifiers and %.0f%% from the pinned device", \
		       100 - KEPT[n], 100 - KEPT[p]
		if (KEPT[n] <= 10 && KEPT[p] >= 90)
			printf ": a device on MMU notifiers gives its memory " \
			       "back to reclaim, a pinning one does not. "
		else if (KEPT[n] > 10)
			printf ", less than expected of the notifier mode (see " \
			       "the logs). "
		else
			printf ", more than pinning should allow (see the logs). "
		if (D[n] == "ok" && D[p] == "ok")
			print "The data read back intact in both modes."
		else
			printf "The data check FAILED (notifier: %s, pinned: %s).\n", \
			       D[n], D[p]
	}' | fmt -w 76
}

# odp_verdict: a paragraph on the RDMA table's rows (stdin, "|"-separated
# cells: MR, MiB, RSS before, after pressure, after NIC read, swap-outs,
# swap-ins, NIC faults, data check).
odp_verdict() {
	LC_ALL=C awk -F'|' '
	function trim(x) { gsub(/^ +| +$/, "", x); return x }
	function region(cell,    a) { split(cell, a, "/"); return trim(a[2]) + 0 }
	NF >= 9 && trim($2) ~ /^[0-9]+$/ {
		m = trim($1)
		MIB[m] = trim($2); B[m] = region($3); P[m] = region($4)
		SO[m] = trim($6); SI[m] = trim($7); F[m] = trim($8)
		D[m] = trim($9)
		GONE[m] = B[m] > 0 ? 100 - 100 * P[m] / B[m] : -1
	}
	END {
		if (!("odp" in GONE) || !("pinned" in GONE) ||
		    !("implicit" in GONE)) {
			print "odp-demo: the table is incomplete; no verdict."
			exit
		}
		printf "odp-demo, %d MiB registered with the NIC and read by " \
		       "it: two MADV_PAGEOUT calls reclaimed %.0f%% of an ODP " \
		       "MR (%d pages swapped out), %.0f%% of the memory behind " \
		       "an implicit ODP MR and %.0f%% of a pinned MR; the " \
		       "NIC'"'"'s next RDMA READs of the ODP MR took %d page " \
		       "faults and %d swap-ins. ", MIB["odp"], GONE["odp"], \
		       SO["odp"], GONE["implicit"], GONE["pinned"], F["odp"], \
		       SI["odp"]
		if (GONE["odp"] >= 90 && GONE["implicit"] >= 90 &&
		    GONE["pinned"] <= 10)
			printf "Registered memory of an ODP NIC stays reclaimable; " \
			       "registration by pinning keeps it all in RAM. "
		else
			printf "Less than expected was reclaimed from the ODP " \
			       "MRs, or more from the pinned one (see the logs). "
		if (D["odp"] == "ok" && D["pinned"] == "ok" && D["implicit"] == "ok")
			print "Every page read back intact."
		else
			printf "The data check FAILED (odp: %s, pinned: %s, " \
			       "implicit: %s).\n", D["odp"], D["pinned"], \
			       D["implicit"]
	}' | fmt -w 76
}

# progress: the guest log on stdin as it grows; one line per run.
progress() {
	local line n=0 start=0
	while IFS= read -r line; do
		line=${line%$'\r'}
		qemu_line "$line" && continue
		case $line in
		'ndemo_pageout_demo: '*' mode, '*' MiB...' | \
		'odp_pageout_demo: '*' MR, '*' MiB...')
			[ "$progress_open" = 0 ] ||
				line_close "done ($((SECONDS - start))s)"
			n=$((n + 1))
			start=$SECONDS
			line=${line#*_pageout_demo: }
			line_open "  [$n/5] ${line%...}" ;;
		'ndemo| BEGIN' | 'odp| BEGIN')
			[ "$progress_open" = 0 ] ||
				line_close "done ($((SECONDS - start))s)" ;;
		'ndemo_pageout_demo: '* | 'odp_pageout_demo: '*)
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

for demo_bin in $build/tools/ndemo_pageout_demo \
		$build/tools/odp_pageout_demo; do
	[ -x "$demo_bin" ] ||
		echo "demo: warning: $demo_bin not built; the guest may not" \
		     "have it (build tools/notifier-demo/*.c into" \
		     "$build/tools)" >&2
done

console=$build/demo-console.log
guest=$build/demo-guest.log
result=$build/demo-result

# Enough guest memory for both runs (the pinned one keeps its MiB resident)
# and enough zram for the notifier run to swap everything out.
mem=$((1024 + 2 * mib))
zram=$((mib * 2 + 64))
[ $zram -ge 512 ] || zram=512
zram=${zram}M

# The runs, in order: notifier, pinned (ndemo_pageout_demo); odp,
# pinned, implicit (odp_pageout_demo).
line_note "demo: notifier-demo, $mib MiB mirrored by /dev/hmm_dmirror0 in" \
	  "each mode, then $mib MiB in each kind of MR of /dev/odp_demo" \
	  "(log: $console)"
line_open "  boot $KVER"
# shellcheck disable=SC2086
O_DIR=$build run_qemu progress "$build/demo-qemu-run.log" "$guest" -- \
	"$REPO/scripts/qemu-run.sh" --timeout $((600 + 20 * mib)) \
	--mem "$mem" --append "mm.zram=$zram" \
	--log "$console" --kernel-log "$build/demo-kernel.log" \
	--guest-log "$guest" --result "$result" \
	${QEMU_RUN_OPTS:-} -- "ndemo_pageout_demo $mib; a=\$?;" \
	"odp_pageout_demo $mib && [ \$a = 0 ]"
rc=$?

table=$(tr -d '\r' <"$guest" 2>/dev/null |
	sed -n '/^ndemo| BEGIN$/,/^ndemo| END$/p' |
	sed '/^ndemo| BEGIN$/d; /^ndemo| END$/d; s/^ndemo|//')

echo
echo "================ notifier-demo: pinned vs notifier under MADV_PAGEOUT ================"
: >"$build/demo-verdict.txt"
if [ -n "$table" ]; then
	printf '%s\n' "$table"
	printf '%s\n' "$table" | verdict >>"$build/demo-verdict.txt"
else
	echo "demo: no result table in the guest output ($guest)."
	if grep -q 'ndemo_pageout_demo: ' "$guest" 2>/dev/null; then
		echo "demo: the demo reported:"
		tr -d '\r' <"$guest" | grep 'ndemo_pageout_demo: ' | sed 's/^/  /'
	elif grep -q 'ndemo_pageout_demo: not found' "$guest" 2>/dev/null ||
	     grep -q 'ndemo_pageout_demo: No such file' "$guest" 2>/dev/null; then
		echo "demo: the guest has no ndemo_pageout_demo in /tests."
	else
		echo "demo: last guest lines:"
		tr -d '\r' <"$guest" 2>/dev/null | tail -n 15 | sed 's/^/  /'
	fi
	[ $rc -ne 0 ] || rc=1
fi
echo "======================================================================================"

odp_table=$(tr -d '\r' <"$guest" 2>/dev/null |
	sed -n '/^odp| BEGIN$/,/^odp| END$/p' |
	sed '/^odp| BEGIN$/d; /^odp| END$/d; s/^odp|//')
echo
echo "================ odp-demo: RDMA MRs, ODP vs pinned, under MADV_PAGEOUT ================"
if [ -n "$odp_table" ]; then
	printf '%s\n' "$odp_table"
	{
		[ ! -s "$build/demo-verdict.txt" ] || echo
		printf '%s\n' "$odp_table" | odp_verdict
	} >>"$build/demo-verdict.txt"
else
	echo "demo: no RDMA table in the guest output ($guest)."
	tr -d '\r' <"$guest" 2>/dev/null | grep 'odp_pageout_demo: ' |
		sed 's/^/  /'
	[ $rc -ne 0 ] || rc=1
fi
echo "======================================================================================="
echo "logs: $console (all), $guest (guest only)"
if [ -s "$build/demo-verdict.txt" ]; then
	if [ -n "${VERDICT_OUT:-}" ]; then
		{ cat "$build/demo-verdict.txt"; echo; } >>"$VERDICT_OUT"
	else
		echo
		cat "$build/demo-verdict.txt"
	fi
fi
if [ $rc -ne 0 ]; then
	echo "demo: FAILED; last lines of the console:"
	show_tail "$console" 15
fi

# The DMA device row: a boot of its own, with the IOMMU and edu.
echo
"$REPO/scripts/demo-edu.sh" "$build" "$mib" || rc=1
exit $rc
