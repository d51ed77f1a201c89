#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# module_unload.sh - the helper and its clients unload cleanly and refuse
# to unload while in use (busybox sh, in the test guest, run last by
# run_all.sh because it unloads and reloads every module of this tree).
# Flat KTAP.  Kernel warnings during unload are caught by the runner.

moddir=${MODDIR:-/lib/modules/mmu-mirror}
n=0
fails=0

ok() {
	n=$((n + 1))
	echo "ok $n $1"
}

not_ok() {
	n=$((n + 1))
	fails=$((fails + 1))
	echo "not ok $n $1"
}

loaded() {
	grep -q "^$1 " /proc/modules
}

echo "TAP version 13"
echo "1..5"

if ! loaded mmu_mirror || ! loaded notifier_demo; then
	echo "# mmu_mirror or notifier_demo is not loaded"
	echo "Bail out! modules missing"
	exit 1
fi

# Proves: a client module cannot go while one of its files is open.
exec 3<>/dev/hmm_dmirror0
if rmmod notifier_demo 2>/dev/null; then
	not_ok "client_busy_while_open"
else
	loaded notifier_demo && ok "client_busy_while_open" ||
		not_ok "client_busy_while_open"
fi
exec 3>&-

# Proves: the helper cannot go while a client module uses it.
if rmmod mmu_mirror 2>/dev/null; then
	not_ok "helper_busy_while_clients_loaded"
else
	ok "helper_busy_while_clients_loaded"
fi

# Every module of this tree the guest loaded, in load order (the helper
# first), as the runner lists them; the clients unload in reverse order.
modlist=${MODLIST:-/etc/qemu-run/modules}
if [ -f "$modlist" ]; then
	mods=$(sed 's/\.ko$//' "$modlist")
else
	mods="mmu_mirror notifier_demo kvm_mirror"
fi
clients=""
for m in $mods; do
	[ "$m" = mmu_mirror ] || clients="$m $clients"
done

# Proves: with no user left, clients then the helper unload.
rc=0
for m in $clients; do
	if loaded $m; then
		rmmod $m || rc=1
	fi
done
rmmod mmu_mirror || rc=1
if [ $rc = 0 ] && ! loaded mmu_mirror && ! loaded notifier_demo; then
	ok "unload_all"
else
	not_ok "unload_all"
fi

# Proves: the helper's debugfs directory went with it.
if [ -d /sys/kernel/debug/mmu_mirror ]; then
	not_ok "debugfs_removed"
else
	ok "debugfs_removed"
fi

# Proves: the modules load again and the device works after a reload.
rc=0
for m in $mods; do
	[ ! -f "$moddir/$m.ko" ] || insmod "$moddir/$m.ko" || rc=1
done
if [ $rc = 0 ] && [ -c /dev/hmm_dmirror0 ] &&
   { exec 3<>/dev/hmm_dmirror0; } 2>/dev/null; then
	exec 3>&-
	ok "reload"
else
	not_ok "reload"
fi

echo "# totals: pass:$((n - fails)) fail:$fails"
[ $fails = 0 ]
