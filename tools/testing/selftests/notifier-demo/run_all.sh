#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run_all.sh - run the notifier-demo selftests and the hmm-tests driver in
# the test guest (busybox sh; started by scripts/check.sh through
# scripts/qemu-run.sh).
#
# Usage: run_all.sh [NAME...]
#
# Without arguments it runs, from /tests, every program named in
# /tests/selftests.list (qemu-run.sh writes it: one program per
# tools/testing/selftests/*/*.c built into build/selftests, minus the
# helper programs listed in a "helpers" file next to them), then
# /tests/run_hmm_tests.sh and /tests/module_unload.sh (last) if present.
# With arguments it runs just those.  With RUN_ALL_LIST=FILE it runs the
# programs named in FILE instead of the default set (for a boot with other
# hardware, e.g. /tests/selftests-iommu-edu.list of qemu-run.sh
# --iommu-edu).
#
# Each program runs in a session of its own, under "timeout" with stdin
# from /dev/null: RUN_ALL_TIMEOUT seconds (default 300), or for
# run_hmm_tests.sh, which bounds each of its tests itself,
# RUN_ALL_HMM_TIMEOUT (default 600).  Whatever is left of the session when
# the program ends (children that outlived it) is killed.  The program's
# KTAP output passes through unchanged, framed by
#	# PROGRAM <name>
#	# PROGRAM-TIME <name> <seconds>
#	# PROGRAM-EXIT <name> <rc>
# where rc 124 means the program was killed by the timeout.  Before each
# program "qemu-run: begin <name>" goes to the kernel log, so that kernel
# failures can be pinned on the program that was running.
#
# Exit status: 0 if every program exited 0, 1 otherwise.

dir=${RUN_ALL_DIR:-/tests}
limit=${RUN_ALL_TIMEOUT:-300}
hmm_limit=${RUN_ALL_HMM_TIMEOUT:-600}
status=0

# kill_session SID: SIGKILL every process of session SID, print how many.
kill_session() {
	sid=$1
	n=0
	for stat in /proc/[0-9]*/stat; do
		{ read -r line <"$stat"; } 2>/dev/null || continue
		# Fields after "(comm)": state ppid pgrp session ...
		# shellcheck disable=SC2086 # split into fields
		set -- ${line##*) }
		[ "${4:-}" = "$sid" ] || continue
		pid=${stat#/proc/}
		kill -9 "${pid%/stat}" 2>/dev/null && n=$((n + 1))
	done
	echo $n
}

# run_one NAME SECS CMD...: run one program, frame its output.
run_one() {
	name=$1
	secs=$2
	shift 2
	echo "# PROGRAM $name"
	echo "<4>qemu-run: begin $name" >/dev/kmsg 2>/dev/null
	start=$(date +%s)
	# In the background the shell does not make it a process group
	# leader, so setsid execs directly: the session id is $!.
	timeout "$secs" setsid "$@" </dev/null &
	sid=$!
	wait $sid
	rc=$?
	end=$(date +%s)
	left=$(kill_session $sid)
	left=$((left + $(kill_session $sid)))
	[ "$left" = 0 ] ||
		echo "# $name: killed $left process(es) it left behind"
	# busybox timeout reports a kill as the signal's status (143).
	if [ "$rc" = 143 ] || [ "$rc" = 137 ]; then
		[ $((end - start)) -lt "$secs" ] || rc=124
	fi
	[ "$rc" = 124 ] && echo "# $name: timed out after ${secs}s"
	echo "# PROGRAM-TIME $name $((end - start))"
	echo "# PROGRAM-EXIT $name $rc"
	[ "$rc" = 0 ] || status=1
}

# The programs to run, one per line.
list_programs() {
	if [ -n "${RUN_ALL_LIST:-}" ]; then
		cat "$RUN_ALL_LIST"
		return
	fi
	if [ -f "$dir/selftests.list" ]; then
		cat "$dir/selftests.list"
	else
		for f in "$dir"/*; do
			case ${f##*/} in
			*.*|hmm-tests) continue ;;
			esac
			[ -f "$f" ] && [ -x "$f" ] && echo "${f##*/}"
		done
	fi
	[ ! -f "$dir/run_hmm_tests.sh" ] || echo run_hmm_tests.sh
	# Last: it unloads and reloads every module of this tree.
	[ ! -f "$dir/module_unload.sh" ] || echo module_unload.sh
}

cd "$dir" || { echo "run_all.sh: error: no $dir directory"; exit 1; }
# shellcheck disable=SC2046 # program names have no blanks
[ $# -gt 0 ] || set -- $(list_programs)
[ $# -gt 0 ] || echo "# run_all.sh: no test programs found in $dir"

for prog in "$@"; do
	case $prog in
	run_hmm_tests.sh)
		run_one "$prog" "$hmm_limit" sh "$dir/$prog" ;;
	*.sh)	run_one "$prog" "$limit" sh "$dir/$prog" ;;
	*)	if [ -x "$dir/$prog" ]; then
			run_one "$prog" "$limit" "$dir/$prog"
		else
			echo "# PROGRAM $prog"
			echo "# run_all.sh: no executable $dir/$prog"
			echo "# PROGRAM-EXIT $prog 127"
			status=1
		fi ;;
	esac
done
exit $status
