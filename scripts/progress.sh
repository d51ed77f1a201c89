# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# progress.sh - output helpers shared by check.sh, demo.sh, seed-demo.sh,
# bench.sh and stage.sh (sourced by them, bash).
#
# A person reads one short line per stage; what the stage printed goes to
# a log file whose path is printed.  V=1 in the environment (make V=1)
# prints everything as it comes, as kbuild does, with the progress lines
# in between.
#
#   verbose                   true if V=1
#   line_open TEXT            print "TEXT ... " and leave the line open
#   line_close RESULT         finish the open line with RESULT
#   line_note TEXT...         a line of its own (closes an open line first)
#   show_tail FILE [N]        the last N (default 20) lines of FILE,
#                             indented, then its path
#   qemu_line LINE            handle a line of the guest log that every
#                             caller shows (the guest being ready, setup
#                             errors); false if not one
#   run_qemu FILTER OUT GLOG -- CMD...
#                             run CMD (scripts/qemu-run.sh ... --guest-log
#                             GLOG) with its output in OUT (V=1: shown
#                             too), piping GLOG as it grows into the
#                             function FILTER; then print qemu-run's
#                             failures and warnings.  Returns CMD's status.
#   run_logged LABEL LOG CMD...
#                             run CMD with its output in LOG, one line
#                             "LABEL ... ok (Ns)"; on failure the tail of
#                             LOG.  Returns CMD's status.
#   ktap_line                 one result line per program framed on stdin
#                             ("# PROGRAM name" ... "# PROGRAM-EXIT name
#                             rc"), its name prefixed with $progress_prefix
#   guest_progress            a run_qemu FILTER: the guest's lines and one
#                             ktap_line per guest program as it ends; each
#                             program's frame is kept in $progress_frame

verbose() { [ "${V:-0}" = 1 ]; }

progress_open=0
progress_prefix=
progress_frame=

line_open() {
	if verbose; then
		printf '==> %s\n' "$1"
	else
		printf '%s ... ' "$1"
		progress_open=1
	fi
}

line_close() {
	if verbose; then
		printf '==> %s\n' "$1"
	else
		printf '%s\n' "$1"
	fi
	progress_open=0
}

line_note() {
	if [ "$progress_open" = 1 ]; then
		printf '\n'
		progress_open=0
	fi
	printf '%s\n' "$*"
}

show_tail() {
	local n=${2:-20}
	[ -s "$1" ] || { echo "  (nothing in $1)"; return; }
	echo "  last $n lines of $1:"
	tail -n "$n" "$1" | tr -d '\r' | sed 's/^/  | /'
}

# Lines of the guest log shown at any verbosity: when the guest is ready,
# and errors of its setup.
qemu_line() {
	case $1 in
	'qemu-run: guest ready at '*)
		local up=${1#qemu-run: guest ready at }
		if [ "$progress_open" = 1 ]; then
			line_close "ready at ${up% uptime}"
		elif ! verbose; then
			line_note "  guest ready at ${up% uptime}"
		fi ;;
	'qemu-run: error'*|'qemu-run: warning'*)
		verbose || line_note "  $1" ;;
	*) return 1 ;;
	esac
	return 0
}

run_logged() {
	local label=$1 log=$2 start rc
	shift 2
	mkdir -p "$(dirname "$log")"
	start=$SECONDS
	line_open "$label"
	if verbose; then
		"$@" 2>&1 | tee "$log"
		rc=${PIPESTATUS[0]}
	else
		"$@" >"$log" 2>&1 </dev/null
		rc=$?
	fi
	if [ "$rc" = 0 ]; then
		line_close "ok ($((SECONDS - start))s)"
	else
		line_close "FAILED (status $rc after $((SECONDS - start))s)"
		verbose || show_tail "$log" 25
		echo "  full log: $log"
	fi
	return "$rc"
}

# The guest log is followed with tail, not qemu-run.sh's output: QEMU
# writes the log as the guest prints, while qemu-run's merged view may
# come in bursts.
run_qemu() {
	local filter=$1 outf=$2 glog=$3 qpid rc line
	shift 3
	[ "$1" = -- ] && shift
	: >"$glog"
	if verbose; then
		"$@" > >(tee "$outf") &
	else
		"$@" >"$outf" &
	fi
	qpid=$!
	tail -n +1 -s 0.2 -F --pid="$qpid" "$glog" 2>/dev/null | "$filter"
	wait "$qpid"
	rc=$?
	progress_open=0		# the filter, a subshell, ended its line
	verbose && return "$rc"
	grep -E '^qemu-run: (FAIL|warning|error)' "$outf" |
		while IFS= read -r line; do
			echo "  $line"
		done
	return "$rc"
}

# For each program framed on stdin (as in check.sh's results file), one
# line with its outcome: a light count of its KTAP results, for progress;
# check.sh's summary is the count that decides.
ktap_line() {
	LC_ALL=C awk -v prefix="$progress_prefix" '
	{ sub(/\r$/, "") }
	/^# PROGRAM-TIME / { secs = $4; next }
	/^# PROGRAM-EXIT / {
		if (cur == "" || $3 != cur)
			next
		rc = $4
		bad = fail > 0 || rc != 0 || (results == 0 && !skipped)
		what = fail ? fail " of " results " failed" : pass " passed"
		if (skip) what = what ", " skip " skipped"
		if (xfail) what = what ", " xfail " xfail"
		if (rc != 0 && !fail) what = what (rc == 124 ? ", timed out" : \
						    ", exit status " rc)
		if (results == 0 && skipped) what = "skipped"
		fmt = "  %-" (30 + length(prefix)) "s %-4s %-30s %4ss\n"
		printf fmt, prefix cur, bad ? "FAIL" : "ok", what, secs
		fflush()
		cur = ""
		next
	}
	/^# PROGRAM / {
		cur = $3
		pass = fail = skip = xfail = results = skipped = 0
		secs = "?"
		next
	}
	cur == "" { next }
	/^1\.\.0/ && tolower($0) ~ /# *skip/ { skipped = 1; next }
	/^(not )?ok [0-9]+/ {
		results++
		d = tolower($0)
		if (d ~ /# *skip/) skip++
		else if ($1 == "ok") pass++
		else if (d ~ /# *todo/) xfail++
		else fail++
		next
	}
	/^Bail out!/ { fail++ }'
}

# The guest log on stdin as it grows; prints the boot and each guest
# program's line as it ends.
guest_progress() {
	local line name=
	while IFS= read -r line; do
		line=${line%$'\r'}
		qemu_line "$line" && continue
		case $line in
		'# PROGRAM-EXIT '*)
			[ -n "$name" ] || continue
			printf '%s\n' "$line" >&9
			exec 9>&-
			ktap_line <"$progress_frame"
			name= ;;
		'# PROGRAM '*)
			[ -z "$name" ] || exec 9>&-
			name=${line#'# PROGRAM '}
			exec 9>"$progress_frame"
			printf '%s\n' "$line" >&9 ;;
		*)	[ -z "$name" ] || printf '%s\n' "$line" >&9 ;;
		esac
	done
	[ -z "$name" ] || exec 9>&-
	[ "$progress_open" = 0 ] || line_close "no guest"
}
