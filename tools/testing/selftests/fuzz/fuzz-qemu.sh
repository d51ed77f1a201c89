#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fuzz-qemu.sh BUILD_DIR - "make fuzz", on the host: boot the test guest
# (scripts/qemu-run.sh), run the long mirror_fuzz, then module_unload.sh,
# which unloads and reloads every module of this tree (a leaked file,
# mirror or pin keeps a module busy), and print the figures.  qemu-run.sh
# fails the run on any Oops, BUG, WARNING, lockup or hung task in the
# guest's kernel log.  (qemu-run.sh copies this script into the guest
# too, with every tools/testing/selftests/*/*.sh; it is not run there.)
#
# Environment:
#   FUZZ_CALLS    calls in all (default 1000000), or
#   FUZZ_SECONDS  run for this long instead
#   FUZZ_SEED     seed (default: a new random one, printed)
#   FUZZ_EXPOSE   known contract gaps to fail on (see mirror_fuzz --help)
#   FUZZ_EDU      1: boot with the edu device behind the emulated IOMMU
#                 (qemu-run.sh --iommu-edu), so that it is fuzzed too
#   FUZZ_TIMEOUT  QEMU limit in seconds (default 3 h, or FUZZ_SECONDS
#                 plus 30 min)
#
# Exit status: 0 if the fuzzer, the unload and the kernel were all fine.

set -eu

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
REPO=$(cd "$(dirname "$0")/../../../.." && pwd)
build=$(mkdir -p "$1" && cd "$1" && pwd)
out=$build/fuzz
mkdir -p "$out"

is_uint() { case $1 in ''|*[!0-9]*) return 1 ;; esac; }

calls=${FUZZ_CALLS:-}
seconds=${FUZZ_SECONDS:-}
seed=${FUZZ_SEED:-0x$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')}
expose=${FUZZ_EXPOSE:-}
boot=()
[ "${FUZZ_EDU:-0}" = 0 ] || boot=(--iommu-edu)
if [ -n "$seconds" ]; then
	is_uint "$seconds" || { echo "FUZZ_SECONDS: '$seconds'" >&2; exit 2; }
	what="FUZZ_SECONDS=$seconds"
	timeout_s=${FUZZ_TIMEOUT:-$((seconds + 1800))}
else
	calls=${calls:-1000000}
	is_uint "$calls" || { echo "FUZZ_CALLS: '$calls'" >&2; exit 2; }
	what="FUZZ_CALLS=$calls"
	timeout_s=${FUZZ_TIMEOUT:-10800}
fi
is_uint "$timeout_s" || { echo "FUZZ_TIMEOUT: '$timeout_s'" >&2; exit 2; }
# The program's own limit inside run_all.sh, short of QEMU's.
prog_limit=$((timeout_s > 300 ? timeout_s - 120 : timeout_s))

echo "fuzz: seed $seed, $what; repeat with: make fuzz FUZZ_SEED=$seed $what"
guest="FUZZ_SEED=$seed $what FUZZ_EXPOSE=$expose RUN_ALL_TIMEOUT=$prog_limit"
guest="$guest sh /tests/run_all.sh mirror_fuzz module_unload.sh"

set +e
QEMU_RUN_MAX_LINES=${QEMU_RUN_MAX_LINES:-2000} O_DIR=$build \
	"$REPO/scripts/qemu-run.sh" "${boot[@]}" --timeout "$timeout_s" \
	--log "$out/console.log" --kernel-log "$out/kernel.log" \
	--guest-log "$out/guest.log" --result "$out/qemu-result" -- "$guest"
rc=$?
set -e

log=$out/guest.log
summary=$(tr -d '\r' <"$log" 2>/dev/null |
	  sed -n 's/^# mirror_fuzz: seed [^:]*: \(.*\)$/\1/p' | tail -n 1)
unload=$(tr -d '\r' <"$log" 2>/dev/null |
	 sed -n '/^# PROGRAM module_unload.sh$/,/^# PROGRAM-EXIT/p' |
	 grep -c '^not ok' || true)
unload_rc=$(tr -d '\r' <"$log" 2>/dev/null |
	    sed -n 's/^# PROGRAM-EXIT module_unload.sh \([0-9]*\)$/\1/p')
echo
echo "fuzz: seed $seed: ${summary:-no summary (see $log)}"
if [ "${unload_rc:-x}" = 0 ]; then
	echo "fuzz: module unload and reload afterwards: ok"
else
	echo "fuzz: module unload and reload afterwards: FAILED" \
	     "(${unload} failed case(s), exit ${unload_rc:-none})"
	rc=1
fi
grep '^kernel-failure' "$out/qemu-result" 2>/dev/null |
	sed 's/^kernel-failure /fuzz: kernel: /' || true
echo "fuzz: logs in $out"
if [ $rc = 0 ]; then
	echo "fuzz: PASS"
else
	echo "fuzz: FAIL (repeat with: make fuzz FUZZ_SEED=$seed $what)"
fi
exit $rc
