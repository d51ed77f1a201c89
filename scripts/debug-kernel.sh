#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh - build a debug kernel (KASAN, KFENCE, lockdep, atomic
# sleep checks, DEBUG_VM, DEBUG_LIST, DMA API checks, DEVICE_PRIVATE, the
# Intel IOMMU) from Debian's linux-source-6.1 with
# scripts/debug-kernel.config, build this tree's modules against it, and
# run the selftests, the fuzzer and the module unload test on it in QEMU.
#
# The guest is the one of scripts/qemu-run.sh --iommu-edu: QEMU's Intel
# IOMMU and its edu DMA device behind it ("-device intel-iommu,
# caching-mode=on,aw-bits=48 -device edu,dma_mask=0xffffffffffff"),
# booted with "intel_iommu=on iommu.strict=1".
#
# Usage: scripts/debug-kernel.sh COMMAND [ARGS]
#
#   build              build the kernel, or find it in the cache; print the
#                      cache entry's directory
#   dir                print the cache entry's directory (built or not)
#   prune              remove every other entry of the cache (kernels of
#                      older configurations)
#   modules BUILD_DIR  build this tree's modules against the kernel in a
#                      copy of the tree, BUILD_DIR/debug-kernel/src
#   run BUILD_DIR [QEMU_RUN_ARGS...]
#                      boot the kernel with those modules through
#                      scripts/qemu-run.sh (e.g. --shell, or -- COMMAND);
#                      the test programs come from BUILD_DIR as usual
#   check BUILD_DIR OUT_DIR
#                      the stage "make check" runs: build (or the cache),
#                      modules, and one boot running debug-boot (the
#                      kernel's checks and the IOMMU are on), the edu
#                      boot's selftests, run_all.sh (every other
#                      selftest, mirror_fuzz with
#                      DEBUG_KERNEL_FUZZ_CALLS calls, hmm-tests, the module
#                      unload test), test_hmm-reference and debug-checks,
#                      with one line per program as it ends.  Writes
#                      OUT_DIR/results.log (the guest's programs framed as
#                      run_all.sh frames them, named "debug-kernel/<name>"),
#                      OUT_DIR/failures (one line per failure that is no
#                      program's: build, boot, kernel reports) and
#                      OUT_DIR/times; prints the times (the cold build's
#                      too) and a tally.
#
# Cache: the kernel is built once per configuration.  The entry is
# $DEBUG_KERNEL_CACHE/debug-kernel-<key> (default cache directory
# /var/cache/mmu-mirror when it can be written, else
# ${XDG_CACHE_HOME:-$HOME/.cache}/mmu-mirror), where <key> hashes the
# config fragment, the patches in scripts/debug-kernel-patches/, the
# linux-source-6.1 package version, the compiler
# version and this script's build recipe.  An entry is complete when its
# "done" file exists; an incomplete one is rebuilt from scratch.  A lock
# file keeps two builds of the same entry apart.  An entry holds:
#   linux/         the extracted source with the build (the kbuild tree
#                  modules are built against; object files removed)
#   bzImage        the kernel image
#   modules/       modules_install output (modules.dep, modules.builtin,
#                  test_hmm.ko)
#   release        the kernel release string
#   build-seconds  how long the cold build took
#
# Environment: LINUX_SOURCE_TARBALL (default
# /usr/src/linux-source-6.1.tar.xz), DEBUG_KERNEL_CACHE (see above),
# DEBUG_KERNEL_JOBS (make -j, default: number of CPUs + 1),
# DEBUG_KERNEL_TIMEOUT (QEMU time limit of "check", default 2400 s),
# DEBUG_KERNEL_FUZZ_CALLS (mirror_fuzz calls in "check", default 10000),
# V=1 (show everything as it comes).
#
# Exit status: 0 on success (for "check": nothing failed), 1 on failure,
# 2 on usage errors.

set -eu

