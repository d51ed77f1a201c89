#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# soak.sh BUILD_DIR - "make soak": the long stress, not part of make check.
#
#  1. One QEMU boot of the Debian kernel (scripts/qemu-run.sh, 1 GiB in
#     two NUMA nodes, 512 MiB of zram swap, the emulated IOMMU and edu)
#     running, in the guest:
#       soak-baseline    this tree's modules unloaded, caches dropped,
#                        memory compacted: the accounting is recorded
#                        (mirror_soak baseline), the modules load again
#       mirror_soak      SOAK_MINUTES of the GPU-style, KVM-style, RDMA-style
#                        and edu DMA clients (an IOMMU boot) under swap,
#                        migration, fork, remapping,
#                        THP collapse and split, with data checks
#                        (tools/testing/soak/mirror_soak.c)
#       soak-unload      every module of this tree unloads
#       soak-accounting  mirror_soak compare: pins balanced exactly,
#                        free memory, swap, anonymous, unevictable, slab,
#                        page-table pages and zram back within tolerance
#     qemu-run.sh fails the run on any kernel report (Oops, BUG, WARNING,
#     lockup, hung task) in the guest's log.
#  2. The model stress (tools/testing/model/stress.c) with the invariant
#     checker on, until SOAK_MODEL_OPS operations per case, under
#     ASan+UBSan and under TSan.
#
# Environment: SOAK_MINUTES (default 10), SOAK_SEED (default random,
# printed; the guest soak and the model stress use it), SOAK_MODEL_OPS
# (default 10000000), V=1 (show everything as it comes).  Prints the
# figures of each part and "soak: PASS" or "soak: FAIL".  Logs in
# BUILD_DIR/soak/.
#
# Exit status: 0 if every part passed.

set -eu

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
REPO=$(cd "$(dirname "$0")/.." && pwd)
build=$(mkdir -p "$1" && cd "$1" && pwd)
out=$build/soak
rm -rf "$out"
mkdir -p "$out"

# shellcheck source=scripts/progress.sh
. "$REPO/scripts/progress.sh"
progress_frame=$out/frame

is_uint() { case $1 in ''|*[!0-9]*) return 1 ;; esac; }
KVER=${KVER:-$(find /lib/modules -mindepth 1 -maxdepth 1 -name '[0-9]*' \
	       -printf '%f\n' 2>/dev/null | sort -V | tail -n 1)}
export KVER
minutes=${SOAK_MINUTES:-10}
seed=${SOAK_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' \n')}
model_ops=${SOAK_MODEL_OPS:-10000000}
for v in minutes seed model_ops; do
	is_uint "${!v}" || { echo "soak: bad $v '${!v}'" >&2; exit 2; }
done
secs=$((minutes * 60))
rc=0

# The guest's part (busybox sh), framed as run_all.sh frames programs.
GUEST=$(cat <<'EOF'
mods=$(sed 's/\.ko$//' /etc/qemu-run/modules)
rev=
for m in $mods; do rev="$m $rev"; done
unload() {
	for m in $rev; do
		grep -q "^$m " /proc/modules || continue
		rmmod "$m" || return 1
	done
}
load() {
	for m in $mods; do
		insmod "/lib/modules/mmu-mirror/$m.ko" || return 1
	done
}
frame() {
	echo "# PROGRAM $1"
	echo "TAP version 13"
	echo "1..1"
	if eval "$2"; then
		echo "ok 1 $1"
		r=0
	else
		echo "not ok 1 $1"
		r=1
	fi
	echo "# PROGRAM-EXIT $1 $r"
	return $r
}
status=0
# Proves: the modules unload, the baseline is recorded, they load again.
frame soak-baseline 'unload && /tests/mirror_soak baseline /tmp/base && load' ||
	exit 1
echo "# PROGRAM mirror_soak"
echo "<4>qemu-run: begin mirror_soak" >/dev/kmsg
start=$(date +%s)
/tests/mirror_soak run @SECS@ @SEED@ </dev/null 2>&1 || status=1
echo "# PROGRAM-TIME mirror_soak $(($(date +%s) - start))"
echo "# PROGRAM-EXIT mirror_soak $status"
# Proves: no file, mirror or pin the soak made keeps a module loaded.
frame soak-unload 'unload' || status=1
echo "# PROGRAM soak-accounting"
/tests/mirror_soak compare /tmp/base || status=1
echo "# PROGRAM-EXIT soak-accounting $status"
exit $status
EOF
)
GUEST=${GUEST//@SECS@/$secs}
GUEST=${GUEST//@SEED@/$seed}

echo "soak: $minutes min in QEMU, seed $seed, then the model stress to" \
     "$model_ops operations (ASan, TSan); logs in $out"
echo "soak: repeat with: make soak SOAK_MINUTES=$minutes SOAK_SEED=$seed"
run_logged "  build: modules, selftests, tools" "$out/build.log" \
	make -C "$REPO" --no-print-directory O_DIR="$build" modules selftests \
	tools || exit 1

line_open "  boot $KVER (1 GiB, two NUMA nodes, zram, IOMMU and edu)"
start=$SECONDS
set +e
O_DIR=$build run_qemu guest_progress "$out/qemu-run.log" "$out/guest.log" -- \
	"$REPO/scripts/qemu-run.sh" --timeout $((secs + 1200)) \
	--mem 1024 --smp 2 --numa 2 --iommu-edu \
	--log "$out/console.log" --kernel-log "$out/kernel.log" \
	--guest-log "$out/guest.log" --result "$out/qemu-result" -- "$GUEST"
qrc=$?
set -e
qemu_secs=$((SECONDS - start))
[ "$qrc" = 0 ] || rc=1
grep '^kernel-failure' "$out/qemu-result" 2>/dev/null |
	sed 's/^kernel-failure /  FAIL kernel: /' || true
# The figures: the soak's totals, per region, and the accounting.
tr -d '\r' <"$out/guest.log" |
	grep -E '^# (soak:|(gpu|kvm|odp|edu)-[a-z0-9]+:|pins held|zram0 |[A-Za-z_]+ +-?[0-9]+, )' |
	sed 's/^# /  /' || true
echo "soak: QEMU part ${qemu_secs}s"

# The model stress, one sanitizer at a time.
model=$REPO/tools/testing/model
run_logged "  model: build ASan and TSan" "$out/model-build.log" \
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$model" \
	-j"$(nproc 2>/dev/null || echo 1)" OUT="$build/model" \
	build-asan build-tsan || exit 1
for san in asan tsan; do
	start=$SECONDS
	log=$out/model-stress-$san.log
	if run_logged "  model-$san/stress --total $model_ops" "$log" \
	   "$build/model/$san/stress" --total "$model_ops" --seed "$seed"; then
		:
	else
		rc=1
	fi
	awk -v san="$san" -v s=$((SECONDS - start)) '
		/^# operations:/ { ops[++n] = $3 }
		/^(not )?ok / && $NF != "harness_teardown" { res[++m] = $0 }
		END {
			printf "  model-%s: %s and %s operations (stress, " \
			       "stress_devtable) in %ds\n", san, ops[1], ops[2], s
		}' "$log"
done

if [ $rc = 0 ]; then
	echo "soak: PASS"
else
	echo "soak: FAIL (repeat with: make soak SOAK_MINUTES=$minutes" \
	     "SOAK_SEED=$seed)"
fi
exit $rc
