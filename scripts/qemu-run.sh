#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# qemu-run.sh - boot the installed Debian kernel under QEMU with a busybox
# initramfs that holds this tree's modules and test programs, run one
# command in the guest, and report whether the command and the kernel
# both stayed healthy.
#
# Usage: scripts/qemu-run.sh [options] [--] [GUEST_COMMAND...]
#
#   --timeout SECS   kill QEMU and fail after SECS (default 600; 0 = never;
#                    --shell defaults to 0)
#   --mem MB         guest memory (default 1024)
#   --smp N          guest CPUs (default 2)
#   --icount SHIFT   virtual time from the instruction count (QEMU -icount
#                    shift=SHIFT): the guest clock advances 2^SHIFT ns per
#                    instruction, whatever the host's load, so benchmark
#                    timings repeat from run to run
#   --shell          interactive shell on the console instead of a command
#                    (Ctrl-A x quits QEMU, Ctrl-A c toggles its monitor)
#   --append ARGS    extra kernel command line arguments
#   --iommu-edu      add an emulated Intel IOMMU and QEMU's edu DMA device
#                    behind it (intel-iommu,caching-mode=on,aw-bits=48;
#                    edu,dma_mask=2^48-1), boot with intel_iommu=on
#                    iommu.strict=1 edu_mirror.test_knobs=1
#   --log FILE       merged live view, as printed on stdout
#                    (default $O_DIR/qemu-console.log)
#   --kernel-log F   kernel console only (default $O_DIR/qemu-kernel.log)
#   --guest-log F    guest userspace output only (default $O_DIR/qemu-guest.log)
#   --result FILE    machine-readable verdict, see "Result file" below
#   --kernel IMAGE   boot IMAGE instead of /boot/vmlinuz-$KVER
#   --kmod-dir DIR   the kernel's modules (DIR/kernel, DIR/modules.dep,
#                    DIR/modules.builtin) instead of /lib/modules/$KVER
#   --ko-dir DIR     take this tree's modules from DIR instead of the
#                    repository (a copy built against another kernel)
#   --numa N         N NUMA nodes of one socket each, the memory and the
#                    CPUs split evenly (default: one node)
#   --device SPEC    add "-device SPEC" to QEMU's command line, after the
#                    q35 machine's own devices (repeatable, in order; e.g.
#                    intel-iommu,caching-mode=on before the devices behind
#                    it, as QEMU wants)
#
# GUEST_COMMAND words are joined with spaces and run by "sh -c" in the
# guest, like ssh does: quote a whole pipeline as one argument.  It runs in
# /tests with /tests first in PATH.  Without a command the guest only boots,
# sets up and powers off.
#
# Environment: KVER (default: newest version under /lib/modules) selects
# /boot/vmlinuz-$KVER and the stock modules; O_DIR (default <repo>/build)
# holds the temporary initramfs and the logs; QEMU_RUN_MAX_LINES (default
# 20000, 0 = no limit) caps the guest output lines shown on stdout, kernel
# messages are always shown and the log files are always complete.
#
# Guest kernel command line knobs (pass with --append):
#   mm.zram=SIZE      zram swap size, 0 for none (default 512M)
#   mm.hugepages=N    vm.nr_hugepages (default 8)
#   MODULE.PARAM=VAL  passed to insmod of this tree's module MODULE
#
# Guest setup besides those: cgroup2 mounted at /sys/fs/cgroup (no
# controller enabled), and an ext4 file system on a loop device mounted at
# /mnt/ext4 for tests of file-backed memory (skipped with a warning when
# the kernel has no ext4 or loop module or the host has no mke2fs).
#
# Initramfs contents (a stock module the kernel has built in is left out,
# and nothing is loaded for it):
#   /bin                       busybox-static and its applet links
#   /lib/modules/kernel        zsmalloc.ko, zram.ko (loaded at boot)
#   /lib/modules/fs            crc32c_generic, loop, ext4 and the modules
#                              they depend on per modules.dep (loaded at
#                              boot, in dependency order)
#   /ext4.img                  16 MiB ext4 image made by the host's mke2fs
#   /lib/modules/extra         irqbypass, ccp, kvm, kvm-amd (not loaded; for
#                              real KVM: insmod in that order), test_hmm
#                              (not loaded; where the kernel has it)
#   /lib/modules/mmu-mirror    every *.ko under mm/ drivers/ virt/ of this
#                              tree (or of --ko-dir), loaded at boot: mmu_mirror.ko first,
#                              the rest ordered by their dependencies
#   /tests                     $O_DIR/selftests/*, $O_DIR/hmm-tests/*,
#                              $O_DIR/tools/* and
#                              tools/testing/selftests/*/*.sh;
#                              /tests/selftests.list names the programs
#                              in $O_DIR/selftests built from a
#                              tools/testing/selftests/*/*.c, minus those
#                              listed in that directory's "helpers" file;
#                              a directory with a "qemu-boot" file naming
#                              a boot (e.g. iommu-edu) lists its programs
#                              in /tests/selftests-<boot>.list instead
#
# Output: the guest has two serial ports so that kernel messages can never
# split a line of test output.
#   ttyS0  kernel console only: printk below loglevel 5, with timestamps.
#   ttyS1  all userspace output: /init's setup messages, the command's
#          stdout and stderr, and these markers, each on a line of its own:
#            @@GUEST-INIT@@               /init has started
#            @@GUEST-SETUP-ERRORS <n>@@   setup steps that failed (n > 0)
#            @@GUEST-BEGIN@@              the command starts
#            @@GUEST-EXIT <rc>@@          the command's exit status
#            @@DMESG-BEGIN@@ ... @@DMESG-END@@  the full kernel log
# Both are streamed live to stdout a line at a time.  Guest programs may
# write "qemu-run: begin <name>" to /dev/kmsg; kernel failures found after
# it are then attributed to <name>.
#
# Kernel failures: after QEMU exits, timestamped kernel console lines are
# scanned for BUG:, kernel BUG at, WARNING:, general protection fault,
# soft lockup, "blocked for more than" (hung task), RCU stalls, UBSAN:,
# IOMMU faults ("DMAR: [DMA Read ...", "DMAR: [DMA Write ..."), and, when
# not already part of such a report, Oops, Kernel panic, hung_task and
# Call Trace:.  Each report counts once and is printed.  A test that
# provokes IOMMU faults on purpose brackets them with the kernel log lines
# "qemu-run: expect DMAR fault" and "qemu-run: end DMAR fault" (or the
# next "qemu-run: begin"); the faults in between are not failures.
# The debug kernel's reports are among them: KASAN and KFENCE ("BUG:
# KASAN: ...", "BUG: KFENCE: ..."), lockdep ("WARNING: possible circular
# locking dependency detected", "WARNING: inconsistent lock state", ...),
# "BUG: sleeping function called from invalid context", DEBUG_VM
# (VM_BUG_ON: "kernel BUG at", VM_WARN_ON: "WARNING:", "BUG: Bad page
# ..."), DEBUG_LIST (a WARNING: after "list_add corruption" and the
# like), RCU-tasks stalls and "INFO: trying to register non-static key"
# (a lock used uninitialised).
#
# Boot watchdog: TCG very rarely hangs early in boot (seen once in about
# 100 boots, before any init output).  If /init has not started within
# QEMU_RUN_BOOT_TIMEOUT seconds (default 120), QEMU is killed and booted
# once more, within what is left of --timeout.
#
# Result file (--result), one item per line:
#   guest-exit <rc>|none   timeout 0|1   setup-errors <n>   boot-retries <n>
#   kernel-failure <message>   (one line per report)
#
# Exit status: 0 if the command exited 0, nothing failed during setup, no
# timeout and no kernel failure; 1 otherwise; 2 for usage or host errors.

