// SPDX-License-Identifier: GPL-2.0
/*
 * model_mmap.c - address spaces and VMAs of the model
 *
 * Counterpart of kernel/fork.c (mm lifetime), mm/mmap.c (mmap, munmap,
 * exit_mmap), mm/mprotect.c and mm/madvise.c (MADV_DONTNEED).  VMAs are
 * anonymous and private; they sit on a list sorted by address, protected
 * by mmap_lock.  The MMU notifier calls are made where Linux 6.1 makes
 * them, with the same events and ranges:
 *
 *	munmap		one MMU_NOTIFY_UNMAP over the unmapped range
 *	exit_mmap	mmu_notifier_release(), then MMU_NOTIFY_UNMAP over
 *			[0, ULONG_MAX)
 *	MADV_DONTNEED	one MMU_NOTIFY_CLEAR per VMA, clipped to it
 *	mprotect	MMU_NOTIFY_PROTECTION_VMA per populated 1 GiB span
 *	COW fault	MMU_NOTIFY_CLEAR over the page (model_memory.c)
 *	fork		MMU_NOTIFY_PROTECTION_PAGE per parent VMA
 *			(model_fork.c)
 *	mremap		MMU_NOTIFY_UNMAP over the old range while moving,
 *			then munmap of it (model_mremap.c)
 *	reclaim		young hooks, MMU_NOTIFY_CLEAR over each page
 *			unmapped, without mmap_lock (model_vmscan.c)
 *	migration	MMU_NOTIFY_CLEAR over each page moved, without
 *			mmap_lock (model_migrate.c)
 *	OOM reaper	non-blockable MMU_NOTIFY_UNMAP per VMA
 *			(model_oom_kill.c)
 *
 * Every mm sits on mm_list from creation until its last mmdrop(), so
 * reclaim can check that a frame's anon_mm is still a live mm.
 *
 * Reverse-map walkers (reclaim, migration) do not take mmap_lock, as in
 * Linux: they hold mm->rmap_lock for read, which stands for the anon_vma
 * locks.  So every change of the VMA list (and of a VMA's bounds) and the
 * freeing of page tables is made with rmap_lock held for write as well,
 * inside mmap_lock; model_rmap_vma_lookup() is the walkers' lookup.
 */
#include "internal.h"

#define MODEL_MMAP_BASE	0x10000000UL

static LIST_HEAD(mm_list);		/* every mm with mm_count > 0 */
static DEFINE_SPINLOCK(mm_list_lock);	/* protects mm_list */

struct mm_struct *model_mm_create(void)
{
	struct mm_struct *mm = kzalloc(sizeof(*mm), GFP_KERNEL);

	if (!mm)
		return NULL;
	mm->pgd = (u64 *)get_zeroed_page(GFP_KERNEL);
	if (!mm->pgd) {
		kfree(mm);
		return NULL;
	}
	init_rwsem(&mm->mmap_lock);
	init_rwsem(&mm->rmap_lock);
	spin_lock_init(&mm->page_table_lock);
	atomic_set(&mm->mm_users, 1);
	atomic_set(&mm->mm_count, 1);
	INIT_LIST_HEAD(&mm->vmas);
	mm->mmap_base = MODEL_MMAP_BASE;
	spin_lock(&mm_list_lock);
	list_add(&mm->mm_list, &mm_list);
	spin_unlock(&mm_list_lock);
	return mm;
}

/**
 * model_mm_tryget() - take mm_count of an mm that may be gone
 * @mm: a pointer that was an mm (a frame's anon_mm)
 *
 * Context: any context; takes mm_list_lock.
 * Return: @mm with an mmgrab() reference, or NULL if it is no live mm.
 */
struct mm_struct *model_mm_tryget(struct mm_struct *mm)
{
	struct mm_struct *pos, *ret = NULL;

	spin_lock(&mm_list_lock);
	list_for_each_entry(pos, &mm_list, mm_list) {
		if (pos == mm) {
			if (atomic_inc_not_zero(&mm->mm_count))
				ret = mm;
			break;
		}
	}
	spin_unlock(&mm_list_lock);
	return ret;
}

/**
 * find_vma() - the first VMA ending above an address
 * @mm: the mm
 * @addr: user address
 *
 * Context: mmap_lock held.
 * Return: the VMA, or NULL.
 */
struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma;

	mmap_assert_locked(mm);
	list_for_each_entry(vma, &mm->vmas, vm_list)
		if (vma->vm_end > addr)
			return vma;
	return NULL;
}

/**
 * model_rmap_vma_lookup() - the VMA containing an address, for an rmap walk
 * @mm: the mm
 * @addr: user address
 *
 * Context: @mm's rmap_lock held (for read is enough), mmap_lock not needed.
 * Return: the VMA, or NULL.
 */
struct vm_area_struct *model_rmap_vma_lookup(struct mm_struct *mm,
					     unsigned long addr)
{
	struct vm_area_struct *vma;

	lockdep_assert_held(&mm->rmap_lock);
	list_for_each_entry(vma, &mm->vmas, vm_list)
		if (vma->vm_end > addr)
			return vma->vm_start <= addr ? vma : NULL;
	return NULL;
}

/**
 * vma_lookup() - the VMA containing an address
 * @mm: the mm
 * @addr: user address
 *
 * Context: mmap_lock held.
 * Return: the VMA, or NULL.
 */
struct vm_area_struct *vma_lookup(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma = find_vma(mm, addr);

	return vma && vma->vm_start <= addr ? vma : NULL;
}

/* Insert @new into mm->vmas by address; mmap_lock held for write. */
void model_vma_link(struct mm_struct *mm, struct vm_area_struct *new)
{
	struct vm_area_struct *vma;

	mmap_assert_write_locked(mm);
	down_write(&mm->rmap_lock);
	list_for_each_entry(vma, &mm->vmas, vm_list)
		if (vma->vm_start > new->vm_start)
			break;
	list_add_tail(&new->vm_list, &vma->vm_list);
	up_write(&mm->rmap_lock);
}

/* Split @vma at @addr; the new VMA covers [addr, old end). */
static int vma_split(struct vm_area_struct *vma, unsigned long addr)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_area_struct *new;

	if (addr <= vma->vm_start || addr >= vma->vm_end)
		return 0;
	new = kmalloc(sizeof(*new), GFP_KERNEL);
	if (!new)
		return -ENOMEM;
	*new = *vma;
	new->vm_start = addr;
	down_write(&mm->rmap_lock);
	vma->vm_end = addr;
	list_add(&new->vm_list, &vma->vm_list);
	up_write(&mm->rmap_lock);
	return 0;
}

/* Make VMA boundaries at @start and @end; mmap_lock held for write. */
int model_vma_split_range(struct mm_struct *mm, unsigned long start,
			  unsigned long end)
{
	struct vm_area_struct *vma = vma_lookup(mm, start);
	int ret = 0;

	if (vma)
		ret = vma_split(vma, start);
	vma = vma_lookup(mm, end - 1);
	if (!ret && vma)
		ret = vma_split(vma, end);
	return ret;
}

/* Unlink and free the VMAs inside [start, end); rmap_lock held for write. */
static void vma_remove_range_locked(struct mm_struct *mm, unsigned long start,
				    unsigned long end)
{
	struct vm_area_struct *vma, *next;

	lockdep_assert_held_write(&mm->rmap_lock);
	list_for_each_entry_safe(vma, next, &mm->vmas, vm_list) {
		if (vma->vm_start >= start && vma->vm_end <= end) {
			list_del(&vma->vm_list);
			kfree(vma);
		}
	}
}

static void vma_remove_range(struct mm_struct *mm, unsigned long start,
			     unsigned long end)
{
	down_write(&mm->rmap_lock);
	vma_remove_range_locked(mm, start, end);
	up_write(&mm->rmap_lock);
}

/**
 * model_do_munmap() - unmap a range, like mm/mmap.c's do_munmap()
 * @mm: the mm
 * @start: page-aligned start
 * @end: page-aligned end
 *
 * Context: mmap_lock held for write.
 * Return: 0 or -ENOMEM.
 */
