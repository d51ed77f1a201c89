#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run_hmm_tests.sh - run the kernel's own hmm-tests (Linux 6.1, unmodified)
# against the notifier-demo device, one test per process, and print flat KTAP.
#
# Runs in the test guest (busybox sh).  Only the device-private variants are
# run (hmm.hmm_device_private.*, hmm2.hmm2_device_private.*): they open
# /dev/hmm_dmirror0 and /dev/hmm_dmirror1, which notifier_demo.ko provides;
# the device-coherent variants need devices 2 and 3 and only skip.
#
# Each test runs alone (HMM_TESTS_ONLY, see hmm_tests_filter.c) so that one
# hung or failing test costs its own timeout and nothing more.  The harness
# kills a test's process group after HMM_TESTS_TIMEOUT seconds; busybox
# timeout is the backstop a few seconds later.
#
# Expected failures need what the Debian 6.1 kernel lacks: DEVICE_PRIVATE
# (migration to device memory, make_device_exclusive_range()) or the
# gup_test debugfs file (CONFIG_GUP_TEST).  The device answers -EOPNOTSUPP to
# those commands.  They are reported as TODO, and one that passes is
# reported too.
#
# Environment: HMM_TESTS (binary, default /tests/hmm-tests),
# HMM_PASS_TIMEOUT (default 60 s), HMM_XFAIL_TIMEOUT (default 10 s).
# Exit status: 0 unless a must-pass test failed.

set -eu

HMM_TESTS=${HMM_TESTS:-/tests/hmm-tests}
PASS_TIMEOUT=${HMM_PASS_TIMEOUT:-60}
XFAIL_TIMEOUT=${HMM_XFAIL_TIMEOUT:-10}
# Extra seconds for busybox timeout beyond the harness's own timeout.
BACKSTOP=5
# Output lines of one test shown from its start and from its end.
HEAD_LINES=150
TAIL_LINES=20
SELECT='hmm.hmm_device_private.*,hmm2.hmm2_device_private.*'

# Tests a plain HMM mirror (hmm_range_fault() plus MMU notifiers) passes.
MUST_PASS="open_close anon_read anon_read_prot anon_write anon_write_prot
anon_write_child anon_write_child_shared anon_write_huge anon_write_hugetlbfs
file_read file_write anon_read_multiple anon_teardown mixedmap compound"

# Each migrates to device-private memory, or (exclusive*) asks for
# make_device_exclusive_range(), built only with CONFIG_DEVICE_PRIVATE.
XFAIL_DEVICE_PRIVATE="migrate migrate_file_private migrate_fault
migrate_release migrate_shared migrate_mixed migrate_multiple snapshot
double_map exclusive exclusive_mprotect exclusive_cow hmm_cow_in_device"
REASON_DEVICE_PRIVATE="needs DEVICE_PRIVATE (not in the Debian 6.1 kernel)"

# Opens /sys/kernel/debug/gup_test (skips without it), then migrates.
XFAIL_GUP_TEST="hmm_gup_test"
REASON_GUP_TEST="needs the gup_test module and DEVICE_PRIVATE (neither in the Debian 6.1 kernel)"

die() {
	echo "run_hmm_tests.sh: error: $*" >&2
	exit 1
}

# One failing test line when the run cannot even start.
abort_run() {
	echo "TAP version 13"
	echo "1..1"
	echo "# $*"
	echo "not ok 1 hmm-tests.setup"
	exit 1
}

# in_list WORD LIST: is WORD one of the blank-separated words of LIST?
in_list() {
	for w in $2; do
		[ "$w" = "$1" ] && return 0
	done
	return 1
}

# Kill test processes left behind when busybox timeout had to step in: the
# harness runs each test in its own process group, which outlives it.
kill_strays() {
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null || true)" = "$bin" ] || continue
		kill -9 "${p#/proc/}" 2>/dev/null || true
	done
}

# Copy the test's output as KTAP diagnostics; of a long one, only the
# start (the first failure) and the end (the harness's verdict).
show_output() {
	lines=$(wc -l < "$out")
	if [ "$lines" -le $((HEAD_LINES + TAIL_LINES)) ]; then
		sed 's/^/# /' "$out"
		return
	fi
	head -n $HEAD_LINES "$out" | sed 's/^/# /'
	echo "# [$((lines - HEAD_LINES - TAIL_LINES)) lines left out]"
	tail -n $TAIL_LINES "$out" | sed 's/^/# /'
}

