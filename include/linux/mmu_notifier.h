/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmu_notifier.h - MMU notifiers of the userspace model
 *
 * MODEL BUILD ONLY.  The kernel build must use the kernel's own
 * <linux/mmu_notifier.h>; kbuild puts the kernel's include paths before
 * ours, so this file is never seen there.  The API is the subset of
 * Linux 6.1's that the shared sources use, with the same semantics; the
 * implementation is mm/mmu_notifier.c.  One extension, model only, which
 * the shared sources must not use: the @age member of struct
 * mmu_interval_notifier_ops (interval subscribers take part in aging).
 *
 * Ordering guarantee relied upon by mm/mmu_mirror_core.c: for one
 * invalidation, mmu_notifier_invalidate_range_start() calls the
 * invalidate callback of every overlapping interval notifier before the
 * invalidate_range_start callback of any classic notifier.  If an
 * interval callback refuses a non-blockable range, no classic callback is
 * called at all.
 *
 * The core has a mode that behaves as Linux 6.1's where the model's
 * differs (<model/notifier.h>); the comments below say where.
 *
 * Locks, outermost first: mm->mmap_lock, mm->rmap_lock (the reverse-map
 * walkers' lock, which registration takes for write), then the
 * subscriptions' internal spinlock (never held across a callback).
 * Callbacks run inside an SRCU read-side section of the notifier core.
 */
#ifndef _LINUX_MMU_NOTIFIER_H
#define _LINUX_MMU_NOTIFIER_H

#include <linux/interval_tree.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/mmap_lock.h>

struct mmu_notifier;
struct mmu_notifier_subscriptions;

/**
 * enum mmu_notifier_event - why an invalidation happens
 * @MMU_NOTIFY_UNMAP: the range is unmapped (munmap, exit)
 * @MMU_NOTIFY_CLEAR: ptes are cleared, the VMA stays (MADV_DONTNEED,
 *	copy-on-write replacing a page)
 * @MMU_NOTIFY_PROTECTION_VMA: the VMA's protection changes (mprotect)
 * @MMU_NOTIFY_PROTECTION_PAGE: one page's protection changes
 * @MMU_NOTIFY_SOFT_DIRTY: soft-dirty tracking write-protects the range
 * @MMU_NOTIFY_RELEASE: the mm is going away
 * @MMU_NOTIFY_MIGRATE: pages move (owner in the range's @owner)
 * @MMU_NOTIFY_EXCLUSIVE: a device takes exclusive access
 *
 * Same values as Linux 6.1.
 */
enum mmu_notifier_event {
	MMU_NOTIFY_UNMAP = 0,
	MMU_NOTIFY_CLEAR,
	MMU_NOTIFY_PROTECTION_VMA,
	MMU_NOTIFY_PROTECTION_PAGE,
	MMU_NOTIFY_SOFT_DIRTY,
	MMU_NOTIFY_RELEASE,
	MMU_NOTIFY_MIGRATE,
	MMU_NOTIFY_EXCLUSIVE,
};

#define MMU_NOTIFIER_RANGE_BLOCKABLE	BIT(0)

/**
 * struct mmu_notifier_range - one invalidation
 * @vma: the VMA, or NULL
 * @mm: the mm
 * @start: first address
 * @end: address after the range
 * @flags: MMU_NOTIFIER_RANGE_BLOCKABLE when callbacks may sleep
 * @event: enum mmu_notifier_event
 * @owner: owner of migration destination pages, or NULL
 */
struct mmu_notifier_range {
	struct vm_area_struct *vma;
	struct mm_struct *mm;
	unsigned long start;
	unsigned long end;
	unsigned int flags;
	enum mmu_notifier_event event;
	void *owner;
};

/**
 * struct mmu_notifier_ops - callbacks of a classic notifier
 * @release: the mm is exiting (or this subscription is unregistered while
 *	the mm still lives).  Called once, before the pages are unmapped,
 *	without mmap_lock; in Linux 6.1 (and the core's 6.1 mode) a second
 *	time when mmu_notifier_unregister() races the exit path.  May sleep.
 *	Must drop every secondary mapping; after it returns, no
 *	invalidate_range_* calls follow.
 * @clear_flush_young: clear the accessed bits of [start, end) and flush;
 *	return non-zero if any was set.  Called under the page-table lock:
 *	must not sleep.
 * @clear_young: as @clear_flush_young without the flush.
 * @test_young: return non-zero if the page at @address was accessed; do
 *	not clear.  Must not sleep.
 * @invalidate_range_start: the pages of @range are about to be unmapped,
 *	write-protected or replaced.  Called after every interval callback
 *	of the same invalidation.  May sleep only if
 *	mmu_notifier_range_blockable(); otherwise it must not sleep and may
 *	return -EAGAIN, in which case it must have no @invalidate_range_end
 *	(the core then ends the subscribers that succeeded; Linux 6.1 does
 *	not end the interval side then, see <model/notifier.h>).  Returns 0
 *	or -EAGAIN.  Linux 6.1 calls the classic subscribers newest first.
 * @invalidate_range_end: the change of @range is complete; paired with
 *	every successful @invalidate_range_start.  Called before the
 *	interval side of the invalidation ends; in Linux 6.1 after, so
 *	interval read sections may already have begun again.
 * @invalidate_range: the CPU TLB was flushed for [start, end); must not
 *	sleep.
 * @alloc_notifier: for mmu_notifier_get() only: allocate a subscription
 *	for @mm (the core sets its ops).  Called with mmap_lock held for
 *	write; may sleep.  Returns the subscription or an ERR_PTR().
 * @free_notifier: for mmu_notifier_get() only: free a subscription whose
 *	last reference mmu_notifier_put() dropped.  Called after an SRCU
 *	grace period, when no callback of it runs or can start; must not
 *	sleep.  In the model it runs from mmu_notifier_synchronize().
 */
struct mmu_notifier_ops {
	void (*release)(struct mmu_notifier *subscription,
			struct mm_struct *mm);
	int (*clear_flush_young)(struct mmu_notifier *subscription,
				 struct mm_struct *mm, unsigned long start,
				 unsigned long end);
	int (*clear_young)(struct mmu_notifier *subscription,
			   struct mm_struct *mm, unsigned long start,
			   unsigned long end);
	int (*test_young)(struct mmu_notifier *subscription,
			  struct mm_struct *mm, unsigned long address);
	int (*invalidate_range_start)(struct mmu_notifier *subscription,
				      const struct mmu_notifier_range *range);
	void (*invalidate_range_end)(struct mmu_notifier *subscription,
				     const struct mmu_notifier_range *range);
	void (*invalidate_range)(struct mmu_notifier *subscription,
				 struct mm_struct *mm, unsigned long start,
				 unsigned long end);
	struct mmu_notifier *(*alloc_notifier)(struct mm_struct *mm);
	void (*free_notifier)(struct mmu_notifier *subscription);
};

/**
 * struct mmu_notifier - a classic subscription
 * @list: entry in the subscriptions' list; SRCU-protected for readers
 * @ops: callbacks
 * @mm: the mm, mmgrab()bed while registered
 * @released: release was called (at exit); unregister skips it
 * @users: references taken by mmu_notifier_get(); 1 after a plain
 *	registration.  Changed under the subscriptions' lock.
 * @free_item: model only: entry on the core's list of subscriptions put
 *	for the last time, waiting for mmu_notifier_synchronize() to free
 *	them (Linux 6.1 has a struct rcu_head for call_srcu() instead)
 */
struct mmu_notifier {
	struct list_head list;
	const struct mmu_notifier_ops *ops;
	struct mm_struct *mm;
	bool released;
	unsigned int users;
	struct list_head free_item;
};

struct mmu_interval_notifier;

/**
 * enum mmu_notifier_age_op - which aging hook asks an interval subscriber
 * @MMU_NOTIFIER_AGE_CLEAR_FLUSH: mmu_notifier_clear_flush_young(): clear
 *	the accessed bits of the range and flush the secondary TLB
 * @MMU_NOTIFIER_AGE_CLEAR: mmu_notifier_clear_young(): clear the accessed
 *	bits; a flush is not needed
 * @MMU_NOTIFIER_AGE_TEST: mmu_notifier_test_young(): report whether the
 *	page was accessed; clear nothing
 *
 * Model only: Linux 6.1 has no such type (see the @age member of struct
 * mmu_interval_notifier_ops).
 */
enum mmu_notifier_age_op {
	MMU_NOTIFIER_AGE_CLEAR_FLUSH,
	MMU_NOTIFIER_AGE_CLEAR,
	MMU_NOTIFIER_AGE_TEST,
};

/**
 * struct mmu_interval_notifier_ops - callbacks of an interval notifier
 * @invalidate: the range of @range overlapping the subscription is
 *	changing.  Called before any classic invalidate_range_start of the
 *	same invalidation.  Must call mmu_interval_set_seq(@cur_seq) under
 *	the lock that its mmu_interval_read_retry() users take, and drop
 *	its mappings of the range.  If the range is not blockable it must
 *	not sleep and may return false (would block); otherwise it returns
 *	true.
 * @age: optional; MODEL ONLY, Linux 6.1 has no such member, so code built
 *	for the kernel too (the mmu_mirror helper, the clients' cores) must
 *	neither set nor rely on it; the core's Linux 6.1 mode never calls
 *	it.  Called by the aging hooks
 *	(mmu_notifier_clear_flush_young(), mmu_notifier_clear_young(),
 *	mmu_notifier_test_young()) for every interval subscription that
 *	overlaps [@start, @end), after the classic subscribers' aging
 *	callbacks; @start and @end are the hook's whole range, which may
 *	reach beyond the subscription (for a test, one page).  @op says
 *	which hook asks.  Called inside the core's SRCU read side, not under
 *	the subscriptions' lock, with whatever the hook's caller holds (the
 *	page-table lock in the kernel's callers): must not sleep.  While it
 *	runs, inserts are deferred and removes wait, as during an
 *	invalidation.  Returns non-zero if an accessed bit was set (for
 *	@MMU_NOTIFIER_AGE_TEST: if the page was accessed); the hook ORs the
 *	answers of all subscribers, and a test stops at the first non-zero.
 */
struct mmu_interval_notifier_ops {
	bool (*invalidate)(struct mmu_interval_notifier *interval_sub,
			   const struct mmu_notifier_range *range,
			   unsigned long cur_seq);
	int (*age)(struct mmu_interval_notifier *interval_sub,
		   unsigned long start, unsigned long end,
		   enum mmu_notifier_age_op op);
};

/**
 * struct mmu_interval_notifier - a subscription to one address range
 * @interval_tree: node in the subscriptions' tree, [start, last]
 * @ops: callback
 * @mm: the mm, mmgrab()bed while inserted
 * @deferred_item: entry on the deferred list while an insert or remove
 *	waits for the running invalidations to end
 * @invalidate_seq: sequence at the last invalidation (odd while one runs)
 */
struct mmu_interval_notifier {
	struct interval_tree_node interval_tree;
	const struct mmu_interval_notifier_ops *ops;
	struct mm_struct *mm;
	struct list_head deferred_item;
	unsigned long invalidate_seq;
};

static inline bool mm_has_notifiers(struct mm_struct *mm)
{
	/* Pairs with the release store in __mmu_notifier_register(). */
	return unlikely(smp_load_acquire(&mm->notifier_subscriptions));
}

int mmu_notifier_register(struct mmu_notifier *subscription,
			  struct mm_struct *mm);
int __mmu_notifier_register(struct mmu_notifier *subscription,
			    struct mm_struct *mm);
void mmu_notifier_unregister(struct mmu_notifier *subscription,
			     struct mm_struct *mm);
struct mmu_notifier *
mmu_notifier_get_locked(const struct mmu_notifier_ops *ops,
			struct mm_struct *mm);
void mmu_notifier_put(struct mmu_notifier *subscription);
void mmu_notifier_synchronize(void);

/**
 * mmu_notifier_get() - the one subscription of @ops on @mm, referenced
 * @ops: the callbacks, with @alloc_notifier and @free_notifier set; the
 *	pointer identifies the subscription
 * @mm: the mm; its address space must be live
 *
 * mmu_notifier_get_locked() with mmap_lock taken for write around it.
 *
 * Context: process context, may sleep; takes mmap_lock for write.
 * Return: as for mmu_notifier_get_locked().
 */
static inline struct mmu_notifier *
mmu_notifier_get(const struct mmu_notifier_ops *ops, struct mm_struct *mm)
{
	struct mmu_notifier *sub;

	mmap_write_lock(mm);
	sub = mmu_notifier_get_locked(ops, mm);
	mmap_write_unlock(mm);
	return sub;
}

int mmu_interval_notifier_insert(struct mmu_interval_notifier *interval_sub,
				 struct mm_struct *mm, unsigned long start,
				 unsigned long length,
				 const struct mmu_interval_notifier_ops *ops);
int
mmu_interval_notifier_insert_locked(struct mmu_interval_notifier *interval_sub,
				    struct mm_struct *mm, unsigned long start,
				    unsigned long length,
				    const struct mmu_interval_notifier_ops
				    *ops);
void mmu_interval_notifier_remove(struct mmu_interval_notifier *interval_sub);
unsigned long
mmu_interval_read_begin(struct mmu_interval_notifier *interval_sub);

/**
 * mmu_interval_set_seq() - record an invalidation in the subscription
 * @interval_sub: the subscription
 * @cur_seq: the sequence passed to the invalidate callback
 *
 * Makes mmu_interval_read_retry() fail for every read section that began
 * before.
 *
 * Context: from the invalidate callback, under the driver lock that
 * serialises it against mmu_interval_read_retry().
 */
static inline void
mmu_interval_set_seq(struct mmu_interval_notifier *interval_sub,
		     unsigned long cur_seq)
{
	WRITE_ONCE(interval_sub->invalidate_seq, cur_seq);
}

/**
 * mmu_interval_read_retry() - must a read section be repeated?
 * @interval_sub: the subscription
 * @seq: the value mmu_interval_read_begin() returned
 *
 * Context: under the driver lock the invalidate callback takes around
 * mmu_interval_set_seq(); then a false answer stays true until the lock
 * is dropped.
 * Return: true if an invalidation began after @seq was read.
 */
static inline bool
mmu_interval_read_retry(struct mmu_interval_notifier *interval_sub,
			unsigned long seq)
{
	return READ_ONCE(interval_sub->invalidate_seq) != seq;
}

/**
 * mmu_interval_check_retry() - lockless early check for a retry
 * @interval_sub: the subscription
 * @seq: the value mmu_interval_read_begin() returned
 *
 * May miss an invalidation that is just starting; only an optimisation.
 *
 * Context: any context.
 * Return: true if a retry is already known to be needed.
 */
static inline bool
mmu_interval_check_retry(struct mmu_interval_notifier *interval_sub,
			 unsigned long seq)
{
	return READ_ONCE(interval_sub->invalidate_seq) != seq;
}

/**
 * struct mmu_notifier_observer - a debug hook on every invalidation
 * @invalidate_start: called when __mmu_notifier_invalidate_range_start()
 *	is about to return 0, after every subscriber's start
 * @invalidate_end: called at the end of
 *	__mmu_notifier_invalidate_range_end(), after every subscriber's end
 *
 * Model build only: Linux has no such hook.  It lets a test bench (the
 * model's invariant checker) watch what the subscribers left behind
 * without the core knowing about it.  At most one observer is set.
 */
struct mmu_notifier_observer {
	void (*invalidate_start)(const struct mmu_notifier_range *range);
	void (*invalidate_end)(const struct mmu_notifier_range *range);
};

void mmu_notifier_set_observer(const struct mmu_notifier_observer *observer);

void __mmu_notifier_release(struct mm_struct *mm);
void __mmu_notifier_subscriptions_destroy(struct mm_struct *mm);
int __mmu_notifier_invalidate_range_start(struct mmu_notifier_range *range);
void __mmu_notifier_invalidate_range_end(struct mmu_notifier_range *range);
int __mmu_notifier_clear_flush_young(struct mm_struct *mm,
				     unsigned long start, unsigned long end);
int __mmu_notifier_clear_young(struct mm_struct *mm, unsigned long start,
			       unsigned long end);
int __mmu_notifier_test_young(struct mm_struct *mm, unsigned long address);

/**
 * mmu_notifier_range_blockable() - may the callbacks of @range sleep?
 * @range: the invalidation
 *
 * Context: any context.
 * Return: true if the invalidation may block.
 */
static inline bool
mmu_notifier_range_blockable(const struct mmu_notifier_range *range)
{
	return range->flags & MMU_NOTIFIER_RANGE_BLOCKABLE;
}

static inline void mmu_notifier_range_init(struct mmu_notifier_range *range,
					   enum mmu_notifier_event event,
					   unsigned int flags,
					   struct vm_area_struct *vma,
					   struct mm_struct *mm,
					   unsigned long start,
					   unsigned long end)
{
	range->vma = vma;
	range->event = event;
	range->mm = mm;
	range->start = start;
	range->end = end;
	range->flags = flags;
	range->owner = NULL;
}

static inline void
mmu_notifier_range_init_owner(struct mmu_notifier_range *range,
			      enum mmu_notifier_event event,
			      unsigned int flags, struct vm_area_struct *vma,
			      struct mm_struct *mm, unsigned long start,
			      unsigned long end, void *owner)
{
	mmu_notifier_range_init(range, event, flags, vma, mm, start, end);
	range->owner = owner;
}

static inline void mmu_notifier_release(struct mm_struct *mm)
{
	if (mm_has_notifiers(mm))
		__mmu_notifier_release(mm);
}

/* Blocking start: the callbacks may sleep; cannot fail. */
static inline void
mmu_notifier_invalidate_range_start(struct mmu_notifier_range *range)
{
	might_sleep();
	range->flags |= MMU_NOTIFIER_RANGE_BLOCKABLE;
	if (mm_has_notifiers(range->mm))
		__mmu_notifier_invalidate_range_start(range);
}

/*
 * Non-blocking start: returns -EAGAIN if a subscriber would have to
 * sleep.  Then every subscriber that had started is already ended and the
 * caller must not call mmu_notifier_invalidate_range_end().
 */
static inline int __must_check
mmu_notifier_invalidate_range_start_nonblock(struct mmu_notifier_range *range)
{
	range->flags &= ~MMU_NOTIFIER_RANGE_BLOCKABLE;
	if (mm_has_notifiers(range->mm))
		return __mmu_notifier_invalidate_range_start(range);
	return 0;
}

static inline void
mmu_notifier_invalidate_range_end(struct mmu_notifier_range *range)
{
	if (mmu_notifier_range_blockable(range))
		might_sleep();
	if (mm_has_notifiers(range->mm))
		__mmu_notifier_invalidate_range_end(range);
}

static inline int mmu_notifier_clear_flush_young(struct mm_struct *mm,
						 unsigned long start,
						 unsigned long end)
{
	if (mm_has_notifiers(mm))
		return __mmu_notifier_clear_flush_young(mm, start, end);
	return 0;
}

static inline int mmu_notifier_clear_young(struct mm_struct *mm,
					   unsigned long start,
					   unsigned long end)
{
	if (mm_has_notifiers(mm))
		return __mmu_notifier_clear_young(mm, start, end);
	return 0;
}

static inline int mmu_notifier_test_young(struct mm_struct *mm,
					  unsigned long address)
{
	if (mm_has_notifiers(mm))
		return __mmu_notifier_test_young(mm, address);
	return 0;
}

static inline void mmu_notifier_subscriptions_destroy(struct mm_struct *mm)
{
	if (mm_has_notifiers(mm))
		__mmu_notifier_subscriptions_destroy(mm);
}

#endif /* _LINUX_MMU_NOTIFIER_H */
