#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# seed-demo.sh - the seed experiment (KVM host swapping with MMU notifiers,
# 2008: a stopped guest under host memory pressure keeps almost no RSS and
# restarts with only swap-ins) for three backends side by side, in the
# test VM.
#
# Usage: scripts/seed-demo.sh BUILD_DIR
#        scripts/seed-demo.sh --table GUEST_LOG   (the report of an earlier
#                                                   run, from its guest log)
#
# Boots the test kernel once through scripts/qemu-run.sh (zram swap, this
# tree's modules loaded) and runs tools/kvm-vmm/seed_demo_guest.sh there;
# it drives BUILD_DIR/tools/kvm_seed in modes mirror (our /dev/kvm_mirror
# with MMU notifiers), pinned (/dev/kvm_mirror, KVMM_VM_PINNED) and
# realkvm (the kernel's KVM, nested SVM), for a small and a large VM,
# each alone and both at once, under MADV_PAGEOUT and under a memory hog.
# The table printed at the end is built from the RESULT lines of that one
# run; a run that failed shows as an ERROR row.
#
# Environment: SEED_SMALL_MIB, SEED_LARGE_MIB (default 32, 128) size the
# VMs; SEED_GUEST_MEM (default 768) is the guest RAM in MiB (the hog
# writes as much as the guest kernel's MemTotal); QEMU_RUN_OPTS adds
# qemu-run.sh options.  Logs go to BUILD_DIR/seed-demo-*.log.
#
# Exit status: 0 if every run produced intact data and QEMU, the guest
# and its kernel stayed healthy; 1 otherwise; 2 for usage errors.

set -u

die() { echo "seed-demo: error: $*" >&2; exit 2; }

