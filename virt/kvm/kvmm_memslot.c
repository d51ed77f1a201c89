// SPDX-License-Identifier: GPL-2.0
/*
 * kvmm_memslot.c - memslots as mmu_mirror windows
 *
 * Each memslot is one window of the VM's mirror with the guest physical
 * address as its secondary address.  The helper finds the memslots that
 * cover an invalidated host address through its host-range interval tree
 * (two memslots may alias one host range), and the memslot holding a
 * guest physical address through its secondary-range tree; this file
 * only keeps the id -> window table and validates requests the way KVM's
 * KVM_SET_USER_MEMORY_REGION does.
 *
 * Memslot updates and invalidations.  KVM must not publish new memslots
 * while an invalidation is between invalidate_range_start and _end: the
 * end callback has to see the slots the start callback saw
 * (kvm_swap_active_memslots() waits for mn_active_invalidate_count to
 * drop to zero).  Here the helper gives the same guarantee per window:
 *
 *  - deleting (or the first half of moving) a slot calls
 *    mmu_mirror_window_remove(), which takes the mirror's windows_sem for
 *    write (no fault of the slot is in flight), zaps and flushes the
 *    slot's entries under the mirror lock, then calls
 *    mmu_interval_notifier_remove(); when an invalidation is running in
 *    the mm, that sleeps until the invalidation has ended, so once the
 *    call returns no callback can touch the old window any more;
 *  - creating (or the second half of moving) a slot calls
 *    mmu_mirror_window_add(); when an invalidation is running, the core
 *    defers the window's insertion to the end of that invalidation and
 *    gives it an "invalidation in progress" sequence, so the first fault
 *    through the new slot waits in mmu_interval_read_begin() until the
 *    invalidation is over, exactly as if the slot had existed during it.
 *
 * vm->slots_sem, held for write across the whole update, makes a move
 * (remove, then add) atomic to vCPUs, which hold it for read while they
 * walk and fault.
 */
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/uaccess.h>
#include "kvmm.h"

static_assert(KVMM_GPA_BITS <= MMU_MIRROR_SVA_BITS);

/*
 * The checks that need no VM state, in the order KVM makes them; the
 * guest address limit is x86's kvm_mmu_max_gfn() check in
 * kvm_arch_prepare_memory_region().
 */
static int kvmm_check_memslot(const struct kvmm_memslot *mem)
{
	u64 gpa = mem->guest_phys_addr;
	u64 size = mem->memory_size;
	u64 hva = mem->userspace_addr;

	if (mem->flags & ~KVMM_MEM_READONLY)
		return -EINVAL;
	if (mem->slot >= KVMM_MAX_SLOTS)
		return -EINVAL;
	if (!IS_ALIGNED(size, PAGE_SIZE) || size != (unsigned long)size)
		return -EINVAL;
	if (!IS_ALIGNED(gpa, PAGE_SIZE))
		return -EINVAL;
	if (!IS_ALIGNED(hva, PAGE_SIZE) || hva != (unsigned long)hva ||
	    !access_ok(u64_to_user_ptr(hva), size))
		return -EINVAL;
	if (gpa + size < gpa || gpa + size > KVMM_GPA_LIMIT)
		return -EINVAL;
	return 0;
}

/* Does [gpa, gpa + size) overlap a slot other than @except? */
static bool kvmm_gpa_overlaps(struct kvmm_vm *vm,
			      const struct kvmm_slot *except, u64 gpa, u64 size)
{
	unsigned int i;

	lockdep_assert_held(&vm->slots_sem);
	for (i = 0; i < KVMM_MAX_SLOTS; i++) {
		const struct kvmm_slot *s = &vm->slots[i];

		if (s == except || !s->win)
			continue;
		if (gpa < s->gpa + s->size && s->gpa < gpa + size)
			return true;
	}
	return false;
}

static unsigned int kvmm_window_flags(u32 slot_flags)
{
	return (slot_flags & KVMM_MEM_READONLY) ? MMU_MIRROR_WINDOW_READONLY :
						  0;
}

