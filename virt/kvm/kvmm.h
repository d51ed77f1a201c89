/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmm.h - private declarations of the KVM-style mmu_mirror client
 *
 * A VM is one mirror (the helper's secondary address space) bound to the
 * creator's mm; each memslot is one window of that mirror whose secondary
 * address is the guest physical address.  The helper owns the secondary
 * page table, the notifier subscriptions, the fault/invalidate protocol
 * and the aging hooks; this client owns the memslot bookkeeping, the vCPU
 * loop and the ioctl interface.  kvmm_vm.c, kvmm_memslot.c and kvmm_run.c
 * build unchanged in the kernel and in the userspace model; kvmm_main.c
 * is the kernel-only glue.
 *
 * Lock order (outermost first):
 *
 *	vm->slots_sem		(rw_semaphore; memslot updates vs. vCPU faults)
 *	  mirror->windows_sem	(helper)
 *	    mm->mmap_lock	(helper fault path)
 *	      mirror->lock	(helper spinlock; the VM's flush runs under it)
 */
#ifndef _VIRT_KVM_KVMM_H
#define _VIRT_KVM_KVMM_H

#include <linux/atomic.h>
#include <linux/rwsem.h>
#include <linux/sizes.h>
#include <linux/types.h>
#include <linux/mmu_mirror.h>
#include <linux/kvm_mirror.h>

/*
 * Bytes a vCPU access bounces through kernel memory at a time; a pending
 * signal is noticed before each chunk.
 */
#define KVMM_CHUNK		SZ_64K

/*
 * Largest guest physical address + 1.  The helper's table indexes
 * MMU_MIRROR_SVA_BITS bits and would alias anything above, so the VM
 * refuses memslots and accesses past this limit itself.
 */
#define KVMM_GPA_LIMIT		BIT_ULL(KVMM_GPA_BITS)

/**
 * struct kvmm_slot - one memslot
 * @win: the helper window mapping [@hva, @hva + @size) at @gpa; NULL when
 *	the slot id is unused
 * @gpa: guest physical base address (the window's secondary address)
 * @size: size in bytes
 * @hva: host virtual base address in the VM owner's mm
 * @flags: KVMM_MEM_* flags
 */
struct kvmm_slot {
	struct mmu_mirror_window *win;
	u64 gpa;
	u64 size;
	u64 hva;
	u32 flags;
};

/**
 * struct kvmm_vm - one VM
 * @mirror: the secondary address space; owns the mm reference
 * @slots_sem: write: a memslot update (create, move, delete) from start to
 *	end, so updates are serialized and a move is atomic to vCPUs.  Read:
 *	a vCPU copying one chunk of an access (table walks and faults), so
 *	it never sees a half-moved slot; and other readers of @slots.
 *	Protects @slots and @nr_slots.
 * @slots: memslots by id
 * @nr_slots: slots with a window
 * @tlb: the VM's TLB (guest physical page -> host page), shared by its
 *	vCPUs; every guest access goes through it
 * @tlb_flushes: calls of the VM's flush callback
 * @tlb_skip_flush: test only (the tlb_skip_flush module parameter when
 *	the VM was created): the flush only takes write permission from the
 *	TLB's entries and keeps them, so vCPUs go on loading from pages
 *	through translations the helper removed
 * @flags: KVMM_CREATE_VM flags
 */
struct kvmm_vm {
	struct mmu_mirror *mirror;
	struct rw_semaphore slots_sem;
	struct kvmm_slot slots[KVMM_MAX_SLOTS];
	unsigned int nr_slots;
	struct mmu_mirror_tlb tlb;
	atomic64_t tlb_flushes;
	bool tlb_skip_flush;
	u32 flags;
};

struct mm_struct;

/* kvmm_vm.c */
struct kvmm_vm *kvmm_vm_create(struct mm_struct *mm, unsigned long flags,
			       const char *name);
void kvmm_vm_destroy(struct kvmm_vm *vm);
long kvmm_vm_ioctl(struct kvmm_vm *vm, unsigned int cmd, void __user *uarg);

/* kvmm_memslot.c */
int kvmm_set_memslot(struct kvmm_vm *vm, const struct kvmm_memslot *mem);

/* kvmm_run.c */
int kvmm_vcpu_run(struct kvmm_vm *vm, struct kvmm_run *run);

#endif /* _VIRT_KVM_KVMM_H */