# table ELAPSED: the report, from the guest's "seed| " lines on stdin.
table() {
	LC_ALL=C awk -v elapsed="$1" '
function f(key) {
	return (key in F) ? F[key] : "-"
}
function pct(a, b) {
	return (b > 0 && a >= 0) ? sprintf("%.1f%%", 100 * a / b) : "-"
}
function parse(line,    i, n, w, k) {
	delete F
	n = split(line, w, " ")
	for (i = 2; i <= n; i++) {
		k = index(w[i], "=")
		if (k)
			F[substr(w[i], 1, k - 1)] = substr(w[i], k + 1)
	}
}
/^CONFIG / { parse($0); hog = F["hog_mib"]; rounds = F["pageout_rounds"]; next }
/^RESULT / || /^ERROR / {
	parse($0)
	nrow++
	B[nrow] = F["backend"]; R[nrow] = F["run"]; V[nrow] = F["vm"]
	P[nrow] = F["pressure"]
	if ($1 == "ERROR") {
		ERR[nrow] = substr($0, index($0, " reason=") + 8)
		MIB[nrow] = f("mem_mib")
		PK[nrow] = P[nrow] == "pageout" ? "pageout x" rounds : \
			   P[nrow] == "hog" ? "hog " hog "M" : P[nrow]
		nerr++
		next
	}
	MIB[nrow] = F["mem_mib"]
	# Named from CONFIG: in a pair only one process runs the hog.
	PK[nrow] = P[nrow] == "pageout" ? "pageout x" rounds : "hog " hog "M"
	if (F["hog"] != "none" && F["hog"] != "done")
		PK[nrow] = PK[nrow] "(" F["hog"] ")"
	RSS0[nrow] = F["proc_rss_before_kb"]
	RSS1[nrow] = F["proc_rss_after_pressure_kb"]
	RSS2[nrow] = F["proc_rss_after_resume_kb"]
	G0[nrow] = F["guest_rss_before_kb"]; G1[nrow] = F["guest_rss_after_pressure_kb"]
	SW[nrow] = F["guest_swap_after_pressure_kb"]
	SWL[nrow] = F["guest_swap_after_resume_kb"]
	RR[nrow] = f("reclaim_resume")
	SI[nrow] = F["swapins"]
	REC[nrow] = pct(G0[nrow] - G1[nrow], G0[nrow])
	ACT[nrow] = pct(F["guest_active_before_kb"], G0[nrow])
	DATA[nrow] = F["data"] == "ok" ? "ok" : "BAD(" F["mismatches"] ")"
	if (F["data"] != "ok")
		nbad++
	MMU[nrow] = ("mmu_entries_stopped" in F)
	ES[nrow] = f("mmu_entries_stopped"); EP[nrow] = f("mmu_entries_after_pressure")
	YC[nrow] = f("mmu_young_cleared"); ZP[nrow] = f("mmu_zapped")
	PN[nrow] = f("mmu_pinned"); RF[nrow] = f("mmu_mapped_resume")
	# Per backend and pressure: the range of what matters.
	k = B[nrow] SUBSEP P[nrow]
	if (!(k in MAXR1) || RSS1[nrow] + 0 > MAXR1[k]) MAXR1[k] = RSS1[nrow] + 0
	if (!(k in MAXG1) || G1[nrow] + 0 > MAXG1[k]) MAXG1[k] = G1[nrow] + 0
	rp = G0[nrow] > 0 ? 100 * (G0[nrow] - G1[nrow]) / G0[nrow] : 0
	if (!(k in MINREC) || rp < MINREC[k]) MINREC[k] = rp
	if (!(k in MAXREC) || rp > MAXREC[k]) MAXREC[k] = rp
	ap = G0[nrow] > 0 ? 100 * F["guest_active_before_kb"] / G0[nrow] : -1
	if (!(k in MINACT) || ap < MINACT[k]) MINACT[k] = ap
	if (!(k in MAXACT) || ap > MAXACT[k]) MAXACT[k] = ap
	SEEN[k] = 1
	next
}
END {
	hdr = "%-8s %-8s %-5s %4s %-12s %9s %11s %11s %9s %8s %9s %6s %s\n"
	printf hdr, "BACKEND", "RUN", "VM", "MiB", "PRESSURE", "RSS-STOP", \
	       "RSS-PRESSED", "RSS-RESUMED", "SWAPPED", "SWAPINS", \
	       "RECLAIMED", "ACTIVE", "DATA"
	for (i = 1; i <= nrow; i++) {
		if (i in ERR) {
			printf "%-8s %-8s %-5s %4s %-12s ERROR: %s\n", B[i], R[i], \
			       V[i], MIB[i], PK[i], ERR[i]
			continue
		}
		printf hdr, B[i], R[i], V[i], MIB[i], PK[i], RSS0[i], RSS1[i], \
		       RSS2[i], SW[i], SI[i], REC[i], ACT[i], DATA[i]
	}
	print ""
	print "RSS-*: the VMM process'"'"'s resident memory in kB, guest memory and the"
	print "static VMM binary together (Rss of /proc/PID/smaps_rollup: exact, where"
	print "ps'"'"'s VmRSS can be a few hundred kB off on 6.1), when the guest had"
	print "stopped, after the pressure, and after the guest resumed and read all its"
	print "memory back.  SWAPPED: kB of guest memory in swap after the pressure (Swap"
	print "of the guest memory VMA in smaps).  SWAPINS: pages swapped in system-wide"
	print "(pswpin) while that guest resumed; resumes ran one at a time, so they are"
	print "its own.  RECLAIMED: share of the guest memory Rss that the pressure took."
	print "ACTIVE: share of the guest memory on the active LRU list when the guest"
	print "stopped (/proc/kpageflags).  DATA: every pattern word read back intact."
	print "RUN together: both VMs stopped at once, pressure applied to both (the hog"
	print "runs while both are stopped), then both resumed."
	mmu_table()
	print ""
	print "What the figures say (ranges over the rows above):"
	split("mirror pinned realkvm", bes, " ")
	split("pageout hog", prs, " ")
	for (b = 1; b <= 3; b++)
		for (p = 1; p <= 2; p++) {
			k = bes[b] SUBSEP prs[p]
			if (!(k in SEEN))
				continue
			printf "  %-7s %-7s reclaimed %5.1f%%..%5.1f%%, guest Rss after pressure <= %d kB, process Rss <= %d kB\n", \
			       bes[b], prs[p], MINREC[k], MAXREC[k], MAXG1[k], MAXR1[k]
		}
	left = 0
	for (i = 1; i <= nrow; i++) {
		if (i in ERR || SWL[i] + 0 == 0)
			continue
		if (!left++)
			print "  guest memory in swap again after the resume (reclaim during it):"
		printf "    %s %s %s %s: %d kB; reclaim took %s pages system-wide meanwhile\n", \
		       B[i], R[i], V[i], PK[i], SWL[i], RR[i]
	}
	if (!left)
		print "  after every resume, all of the guest memory was back in RAM."
	print ""
	print "Why:"
	print "- MADV_PAGEOUT: with MMU notifiers (mirror, realkvm) reclaim asks the"
	print "  secondary MMU first: the first call finds every page young through the"
	print "  clear_flush_young hook and clears it, the second unmaps it, which zaps"
	print "  the secondary entry, and the page can go to swap: all of a stopped"
	print "  guest'"'"'s memory can leave, as in 2008.  Pinned (KVM before notifiers)"
	print "  holds a FOLL_LONGTERM pin on every page it mapped, and reclaim cannot"
	print "  unmap a pinned anonymous page."
	print "- The hog: LRU reclaim takes pages from the inactive list, and ages the"
	print "  active list only once the inactive one is small next to it.  Real KVM"
	print "  marks every page it maps accessed twice (GUP with FOLL_TOUCH, then"
	print "  kvm_release_pfn_clean()), so a guest that has just run sits on the"
	print "  active list (ACTIVE) while the hog refills the inactive list; reclaim"
	print "  reaches it only as often as the inactive list runs low, which differs"
	print "  from run to run (compare the realkvm hog rows).  Our client faults"
	print "  through hmm_range_fault(), which leaves the page where the fault put it"
	print "  (inactive).  Its vCPU accesses only set young bits in the mirror table,"
	print "  reported through the helper'"'"'s clear_flush_young / clear_young /"
	print "  test_young hooks: the first LRU scan finds the page young and clears"
	print "  the bit; a stopped VM sets no new ones, so the next scan may reclaim"
	print "  it.  Pinned pages cannot go."
	if (nerr) printf "\n%d run(s) failed: see the ERROR rows.\n", nerr
	if (nbad) printf "\n%d run(s) read back bad data.\n", nbad
	if (elapsed != "?")
		printf "\nseed-demo: %d runs in %ds of wall time (QEMU boot included).\n", nrow, elapsed
}
function mmu_table(    i, h, any) {
	for (i = 1; i <= nrow; i++)
		if (MMU[i])
			any = 1
	if (!any)
		return
	print ""
	print "Secondary MMU counters of mirror and pinned (KVMM_GET_STATS; pages):"
	h = "%-8s %-8s %-5s %-12s %12s %14s %13s %8s %8s %10s\n"
	printf h, "BACKEND", "RUN", "VM", "PRESSURE", "ENTRIES-STOP", \
	       "ENTRIES-PRESSD", "YOUNG-CLEARED", "ZAPPED", "PINNED", "REFAULTED"
	for (i = 1; i <= nrow; i++)
		if (MMU[i])
			printf h, B[i], R[i], V[i], PK[i], ES[i], EP[i], YC[i], \
			       ZP[i], PN[i], RF[i]
	print "ENTRIES: secondary table entries when stopped and after the pressure;"
	print "YOUNG-CLEARED: accessed bits the aging hooks reported and cleared during"
	print "the pressure; ZAPPED: entries invalidations removed; PINNED: pages pinned"
	print "after the pressure; REFAULTED: pages the resume mapped again."
}'
}