set -eu

# The rest is one compound command, so bash has read all of it before it
# runs any: editing this file does not disturb a run already going.
{
die() { echo "qemu-run: error: $*" >&2; exit 2; }
is_uint() { case $1 in ''|*[!0-9]*) return 1 ;; esac; }
usage() { sed -n '9,35s/^# \{0,1\}//p' "$0" >&2; exit 2; }

REPO=$(cd "$(dirname "$0")/.." && pwd)
O_DIR=${O_DIR:-$REPO/build}
newest_kver() {
	local dir
	for dir in /lib/modules/[0-9]*; do
		[ ! -d "$dir" ] || basename "$dir"
	done | sort -V | tail -n 1
}
KVER=${KVER:-$(newest_kver)}

boot_timeout=${QEMU_RUN_BOOT_TIMEOUT:-120}
if ! is_uint "$boot_timeout" || [ "$boot_timeout" -eq 0 ]; then
	die "QEMU_RUN_BOOT_TIMEOUT wants seconds, got '$boot_timeout'"
fi
boot_retries=0
max_lines=${QEMU_RUN_MAX_LINES:-20000}
is_uint "$max_lines" ||
	die "QEMU_RUN_MAX_LINES wants a line count, got '$max_lines'"
timeout_s=
mem=1024
smp=2
icount=
shell=0
iommu_edu=0
extra_append=
kernel=
kmoddir=
kodir=
devices=()
numa=1
log=
klog=
glog=
result=

