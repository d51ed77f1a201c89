#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh BUILD_DIR - run every test once the modules, the selftests and
# hmm-tests are built ("make check" calls it), and summarise the results.
#
#  1. Host-side static checks: scripts/static-checks.sh BUILD_DIR/static-checks
#     (skipped with a note while that script does not exist).
#  2. The userspace model tests (tools/testing/model): built with ASan+UBSan
#     and with TSan into BUILD_DIR/model/{asan,tsan}/, then each program run
#     on the host as "model-asan/<test>" and "model-tsan/<test>", and the
#     ASan build once more with the notifier core behaving as Linux 6.1's
#     (--core=linux-6.1) as "model-asan-6.1/<test>".  A failed build is one
#     failure, "model-build", and its variant is not run.
#  3. One QEMU boot (scripts/qemu-run.sh, 900 s limit) running
#     tools/testing/selftests/notifier-demo/run_all.sh in the guest: every
#     notifier-demo selftest, then /tests/run_hmm_tests.sh if present.
#  4. A second QEMU boot (qemu-run.sh --iommu-edu, 600 s limit: QEMU's
#     edu DMA device behind the emulated Intel IOMMU) running the programs
#     of /tests/selftests-iommu-edu.list (tools/testing/selftests/edu-mirror)
#     through run_all.sh, among them edum_fuzz: a short mirror_fuzz run
#     with the edu device.
#  5. scripts/install-check.sh: "install" (make install and uninstall into
#     scratch directories) and "dkms" (add, build, install, autoinstall,
#     remove in scratch dkms trees; skipped unless root).
#  6. "debug-kernel": the same on a debug kernel (KASAN, KFENCE, lockdep,
#     atomic sleep checks, DEBUG_VM, DEBUG_LIST, DMA API checks) with the
#     Intel IOMMU on: scripts/debug-kernel.sh check, which builds the
#     kernel on first use (cached outside the tree, keyed by its
#     configuration and source version), builds the modules against it
#     and boots it once running run_all.sh (the fuzzer bounded) with a
#     few checks of its own.  Any kernel report fails it as in stage 3.
#     Its programs are counted as "debug-kernel/<name>", its other
#     failures (build, boot, kernel reports) as "debug-kernel: ...".
#     CHECK_DEBUG_KERNEL=0 skips it (counted as one skip).
#  7. The KTAP results of all programs are counted.  Only column-0 lines
#     between "# PROGRAM <name>" and "# PROGRAM-EXIT <name> <rc>" count:
#       ok N ...               passed (skipped with "# SKIP")
#       not ok N ... # TODO    expected failure, not a failure
#       not ok N ... # SKIP    skipped
#       not ok N ...           failed
#       Bail out!              failed
#     A program that exits non-zero (or times out, rc 124) without any
#     "not ok" line fails once; so does one whose results disagree with its
#     "1..N" plans, one that prints no results at all, and one that never
#     finishes.  Each kernel failure report found by qemu-run.sh fails once,
#     as do a guest that never completes and failed guest setup steps (of
#     either boot).
#
# Output: one line per stage ("[2/5] userspace model tests") and one per
# program with its result; what the programs print goes to logs in
# BUILD_DIR/check/ (V=1 in the environment shows it as it comes).  It ends
# with a table per stage (the one per program is in summary.txt), the
# failures with what the failed programs printed around them, the log
# paths and the final line "N passed, M failed".  Exit status: 0 if
# nothing failed, 1 otherwise, 2 on usage errors.

set -eu

