#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh BUILD_DIR [ROUNDS] - what mirroring costs the unmap paths, as
# ratios of mirrored to unmirrored medians measured in one guest run.
# Absolute times under QEMU's emulation mean nothing; the ratios do.

set -u
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [ROUNDS]" >&2; exit 2; }
REPO=$(cd "$(dirname "$0")/.." && pwd)
build=$(mkdir -p "$1" && cd "$1" && pwd) || exit 2
rounds=${2:-41}
case $rounds in ''|*[!0-9]*) echo "bench: ROUNDS must be a number" >&2
	exit 2 ;; esac

O_DIR=$build "$REPO/scripts/qemu-run.sh" --timeout 900 \
	--log "$build/bench-console.log" --guest-log "$build/bench-guest.log" \
	--kernel-log "$build/bench-kernel.log" -- ndemo_bench "$rounds" \
	>/dev/null
rc=$?
echo "==== mmu_mirror: cost of a mirrored range to the core VM ===="
tr -d '\r' <"$build/bench-guest.log" | sed -n 's/^bench| //p'
[ $rc -eq 0 ] || echo "bench: FAILED (see $build/bench-console.log)"
"$REPO/scripts/bench-hmm.sh" "$build" "$rounds" || rc=1
exit $rc
