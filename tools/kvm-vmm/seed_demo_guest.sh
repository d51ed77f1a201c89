#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# seed_demo_guest.sh - the guest side of scripts/seed-demo.sh: the seed
# experiment (a stopped guest under host memory pressure) for three
# backends, two VM sizes and two kinds of pressure.  busybox sh.
#
# Usage: seed_demo_guest.sh [SMALL_MIB [LARGE_MIB]]   (default 32 128)
#
# Backends (kvm_seed --mode): mirror (our /dev/kvm_mirror, MMU notifier
# mode), pinned (/dev/kvm_mirror, KVMM_VM_PINNED) and realkvm (the
# kernel's own KVM, loaded here from /lib/modules/extra, with nested SVM).
# Pressure: "pageout" is MADV_PAGEOUT on the guest memory twice; "hog" is
# a child process writing as many MiB as the machine has RAM (MemTotal).
#
# For each backend: each VM alone under pageout, each alone under the
# hog, then both VMs at once (both started and stopped, pressure, then
# both resumed one after the other) under pageout, and under the hog.
#
# Output, for the host to collect, one line per run:
#   seed| RESULT backend=B run=alone|together vm=small|large
#         pressure=pageout|hog <kvm_seed's RESULT fields>
#   seed| ERROR backend=B run=R vm=V pressure=P mem_mib=M
#         reason=<text to the end of the line>
# (run, vm and pressure "all", and no mem_mib, when a whole backend is
# unavailable)
# plus "seed| CONFIG ..." lines first; kvm_seed's own messages are
# printed as they come, prefixed with the run.
#
# Exit status: 0 if every run produced a RESULT with intact data, 1 if a
# run failed or found bad data.
#
# The functions share global variables: busybox sh runs this, and POSIX
# sh has no "local".

set -u

small=${1:-32}
large=${2:-128}
rounds=2
tmo=600			# seconds a VM may take to reach a waiting point
tmp=/tmp/seed-demo
failed=0

mkdir -p "$tmp" || exit 1
command -v kvm_seed >/dev/null || {
	echo "seed| ERROR backend=all run=all vm=all pressure=all" \
	     "reason=kvm_seed is not in PATH ($PATH)"
	exit 1
}

memtotal=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
hog=$memtotal

# Real KVM: the stock modules, in dependency order.
kvm_error=
for m in irqbypass ccp kvm kvm-amd; do
	[ ! -d "/sys/module/$(echo $m | tr - _)" ] || continue
	if ! out=$(insmod "/lib/modules/extra/$m.ko" 2>&1); then
		kvm_error="insmod $m.ko failed: $out"
		break
	fi
done
if [ -z "$kvm_error" ] && [ ! -c /dev/kvm ]; then
	kvm_error="/dev/kvm missing after loading kvm-amd"
fi
[ -c /dev/kvm_mirror ] ||
	echo "seed-demo: warning: no /dev/kvm_mirror (kvm_mirror.ko not loaded?)"

echo "seed| CONFIG memtotal_mib=$memtotal hog_mib=$hog pageout_rounds=$rounds" \
     "small_mib=$small large_mib=$large" \
     "swap_kb=$(awk '/^SwapTotal:/ { print $2 }' /proc/meminfo)"

# The binary lives in the initramfs (tmpfs), so a hog swaps it out too;
# read it back before each run, so that every run starts with the VMM's
# own pages equally resident and the process Rss figures compare.
warm() {
	cat "$(command -v kvm_seed)" >/dev/null
}

mib_of() {
	if [ "$1" = small ]; then echo "$small"; else echo "$large"; fi
}

# pressure_opts KIND: kvm_seed's options for that pressure.
pressure_opts() {
	if [ "$1" = pageout ]; then
		echo "--pageout-rounds $rounds"
	else
		echo "--hog-mib $hog"
	fi
}

# emit BACKEND RUN VM PRESSURE OUTFILE ERRFILE RC: print the run's
# RESULT, or an ERROR naming what went wrong.
emit() {
	res=$(grep '^RESULT ' "$5" | tail -n 1)
	if [ -n "$res" ]; then
		echo "seed| RESULT backend=$1 run=$2 vm=$3 pressure=$4 ${res#RESULT }"
		case $res in
		*' data=ok'*) ;;
		*) failed=1 ;;
		esac
		return
	fi
	reason=$(grep 'error: ' "$6" | tail -n 1)
	[ -n "$reason" ] || reason=$(tail -n 1 "$6")
	[ -n "$reason" ] || reason="kvm_seed exited with status $7 and no RESULT"
	echo "seed| ERROR backend=$1 run=$2 vm=$3 pressure=$4" \
	     "mem_mib=$(mib_of "$3") reason=$reason"
	failed=1
}