if [ $# -eq 2 ] && [ "$1" = --table ]; then
	# Print the report of an earlier run again, from its guest log.
	[ -r "$2" ] || die "cannot read guest log '$2'"
	tr -d '\r' <"$2" | sed -n 's/^seed| //p' | table "?"
	exit 0
fi
[ $# -eq 1 ] || die "usage: $0 BUILD_DIR  or  $0 --table GUEST_LOG"
REPO=$(cd "$(dirname "$0")/.." && pwd)
build=$(mkdir -p "$1" && cd "$1" && pwd) || die "cannot use build dir '$1'"
small=${SEED_SMALL_MIB:-32}
large=${SEED_LARGE_MIB:-128}
gmem=${SEED_GUEST_MEM:-768}
for v in "$small" "$large" "$gmem"; do
	case $v in ''|*[!0-9]*|0) die "sizes must be positive MiB counts, got '$v'" ;; esac
done

[ -x "$build/tools/kvm_seed" ] ||
	die "$build/tools/kvm_seed not built (run 'make tools')"
# qemu-run.sh puts BUILD_DIR/tools/* into the guest's /tests.
install -m 755 "$REPO/tools/kvm-vmm/seed_demo_guest.sh" \
	"$build/tools/seed_demo_guest.sh" ||
	die "cannot copy the guest script into $build/tools"

console=$build/seed-demo-console.log
guest=$build/seed-demo-guest.log
result=$build/seed-demo-result

# zram is only a cap on what may be swapped (it stores compressed pages):
# room for the hog (as large as the guest RAM) plus both VMs.
zram=$((2 * gmem + small + large))M
t0=$(date +%s)
# shellcheck disable=SC2086
O_DIR=$build "$REPO/scripts/qemu-run.sh" --timeout 1200 \
	--mem "$gmem" --append "mm.zram=$zram" \
	--log "$console" --kernel-log "$build/seed-demo-kernel.log" \
	--guest-log "$guest" --result "$result" \
	${QEMU_RUN_OPTS:-} -- seed_demo_guest.sh "$small" "$large"
rc=$?
elapsed=$(($(date +%s) - t0))

lines=$(tr -d '\r' <"$guest" 2>/dev/null | sed -n 's/^seed| //p')

echo
echo "================ seed experiment: a stopped guest under host memory pressure ================"
if ! printf '%s\n' "$lines" | grep -qE '^(RESULT|ERROR) '; then
	echo "seed-demo: no results in the guest output ($guest); last guest lines:"
	tr -d '\r' <"$guest" 2>/dev/null | tail -n 15 | sed 's/^/  /'
	echo "============================================================================================="
	exit 1
fi

printf '%s\n' "$lines" | table "$elapsed"

echo "============================================================================================="
echo "logs: $console (all), $guest (guest only)"
if printf '%s\n' "$lines" | grep -q '^ERROR '; then
	echo "seed-demo: some runs failed (ERROR rows above)"
	[ $rc -ne 0 ] || rc=1
fi
[ $rc -eq 0 ] || echo "seed-demo: FAILED (see qemu-run's verdict above)"
exit $rc