static int kvmm_create_slot(struct kvmm_vm *vm, struct kvmm_slot *slot,
			    const struct kvmm_memslot *mem)
{
	struct mmu_mirror_window *win;

	if (kvmm_gpa_overlaps(vm, NULL, mem->guest_phys_addr,
			      mem->memory_size))
		return -EEXIST;
	win = mmu_mirror_window_add(vm->mirror, mem->userspace_addr,
				    mem->memory_size, mem->guest_phys_addr,
				    kvmm_window_flags(mem->flags));
	if (IS_ERR(win))
		return PTR_ERR(win);
	slot->win = win;
	slot->gpa = mem->guest_phys_addr;
	slot->size = mem->memory_size;
	slot->hva = mem->userspace_addr;
	slot->flags = mem->flags;
	vm->nr_slots++;
	return 0;
}

static void kvmm_delete_slot(struct kvmm_vm *vm, struct kvmm_slot *slot)
{
	/* Waits out a running invalidation; see the top of this file. */
	mmu_mirror_window_remove(vm->mirror, slot->win);
	slot->win = NULL;
	vm->nr_slots--;
}

/*
 * Move a slot to another guest physical address: remove the old window,
 * add the new one.  If the add fails, the old window is put back; if even
 * that fails, the slot is gone and the error says why.
 */
static int kvmm_move_slot(struct kvmm_vm *vm, struct kvmm_slot *slot,
			  const struct kvmm_memslot *mem)
{
	struct mmu_mirror_window *win;
	unsigned int wflags = kvmm_window_flags(slot->flags);

	if (mem->userspace_addr != slot->hva ||
	    mem->memory_size != slot->size ||
	    ((mem->flags ^ slot->flags) & KVMM_MEM_READONLY))
		return -EINVAL;
	if (mem->guest_phys_addr == slot->gpa)
		return 0;
	if (kvmm_gpa_overlaps(vm, slot, mem->guest_phys_addr,
			      mem->memory_size))
		return -EEXIST;

	mmu_mirror_window_remove(vm->mirror, slot->win);
	win = mmu_mirror_window_add(vm->mirror, slot->hva, slot->size,
				    mem->guest_phys_addr, wflags);
	if (!IS_ERR(win)) {
		slot->win = win;
		slot->gpa = mem->guest_phys_addr;
		return 0;
	}
	slot->win = mmu_mirror_window_add(vm->mirror, slot->hva, slot->size,
					  slot->gpa, wflags);
	if (IS_ERR(slot->win)) {
		slot->win = NULL;
		vm->nr_slots--;
	}
	return PTR_ERR(win);
}

/**
 * kvmm_set_memslot() - create, move or delete a memslot
 * @vm: the VM
 * @mem: the request, copied from userspace
 *
 * Validation follows KVM's KVM_SET_USER_MEMORY_REGION: sizes and
 * addresses page aligned, no wrap-around, the host range inside the user
 * address space, an existing slot may only change its guest physical
 * address.  The new slot's pages are not touched; vCPUs fault them in.
 *
 * Context: process context of the VM owner, may sleep; takes
 * @vm->slots_sem for write, then the helper's windows_sem; waits for a
 * running invalidation of the mm to end when a window is removed.
 * Return: 0 on success (also when nothing changes); -EINVAL for bad
 * flags, ids, alignment, ranges (also a guest range ending above
 * KVMM_GPA_LIMIT), for deleting an unused slot and for
 * changing anything but the guest address of a slot; -EEXIST when the
 * guest range overlaps another slot; -ESRCH if the owner's mm has exited;
 * -ENOMEM.
 */
int kvmm_set_memslot(struct kvmm_vm *vm, const struct kvmm_memslot *mem)
{
	struct kvmm_slot *slot;
	int ret;

	might_sleep();
	ret = kvmm_check_memslot(mem);
	if (ret)
		return ret;

	down_write(&vm->slots_sem);
	slot = &vm->slots[array_index_nospec(mem->slot, KVMM_MAX_SLOTS)];
	if (!mem->memory_size) {
		ret = -EINVAL;
		if (slot->win) {
			kvmm_delete_slot(vm, slot);
			ret = 0;
		}
	} else if (!slot->win) {
		ret = kvmm_create_slot(vm, slot, mem);
	} else {
		ret = kvmm_move_slot(vm, slot, mem);
	}
	up_write(&vm->slots_sem);
	return ret;
}
