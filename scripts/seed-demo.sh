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
# While it runs, one line per run ("[ 3/18] mirror, large VM (128 MiB)
# alone, pageout ... ok"); the console goes to the logs (V=1 shows it).
# The tables printed at the end are built from the RESULT lines of that
# one run; a run that failed shows as an ERROR row.  Each table is
# followed by a verdict, a paragraph made from its figures; with
# VERDICT_OUT=FILE the verdicts are appended to FILE instead ("make demo"
# prints all of them at the end).
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

# table ELAPSED VERDICT_FILE: the report, from the guest's "seed| " lines on
# stdin; the verdicts go to VERDICT_FILE.
table() {
	LC_ALL=C awk -v elapsed="$1" -v vfile="$2" '
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
	# Per backend and pressure: the ranges the verdicts quote.
	k = B[nrow] SUBSEP P[nrow]
	rp = G0[nrow] > 0 ? 100 * (G0[nrow] - G1[nrow]) / G0[nrow] : 0
	rng("rec", k, rp); rng("rss1", k, RSS1[nrow])
	if (G0[nrow] > 0)
		rng("act", k, 100 * F["guest_active_before_kb"] / G0[nrow])
	SEEN[k] = 1
	NRUN[k]++
	if (F["data"] == "ok") NOK[k]++
	if (MMU[nrow]) {
		rng("es", k, ES[nrow]); rng("ep", k, EP[nrow])
		rng("yc", k, YC[nrow]); rng("zp", k, ZP[nrow])
		rng("pn", k, PN[nrow]); rng("rf", k, RF[nrow])
		MSEEN[k] = 1
	}
	next
}
# rng WHAT KEY VALUE: keep the range of a counter per backend and pressure.
function rng(w, k, v) {
	if (v == "-")
		return
	v += 0
	SUM[w, k] += v
	CNT[w, k]++
	if (!((w, k) in LO) || v < LO[w, k]) LO[w, k] = v
	if (!((w, k) in HI) || v > HI[w, k]) HI[w, k] = v
}
# span W K: "a" or "a-b", the range of counter W (for "rec", "act": %).
function span(w, k,    lo, hi, fm) {
	fm = (w == "rec" || w == "act") ? "%.1f" : "%d"
	lo = sprintf(fm, LO[w, k]); hi = sprintf(fm, HI[w, k])
	return lo == hi ? lo : lo "-" hi
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
	left = 0
	for (i = 1; i <= nrow; i++) {
		if (i in ERR || SWL[i] + 0 == 0)
			continue
		if (!left++) {
			print ""
			print "Guest memory in swap again after the resume (reclaim during it):"
		}
		printf "  %s %s %s %s: %d kB; reclaim took %s pages system-wide meanwhile\n", \
		       B[i], R[i], V[i], PK[i], SWL[i], RR[i]
	}
	mmu_table()
	verdicts()
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
}
function has(b, p) { return (b SUBSEP p) in SEEN }
# add ITEM: append to the list being built in L ("a", "a and b",
# "a, b and c").
function add(item) {
	NL++
	LI[NL] = item
}
function joined(    i, s) {
	s = ""
	for (i = 1; i <= NL; i++)
		s = s (i == 1 ? "" : i == NL ? " and " : ", ") LI[i]
	NL = 0
	return s
}
# The verdicts: one paragraph per table, each sentence from the figures.
function verdicts(    b, k, s, ok, all, bes, i, m, r) {
	split("mirror realkvm pinned", bes, " ")
	s = sprintf("Seed experiment (%d rows). ", nrow)
	k = "pageout"
	for (i = 1; i <= 3; i++) {
		b = bes[i]
		if (has(b, k))
			add(sprintf("%s kB (%s%%) with %s", span("rss1", b SUBSEP k), \
				    span("rec", b SUBSEP k), b))
	}
	if (NL) {
		s = s sprintf("After %s MADV_PAGEOUT rounds, a stopped guest" \
			      "'"'"'s VMM process kept this much RSS (and reclaim " \
			      "took this share of guest memory): %s.", rounds, \
			      joined())
		m = "mirror" SUBSEP k; r = "realkvm" SUBSEP k
		if ((m in SEEN) && (r in SEEN) && HI["rss1", m] < 1024 && \
		    HI["rss1", r] < 1024)
			s = s " Both MMU-notifier backends stay below 1 MB, the" \
			      " figure of the 2008 seed."
		if (has("pinned", k) && HI["rec", "pinned" SUBSEP k] < 1)
			s = s " Pinned gave reclaim nothing."
		s = s " "
	}
	k = "hog"
	for (i = 1; i <= 3; i++) {
		b = bes[i]
		if (has(b, k))
			add(sprintf("%s%% of %s'"'"'s", span("rec", b SUBSEP k), b))
	}
	if (NL) {
		s = s sprintf("Under the %s MiB hog, reclaim took %s guest memory", \
			      hog, joined())
		for (i = 1; i <= 3; i++) {
			b = bes[i]
			if (has(b, k) && (("act", b SUBSEP k) in LO))
				add(sprintf("%s%% of %s'"'"'s", \
					    span("act", b SUBSEP k), b))
		}
		if (NL)
			s = s sprintf("; when the guests stopped, %s were on the " \
				      "active LRU list", joined())
		s = s "."
		m = "mirror" SUBSEP k; r = "realkvm" SUBSEP k
		if ((m in SEEN) && (r in SEEN)) {
			am = SUM["rec", m] / CNT["rec", m]
			ar = SUM["rec", r] / CNT["rec", r]
			if (am > ar + 10)
				s = s sprintf(" On average the hog took more of our" \
					      " client'"'"'s idle guests (%.1f%%) than of" \
					      " real KVM'"'"'s (%.1f%%)", am, ar)
			else if (am < ar - 10)
				s = s sprintf(" On average the hog took less of our" \
					      " client'"'"'s idle guests (%.1f%%) than of" \
					      " real KVM'"'"'s (%.1f%%)", am, ar)
			else
				s = s sprintf(" On average the hog took about as much" \
					      " of both (%.1f%% and %.1f%%)", am, ar)
			if (HI["rec", r] - LO["rec", r] > 20 && \
			    HI["rec", m] - LO["rec", m] <= 5)
				s = s ", real KVM'"'"'s share varying from run to" \
				      " run, ours not"
			if ((("act", r) in LO) && (("act", m) in HI) && \
			    LO["act", r] > HI["act", m] + 50 && am > ar)
				s = s "; real KVM'"'"'s pages sat on the active list," \
				      " which reclaim ages last"
			s = s "."
		}
		s = s " "
	}
	ok = all = 0
	for (k in NRUN) { all += NRUN[k]; ok += NOK[k] }
	if (all)
		s = s sprintf("%d of %d guests read all their memory back intact " \
			      "after the resume.", ok, all)
	if (nerr)
		s = s sprintf(" %d run(s) failed (ERROR rows).", nerr)
	print s > vfile
	mmu_verdict()
}
function mmu_verdict(    b, p, k, s, i, bes, prs, any, part) {
	split("mirror pinned", bes, " ")
	split("pageout hog", prs, " ")
	s = "Secondary MMU counters:"
	for (i = 1; i <= 2; i++) {
		b = bes[i]
		for (p = 1; p <= 2; p++) {
			k = b SUBSEP prs[p]
			if (!(k in MSEEN))
				continue
			part = sprintf("under %s %s -> %s entries (%s zapped, %s " \
				       "accessed bits cleared", prs[p], span("es", k), \
				       span("ep", k), span("zp", k), span("yc", k))
			if (HI["pn", k] > 0)
				part = part ", " span("pn", k) " pages pinned"
			add(part ")")
		}
		if (NL) {
			any = 1
			s = s sprintf(" %s %s;", b, joined())
		}
	}
	if (!any)
		return
	sub(/;$/, ".", s)
	k = "mirror" SUBSEP "pageout"
	if ((k in MSEEN) && HI["ep", k] == 0 && LO["zp", k] > 0)
		s = s " Under MADV_PAGEOUT the mirror'"'"'s table emptied through" \
		      " invalidations as the core VM unmapped the pages" \
		      (LO["yc", k] > 0 ? ", after the aging hooks had reported" \
		       " and cleared the accessed bits once." : ".")
	k = "pinned" SUBSEP "pageout"
	if ((k in MSEEN) && HI["zp", k] == 0 && LO["pn", k] > 0)
		s = s " Pinned lost no entry: its pins keep reclaim from" \
		      " unmapping the pages."
	print "" > vfile
	print s > vfile
}'
}

# field NAME LINE: the value of NAME=value in LINE.
field() {
	[[ " $2 " =~ \ $1=([^ ]*)\  ]] && echo "${BASH_REMATCH[1]}"
}

# progress: the guest log on stdin as it grows; one line per run of
# seed_demo_guest.sh, finished by its RESULT or ERROR line(s).  The runs,
# as that script's loops make them: per backend, each VM alone under each
# pressure, then both together under each (4 + 2).
progress() {
	local line n=0 total=$((3 * (4 + 2))) want=0 start=0 res='' bad=0 pair=0
	while IFS= read -r line; do
		line=${line%$'\r'}
		qemu_line "$line" && continue
		case $line in
		'seed-demo: '*', '*'VM'*)
			[ "$want" = 0 ] || line_close "no result"
			n=$((n + 1))
			start=$SECONDS
			res='' bad=0
			case $line in
			*together*) want=2 pair=1 ;;
			*) want=1 pair=0 ;;
			esac
			line_open "$(printf '  [%2d/%d] %s' "$n" "$total" \
				     "${line#seed-demo: }")" ;;
		'seed| ERROR backend='*' run=all '*)
			[ "$want" = 0 ] || line_close "no result"
			want=0
			line_note "  $(field backend "$line"): not run:" \
				  "${line#* reason=}" ;;
		'seed| RESULT '*|'seed| ERROR '*)
			[ "$want" -gt 0 ] || continue
			[ -z "$res" ] || res="$res, "
			[ "$pair" = 0 ] || res="$res$(field vm "$line") "
			if [ "${line#seed| ERROR}" != "$line" ]; then
				res="${res}ERROR: ${line#* reason=}"
				bad=1
			else
				res="$res$(field proc_rss_before_kb "$line") ->"
				res="$res $(field proc_rss_after_pressure_kb "$line")"
				[ "$(field data "$line")" = ok ] || bad=1
			fi
			want=$((want - 1))
			[ "$want" = 0 ] || continue
			if [ "$bad" = 0 ]; then
				line_close "RSS $res kB, data ok ($((SECONDS - start))s)"
			else
				line_close "FAILED: $res ($((SECONDS - start))s)"
			fi ;;
		'seed-demo: '*)
			line_note "  $line" ;;
		esac
	done
	[ "$progress_open" = 0 ] || line_close "did not finish"
}

