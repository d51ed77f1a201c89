// SPDX-License-Identifier: GPL-2.0
/*
 * kvmm_main.c - /dev/kvm_mirror and the VM file
 *
 * KVMM_CREATE_VM on /dev/kvm_mirror makes a VM bound to the caller's mm
 * and returns a file descriptor for it; the VM file holds the VM (and
 * through the mirror an mmgrab() of the mm), so /dev/kvm_mirror may be
 * closed at once.  Closing the last reference to the VM file destroys the
 * mirror: every memslot window is removed, every entry zapped with a
 * final flush, the notifiers unsubscribed.  When the owner process exits
 * first, the helper's release callback zaps everything at exit_mmap()
 * time and later faults fail with -ESRCH; the file stays valid until it
 * is closed.
 *
 * Aging needs nothing here: mmu_mirror_access() sets the accessed bit of
 * every entry a vCPU touches, and the helper's clear_flush_young,
 * clear_young and test_young hooks report and clear those bits for the
 * core VM's reclaim, as KVM's kvm_mmu_notifier_clear_flush_young() does
 * for sptes.
 */
#include <linux/anon_inodes.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "kvmm.h"

/*
 * The secondary TLB of this software VM is the table itself, so there is
 * nothing to drop; count the flush so that tests can see one per
 * invalidation.  Called under the mirror's spinlock.
 */
static void kvmm_flush(struct mmu_mirror *mirror)
{
	struct kvmm_vm *vm = mmu_mirror_priv(mirror);

	atomic64_inc(&vm->tlb_flushes);
}

static const struct mmu_mirror_ops kvmm_mirror_ops = {
	.flush = kvmm_flush,
};

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
	struct mmu_mirror_stats st;
	struct kvmm_stats out = { };

	mmu_mirror_get_stats(vm->mirror, &st);
	MMU_MIRROR_STATS_ASSERT_PREFIX(struct kvmm_stats);
	memcpy(&out, &st, sizeof(st));
	out.tlb_flushes = atomic64_read(&vm->tlb_flushes);
	down_read(&vm->slots_sem);
	out.nr_slots = vm->nr_slots;
	up_read(&vm->slots_sem);
	out.vm_flags = vm->flags;
	return copy_to_user(uarg, &out, sizeof(out)) ? -EFAULT : 0;
}

static long kvmm_vm_ioctl(struct file *filp, unsigned int cmd,
			  unsigned long arg)
{
	struct kvmm_vm *vm = filp->private_data;
	void __user *uarg = (void __user *)arg;

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

/*
 * The last reference is gone, so no ioctl runs: destroying the mirror
 * removes every window (waiting out a running invalidation), zaps and
 * flushes, unsubscribes and drops the mm.
 */
static int kvmm_vm_release(struct inode *inode, struct file *filp)
{
	struct kvmm_vm *vm = filp->private_data;

	mmu_mirror_destroy(vm->mirror);
	kfree(vm);
	return 0;
}

static const struct file_operations kvmm_vm_fops = {
	.owner		= THIS_MODULE,
	.release	= kvmm_vm_release,
	.unlocked_ioctl	= kvmm_vm_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static int kvmm_create_vm(unsigned long flags)
{
	struct mmu_mirror *mirror;
	struct kvmm_vm *vm;
	char name[32];
	int fd;

	if (flags & ~(unsigned long)KVMM_VM_PINNED)
		return -EINVAL;
	if (!current->mm)
		return -EINVAL;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return -ENOMEM;
	init_rwsem(&vm->slots_sem);
	atomic64_set(&vm->tlb_flushes, 0);
	vm->flags = flags;

	snprintf(name, sizeof(name), "kvm-%d", task_tgid_nr(current));
	mirror = mmu_mirror_create(current->mm, &kvmm_mirror_ops,
				   (flags & KVMM_VM_PINNED) ?
				   MMU_MIRROR_PINNED : 0, name, vm);
	if (IS_ERR(mirror)) {
		kfree(vm);
		return PTR_ERR(mirror);
	}
	vm->mirror = mirror;

	/* Installs the descriptor: @vm must not be touched afterwards. */
	fd = anon_inode_getfd("kvm-mirror-vm", &kvmm_vm_fops, vm,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		mmu_mirror_destroy(mirror);
		kfree(vm);
	}
	return fd;
}

static long kvmm_dev_ioctl(struct file *filp, unsigned int cmd,
			   unsigned long arg)
{
	switch (cmd) {
	case KVMM_CREATE_VM:
		return kvmm_create_vm(arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations kvmm_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= kvmm_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice kvmm_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "kvm_mirror",
	.fops	= &kvmm_dev_fops,
	.mode	= 0666,
};

module_misc_device(kvmm_misc);
MODULE_DESCRIPTION("KVM-style VM with memslots on the mmu_mirror helper");
MODULE_LICENSE("GPL");