# The rest is one compound command, so bash has read all of it before it
# runs any: editing this file does not disturb a run already going.
{
REPO=$(cd "$(dirname "$0")/.." && pwd)
FRAGMENT=$REPO/scripts/debug-kernel.config
# Fixes to Debian's source that the debug kernel's checks need (a bug
# they report in every run would blind them): applied in name order.
PATCHES=$REPO/scripts/debug-kernel-patches
TARBALL=${LINUX_SOURCE_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
TOPDIR=linux-source-6.1
JOBS=${DEBUG_KERNEL_JOBS:-$(($(nproc 2>/dev/null || echo 1) + 1))}
# Bump when the build steps below change what ends up in an entry.
RECIPE=2

die() { echo "debug-kernel: error: $*" >&2; exit 1; }
usage() {
	sed -n '/^# Usage:/,/^# Cache:/{/^# Cache:/d; s/^# \{0,1\}//; p}' "$0" >&2
	exit 2
}
note() { echo "debug-kernel: $*"; }

# Make must not inherit the top-level make's flags: the kernel's own
# build runs with its own -j.
unset MAKEFLAGS MFLAGS MAKELEVEL

cache_root() {
	local dir
	if [ -n "${DEBUG_KERNEL_CACHE:-}" ]; then
		echo "$DEBUG_KERNEL_CACHE"
		return
	fi
	dir=/var/cache/mmu-mirror
	if mkdir -p "$dir" 2>/dev/null && [ -w "$dir" ]; then
		echo "$dir"
	else
		echo "${XDG_CACHE_HOME:-$HOME/.cache}/mmu-mirror"
	fi
}

# The cache key: what the built kernel depends on.
cache_key() {
	local srcver cc
	srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null ||
		 stat -c '%s %Y' "$TARBALL")
	cc=$(gcc --version 2>/dev/null | head -n 1)
	{
		echo "recipe $RECIPE"
		echo "linux-source $srcver"
		echo "cc $cc"
		cat "$FRAGMENT"
		cat "$PATCHES"/*.patch 2>/dev/null
	} | sha256sum | cut -c 1-16
}

ENTRY=$(cache_root)/debug-kernel-$(cache_key)

# shellcheck source=scripts/progress.sh
. "$REPO/scripts/progress.sh"

# check_config: every CONFIG_ line of the fragment is in .config unchanged.
check_config() {
	local line bad=0 got
	while IFS= read -r line; do
		case $line in CONFIG_*=*) ;; *) continue ;; esac
		grep -qxF -e "$line" "$ENTRY/linux/.config" && continue
		got=$(grep -E "^(# )?${line%%=*}[= ]" "$ENTRY/linux/.config" ||
		      true)
		echo "debug-kernel: wanted $line, got '${got:-nothing}'" >&2
		bad=1
	done <"$FRAGMENT"
	return $bad
}

# kmake ARGS...: the kernel's make in the entry's tree.
kmake() {
	make -C "$ENTRY/linux" -j"$JOBS" "$@"
}

build_kernel() {
	local start secs

	[ -f "$TARBALL" ] || die "'$TARBALL' is missing (run 'make deps')"
	for tool in flex bison bc gcc make tar xz patch; do
		command -v "$tool" >/dev/null ||
			die "'$tool' not found (run 'make deps')"
	done
	start=$(date +%s)
	rm -rf "$ENTRY"
	mkdir -p "$ENTRY"
	note "building $ENTRY (log: $ENTRY/build.log)"
	note "extracting $TARBALL"
	tar -xJf "$TARBALL" -C "$ENTRY" ||
		die "cannot extract '$TARBALL'"
	mv "$ENTRY/$TOPDIR" "$ENTRY/linux" ||
		die "'$TARBALL' has no $TOPDIR directory"
	for patch in "$PATCHES"/*.patch; do
		[ -f "$patch" ] || continue
		note "applying $(basename "$patch")"
		patch -d "$ENTRY/linux" -p1 --forward --quiet <"$patch" ||
			die "$(basename "$patch") does not apply"
	done
	{
		kmake KCONFIG_ALLCONFIG="$FRAGMENT" allnoconfig &&
		kmake olddefconfig
	} >"$ENTRY/build.log" 2>&1 ||
		die "configuring failed, see $ENTRY/build.log"
	check_config ||
		die "$FRAGMENT does not hold in Linux's Kconfig (see above)"
	note "compiling with make -j$JOBS (5-15 minutes on 2 CPUs)"
	kmake bzImage modules >>"$ENTRY/build.log" 2>&1 ||
		die "the kernel build failed, see $ENTRY/build.log"
	kmake INSTALL_MOD_PATH="$ENTRY/modules" DEPMOD=/sbin/depmod \
		modules_install >>"$ENTRY/build.log" 2>&1 ||
		die "modules_install failed, see $ENTRY/build.log"
	kmake -s kernelrelease >"$ENTRY/release" 2>>"$ENTRY/build.log"
	cp "$ENTRY/linux/arch/x86/boot/bzImage" "$ENTRY/bzImage"
	# External modules need the headers, the configuration, the host
	# tools and Module.symvers; vmlinux stays for decoding stack traces.
	find "$ENTRY/linux" -name '*.o' ! -path '*/scripts/*' \
		! -path '*/tools/*' -delete
	secs=$(($(date +%s) - start))
	echo "$secs" >"$ENTRY/build-seconds"
	: >"$ENTRY/done"
	note "kernel $(cat "$ENTRY/release") built in ${secs}s"
}

# ensure_kernel: a complete cache entry, built if needed.
ensure_kernel() {
	local lock=$ENTRY.lock
	mkdir -p "$(dirname "$ENTRY")"
	exec 9>"$lock"
	if ! flock -n 9; then
		note "waiting for another build of $ENTRY"
		flock 9
	fi
	if [ -f "$ENTRY/done" ]; then
		note "kernel $(cat "$ENTRY/release") from the cache ($ENTRY," \
		     "built in $(cat "$ENTRY/build-seconds")s)"
	else
		build_kernel
	fi
	exec 9>&-
}

# build_modules BUILD_DIR: this tree's modules against the debug kernel,
# in BUILD_DIR/debug-kernel/src (kbuild writes next to the sources, so the
# normal build is left alone).  The copy keeps modification times, so
# kbuild rebuilds only what changed.
build_modules() {
	local dir=$1/debug-kernel
	local src=$dir/src key
	key=$(basename "$ENTRY")
	if [ "$(cat "$dir/kernel" 2>/dev/null)" != "$key" ]; then
		rm -rf "$dir"
		mkdir -p "$src"
		echo "$key" >"$dir/kernel"
	fi
	(cd "$REPO" && tar -c --exclude=./build --exclude=./.git \
		--exclude=./tools --exclude=./Documentation \
		--exclude=./scripts --exclude='*.o' --exclude='*.ko' \
		--exclude='*.mod' --exclude='*.mod.c' --exclude='.*.cmd' \
		--exclude=Module.symvers --exclude=modules.order .) |
		tar -x -C "$src" ||
		die "cannot copy the tree to $src"
	note "building this tree's modules against $(cat "$ENTRY/release")" \
	     "(log: $dir/modules.log)"
	if ! make -C "$ENTRY/linux" -j"$JOBS" M="$src" modules \
	     >"$dir/modules.log" 2>&1; then
		tail -n 30 "$dir/modules.log" >&2
		die "building the modules failed, see $dir/modules.log"
	fi
	# Warnings are errors here as in the normal build's static checks.
	if grep -E 'warning:' "$dir/modules.log" >&2; then
		die "the modules build has warnings, see $dir/modules.log"
	fi
}

# The machine: QEMU's Intel IOMMU with the edu DMA engine (PCI 1234:11e8)
# behind it, DMA remapping on, the IOTLB invalidated synchronously at
# each unmap (qemu-run.sh --iommu-edu).
MACHINE=(--iommu-edu)

# qemu_run BUILD_DIR ARGS...: scripts/qemu-run.sh on the debug kernel.
qemu_run() {
	local build=$1
	shift
	KVER=$(cat "$ENTRY/release") O_DIR=$build \
		"$REPO/scripts/qemu-run.sh" --kernel "$ENTRY/bzImage" \
		--kmod-dir "$ENTRY/modules/lib/modules/$(cat "$ENTRY/release")" \
		--ko-dir "$build/debug-kernel/src" --mem 1536 "${MACHINE[@]}" \
		"$@"
}

# The guest command of "check" (busybox sh).  First debug-boot, while
# the boot messages are still in the kernel's log: the kernel is the debug
# kernel, and the IOMMU is on the way an IOMMU/DMA test needs it.  Then
# the programs of the edu boot (/tests/selftests-iommu-edu.list), then
# run_all.sh with the fuzzer bounded to @FUZZ_CALLS@ calls, then the
# kernel's own test_hmm in place of notifier_demo under the same hmm-tests
# (all device-private tests: migration and exclusive access included),
# then debug-checks.  Each is framed as run_all.sh frames a program.  The
# reference runs with transparent huge pages on "madvise": 6.1's
# make_device_exclusive_range() refuses THP tail pages (test_hmm then
# answers -EBUSY), and with "always" the tests' buffers are THPs; the
# tests that want THPs ask for them with MADV_HUGEPAGE.
GUEST_CMD_TEMPLATE=$(cat <<'EOF'
n=0
rc=0
# check NAME CMD...: one KTAP result.
check() {
	name=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n $name"
	else
		echo "not ok $n $name"
		rc=1
	fi
}
dmesg >/tmp/boot.log
# edu_dev: the sysfs directory of the edu device (PCI 1234:11e8).
edu_dev() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = 0x1234 ] &&
			[ "$(cat "$d/device")" = 0x11e8 ] && echo "$d" && return 0
	done
	return 1
}
edu_alone() {
	d=$(edu_dev) && [ -d "$d/iommu_group" ] &&
		[ "$(ls "$d/iommu_group/devices" | wc -l)" = 1 ]
}
edu_strict() {
	d=$(edu_dev) && [ "$(cat "$d/iommu_group/type")" = DMA ]
}

echo "# PROGRAM debug-boot"
echo "TAP version 13"
echo "1..6"
# Proves: KASAN is armed (the stock kernel has none).
check kasan_on grep -q "KernelAddressSanitizer initialized" /tmp/boot.log
# Proves: lockdep is armed from the start.
check lockdep_on grep -Eq "debug_locks: +1" /proc/lockdep_stats
# Proves: DMA remapping is on, through the ACPI DMAR table.
check iommu_dmar_on grep -q "Intel(R) Virtualization Technology for Directed I/O" /tmp/boot.log
# Proves: the IOMMU invalidates through its queue, as 6.1 sets it up.
check iommu_queued_invalidation grep -q "dmar0: Using Queued invalidation" /tmp/boot.log
# Proves: edu (PCI 1234:11e8) is there, alone in its IOMMU group.
check edu_alone_in_group edu_alone
# Proves: its group has a DMA domain with strict invalidation (iommu.strict=1).
check edu_domain_strict edu_strict
[ $rc = 0 ] || grep -E "DMAR|IOMMU|iommu|KASAN" /tmp/boot.log | sed "s/^/# /"
echo "# PROGRAM-EXIT debug-boot $rc"
status=$rc

# The edu device is in this boot: mirror_fuzz below drives it too.
EDUM_FUZZ_CALLS=0 RUN_ALL_LIST=/tests/selftests-iommu-edu.list \
	RUN_ALL_TIMEOUT=900 sh /tests/run_all.sh || status=1
FUZZ_CALLS=@FUZZ_CALLS@ RUN_ALL_TIMEOUT=900 RUN_ALL_HMM_TIMEOUT=1200 \
	sh /tests/run_all.sh || status=1

echo "# PROGRAM test_hmm-reference"
echo "<4>qemu-run: begin test_hmm-reference" >/dev/kmsg
start=$(date +%s)
if ! rmmod notifier_demo; then
	echo "Bail out! cannot unload notifier_demo"
	r=1
elif ! insmod /lib/modules/extra/test_hmm.ko; then
	echo "Bail out! cannot load test_hmm"
	r=1
else
	thp=/sys/kernel/mm/transparent_hugepage/enabled
	mode=$(sed 's/.*\[\(.*\)\].*/\1/' $thp)
	echo madvise >$thp
	HMM_TESTS_ONLY="hmm.hmm_device_private.*,hmm2.hmm2_device_private.*" \
		timeout 900 /tests/hmm-tests </dev/null 2>&1
	r=$?
	echo "$mode" >$thp
	rmmod test_hmm || { echo "Bail out! cannot unload test_hmm"; r=1; }
fi
echo "# PROGRAM-TIME test_hmm-reference $(($(date +%s) - start))"
echo "# PROGRAM-EXIT test_hmm-reference $r"
[ "$r" = 0 ] || status=1

n=0
rc=0
echo "# PROGRAM debug-checks"
echo "TAP version 13"
echo "1..1"
# Proves: lockdep was still checking at the end (a report switches it off).
check lockdep_still_on grep -Eq "debug_locks: +1" /proc/lockdep_stats
[ $rc = 0 ] || grep debug_locks /proc/lockdep_stats | sed "s/^/# /"
echo "# PROGRAM-EXIT debug-checks $rc"
[ $rc = 0 ] || status=1
exit $status
EOF
)

# fold_results GUEST_LOG: the guest's framed programs with names prefixed
# "debug-kernel/"; a program left unfinished gets a failing result line
# and a closing frame.
fold_results() {
	LC_ALL=C awk '
	{ sub(/\r$/, "") }
	/^# PROGRAM(-TIME|-EXIT)? / {
		if ($2 == "PROGRAM") {
			if (cur != "")
				close_unfinished()
			cur = $3
		} else if ($3 == cur && $2 == "PROGRAM-EXIT") {
			cur = ""
		}
		$3 = "debug-kernel/" $3
		print
		next
	}
	cur != "" { print }
	function close_unfinished() {
		print "Bail out! did not finish (guest crashed or timed out)"
		print "# PROGRAM-EXIT debug-kernel/" cur " 1"
	}
	END { if (cur != "") close_unfinished() }' "$1"
}

# tally RESULTS FAILURES: print "N passed, M failed" as check.sh counts.
tally() {
	LC_ALL=C awk -v extra="$(wc -l <"$2")" '
	/^# PROGRAM-EXIT / { if ($4 != 0 && !bad[$3]) fail++; next }
	/^# PROGRAM / { name = $3; next }
	/^ok [0-9]+/ { if (tolower($0) !~ /# *skip/) pass++; next }
	/^not ok [0-9]+/ {
		if (tolower($0) ~ /# *(todo|skip)/)
			next
		fail++
		bad[name] = 1
		print "  FAIL " name ": " $0
		next
	}
	/^Bail out!/ { fail++; bad[name] = 1; print "  FAIL " name ": " $0 }
	END { printf "%d passed, %d failed\n", pass, fail + extra }' "$1"
}

# qemu_failures OUT: one line in OUT/failures per failure qemu-run.sh
# reported in OUT/qemu-result.
qemu_failures() {
	local out=$1 key val
	if [ ! -f "$out/qemu-result" ]; then
		echo "qemu: qemu-run.sh failed before booting" >>"$out/failures"
		return
	fi
	while read -r key val; do
		case $key in
		guest-exit) [ "$val" != none ] ||
			echo "qemu: the guest did not complete, see" \
			     "$out/console.log" >>"$out/failures" ;;
		timeout) [ "$val" = 0 ] ||
			echo "qemu: timed out" >>"$out/failures" ;;
		setup-errors) [ "$val" = 0 ] ||
			echo "qemu: $val guest setup step(s) failed, see" \
			     "$out/guest.log" >>"$out/failures" ;;
		kernel-failure) echo "kernel: $val" >>"$out/failures" ;;
		esac
	done <"$out/qemu-result"
}