while [ $# -gt 0 ]; do
	opt=$1
	case $opt in
	--*=*)	val=${opt#*=}
		opt=${opt%%=*}
		shift
		set -- "$opt" "$val" "$@" ;;
	esac
	case $opt in
	--timeout|--mem|--smp|--icount|--append|--log|--kernel-log|--guest-log|\
	--result|--kernel|--kmod-dir|--ko-dir|--device|--numa)
		[ $# -ge 2 ] || die "option $opt needs an argument"
		val=$2; shift 2 ;;
	--shell) shell=1; shift; continue ;;
	--iommu-edu) iommu_edu=1; shift; continue ;;
	-h|--help) usage ;;
	--) shift; break ;;
	-*) die "unknown option '$opt' (see --help)" ;;
	*) break ;;
	esac
	case $opt in
	--timeout) is_uint "$val" || die "--timeout wants seconds, got '$val'"
		   timeout_s=$val ;;
	--mem) is_uint "$val" || die "--mem wants megabytes, got '$val'"
	       mem=$val ;;
	--smp) if ! is_uint "$val" || [ "$val" -eq 0 ]; then
			die "--smp wants a CPU count, got '$val'"
	       fi
	       smp=$val ;;
	--icount) is_uint "$val" || die "--icount wants a shift, got '$val'"
		  icount=$val ;;
	--append) extra_append="$extra_append $val" ;;
	--log) log=$val ;;
	--kernel-log) klog=$val ;;
	--guest-log) glog=$val ;;
	--result) result=$val ;;
	--kernel) kernel=$val ;;
	--kmod-dir) kmoddir=$val ;;
	--ko-dir) kodir=$val ;;
	--device) devices+=(-device "$val") ;;
	--numa) if ! is_uint "$val" || [ "$val" -eq 0 ]; then
			die "--numa wants a node count, got '$val'"
		fi
		numa=$val ;;
	esac
done