# report LINES_FILE ELAPSED: the tables, and the verdicts printed or
# appended to $VERDICT_OUT.
report() {
	local vfile=$build/seed-demo-verdict.txt
	: >"$vfile"
	table "$2" "$vfile" <"$1"
	[ -s "$vfile" ] || return 0
	if [ -n "${VERDICT_OUT:-}" ]; then
		{ fmt -w 76 "$vfile"; echo; } >>"$VERDICT_OUT"
	else
		echo
		fmt -w 76 "$vfile"
	fi
}

REPO=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/progress.sh
. "$REPO/scripts/progress.sh"

if [ $# -eq 2 ] && [ "$1" = --table ]; then
	# Print the report of an earlier run again, from its guest log.
	[ -r "$2" ] || die "cannot read guest log '$2'"
	build=$(mktemp -d) || exit 2
	tr -d '\r' <"$2" | sed -n 's/^seed| //p' >"$build/seed-demo-lines.txt"
	report "$build/seed-demo-lines.txt" "?"
	rm -rf "$build"
	exit 0
fi
[ $# -eq 1 ] || die "usage: $0 BUILD_DIR  or  $0 --table GUEST_LOG"
KVER=${KVER:-$(find /lib/modules -mindepth 1 -maxdepth 1 -name '[0-9]*' \
	       -printf '%f\n' 2>/dev/null | sort -V | tail -n 1)}
export KVER
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
line_note "seed experiment: stopped guests of $small and $large MiB under" \
	  "host memory pressure, 3 backends (log: $console)"
line_open "  boot $KVER"
# shellcheck disable=SC2086
O_DIR=$build run_qemu progress "$build/seed-demo-qemu-run.log" "$guest" -- \
	"$REPO/scripts/qemu-run.sh" --timeout 1200 \
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
	show_tail "$console" 15
	exit 1
fi

printf '%s\n' "$lines" >"$build/seed-demo-lines.txt"
report "$build/seed-demo-lines.txt" "$elapsed"

echo "============================================================================================="
echo "logs: $console (all), $guest (guest only)"
if printf '%s\n' "$lines" | grep -q '^ERROR '; then
	echo "seed-demo: some runs failed (ERROR rows above)"
	[ $rc -ne 0 ] || rc=1
fi
if [ $rc -ne 0 ]; then
	echo "seed-demo: FAILED; last lines of the console:"
	show_tail "$console" 15
fi
exit $rc
