// SPDX-License-Identifier: GPL-2.0
/*
 * model_oom_kill.c - the OOM reaper
 *
 * Counterpart of __oom_reap_task_mm() in mm/oom_kill.c: with mmap_lock
 * only trylocked, each private VMA is zapped under a non-blockable
 * MMU_NOTIFY_UNMAP invalidation (no MMU_NOTIFIER_RANGE_BLOCKABLE).  A
 * subscriber that would have to sleep answers -EAGAIN; that VMA is then
 * skipped and the reap reports -EAGAIN so the caller can try again, as
 * the reaper does.
 */
#include "internal.h"

/**
 * model_oom_reap() - free the anonymous memory of an OOM victim
 * @mm: the victim's mm; the caller holds a reference (mm_count suffices
 *	while the mappings exist)
 *
 * Context: process context, no locks held; never sleeps in the notifier
 * calls, only trylocks mmap_lock.
 * Return: 0 if every VMA was reaped, -EAGAIN if mmap_lock was contended
 * or a subscriber refused a non-blockable invalidation.
 */
int model_oom_reap(struct mm_struct *mm)
{
	struct vm_area_struct *vma;
	int ret = 0;

	if (!mmap_read_trylock(mm))
		return -EAGAIN;
	list_for_each_entry(vma, &mm->vmas, vm_list) {
		struct mmu_notifier_range range;
		struct model_gather tlb = { };

		if (vma->vm_flags & VM_SHARED)
			continue;
		mmu_notifier_range_init(&range, MMU_NOTIFY_UNMAP, 0, vma, mm,
					vma->vm_start, vma->vm_end);
		if (mmu_notifier_invalidate_range_start_nonblock(&range)) {
			ret = -EAGAIN;
			continue;
		}
		model_zap_range(mm, vma->vm_start, vma->vm_end, &tlb);
		mmu_notifier_invalidate_range_end(&range);
		model_gather_flush(&tlb);
	}
	mmap_read_unlock(mm);
	return ret;
}