if [ "$shell" = 1 ]; then
	[ $# -eq 0 ] || die "--shell takes no guest command"
	timeout_s=${timeout_s:-0}
fi
timeout_s=${timeout_s:-600}
log=${log:-$O_DIR/qemu-console.log}
klog=${klog:-$O_DIR/qemu-kernel.log}
glog=${glog:-$O_DIR/qemu-guest.log}
guest_cmd="$*"

[ -n "$KVER" ] || die "no kernel found under /lib/modules (run 'make deps')"
kernel=${kernel:-/boot/vmlinuz-$KVER}
kmoddir=${kmoddir:-/lib/modules/$KVER}
kodir=${kodir:-$REPO}
kmods=$kmoddir/kernel
moddep=$kmoddir/modules.dep
[ -r "$kernel" ] || die "cannot read kernel image '$kernel' (KVER=$KVER)"
[ -d "$kmods" ] || die "no module tree '$kmods' (KVER=$KVER)"
[ -d "$kodir" ] || die "no directory '$kodir' (--ko-dir)"
[ -r "$moddep" ] || die "cannot read '$moddep' (KVER=$KVER)"
for tool in qemu-system-x86_64 busybox cpio gzip timeout; do
	command -v "$tool" >/dev/null ||
		die "'$tool' not found (run 'make deps')"
done
busybox=$(command -v busybox)
if command -v readelf >/dev/null &&
   LC_ALL=C readelf -l "$busybox" | grep -q 'program interpreter'; then
	die "'$busybox' is dynamically linked; install busybox-static"
fi

mkdir -p "$O_DIR" "$(dirname "$log")" "$(dirname "$klog")" \
	 "$(dirname "$glog")"
[ -z "$result" ] || mkdir -p "$(dirname "$result")"
tmp=$(mktemp -d "$O_DIR/qemu-run.XXXXXX")
qpid=
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	[ -z "$qpid" ] || kill "$qpid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

root=$tmp/root

# copy_ko SRC_WITHOUT_SUFFIX DESTDIR: copy a module, uncompressing it.
copy_ko() {
	local dst
	dst=$2/$(basename "$1").ko
	if [ -f "$1.ko" ]; then
		cp "$1.ko" "$dst"
	elif [ -f "$1.ko.xz" ]; then
		xz -dc "$1.ko.xz" >"$dst"
	elif [ -f "$1.ko.zst" ]; then
		zstd -qdc "$1.ko.zst" >"$dst"
	elif [ -f "$1.ko.gz" ]; then
		gzip -dc "$1.ko.gz" >"$dst"
	else
		return 1
	fi
}

# kmod_rel NAME: the path, relative to $kmoddir, of the stock
# module NAME ("-" and "_" alike) per modules.dep; empty if there is none.
kmod_rel() {
	LC_ALL=C awk -F: -v want="${1//-/_}" '{
		n = $1
		sub(/.*\//, "", n)
		sub(/\.ko(\.[a-z]+)?$/, "", n)
		gsub(/-/, "_", n)
		if (n == want) { print $1; exit }
	}' "$moddep"
}

# add_kmod REL DESTDIR LIST: copy the stock module REL (as kmod_rel prints
# it) into DESTDIR after the modules it depends on, appending each file
# name to LIST in load order.  Uses the caller's kmod_seen.
add_kmod() {
	local rel=$1 dep
	[ -z "${kmod_seen[$rel]:-}" ] || return 0
	kmod_seen[$rel]=1
	# shellcheck disable=SC2013 # module paths have no blanks
	for dep in $(LC_ALL=C awk -F: -v m="$rel" \
		     '$1 == m { print $2; exit }' "$moddep"); do
		add_kmod "$dep" "$2" "$3" || return 1
	done
	copy_ko "$kmoddir/${rel%.ko*}" "$2" || return 1
	basename "${rel%.ko*}.ko" >>"$3"
}

# is_builtin NAME: is the stock module NAME built into the kernel?
is_builtin() {
	grep -q "/$1\.ko\$" "$kmoddir/modules.builtin" 2>/dev/null
}

# add_ext4: the modules for ext4 on a loop device and an empty ext4 image,
# or a warning and nothing when the kernel or the host lacks something.
add_ext4() {
	local -A kmod_seen=()
	local name rel mkfs=
	local list=$root/etc/qemu-run/fs-modules

	for name in mke2fs /usr/sbin/mke2fs /sbin/mke2fs; do
		if command -v "$name" >/dev/null; then
			mkfs=$(command -v "$name")
			break
		fi
	done
	if [ -z "$mkfs" ]; then
		echo "qemu-run: warning: no mke2fs (e2fsprogs), no ext4 in" \
		     "the guest" >&2
		return 0
	fi
	: >"$list"
	for name in crc32c_generic loop ext4; do
		rel=$(kmod_rel "$name")
		if [ -z "$rel" ]; then
			# Built in: nothing to load.
			is_builtin "$name" && continue
			[ "$name" = crc32c_generic ] && continue
			echo "qemu-run: warning: kernel $KVER has no $name" \
			     "module, no ext4 in the guest" >&2
			rm -f "$list"
			return 0
		fi
		add_kmod "$rel" "$root/lib/modules/fs" "$list" ||
			die "cannot copy module $rel or its dependencies"
	done
	"$mkfs" -q -F -t ext4 -b 4096 -E root_owner=0:0 -L mirror-test \
		"$root/ext4.img" 16M || die "mke2fs of the guest's ext4 failed"
}

# mod_name KO: the module name insmod registers (and depends= refers to).
mod_name() {
	local n
	n=$(modinfo -F name "$1" 2>/dev/null || true)
	[ -n "$n" ] || n=$(basename "$1" .ko | tr - _)
	echo "$n"
}

# is_ours NAME KO...: is module NAME one of KO... (uses name_of)?
is_ours() {
	local want=$1 k
	shift
	for k in "$@"; do
		[ "${name_of[$k]}" != "$want" ] || return 0
	done
	return 1
}

# order_modules KO...: print the modules in load order, mmu_mirror first,
# then every module after the modules of this tree it depends on.
order_modules() {
	local -A name_of=() placed=()
	local -a todo=() next=()
	local ko dep deps ready progress
	for ko in "$@"; do
		name_of[$ko]=$(mod_name "$ko")
	done
	for ko in "$@"; do
		if [ "$(basename "$ko")" = mmu_mirror.ko ]; then
			echo "$ko"
			placed[${name_of[$ko]}]=1
		else
			todo+=("$ko")
		fi
	done
	while [ ${#todo[@]} -gt 0 ]; do
		progress=0
		next=()
		for ko in "${todo[@]}"; do
			deps=$(modinfo -F depends "$ko" 2>/dev/null || true)
			ready=1
			for dep in ${deps//,/ }; do
				is_ours "$dep" "$@" || continue
				[ -n "${placed[$dep]:-}" ] || ready=0
			done
			if [ $ready = 1 ]; then
				echo "$ko"
				placed[${name_of[$ko]}]=1
				progress=1
			else
				next+=("$ko")
			fi
		done
		if [ $progress = 0 ]; then
			echo "qemu-run: warning: circular module" \
			     "dependencies: ${next[*]}" >&2
			printf '%s\n' "${next[@]}"
			break
		fi
		todo=("${next[@]+"${next[@]}"}")
	done
}

# newc_entry NAME MODE NLINK RDEVMAJOR RDEVMINOR: one data-less cpio "newc"
# header, so that device nodes need no mknod (and no root) at pack time.
newc_entry() {
	local namesize=$((${#1} + 1))
	printf '070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x' \
		0 "$2" 0 0 "$3" 0 0 0 0 "$4" "$5" "$namesize" 0
	printf '%s\0' "$1"
	head -c $(((4 - (110 + namesize) % 4) % 4)) /dev/zero
}

build_initramfs() {
	local ko name bin src helpers list boot
	local -a ours=()

	mkdir -p "$root"/{bin,dev,etc/qemu-run,proc,sys,tmp,root,tests} \
		 "$root"/lib/modules/{kernel,extra,fs,mmu-mirror}
	ln -s bin "$root/sbin"
	mkdir -p "$root/usr"
	ln -s ../bin "$root/usr/bin"
	ln -s ../bin "$root/usr/sbin"
	cp "$busybox" "$root/bin/busybox"
	for name in $("$busybox" --list); do
		[ "$name" = busybox ] || ln -s busybox "$root/bin/$name"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
	printf 'root:x:0:\n' >"$root/etc/group"

	for ko in mm/zsmalloc drivers/block/zram/zram; do
		copy_ko "$kmods/$ko" "$root/lib/modules/kernel" ||
			is_builtin "$(basename "$ko")" ||
			die "missing $kmods/$ko.ko (zram swap needs it)"
	done
	for ko in virt/lib/irqbypass drivers/crypto/ccp/ccp \
		  arch/x86/kvm/kvm arch/x86/kvm/kvm-amd lib/test_hmm; do
		copy_ko "$kmods/$ko" "$root/lib/modules/extra" || true
	done
	add_ext4

	for ko in $(cd "$kodir" && find mm drivers virt -name '*.ko' \
		    -type f 2>/dev/null | sort); do
		name=$(basename "$ko")
		[ ! -e "$root/lib/modules/mmu-mirror/$name" ] ||
			die "two modules named $name in this tree"
		cp "$kodir/$ko" "$root/lib/modules/mmu-mirror/"
		ours+=("$root/lib/modules/mmu-mirror/$name")
	done
	for name in mmu_mirror.ko notifier_demo.ko; do
		[ -e "$root/lib/modules/mmu-mirror/$name" ] ||
			echo "qemu-run: warning: $name not built, not" \
			     "loading it (run 'make modules')" >&2
	done
	if [ ${#ours[@]} -gt 0 ]; then
		order_modules "${ours[@]}" | xargs -r -n1 basename \
			>"$root/etc/qemu-run/modules"
	else
		: >"$root/etc/qemu-run/modules"
	fi

	for src in "$O_DIR/selftests" "$O_DIR/hmm-tests" "$O_DIR/tools"; do
		[ ! -d "$src" ] || cp -a "$src/." "$root/tests/"
	done
	: >"$root/tests/selftests.list"
	for src in "$REPO"/tools/testing/selftests/*/; do
		for bin in "$src"*.sh; do
			[ ! -f "$bin" ] || cp "$bin" "$root/tests/"
		done
		list=$root/tests/selftests.list
		if [ -f "${src}qemu-boot" ]; then
			boot=$(sed 's/#.*//' "${src}qemu-boot" | tr -d ' \t\n')
			list=$root/tests/selftests-$boot.list
		fi
		helpers=${src}helpers
		for bin in "$src"*.c; do
			[ -f "$bin" ] || continue
			name=$(basename "$bin" .c)
			[ -x "$O_DIR/selftests/$name" ] || continue
			if [ -f "$helpers" ] && sed 's/#.*//' "$helpers" |
			   grep -qxF -e "$name"; then
				continue
			fi
			echo "$name" >>"$list"
		done
	done

	if [ "$shell" = 1 ]; then
		echo shell >"$root/etc/qemu-run/mode"
	else
		echo run >"$root/etc/qemu-run/mode"
	fi
	printf '%s\n' "${guest_cmd:-true}" >"$root/etc/qemu-run/cmdline"
	write_init >"$root/init"
	chmod 755 "$root/init"

	{
		(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
		 cpio -o -H newc -R 0:0 --quiet)
		newc_entry dev/console $((0020000 | 0600)) 1 5 1
		newc_entry TRAILER!!! 0 1 0 0
	} | gzip -6 >"$tmp/initramfs.cpio.gz"
}

# The guest's /init (busybox ash).
write_init() {
	cat <<'EOF'
#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# /init of the scripts/qemu-run.sh initramfs: mount, set up zram swap and
# huge pages, cgroup2, ext4 at /mnt/ext4, load the modules, run
# /etc/qemu-run/cmdline, power off.

export PATH=/tests:/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
mkdir -p /dev/hugepages /dev/shm /dev/pts
mount -t hugetlbfs hugetlbfs /dev/hugepages
mount -t tmpfs tmpfs /dev/shm
mount -t devpts devpts /dev/pts
hostname mmu-mirror

mode=$(cat /etc/qemu-run/mode)
if [ "$mode" = run ]; then
	# All userspace output goes to the second serial port.
	if [ -c /dev/ttyS1 ] && stty -F /dev/ttyS1 115200 raw -echo; then
		exec </dev/null >/dev/ttyS1 2>&1
		echo "@@GUEST-INIT@@"
	else
		echo "qemu-run: error: no /dev/ttyS1, all output on the console"
	fi
fi

errors=0
setup_error() {
	echo "qemu-run: error: $*"
	errors=$((errors + 1))
}

zram=512M
hugepages=8
for arg in $(cat /proc/cmdline); do
	case $arg in
	mm.zram=*) zram=${arg#mm.zram=} ;;
	mm.hugepages=*) hugepages=${arg#mm.hugepages=} ;;
	esac
done

# load_stock KO: insmod a stock module unless it is built in (not there).
load_stock() {
	[ ! -f "$1" ] || insmod "$1"
}

if [ "$zram" != 0 ]; then
	if load_stock /lib/modules/kernel/zsmalloc.ko &&
	   load_stock /lib/modules/kernel/zram.ko &&
	   echo "$zram" >/sys/block/zram0/disksize &&
	   mkswap /dev/zram0 >/dev/null && swapon /dev/zram0; then
		echo "qemu-run: zram swap of $zram on"
	else
		setup_error "zram swap of $zram could not be set up"
	fi
fi

echo "$hugepages" >/proc/sys/vm/nr_hugepages
got=$(cat /proc/sys/vm/nr_hugepages)
if [ "$got" -lt "$hugepages" ]; then
	setup_error "vm.nr_hugepages is $got, wanted $hugepages"
fi

mkdir -p /sys/fs/cgroup
grep -q ' /sys/fs/cgroup cgroup2 ' /proc/mounts ||
	mount -t cgroup2 cgroup2 /sys/fs/cgroup ||
	setup_error "cannot mount cgroup2 at /sys/fs/cgroup"

if [ -f /etc/qemu-run/fs-modules ]; then
	fs_ok=1
	while read -r ko; do
		insmod "/lib/modules/fs/$ko" || fs_ok=0
	done </etc/qemu-run/fs-modules
	mkdir -p /mnt/ext4
	if [ "$fs_ok" = 1 ] &&
	   mount -t ext4 -o loop /ext4.img /mnt/ext4; then
		echo "qemu-run: ext4 on a loop device at /mnt/ext4"
	else
		setup_error "ext4 at /mnt/ext4 could not be set up"
	fi
fi

# mod_args KO: the MODULE.PARAM=VAL words of the command line for KO.
mod_args() {
	name=${1%.ko}
	for arg in $(cat /proc/cmdline); do
		case $arg in
		"$name".*=*) printf '%s ' "${arg#"$name".}" ;;
		esac
	done
}

while read -r ko; do
	# shellcheck disable=SC2046 # one word per parameter
	if insmod "/lib/modules/mmu-mirror/$ko" $(mod_args "$ko"); then
		echo "qemu-run: loaded $ko"
	else
		setup_error "insmod $ko failed"
	fi
done </etc/qemu-run/modules

cd /tests || cd /
if [ "$mode" = shell ]; then
	echo "qemu-run: shell; modules not loaded by default are in" \
	     "/lib/modules/extra; 'exit' powers off"
	setsid cttyhack sh -l
	poweroff -f
fi

[ "$errors" = 0 ] || echo "@@GUEST-SETUP-ERRORS $errors@@"
read -r up _ </proc/uptime
echo "qemu-run: guest ready at ${up}s uptime"
echo "@@GUEST-BEGIN@@"
sh -c "$(cat /etc/qemu-run/cmdline)"
rc=$?
# Nothing the command left running may write after the markers.
kill -9 -1 2>/dev/null
echo "@@GUEST-EXIT $rc@@"
echo "@@DMESG-BEGIN@@"
dmesg
echo "@@DMESG-END@@"
# Closing the port waits for its output to drain before the power goes.
exec >/dev/console 2>&1
poweroff -f
EOF
}

# scan_kernel_log FILE: print one line per kernel failure report.
scan_kernel_log() {
	LC_ALL=C awk '
	BEGIN {
		head = "BUG:|kernel BUG at|^BUG [^ ]+ \\(|WARNING:|" \
		       "general protection fault|soft lockup|" \
		       "blocked for more than|rcu: INFO: .*stall|UBSAN:|" \
		       "INFO: rcu_tasks[a-z_]* detected stall|" \
		       "INFO: trying to register non-static key"
		cont = "Oops|Kernel panic|hung_task|Call Trace:"
		skip = "^(CPU: |Hardware name: |---\\[ |$)|Call Trace:|" \
		       "qemu-run: begin "
		iofault = "DMAR: \\[DMA (Read|Write)"
	}
	{ sub(/\r$/, "") }
	!/^\[ *[0-9]+\.[0-9]+\] / { next }
	{
		msg = $0
		sub(/^\[ *[0-9]+\.[0-9]+\] /, "", msg)
		if (left > 0)
			left--
		prev[3] = prev[2]
		prev[2] = prev[1]
		prev[1] = last
		last = msg
	}
	msg ~ /qemu-run: begin / {
		test = msg
		sub(/.*qemu-run: begin /, "", test)
		expect_iofault = 0
		next
	}
	msg ~ /qemu-run: expect DMAR fault/ { expect_iofault = 1; next }
	msg ~ /qemu-run: end DMAR fault/ { expect_iofault = 0; next }
	msg ~ iofault {
		if (!expect_iofault)
			print (test != "" ? "[during " test "] " : "") msg
		next
	}
	msg ~ /^---\[ end / { left = 0; next }
	msg ~ head || (msg ~ cont && left == 0) {
		what = msg
		# A bare stack dump: name it by the line that introduced it.
		for (i = 1; msg ~ /Call Trace:/ && i <= 3; i++) {
			if (prev[i] ~ skip)
				continue
			what = prev[i] " (" msg ")"
			break
		}
		print (test != "" ? "[during " test "] " : "") what
		left = 200
	}' "$1"
}

build_initramfs

# no_timer_check: under TCG on a loaded host, the IO-APIC timer check
# can miss its ticks and panic ("timer doesn't work through
# Interrupt-remapped IO-APIC", seen at a load of 7); KVM guests skip it
# the same way.
append="console=ttyS0,115200 loglevel=5 printk.time=1 panic=-1 no_timer_check"
append="$append softlockup_panic=0 rdinit=/init$extra_append"
[ "$iommu_edu" = 0 ] ||
	append="$append intel_iommu=on iommu.strict=1 edu_mirror.test_knobs=1"
smp_spec=$smp
[ "$numa" = 1 ] ||
	smp_spec="$smp,sockets=$numa,cores=$((smp / numa)),threads=1"
qemu=(qemu-system-x86_64 -machine q35 -cpu max -smp "$smp_spec" -m "$mem"
      -nodefaults -display none -no-reboot
      -kernel "$kernel" -initrd "$tmp/initramfs.cpio.gz" -append "$append")
[ -z "$icount" ] || qemu+=(-icount "shift=$icount")
# NUMA: one socket per node (CPUs of one socket on two nodes make the
# scheduler warn), the CPUs and the memory split evenly.
if [ "$numa" -gt 1 ]; then
	[ $((mem % numa)) = 0 ] && [ $((smp % numa)) = 0 ] ||
		die "--numa $numa needs --mem and --smp multiples of it"
	per=$((smp / numa))
	for ((node = 0; node < numa; node++)); do
		qemu+=(-object "memory-backend-ram,id=mem$node,size=$((mem / numa))M"
		       -numa "node,nodeid=$node,cpus=$((node * per))-$((node * per + per - 1)),memdev=mem$node")
	done
fi
# The IOMMU must exist before the PCI devices it translates for.
[ "$iommu_edu" = 0 ] ||
	qemu+=(-device intel-iommu,caching-mode=on,aw-bits=48
	       -device edu,dma_mask=0xffffffffffff)
qemu+=("${devices[@]}")

start=$(date +%s.%N)
if [ "$shell" = 1 ]; then
	: >"$log"
	set +e
	"${qemu[@]}" -chardev "stdio,id=con,mux=on,signal=off,logfile=$log" \
		-serial chardev:con -mon chardev=con,mode=readline
	rc=$?
	set -e
	exit $rc
fi

: >"$log"

# Live view: each stream line-buffered, so lines from the two ports
# interleave but are never split.  Lines are tagged K (kernel) or G (guest)
# on the way; past max_lines guest lines only kernel lines are shown.
stream() {
	tail -n +1 -s 0.2 --pid="$qpid" -F "$1" 2>/dev/null |
		sed -u "s/\r\$//; s/^/$2/"
}

# qemu_stderr: QEMU's own messages, to stderr, without the emulated
# IOMMU's report of each DMA fault: the guest kernel reports those too,
# and the kernel-log scan judges them.
qemu_stderr() {
	grep -v --line-buffered -e '^qemu-system-x86_64: vtd_' \
		-e '^qemu-system-x86_64: New fault is not recorded' >&2
}

# boot_once SECS: run QEMU once (SECS 0: no limit), streaming its output.
# Sets qrc to its exit status, and boot_hung to 1 if the guest's /init did
# not start within boot_timeout seconds (QEMU is then killed).
boot_once() {
	local spid waited=0
	: >"$klog"
	: >"$glog"
	boot_hung=0
	if [ "$1" = 0 ]; then
		"${qemu[@]}" -serial "file:$klog" -serial "file:$glog" \
			</dev/null > >(qemu_stderr) 2>&1 &
	else
		timeout -k 10 "$1" "${qemu[@]}" -serial "file:$klog" \
			-serial "file:$glog" </dev/null > >(qemu_stderr) 2>&1 &
	fi
	qpid=$!
	{ stream "$klog" K & stream "$glog" G & wait; } |
		LC_ALL=C awk -v max="$max_lines" -v glog="$glog" \
			     -v logfile="$log" '
		{
			tag = substr($0, 1, 1)
			line = substr($0, 2)
			print line >>logfile
		}
		tag == "K" || max == 0 || ++n <= max {
			print line
			fflush()
			next
		}
		n == max + 1 {
			print "qemu-run: more than " max " lines of guest" \
			      " output; only kernel messages shown from" \
			      " here (all in " glog ")"
			fflush()
		}' &
	spid=$!

	# Watch the boot: TCG very rarely hangs early in boot, before init.
	while ! grep -q '^@@GUEST-INIT@@' "$glog" &&
	      kill -0 "$qpid" 2>/dev/null; do
		if [ $waited -ge $((boot_timeout * 2)) ]; then
			boot_hung=1
			kill "$qpid" 2>/dev/null
			break
		fi
		sleep 0.5
		waited=$((waited + 1))
	done
	wait "$qpid"
	qrc=$?
	qpid=
	wait "$spid"
}

set +e
boot_once "$timeout_s"
if [ "$boot_hung" = 1 ]; then
	cp "$klog" "${klog%.log}-hung.log"
	echo "qemu-run: warning: the guest did not reach /init within" \
	     "${boot_timeout}s; booting again (kernel log of the hung boot:" \
	     "${klog%.log}-hung.log)"
	left=0
	if [ "$timeout_s" != 0 ]; then
		left=$(awk -v a="$start" -v b="$(date +%s.%N)" \
			   -v t="$timeout_s" \
			   'BEGIN { l = int(t - (b - a)); print (l > 1 ? l : 1) }')
	fi
	boot_once "$left"
	boot_retries=1
	[ "$boot_hung" = 0 ] ||
		echo "qemu-run: FAIL: the guest hung before /init twice"
fi
set -e
end=$(date +%s.%N)

timed_out=0
case $qrc in
124|137) [ "$timeout_s" = 0 ] || timed_out=1 ;;
esac
guest_rc=$(tr -d '\r' <"$glog" | sed -n 's/^@@GUEST-EXIT \([0-9]*\)@@$/\1/p' |
	   tail -n 1)
setup_errors=$(tr -d '\r' <"$glog" |
	       sed -n 's/^@@GUEST-SETUP-ERRORS \([0-9]*\)@@$/\1/p' | tail -n 1)
setup_errors=${setup_errors:-0}
failures=$(scan_kernel_log "$klog")
ready=$(tr -d '\r' <"$glog" |
	sed -n 's/^qemu-run: guest ready at \(.*\)s uptime$/\1/p' | tail -n 1)

if [ -n "$result" ]; then
	{
		echo "guest-exit ${guest_rc:-none}"
		echo "timeout $timed_out"
		echo "setup-errors $setup_errors"
		echo "boot-retries $boot_retries"
		[ -z "$failures" ] || printf '%s\n' "$failures" |
			sed 's/^/kernel-failure /'
	} >"$result"
fi

status=0
echo "qemu-run: QEMU ran $(awk -v a="$start" -v b="$end" \
	'BEGIN { printf "%.1f", b - a }')s (guest ready at ${ready:-?}s" \
	"uptime); logs: $log $klog $glog"
if [ $timed_out = 1 ]; then
	echo "qemu-run: FAIL: timed out after ${timeout_s}s, QEMU killed"
	status=1
elif [ "$qrc" != 0 ]; then
	echo "qemu-run: FAIL: QEMU exited with status $qrc"
	status=1
fi
if [ -z "$guest_rc" ]; then
	[ $timed_out = 1 ] ||
		echo "qemu-run: FAIL: the guest command did not finish" \
		     "(no @@GUEST-EXIT@@ marker; boot failure or panic?)"
	status=1
elif [ "$guest_rc" != 0 ]; then
	echo "qemu-run: FAIL: the guest command exited with status $guest_rc"
	status=1
fi
if [ "$setup_errors" != 0 ]; then
	echo "qemu-run: FAIL: $setup_errors guest setup step(s) failed"
	status=1
fi
if [ -n "$failures" ]; then
	printf '%s\n' "$failures" | sed 's/^/qemu-run: FAIL: kernel: /'
	status=1
fi
[ $status != 0 ] || echo "qemu-run: OK"
exit $status
}