# stage_kernel OUT: the kernel from the cache or built, one progress line;
# sets "built" to cached or cold.
stage_kernel() {
	local out=$1 start=$SECONDS
	built=cached
	[ -f "$ENTRY/done" ] || built=cold
	if [ $built = cold ]; then
		line_open "  kernel: cold build (5-6 min on 2 CPUs), $ENTRY"
	else
		line_open "  kernel $(cat "$ENTRY/release") from the cache"
	fi
	if verbose; then
		(ensure_kernel) 2>&1 | tee "$out/kernel-build.log"
		[ "${PIPESTATUS[0]}" = 0 ] || return 1
	elif ! (ensure_kernel) >"$out/kernel-build.log" 2>&1; then
		line_close "FAILED"
		show_tail "$out/kernel-build.log" 25
		[ ! -f "$ENTRY/build.log" ] || show_tail "$ENTRY/build.log" 25
		return 1
	fi
	line_close "ok ($((SECONDS - start))s; cold build $(cat \
		   "$ENTRY/build-seconds")s)"
}

# modules_step BUILD_DIR: build_modules, whose errors end a subshell only.
modules_step() {
	(build_modules "$1")
}

run_check() {
	local build=$1 out=$2 t0 t1 t2 t3 built rc=0 ready cold calls
	mkdir -p "$out"
	out=$(cd "$out" && pwd)
	: >"$out/results.log"
	: >"$out/failures"
	: >"$out/times"
	progress_prefix=debug-kernel/
	progress_frame=$out/frame
	t0=$SECONDS
	if ! stage_kernel "$out"; then
		echo "build: the debug kernel could not be built, see" \
		     "$out/kernel-build.log" >>"$out/failures"
		tally "$out/results.log" "$out/failures"
		return 1
	fi
	t1=$SECONDS
	if ! run_logged "  modules against $(cat "$ENTRY/release")" \
	     "$out/modules.log" modules_step "$build"; then
		echo "build: this tree's modules did not build against the" \
		     "debug kernel" >>"$out/failures"
		tally "$out/results.log" "$out/failures"
		return 1
	fi
	t2=$SECONDS
	calls=${DEBUG_KERNEL_FUZZ_CALLS:-10000}
	line_open "  boot $(cat "$ENTRY/release") (intel-iommu, edu)"
	set +e
	run_qemu guest_progress "$out/qemu-run.log" "$out/guest.log" -- \
		qemu_run "$build" --timeout "${DEBUG_KERNEL_TIMEOUT:-2400}" \
		--log "$out/console.log" --kernel-log "$out/kernel.log" \
		--guest-log "$out/guest.log" --result "$out/qemu-result" \
		-- "${GUEST_CMD_TEMPLATE//@FUZZ_CALLS@/$calls}"
	set -e
	t3=$SECONDS
	[ -f "$out/guest.log" ] || : >"$out/guest.log"
	fold_results "$out/guest.log" >"$out/results.log"
	qemu_failures "$out"
	grep -q '^# PROGRAM ' "$out/results.log" ||
		echo "qemu: no test program ran on the debug kernel" \
		     >>"$out/failures"
	ready=$(sed -n 's/^qemu-run: guest ready at \(.*\)s uptime\r\{0,1\}$/\1/p' \
		"$out/guest.log" | tail -n 1)
	cold=$(cat "$ENTRY/build-seconds" 2>/dev/null || echo 0)
	{
		echo "kernel $built $((t1 - t0))"
		echo "cold-build $cold"
		echo "modules $((t2 - t1))"
		echo "qemu $((t3 - t2))"
		echo "stage $((t3 - t0))"
		echo "fuzz-calls $calls"
	} >"$out/times"
	line_note "debug-kernel: stage $((t3 - t0))s" \
		  "(kernel $((t1 - t0))s, modules $((t2 - t1))s, QEMU" \
		  "$((t3 - t2))s, guest ready at ${ready:-?}s); cold build" \
		  "${cold}s$([ $built = cold ] || echo ", so about" \
		  "$((t3 - t0 + cold))s without the cache")"
	sed 's/^/  FAIL /' "$out/failures"
	tally "$out/results.log" "$out/failures" >"$out/tally"
	sed '$d' "$out/tally"
	sed -n '$s/^/debug-kernel: /p' "$out/tally"
	grep -q ', 0 failed$' "$out/tally" || rc=1
	return $rc
}