int model_do_munmap(struct mm_struct *mm, unsigned long start,
		    unsigned long end)
{
	struct mmu_notifier_range range;
	struct model_gather tlb = { };
	struct vm_area_struct *vma;
	int ret;

	mmap_assert_write_locked(mm);
	vma = find_vma(mm, start);
	if (!vma || vma->vm_start >= end)
		return 0;
	ret = model_vma_split_range(mm, start, end);
	if (ret)
		return ret;
	vma = find_vma(mm, start);
	mmu_notifier_range_init(&range, MMU_NOTIFY_UNMAP, 0, vma, mm, start,
				end);
	mmu_notifier_invalidate_range_start(&range);
	model_zap_range(mm, start, end, &tlb);
	mmu_notifier_invalidate_range_end(&range);
	model_gather_flush(&tlb);
	vma_remove_range(mm, start, end);
	return 0;
}

/**
 * model_get_unmapped_area() - pick an address for a new mapping
 * @mm: the mm
 * @len: page-aligned length
 *
 * Addresses grow from mm->mmap_base and are never reused, with a guard
 * page between mappings.
 *
 * Context: mmap_lock held for write.
 * Return: the address.
 */
unsigned long model_get_unmapped_area(struct mm_struct *mm,
				      unsigned long len)
{
	unsigned long addr = mm->mmap_base;

	mmap_assert_write_locked(mm);
	mm->mmap_base += len + PAGE_SIZE;
	return addr;
}

static bool model_range_ok(unsigned long addr, unsigned long len)
{
	return PAGE_ALIGNED(addr) && len && PAGE_ALIGN(len) >= len &&
	       addr + PAGE_ALIGN(len) > addr &&
	       addr + PAGE_ALIGN(len) <= TASK_SIZE_MAX;
}

/**
 * model_mmap() - map anonymous private memory
 * @mm: the mm
 * @addr: fixed address (replacing what is there, as MAP_FIXED), or 0
 * @len: bytes
 * @vm_prot: VM_READ and/or VM_WRITE
 *
 * Context: process context; takes mmap_lock for write.
 * Return: the address, or a negative errno cast to unsigned long.
 */
unsigned long model_mmap(struct mm_struct *mm, unsigned long addr,
			 unsigned long len, unsigned long vm_prot)
{
	struct vm_area_struct *vma;
	int ret;

	if (!len || (addr && !model_range_ok(addr, len)))
		return -EINVAL;
	len = PAGE_ALIGN(len);
	vma = kzalloc(sizeof(*vma), GFP_KERNEL);
	if (!vma)
		return -ENOMEM;
	mmap_write_lock(mm);
	if (!addr)
		addr = model_get_unmapped_area(mm, len);
	ret = model_do_munmap(mm, addr, addr + len);
	if (ret) {
		mmap_write_unlock(mm);
		kfree(vma);
		return ret;
	}
	vma->vm_start = addr;
	vma->vm_end = addr + len;
	vma->vm_flags = (vm_prot & (VM_READ | VM_WRITE)) | VM_MAYREAD |
			VM_MAYWRITE;
	vma->vm_mm = mm;
	model_vma_link(mm, vma);
	mmap_write_unlock(mm);
	return addr;
}

/**
 * model_munmap() - unmap a range
 * @mm: the mm
 * @addr: page-aligned start
 * @len: bytes
 *
 * Context: process context; takes mmap_lock for write.
 * Return: 0, -EINVAL, -ENOMEM.
 */
int model_munmap(struct mm_struct *mm, unsigned long addr, unsigned long len)
{
	int ret;

	if (!model_range_ok(addr, len))
		return -EINVAL;
	mmap_write_lock(mm);
	ret = model_do_munmap(mm, addr, addr + PAGE_ALIGN(len));
	mmap_write_unlock(mm);
	return ret;
}

/* Is [start, end) covered by VMAs without holes? */
static bool vma_covers(struct mm_struct *mm, unsigned long start,
		       unsigned long end)
{
	while (start < end) {
		struct vm_area_struct *vma = vma_lookup(mm, start);

		if (!vma)
			return false;
		start = vma->vm_end;
	}
	return true;
}

/**
 * model_mprotect() - change the protection of a range
 * @mm: the mm
 * @addr: page-aligned start
 * @len: bytes
 * @vm_prot: new VM_READ/VM_WRITE bits
 *
 * Context: process context; takes mmap_lock for write.
 * Return: 0, -EINVAL, -ENOMEM (hole in the range, as Linux).
 */