[ -x "$HMM_TESTS" ] || abort_run "hmm-tests binary '$HMM_TESTS' not found"
bin=$(readlink -f "$HMM_TESTS")
for n in "$PASS_TIMEOUT" "$XFAIL_TIMEOUT"; do
	case $n in
	'' | *[!0-9]*) die "timeout '$n' is not a number of seconds" ;;
	esac
done

out=$(mktemp /tmp/hmm-tests.XXXXXX) ||
	abort_run "cannot create a temporary file in /tmp"
trap 'rm -f "$out"' EXIT

tests=$(HMM_TESTS_ONLY=$SELECT HMM_TESTS_LIST=1 "$HMM_TESTS" 2>&1) ||
	abort_run "'$HMM_TESTS' cannot list its tests: $tests"

# A must-pass test missing from the binary is a failure of its own.
missing=
for t in $MUST_PASS; do
	found=0
	for full in $tests; do
		[ "${full##*.}" = "$t" ] && found=1 && break
	done
	[ $found -eq 1 ] || missing="$missing $t"
done

total=0
for full in $tests $missing; do
	total=$((total + 1))
done

echo "TAP version 13"
echo "1..$total"
for dev in /dev/hmm_dmirror0 /dev/hmm_dmirror1; do
	[ -e "$dev" ] || echo "# $dev is missing: is notifier_demo.ko loaded?"
done
hp=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)
[ "$hp" != 0 ] || echo "# vm.nr_hugepages is 0: anon_write_hugetlbfs" \
	"skips and compound passes without testing anything"

k=0
failed=0
for full in $tests; do
	k=$((k + 1))
	t=${full##*.}
	reason=
	secs=$PASS_TIMEOUT
	if in_list "$t" "$XFAIL_DEVICE_PRIVATE"; then
		reason=$REASON_DEVICE_PRIVATE
		secs=$XFAIL_TIMEOUT
	elif in_list "$t" "$XFAIL_GUP_TEST"; then
		reason=$REASON_GUP_TEST
		secs=$XFAIL_TIMEOUT
	elif ! in_list "$t" "$MUST_PASS"; then
		echo "# $full is in neither list of this script:" \
		     "treated as must-pass"
	fi

	# qemu-run.sh pins kernel failures on the last "begin" marker.
	echo "<4>qemu-run: begin hmm-tests.$t" >/dev/kmsg 2>/dev/null || true
	rc=0
	HMM_TESTS_ONLY=$full HMM_TESTS_TIMEOUT=$secs \
		timeout $((secs + BACKSTOP)) "$HMM_TESTS" >"$out" 2>&1 ||
		rc=$?
	kill_strays
	show_output

	# Pass: exit 0, a plan of one and "ok 1" from the harness.
	result=fail
	skip=
	if [ $rc -eq 4 ]; then
		result=skip
		skip="exit status 4 (KSFT_SKIP)"
	elif [ $rc -eq 0 ] && grep -qx '1\.\.1' "$out" &&
	     grep -q '^ok 1 ' "$out"; then
		result=pass
		if grep -q '^ok 1 .*# SKIP' "$out"; then
			result=skip
			skip=$(sed -n 's/^ok 1 .*# SKIP *//p' "$out" | head -n 1)
		fi
	elif [ $rc -eq 124 ] || [ $rc -eq 137 ] || [ $rc -eq 143 ]; then
		echo "# killed by timeout after $((secs + BACKSTOP)) s"
	elif [ $rc -ne 0 ]; then
		echo "# exit status $rc"
	fi

	case $result in
	skip)
		echo "ok $k hmm-tests.$t # SKIP ${skip:-no reason given}" ;;
	pass)
		if [ -n "$reason" ]; then
			echo "ok $k hmm-tests.$t # expected failure passed"
		else
			echo "ok $k hmm-tests.$t"
		fi ;;
	fail)
		if [ -n "$reason" ]; then
			echo "not ok $k hmm-tests.$t # TODO expected failure: $reason"
		else
			echo "not ok $k hmm-tests.$t"
			failed=$((failed + 1))
		fi ;;
	esac
done

for t in $missing; do
	k=$((k + 1))
	echo "# $t is not in '$HMM_TESTS'"
	echo "not ok $k hmm-tests.$t"
	failed=$((failed + 1))
done

echo "# $failed must-pass test(s) failed"
[ $failed -eq 0 ] || exit 1
exit 0