# run_alone BACKEND VM PRESSURE
run_alone() {
	out=$tmp/out
	err=$tmp/err
	echo "seed-demo: $1, $2 VM ($(mib_of "$2") MiB) alone, $3"
	warm
	# shellcheck disable=SC2046 # the options are words
	kvm_seed --mode "$1" --mem "$(mib_of "$2")" --label "$1-$2" \
		$(pressure_opts "$3") </dev/null >"$out" 2>"$err"
	rc=$?
	sed "s/^/  [$1 $2 $3] /" "$err"
	emit "$1" alone "$2" "$3" "$out" "$err" "$rc"
}

# alive PID: is PID running (not gone, not a zombie waiting to be reaped)?
alive() {
	st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ]
}

# wait_for WORD FILE PID: wait until FILE has a line starting with WORD;
# fail if PID exits first or after $tmo seconds.
wait_for() {
	n=0
	while ! grep -q "^$1 " "$2" 2>/dev/null; do
		alive "$3" || { grep -q "^$1 " "$2"; return; }
		[ $n -lt $((tmo * 5)) ] || return 1
		sleep 0.2
		n=$((n + 1))
	done
}

# run_together BACKEND PRESSURE: both VMs stopped at the same time; the
# hog (if any) runs in the large VM's process, which is pressed first so
# that the small VM measures after it.
run_together() {
	ok=1
	pid=
	echo "seed-demo: $1, small and large VMs together, $2"
	warm
	for vm in large small; do
		rm -f "$tmp/fifo-$vm"
		mkfifo "$tmp/fifo-$vm"
		opts=$(pressure_opts "$2")
		[ "$2" = pageout ] || [ $vm = large ] || opts=
		# The fifo, opened read-write, never gives EOF: kvm_seed waits
		# for SIGUSR1.
		# shellcheck disable=SC2086
		kvm_seed --mode "$1" --mem "$(mib_of $vm)" --label "$1-$vm" \
			--wait --wait-resume $opts <>"$tmp/fifo-$vm" \
			>"$tmp/out-$vm" 2>"$tmp/err-$vm" &
		eval "pid_$vm=$!"
	done
	for vm in large small; do
		eval "pid=\$pid_$vm"
		wait_for STOPPED "$tmp/out-$vm" "$pid" || ok=0
	done
	# Pressure, one VM after the other; both stay stopped meanwhile.
	for vm in large small; do
		eval "pid=\$pid_$vm"
		[ $ok = 1 ] || break
		kill -USR1 "$pid" 2>/dev/null
		wait_for PRESSED "$tmp/out-$vm" "$pid" || ok=0
	done
	# Resume one after the other, so that each one's swap-ins are its own.
	for vm in small large; do
		eval "pid=\$pid_$vm"
		if [ $ok = 1 ]; then
			kill -USR1 "$pid" 2>/dev/null
		elif alive "$pid"; then
			kill -9 "$pid" 2>/dev/null
			echo "killed: the pair did not reach its waiting" \
			     "points (the other VM failed, or ${tmo}s passed)" \
			     >>"$tmp/err-$vm"
		fi
		wait "$pid"
		rc=$?
		sed "s/^/  [$1 $vm+ $2] /" "$tmp/err-$vm"
		emit "$1" together "$vm" "$2" "$tmp/out-$vm" "$tmp/err-$vm" "$rc"
		rm -f "$tmp/fifo-$vm"
	done
}

for backend in mirror pinned realkvm; do
	if [ $backend = realkvm ] && [ -n "$kvm_error" ]; then
		echo "seed| ERROR backend=realkvm run=all vm=all pressure=all" \
		     "reason=$kvm_error"
		failed=1
		continue
	fi
	for p in pageout hog; do
		for vm in small large; do
			run_alone $backend $vm $p
		done
	done
	for p in pageout hog; do
		run_together $backend $p
	done
done

exit $failed