int model_mprotect(struct mm_struct *mm, unsigned long addr,
		   unsigned long len, unsigned long vm_prot)
{
	unsigned long end = addr + PAGE_ALIGN(len);
	struct vm_area_struct *vma;
	int ret;

	if (!model_range_ok(addr, len))
		return -EINVAL;
	mmap_write_lock(mm);
	ret = -ENOMEM;
	if (!vma_covers(mm, addr, end))
		goto out;
	ret = model_vma_split_range(mm, addr, end);
	if (ret)
		goto out;
	list_for_each_entry(vma, &mm->vmas, vm_list) {
		unsigned long flags;

		if (vma->vm_end <= addr || vma->vm_start >= end)
			continue;
		flags = (vma->vm_flags & ~(VM_READ | VM_WRITE)) |
			(vm_prot & (VM_READ | VM_WRITE));
		if (flags == vma->vm_flags)
			continue;
		vma->vm_flags = flags;
		model_change_protection(vma, vma->vm_start, vma->vm_end);
	}
out:
	mmap_write_unlock(mm);
	return ret;
}

/**
 * model_madvise_dontneed() - MADV_DONTNEED: drop the pages of a range
 * @mm: the mm
 * @addr: page-aligned start
 * @len: bytes
 *
 * Context: process context; takes mmap_lock for read.
 * Return: 0, -EINVAL, -ENOMEM if part of the range is unmapped (the
 * mapped parts are still zapped, as Linux).
 */
int model_madvise_dontneed(struct mm_struct *mm, unsigned long addr,
			   unsigned long len)
{
	unsigned long end = addr + PAGE_ALIGN(len);
	struct vm_area_struct *vma;
	int ret = 0;

	if (!model_range_ok(addr, len))
		return -EINVAL;
	mmap_read_lock(mm);
	if (!vma_covers(mm, addr, end))
		ret = -ENOMEM;
	list_for_each_entry(vma, &mm->vmas, vm_list) {
		unsigned long s = max(addr, vma->vm_start);
		unsigned long e = min(end, vma->vm_end);
		struct mmu_notifier_range range;
		struct model_gather tlb = { };

		if (s >= e)
			continue;
		mmu_notifier_range_init(&range, MMU_NOTIFY_CLEAR, 0, vma, mm,
					s, e);
		mmu_notifier_invalidate_range_start(&range);
		model_zap_range(mm, s, e, &tlb);
		mmu_notifier_invalidate_range_end(&range);
		model_gather_flush(&tlb);
	}
	mmap_read_unlock(mm);
	return ret;
}

/* Tear the address space down: the last mm_users reference is gone. */
static void exit_mmap(struct mm_struct *mm)
{
	struct mmu_notifier_range range;
	struct model_gather tlb = { };

	mmu_notifier_release(mm);
	mmap_write_lock(mm);
	mmu_notifier_range_init(&range, MMU_NOTIFY_UNMAP, 0, NULL, mm, 0,
				ULONG_MAX);
	mmu_notifier_invalidate_range_start(&range);
	model_zap_range(mm, 0, ULONG_MAX, &tlb);
	mmu_notifier_invalidate_range_end(&range);
	model_gather_flush(&tlb);
	/* As free_pgtables(): no rmap walker may still be in the tables. */
	down_write(&mm->rmap_lock);
	model_free_pgtables(mm);
	vma_remove_range_locked(mm, 0, ULONG_MAX);
	up_write(&mm->rmap_lock);
	mmap_write_unlock(mm);
}

/**
 * mmput() - drop a reference to the address space
 * @mm: the mm
 *
 * Context: process context, may sleep.
 */
void mmput(struct mm_struct *mm)
{
	might_sleep();
	if (atomic_dec_and_test(&mm->mm_users)) {
		exit_mmap(mm);
		mmdrop(mm);
	}
}

/**
 * mmdrop() - drop a reference to the mm structure
 * @mm: the mm
 *
 * Context: any context.
 */
void mmdrop(struct mm_struct *mm)
{
	if (!atomic_dec_and_test(&mm->mm_count))
		return;
	WARN_ON(atomic_read(&mm->mm_users));
	WARN_ON(atomic_long_read(&mm->rss_anon) ||
		atomic_long_read(&mm->swap_ents));
	spin_lock(&mm_list_lock);
	list_del(&mm->mm_list);
	spin_unlock(&mm_list_lock);
	mmu_notifier_subscriptions_destroy(mm);
	free_page((unsigned long)mm->pgd);
	kfree(mm);
}