# absdir DIR: DIR made absolute (and created).
absdir() {
	mkdir -p "$1" && (cd "$1" && pwd)
}

[ $# -ge 1 ] || usage
cmd=$1
shift
[ $# -eq 0 ] || [ "$cmd" = dir ] || [ "$cmd" = build ] ||
	set -- "$(absdir "$1")" "${@:2}"
case $cmd in
dir)	[ $# -eq 0 ] || usage
	echo "$ENTRY" ;;
build)	[ $# -eq 0 ] || usage
	ensure_kernel >&2
	echo "$ENTRY" ;;
modules) [ $# -eq 1 ] || usage
	ensure_kernel
	build_modules "$1" ;;
run)	[ $# -ge 1 ] || usage
	build=$1
	shift
	ensure_kernel
	build_modules "$build"
	qemu_run "$build" "$@" ;;
check)	[ $# -eq 2 ] || usage
	run_check "$1" "$2" ;;
prune)	[ $# -eq 0 ] || usage
	for old in "$(dirname "$ENTRY")"/debug-kernel-*; do
		case $old in "$ENTRY"|"$ENTRY.lock"|*'*') continue ;; esac
		note "removing $old"
		rm -rf "$old"
	done ;;
-h|--help) usage ;;
*)	usage ;;
esac
}