# The rest is one compound command, so bash has read all of it before it
# runs any: editing this file does not disturb a run already going.
{
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
REPO=$(cd "$(dirname "$0")/.." && pwd)
build=$(mkdir -p "$1" && cd "$1" && pwd)
out=$build/check
rm -rf "$out"
mkdir -p "$out"

# Host-side results, framed per program as run_all.sh frames the guest's.
results=$out/host-results.log
extra=$out/extra-failures
: >"$results"
: >"$extra"
skip_notes=0
t0=$(date +%s)
KVER=${KVER:-$(find /lib/modules -mindepth 1 -maxdepth 1 -name '[0-9]*' \
	       -printf '%f\n' 2>/dev/null | sort -V | tail -n 1)}
export KVER

# shellcheck source=scripts/progress.sh
. "$REPO/scripts/progress.sh"
progress_frame=$out/frame
stages=7
stage_no=0
: >"$out/host-logs"
declare -a stage_title=()
# step TITLE: a new stage; the results that follow belong to it.
step() {
	stage_no=$((stage_no + 1))
	stage_title[$stage_no]=$*
	echo "# STAGE $stage_no" >>"$results"
	line_note "[$stage_no/$stages] $*"
}

# run_host NAME LOG CMD...: run a host-side program with its output in LOG
# (V=1: shown too), append it to the results framed as run_all.sh frames a
# guest program, and print its result line.
run_host() {
	local name=$1 log=$2 start rc
	shift 2
	start=$(date +%s)
	echo "$name $log" >>"$out/host-logs"
	set +e
	if verbose; then
		"$@" </dev/null 2>&1 | tee "$log"
		rc=${PIPESTATUS[0]}
	else
		"$@" </dev/null >"$log" 2>&1
		rc=$?
	fi
	set -e
	{
		echo "# PROGRAM $name"
		tr -d '\r' <"$log"
		# A program killed mid-line must not swallow the frame.
		[ -z "$(tail -c 1 "$log")" ] || echo
		echo "# PROGRAM-TIME $name $(($(date +%s) - start))"
		echo "# PROGRAM-EXIT $name $rc"
	} >"$out/frame"
	cat "$out/frame" >>"$results"
	ktap_line <"$out/frame"
}

line_note "check: kernel $KVER; logs in $out (V=1 shows everything)"

step "static checks"
if [ -x "$REPO/scripts/static-checks.sh" ]; then
	run_host static-checks "$out/static-checks.log" \
		"$REPO/scripts/static-checks.sh" "$build/static-checks"
else
	echo "check: note: scripts/static-checks.sh not found, static checks" \
	     "skipped"
	skip_notes=1
fi

# The model's Makefile only builds here (build-asan, build-tsan); each
# program is run directly so that it is framed, timed and counted on its
# own.  Nothing here needs the network: liburcu-dev is in scripts/deps.sh.
step "userspace model tests"
model_src=$REPO/tools/testing/model
model_timeout=300
model_failed=
model_build_secs=0
model_start=$(date +%s)
mkdir -p "$out/model"
: >"$out/model-build.log"
for variant in asan tsan; do
	start=$(date +%s)
	set +e
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		make -C "$model_src" -j"$(nproc 2>/dev/null || echo 1)" \
		OUT="$build/model" "build-$variant" \
		>>"$out/model-build.log" 2>&1
	rc=$?
	set -e
	model_build_secs=$((model_build_secs + $(date +%s) - start))
	if [ $rc -ne 0 ]; then
		model_failed="$model_failed $variant"
		model_rc=$rc
		continue
	fi
	# The notifier core's Linux 6.1 mode is run under ASan only: what it
	# changes is the order and number of callbacks, not concurrency.
	cores=model
	[ "$variant" = asan ] && cores="model linux-6.1"
	for core in $cores; do
		name=model-$variant
		[ "$core" = model ] || name=$name-${core#linux-}
		for src in "$model_src"/*.c; do
			[ -e "$src" ] || continue
			test=$(basename "$src" .c)
			run_host "$name/$test" "$out/model/$name-$test.log" \
				timeout -k 10 "$model_timeout" \
				"$build/model/$variant/$test" --core="$core"
		done
	done
done
echo "check: model stage: ${model_build_secs}s building," \
     "$(($(date +%s) - model_start - model_build_secs))s running"
if [ -n "$model_failed" ]; then
	echo "check: the model build failed for:$model_failed; see" \
	     "$out/model-build.log"
	{
		echo "# PROGRAM model-build"
		echo "# build failed for:$model_failed (variants not run)"
		grep -E 'error|\*\*\*' "$out/model-build.log" | head -n 20 |
			sed 's/^/# /'
		echo "# full log: $out/model-build.log"
		echo "# PROGRAM-TIME model-build $model_build_secs"
		echo "# PROGRAM-EXIT model-build $model_rc"
	} >>"$results"
fi

step "selftests in QEMU"
qemu_stage=$stage_no
set +e
line_open "  boot $KVER"
O_DIR=$build run_qemu guest_progress "$out/qemu-run.log" "$out/guest.log" -- \
	"$REPO/scripts/qemu-run.sh" --timeout 900 \
	--log "$out/console.log" --kernel-log "$out/kernel.log" \
	--guest-log "$out/guest.log" --result "$out/qemu-result" \
	-- sh /tests/run_all.sh
qemu_rc=$?
set -e
[ -f "$out/guest.log" ] || : >"$out/guest.log"

guest_exit=none
timed_out=0
setup_errors=0
if [ -f "$out/qemu-result" ]; then
	while read -r key val; do
		case $key in
		guest-exit) guest_exit=$val ;;
		timeout) timed_out=$val ;;
		setup-errors) setup_errors=$val ;;
		kernel-failure) echo "kernel: $val" >>"$extra" ;;
		esac
	done <"$out/qemu-result"
else
	echo "qemu: qemu-run.sh failed before booting (status $qemu_rc)" \
	     >>"$extra"
fi
[ "$setup_errors" = 0 ] ||
	echo "qemu: $setup_errors guest setup step(s) failed (modules," \
	     "zram or huge pages; see $out/guest.log)" >>"$extra"

# The edu boot: its own logs, its results appended to the first boot's.
step "selftests in QEMU with IOMMU and edu"
set +e
line_open "  boot $KVER, edu behind intel-iommu"
O_DIR=$build run_qemu guest_progress "$out/qemu-run-edu.log" \
	"$out/guest-edu.log" -- \
	"$REPO/scripts/qemu-run.sh" --iommu-edu --timeout 600 \
	--log "$out/console-edu.log" --kernel-log "$out/kernel-edu.log" \
	--guest-log "$out/guest-edu.log" --result "$out/qemu-result-edu" \
	-- RUN_ALL_LIST=/tests/selftests-iommu-edu.list sh /tests/run_all.sh
edu_rc=$?
set -e
[ -f "$out/guest-edu.log" ] || : >"$out/guest-edu.log"
edu_exit=none
if [ -f "$out/qemu-result-edu" ]; then
	while read -r key val; do
		case $key in
		guest-exit) edu_exit=$val ;;
		timeout) [ "$val" = 0 ] ||
			echo "qemu-edu: the guest timed out; see" \
			     "$out/console-edu.log" >>"$extra" ;;
		setup-errors) [ "$val" = 0 ] ||
			echo "qemu-edu: $val guest setup step(s) failed (see" \
			     "$out/guest-edu.log)" >>"$extra" ;;
		kernel-failure) echo "kernel (edu boot): $val" >>"$extra" ;;
		esac
	done <"$out/qemu-result-edu"
else
	echo "qemu-edu: qemu-run.sh failed before booting (status $edu_rc)" \
	     >>"$extra"
fi
[ "$edu_exit" != none ] || grep -q '^qemu-edu: the guest timed out' \
	"$extra" ||
	echo "qemu-edu: the guest did not complete; see $out/console-edu.log" \
	     >>"$extra"
# The edu programs count in this stage, as if run on the host.
tr -d '\r' <"$out/guest-edu.log" | sed -n '/^# PROGRAM /,/^# PROGRAM-EXIT /p' \
	>>"$results"

step "make install and dkms (scratch dirs)"
run_host install "$out/install.log" "$REPO/scripts/install-check.sh" \
	install "$out/install"
run_host dkms "$out/dkms.log" "$REPO/scripts/install-check.sh" \
	dkms "$out/dkms"

# The debug kernel's stage prints its own lines (one per program, as the
# guest stage); its results join the count here.
dk=$out/debug-kernel
step "debug-kernel (KASAN, lockdep, IOMMU)"
if [ "${CHECK_DEBUG_KERNEL:-1}" = 0 ]; then
	line_note "check: note: debug-kernel stage skipped" \
		  "(CHECK_DEBUG_KERNEL=0)"
	skip_notes=$((skip_notes + 1))
else
	"$REPO/scripts/debug-kernel.sh" check "$build" "$dk" </dev/null ||
		true
	if [ -f "$dk/failures" ]; then
		cat "$dk/results.log" >>"$results"
		sed 's/^/debug-kernel: /' "$dk/failures" >>"$extra"
	else
		echo "debug-kernel: scripts/debug-kernel.sh did not run" \
		     >>"$extra"
	fi
fi

# Count the KTAP results.  Prints "R name pass fail skip xfail rc secs" per
# program, then "F name: what" per failure, "U name" per unfinished
# program and "G n" with the number of programs seen.
LC_ALL=C awk -v timed_out="$timed_out" '
function finish(rc) {
	if (rc != "-" && rc != 0 && nfail_not_ok == 0) {
		if (rc == 124)
			fails[++nf] = cur ": timed out"
		else
			fails[++nf] = cur ": exited with status " rc
		fail++
	}
	if (fail == 0 && plan_seen && plan != results) {
		fails[++nf] = cur ": planned " plan " tests, reported " results
		fail++
	}
	if (fail == 0 && !plan_seen && results == 0) {
		fails[++nf] = cur ": reported no KTAP results"
		fail++
	}
	printf "R %s %d %d %d %d %s %s\n", cur, pass, fail, skip, xfail, rc,
		secs
	cur = ""
}
function begin(name) {
	cur = name
	pass = fail = skip = xfail = results = plan = plan_seen = 0
	secs = "-"
	nfail_not_ok = 0
	programs++
}
{ sub(/\r$/, "") }
/^# PROGRAM-TIME / {
	if (cur != "" && $3 == cur)
		secs = $4
	next
}
/^# PROGRAM-EXIT / {
	if (cur != "" && $3 == cur)
		finish($4)
	next
}
/^# PROGRAM / {
	if (cur != "") {
		fails[++nf] = cur ": did not finish"
		fail++
		finish("-")
	}
	begin($3)
	next
}
cur == "" { next }
/^1\.\.[0-9]+/ {
	plan_seen = 1
	n = $0
	sub(/^1\.\./, "", n)
	sub(/[^0-9].*/, "", n)
	plan += n
	if (n == 0 && tolower($0) ~ /# *skip/)
		skip++
	next
}
/^(not )?ok [0-9]+/ {
	results++
	desc = $0
	sub(/^(not )?ok [0-9]+ *(- )?/, "", desc)
	directive = tolower(desc)
	if ($1 == "ok") {
		if (directive ~ /# *skip/)
			skip++
		else
			pass++
	} else if (directive ~ /# *todo/) {
		xfail++
	} else if (directive ~ /# *skip/) {
		skip++
	} else {
		fail++
		nfail_not_ok++
		fails[++nf] = cur ": " $0
	}
	next
}
/^Bail out!/ {
	fail++
	nfail_not_ok++
	fails[++nf] = cur ": " $0
	next
}
END {
	if (cur != "") {
		why = timed_out == 1 ? "did not finish (QEMU timed out)" : \
		      "did not finish (guest crashed or powered off)"
		fails[++nf] = cur ": " why
		fail++
		print "U " cur
		finish("-")
	}
	for (i = 1; i <= nf; i++)
		print "F " fails[i]
	print "G " programs + 0
}' "$results" "$out/guest.log" >"$out/parsed"

unfinished=$(grep -c '^U ' "$out/parsed" || true)
programs=$(sed -n 's/^G //p' "$out/parsed")
guest_programs=$(sed -n 's/^# PROGRAM \([^ ]*\)$/\1/p' "$out/guest.log" \
		 2>/dev/null | wc -l)

if [ "$guest_exit" = none ]; then
	if [ "$unfinished" = 0 ] && [ -f "$out/qemu-result" ]; then
		if [ "$timed_out" = 1 ]; then
			why="timed out"
		else
			why="did not complete (boot failure or crash)"
		fi
		echo "qemu: the guest $why; see $out/console.log" >>"$extra"
	fi
elif [ "$guest_programs" = 0 ]; then
	echo "run_all.sh: no test programs ran in the guest (status" \
	     "$guest_exit)" >>"$extra"
elif [ "$guest_exit" != 0 ] &&
     ! grep -q '^R [^ ]* [0-9]* [1-9]' "$out/parsed"; then
	echo "run_all.sh: exited with status $guest_exit" >>"$extra"
fi

# excerpt FILE: what a failed program printed around its first failure:
# the lines before the first "not ok" or "Bail out!" and the diagnostics
# right after it; the last lines when there is none.
excerpt() {
	LC_ALL=C awk '
	function show(k,    i) {
		for (i = (n > k ? n - k : 0) + 1; i <= n; i++)
			print "  | " buf[i % 16]
	}
	{ sub(/\r$/, "") }
	hit == 1 && /^#/ && after++ < 15 { print "  | " $0; next }
	hit { hit = 2; next }
	/^(not ok [0-9]|Bail out!)/ {
		hit = 1
		show(10)
		print "  | " $0
		next
	}
	{ buf[++n % 16] = $0 }
	END { if (!hit) show(15) }' "$1"
}

# failure_tails: the end of what each failed program printed (the first
# few programs), and of the console when the guest did not complete.
failure_tails() {
	local name log glog shown=0
	for name in $(sed -n 's/^F \([^:]*\):.*/\1/p' "$out/parsed" | uniq); do
		[ $shown -lt 4 ] || { echo "  (more failed programs: see the logs)"; break; }
		shown=$((shown + 1))
		echo
		log=$(awk -v n="$name" '$1 == n { print $2 }' "$out/host-logs" |
		      tail -n 1)
		if [ -n "$log" ]; then
			echo "$name ($log):"
			excerpt "$log"
			continue
		fi
		glog=$out/guest.log
		grep -qxF "# PROGRAM $name" "$glog" 2>/dev/null ||
			glog=$out/guest-edu.log
		case $name in debug-kernel/*) glog=$dk/results.log ;; esac
		echo "$name (from $glog):"
		tr -d '\r' <"$glog" | awk -v n="$name" '
			$0 == "# PROGRAM " n { on = 1 }
			on { print }
			on && $1 == "#" && $2 == "PROGRAM-EXIT" && $3 == n { on = 0 }' \
			>"$out/frame"
		excerpt "$out/frame"
	done
	if [ "$guest_exit" = none ] || grep -q '^kernel: ' "$extra"; then
		echo
		show_tail "$out/console.log" 20
	fi
	if grep -q '^debug-kernel: \(kernel\|qemu\): ' "$extra"; then
		echo
		show_tail "$dk/console.log" 20
	fi
}

# Summary: one row per program in summary.txt, one per stage printed.
step "summary"
total_pass=0 total_fail=0 total_skip=$skip_notes total_xfail=0
declare -A stage_of=()
while read -r name n; do
	stage_of[$name]=$n
done < <(awk '/^# STAGE / { s = $3 } /^# PROGRAM / { print $3, s }' \
	 "$results")
declare -a g_n=() g_pass=() g_fail=() g_skip=() g_xfail=() g_secs=()
printf '%-34s %6s %6s %6s %6s %5s %5s\n' program pass fail skip xfail \
	exit secs >"$out/summary.txt"
while read -r tag name pass fail skip xfail rc secs; do
	[ "$tag" = R ] || continue
	printf '%-34s %6d %6d %6d %6d %5s %5s\n' "$name" "$pass" "$fail" \
		"$skip" "$xfail" "$rc" "$secs" >>"$out/summary.txt"
	g=${stage_of[$name]:-$qemu_stage}
	g_n[$g]=$((${g_n[$g]:-0} + 1))
	g_pass[$g]=$((${g_pass[$g]:-0} + pass))
	g_fail[$g]=$((${g_fail[$g]:-0} + fail))
	g_skip[$g]=$((${g_skip[$g]:-0} + skip))
	g_xfail[$g]=$((${g_xfail[$g]:-0} + xfail))
	case $secs in *[!0-9]*|'') secs=0 ;; esac
	g_secs[$g]=$((${g_secs[$g]:-0} + secs))
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	total_skip=$((total_skip + skip))
	total_xfail=$((total_xfail + xfail))
done <"$out/parsed"
nextra=$(wc -l <"$extra")
[ "$nextra" = 0 ] ||
	printf '%-34s %6s %6d %6s %6s %5s %5s\n' "(qemu, kernel)" - \
		"$nextra" - - "$qemu_rc" - >>"$out/summary.txt"
total_fail=$((total_fail + nextra))
printf '%-36s %8s %6s %6s %6s %6s %5s\n' stage programs pass fail skip \
	xfail secs
for g in "${!g_n[@]}"; do
	printf '%-36s %8d %6d %6d %6d %6d %5d\n' "${stage_title[$g]}" \
		"${g_n[$g]}" "${g_pass[$g]}" "${g_fail[$g]}" "${g_skip[$g]}" \
		"${g_xfail[$g]}" "${g_secs[$g]}"
done
[ "$nextra" = 0 ] ||
	printf '%-36s %8s %6s %6d %6s %6s %5s\n' "(qemu, kernel)" - - \
		"$nextra" - - -

if [ "$total_fail" -gt 0 ]; then
	echo
	echo "Failures:"
	sed -n 's/^F /  FAIL /p' "$out/parsed"
	sed 's/^/  FAIL /' "$extra"
	failure_tails
fi
echo
echo "Logs: $out"
echo "  console.log: kernel and guest; guest.log: the guest programs;" \
     "kernel.log: the kernel;"
echo "  *-edu.log: the same for the boot with the IOMMU and edu;"
echo "  <program>.log, model/: the host programs; summary.txt: the table" \
     "per program"
echo "Time: $(( $(date +%s) - t0 ))s for $programs program(s)"
[ ! -s "$dk/times" ] ||
	awk '{ t[$1] = $2; b[$1] = $3 }
	END { printf "debug-kernel: stage %ds (kernel %s, %ds; QEMU %ds, " \
		     "%d fuzzer calls); cold build %ds\n", t["stage"], \
		     t["kernel"], b["kernel"], t["qemu"], t["fuzz-calls"], \
		     t["cold-build"] }' "$dk/times"
echo "($total_skip skipped, $total_xfail expected failures)"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
}
