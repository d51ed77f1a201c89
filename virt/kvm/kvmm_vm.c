// SPDX-License-Identifier: GPL-2.0
/*
 * kvmm_vm.c - a VM: its mirror, its flush and the VM file's commands
 *
 * A VM is one mirror of the creator's mm whose windows are the memslots
 * (kvmm_memslot.c) and whose users are vCPU runs (kvmm_run.c).  This file
 * creates and destroys it and executes the commands of the VM file; like
 * the other two it uses only the kernel-API functions every kernel file
 * may use, so the three build unchanged in the kernel module and in the
 * userspace model.  kvmm_main.c is the kernel glue: /dev/kvm_mirror and
 * the anonymous-inode VM file.
 *
 * Aging needs nothing here: the VM's TLB sets the accessed bit of every
 * entry a vCPU walks to, the helper's clear_flush_young, clear_young and
 * test_young hooks report and clear those bits for the core VM's
 * reclaim, as KVM's kvm_mmu_notifier_clear_flush_young() does for sptes,
 * and the TLB drops its entries after such a pass so that the next
 * accesses walk the table again.
 */
#include <linux/err.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "kvmm.h"

/*
 * Empty the VM's TLB, as KVM's remote TLB flush does, before the core VM
 * may free a page the guest reached; counted, so that tests can check
 * what the driver sees: one call per invalidation that removed entries,
 * whatever the number of memslots it covered.  Called under the mirror's
 * spinlock.
 */
static void kvmm_flush(struct mmu_mirror *mirror)
{
	struct kvmm_vm *vm = mmu_mirror_priv(mirror);

	atomic64_inc(&vm->tlb_flushes);
	if (unlikely(vm->tlb_skip_flush))
		mmu_mirror_tlb_revoke_writes(&vm->tlb);
	else
		mmu_mirror_tlb_flush(&vm->tlb);
}

static const struct mmu_mirror_ops kvmm_mirror_ops = {
	.flush = kvmm_flush,
};

/**
 * kvmm_vm_create() - make a VM bound to an address space
 * @mm: the creator's mm; the VM's mirror grabs it (mmgrab())
 * @flags: KVMM_CREATE_VM flags
 * @name: name of the mirror in debugfs
 *
 * Context: process context, may sleep.
 * Return: the VM; ERR_PTR(-EINVAL) for unknown @flags, ERR_PTR(-ENOMEM),
 * or an error of mmu_mirror_create().
 */
struct kvmm_vm *kvmm_vm_create(struct mm_struct *mm, unsigned long flags,
			       const char *name)
{
	struct mmu_mirror *mirror;
	struct kvmm_vm *vm;

	if (flags & ~(unsigned long)KVMM_VM_PINNED)
		return ERR_PTR(-EINVAL);

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return ERR_PTR(-ENOMEM);
	init_rwsem(&vm->slots_sem);
	atomic64_set(&vm->tlb_flushes, 0);
	vm->flags = flags;

	mirror = mmu_mirror_create(mm, &kvmm_mirror_ops,
				   (flags & KVMM_VM_PINNED) ?
				   MMU_MIRROR_PINNED : 0, name, vm);
	if (IS_ERR(mirror)) {
		kfree(vm);
		return ERR_CAST(mirror);
	}
	mmu_mirror_tlb_init(&vm->tlb, mirror);
	vm->mirror = mirror;
	return vm;
}

/**
 * kvmm_vm_destroy() - free a VM
 * @vm: the VM, from kvmm_vm_create()
 *
 * Destroying the mirror removes every memslot window (waiting out a
 * running invalidation), zaps and flushes, unsubscribes and drops the mm.
 * The owner's mm may already have exited.
 *
 * Context: process context, may sleep; no command runs on @vm any more.
 */
void kvmm_vm_destroy(struct kvmm_vm *vm)
{
	mmu_mirror_destroy(vm->mirror);
	kfree(vm);
}

/* Like KVM, only the process that created the VM may change or run it. */
static bool kvmm_is_owner(const struct kvmm_vm *vm)
{
	return current->mm == mmu_mirror_mm(vm->mirror);
}

static long kvmm_ioctl_set_memslot(struct kvmm_vm *vm, void __user *uarg)
{
	struct kvmm_memslot mem;

	if (!kvmm_is_owner(vm))
		return -EIO;
	if (copy_from_user(&mem, uarg, sizeof(mem)))
		return -EFAULT;
	return kvmm_set_memslot(vm, &mem);
}

static long kvmm_ioctl_run(struct kvmm_vm *vm, void __user *uarg)
{
	struct kvmm_run run;
	int ret;

	if (!kvmm_is_owner(vm))
		return -EIO;
	if (copy_from_user(&run, uarg, sizeof(run)))
		return -EFAULT;
	ret = kvmm_vcpu_run(vm, &run);
	if (ret)
		return ret;
	if (copy_to_user(uarg, &run, sizeof(run)))
		return -EFAULT;
	return run.error;
}

/* Counters may be read by any process holding the VM file. */
static long kvmm_ioctl_get_stats(struct kvmm_vm *vm, void __user *uarg)
{
	struct mmu_mirror_tlb_stats tst;
	struct mmu_mirror_stats st;
	struct kvmm_stats out = { };

	mmu_mirror_get_stats(vm->mirror, &st);
	MMU_MIRROR_STATS_ASSERT_PREFIX(struct kvmm_stats);
	memcpy(&out, &st, sizeof(st));
	out.tlb_flushes = atomic64_read(&vm->tlb_flushes);
	mmu_mirror_tlb_get_stats(&vm->tlb, &tst);
	out.tlb_hits = tst.hits;
	out.tlb_misses = tst.misses;
	out.tlb_emptied = tst.emptied;
	out.tlb_dropped = tst.dropped;
	out.tlb_fill_races = tst.fill_races;
	out.tlb_age_resets = tst.age_resets;
	down_read(&vm->slots_sem);
	out.nr_slots = vm->nr_slots;
	up_read(&vm->slots_sem);
	out.vm_flags = vm->flags;
	return copy_to_user(uarg, &out, sizeof(out)) ? -EFAULT : 0;
}

/**
 * kvmm_vm_ioctl() - execute one command of the VM file
 * @vm: the VM
 * @cmd: KVMM_SET_MEMSLOT, KVMM_RUN or KVMM_GET_STATS
 * @uarg: user pointer to the command's argument
 *
 * Context: process context, may sleep; takes the VM's and the helper's
 * locks, none of them across user copies.
 * Return: 0 on success; for KVMM_RUN, the run's error once the run block
 * was accepted; -EIO when a process other than the VM owner changes or
 * runs the VM; -EFAULT for a bad @uarg; -ENOTTY for an unknown @cmd;
 * otherwise the errors of kvmm_set_memslot() and kvmm_vcpu_run().
 */
long kvmm_vm_ioctl(struct kvmm_vm *vm, unsigned int cmd, void __user *uarg)
{
	switch (cmd) {
	case KVMM_SET_MEMSLOT:
		return kvmm_ioctl_set_memslot(vm, uarg);
	case KVMM_RUN:
		return kvmm_ioctl_run(vm, uarg);
	case KVMM_GET_STATS:
		return kvmm_ioctl_get_stats(vm, uarg);
	default:
		return -ENOTTY;
	}
}
