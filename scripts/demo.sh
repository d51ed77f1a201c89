#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh - the pinned-versus-notifier experiment, run in the test VM.
#
# Usage: scripts/demo.sh BUILD_DIR [MiB]
#
# Boots the test kernel through scripts/qemu-run.sh (zram swap, this tree's
# modules loaded) and runs /tests/ndemo_pageout_demo there, which mirrors
# MiB (default 64, or $DEMO_MIB) of memory through the notifier-demo
# device in each mode, pages it out and reads it back.  The console
# streams live; at the end the demo's table is printed on its own.
#
# BUILD_DIR is the build output directory (the Makefile's build/); the
# demo binary is expected at BUILD_DIR/tools/ndemo_pageout_demo, and the
# logs go to BUILD_DIR/demo-*.log.  Extra qemu-run.sh options can be given
# in $QEMU_RUN_OPTS (e.g. "--mem 2048").
#
# Exit status: 0 if the demo ran, printed its table and the guest and
# kernel stayed healthy; 1 otherwise; 2 for usage errors.

set -u

die() { echo "demo: error: $*" >&2; exit 2; }

if [ $# -lt 1 ] || [ $# -gt 2 ]; then die "usage: $0 BUILD_DIR [MiB]"; fi
REPO=$(cd "$(dirname "$0")/.." && pwd)
build=$(mkdir -p "$1" && cd "$1" && pwd) || die "cannot use build dir '$1'"
mib=${2:-${DEMO_MIB:-64}}
case $mib in ''|*[!0-9]*|0) die "MiB must be a positive number, got '$mib'" ;; esac

demo_bin=$build/tools/ndemo_pageout_demo
[ -x "$demo_bin" ] ||
	echo "demo: warning: $demo_bin not built; the guest may not have it" \
	     "(build tools/notifier-demo/*.c into $build/tools)" >&2

console=$build/demo-console.log
guest=$build/demo-guest.log
result=$build/demo-result

# Enough guest memory for both runs (the pinned one keeps its MiB resident)
# and enough zram for the notifier run to swap everything out.
mem=$((1024 + 2 * mib))
zram=$((mib * 2 + 64))
[ $zram -ge 512 ] || zram=512
zram=${zram}M

# shellcheck disable=SC2086
O_DIR=$build "$REPO/scripts/qemu-run.sh" --timeout $((600 + 10 * mib)) \
	--mem "$mem" --append "mm.zram=$zram" \
	--log "$console" --kernel-log "$build/demo-kernel.log" \
	--guest-log "$guest" --result "$result" \
	${QEMU_RUN_OPTS:-} -- ndemo_pageout_demo "$mib"
rc=$?

table=$(tr -d '\r' <"$guest" 2>/dev/null |
	sed -n '/^ndemo| BEGIN$/,/^ndemo| END$/p' |
	sed '/^ndemo| BEGIN$/d; /^ndemo| END$/d; s/^ndemo|//')

echo
echo "================ notifier-demo: pinned vs notifier under MADV_PAGEOUT ================"
if [ -n "$table" ]; then
	printf '%s\n' "$table"
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
echo "logs: $console (all), $guest (guest only)"
[ $rc -eq 0 ] || echo "demo: FAILED (see qemu-run's verdict above)"
exit $rc
