// SPDX-License-Identifier: GPL-2.0
/*
 * kvmm_main.c - /dev/kvm_mirror and the VM file
 *
 * KVMM_CREATE_VM on /dev/kvm_mirror makes a VM bound to the caller's mm
 * and returns a file descriptor for it; the VM file holds the VM (and
 * through the mirror an mmgrab() of the mm), so /dev/kvm_mirror may be
 * closed at once.  Closing the last reference to the VM file destroys the
 * VM: every memslot window is removed, every entry zapped with a final
 * flush, the notifiers unsubscribed.  When the owner process exits
 * first, the helper's release callback zaps everything at exit_mmap()
 * time and later faults fail with -ESRCH; the file stays valid until it
 * is closed.
 *
 * This file is only the kernel glue; the VM itself (kvmm_vm.c,
 * kvmm_memslot.c, kvmm_run.c) also builds in the userspace model.
 */
#include <linux/anon_inodes.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include "kvmm.h"

/*
 * Test only.  VMs created while it is set get a flush that keeps their
 * TLB's entries (it only takes their write permission away): vCPUs then
 * load from pages through translations the helper removed, which is
 * what a VM that forgets its TLB flush does.  The selftest kvmm_tlb sets
 * it for one VM to prove that the flush is needed.
 */
static bool tlb_skip_flush;
module_param(tlb_skip_flush, bool, 0644);
MODULE_PARM_DESC(tlb_skip_flush,
		 "TEST ONLY: VMs created while set keep stale TLB entries (default: off)");

static long kvmm_vm_file_ioctl(struct file *filp, unsigned int cmd,
			       unsigned long arg)
{
	return kvmm_vm_ioctl(filp->private_data, cmd, (void __user *)arg);
}

/* The last reference is gone, so no ioctl runs. */
static int kvmm_vm_release(struct inode *inode, struct file *filp)
{
	kvmm_vm_destroy(filp->private_data);
	return 0;
}

static const struct file_operations kvmm_vm_fops = {
	.owner		= THIS_MODULE,
	.release	= kvmm_vm_release,
	.unlocked_ioctl	= kvmm_vm_file_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static int kvmm_create_vm(unsigned long flags)
{
	struct kvmm_vm *vm;
	char name[32];
	int fd;

	if (flags & ~(unsigned long)KVMM_VM_PINNED)
		return -EINVAL;
	if (!current->mm)
		return -EINVAL;

	snprintf(name, sizeof(name), "kvm-%d", task_tgid_nr(current));
	vm = kvmm_vm_create(current->mm, flags, name);
	if (IS_ERR(vm))
		return PTR_ERR(vm);
	/* No memslot yet, so no flush can run before this. */
	vm->tlb_skip_flush = READ_ONCE(tlb_skip_flush);

	/* Installs the descriptor: @vm must not be touched afterwards. */
	fd = anon_inode_getfd("kvm-mirror-vm", &kvmm_vm_fops, vm,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0)
		kvmm_vm_destroy(vm);
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
