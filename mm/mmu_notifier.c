// SPDX-License-Identifier: GPL-2.0
/*
 * mmu_notifier.c - MMU notifier core of the userspace model
 *
 * MODEL BUILD ONLY (the kernel has its own).  Implements the Linux 6.1 API
 * of include/linux/mmu_notifier.h from its documented semantics:
 *
 * Classic subscriptions sit on an SRCU-protected list and get every
 * invalidation, release at exit and the aging hooks.
 *
 * Interval subscriptions sit in an interval tree and get only the
 * invalidations that overlap them.  The mm-wide sequence count
 * (subs->invalidate_seq) is odd while at least one overlapping
 * invalidation runs.  An invalidation raises it to odd at start; the last
 * one to end makes it even again and wakes the waiters.  While
 * invalidations are active, the tree is walked without the lock, so an
 * insert or remove is deferred to a list and applied by that last end.
 *
 * Subscriptions made by mmu_notifier_get() are reference counted
 * (mm/mmu_notifier_get.c); the modes and the test probes are in
 * tools/lib/model/notifier.c.
 *
 * Order inside one invalidation start: every overlapping interval
 * callback first, in tree order (by start address), then every classic
 * invalidate_range_start.  An interval callback that refuses a
 * non-blockable range stops the walk: the interval side is ended and
 * -EAGAIN returned without any classic callback, as in Linux 6.1.
 *
 * Registration holds mmap_lock for write and mm->rmap_lock for write, the
 * model's mm_take_all_locks(): every invalidation runs under one of the
 * two (reverse-map walkers such as reclaim and migration hold only
 * rmap_lock), so none is between its start and its end meanwhile.
 *
 * Two modes (<model/notifier.h>, chosen once at program start):
 *
 * MODEL_CORE_MODEL, the default, differs from Linux 6.1 on purpose:
 *  - when a classic subscriber fails a non-blockable start after the
 *    interval side had started, the interval side is ended too, so the
 *    sequence count cannot stay odd forever;
 *  - at the end of an invalidation, the classic subscribers' ends run
 *    before the interval side is ended (6.1: the other way round);
 *  - a subscription's release is called once even if unregister races
 *    the exit path;
 *  - classic subscribers are called in registration order (6.1: newest
 *    first);
 *  - an interval insert while invalidations run is always deferred to the
 *    last end (6.1 inserts at once when none of them is invalidating an
 *    interval subscription);
 *  - extension: interval subscriptions with an age callback take part in
 *    the aging hooks.  Model only; the shared sources must not use it.
 *
 * MODEL_CORE_LINUX_6_1 does none of that and behaves as 6.1 in each of
 * these points; a start it leaves open is counted, so that a test can
 * assert the hang without waiting and then end it
 * (model_notifier_end_open_starts()).
 *
 * In both modes, the free after the last mmu_notifier_put() runs at the
 * next mmu_notifier_synchronize(), not on an SRCU callback of its own (the
 * model's SRCU has no call_srcu()), and interval callbacks run in a
 * non-blocking section when the range is not blockable (6.1 does not
 * check that).
 */
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/wait.h>
#include "mmu_notifier_internal.h"

DEFINE_SRCU(mn_srcu);

/* The debug observer of every invalidation; NULL when there is none. */
static const struct mmu_notifier_observer *mn_observer;

/**
 * mmu_notifier_set_observer() - set the debug observer of invalidations
 * @observer: the observer, or NULL to remove it
 *
 * Model build only.  Invalidations that are running when the observer
 * changes may or may not report to it.
 *
 * Context: any context.
 */
void mmu_notifier_set_observer(const struct mmu_notifier_observer *observer)
{
	WRITE_ONCE(mn_observer, observer);
}

static void mn_observe(const struct mmu_notifier_range *range, bool end)
{
	const struct mmu_notifier_observer *obs = READ_ONCE(mn_observer);

	if (!obs)
		return;
	if (end && obs->invalidate_end)
		obs->invalidate_end(range);
	else if (!end && obs->invalidate_start)
		obs->invalidate_start(range);
}

/*
 * Begin an invalidation of the interval side: count it as active and, if
 * a subscription overlaps, make the sequence odd.  Returns the first
 * overlapping subscription and the sequence the callbacks must record.
 */
static struct mmu_interval_notifier *
mn_itree_inv_start_range(struct mmu_notifier_subscriptions *subs,
			 const struct mmu_notifier_range *range,
			 unsigned long *seq)
{
	struct interval_tree_node *node;
	struct mmu_interval_notifier *res = NULL;

	spin_lock(&subs->lock);
	subs->active_invalidate_ranges++;
	node = interval_tree_iter_first(&subs->itree, range->start,
					range->end - 1);
	if (node) {
		WRITE_ONCE(subs->invalidate_seq, subs->invalidate_seq | 1);
		res = container_of(node, struct mmu_interval_notifier,
				   interval_tree);
	}
	*seq = subs->invalidate_seq;
	spin_unlock(&subs->lock);
	return res;
}

/* The tree cannot change while this invalidation is active. */
static struct mmu_interval_notifier *
mn_itree_inv_next(struct mmu_interval_notifier *interval_sub,
		  const struct mmu_notifier_range *range)
{
	struct interval_tree_node *node;

	node = interval_tree_iter_next(&interval_sub->interval_tree,
				       range->start, range->end - 1);
	return node ? container_of(node, struct mmu_interval_notifier,
				   interval_tree) : NULL;
}

/*
 * End an invalidation of the interval side.  The last one to end makes
 * the sequence even, applies the deferred inserts and removes and wakes
 * whoever waits in read_begin or remove.
 */
void mn_itree_inv_end(struct mmu_notifier_subscriptions *subs)
{
	struct mmu_interval_notifier *sub, *next;

	spin_lock(&subs->lock);
	if (WARN_ON(!subs->active_invalidate_ranges) ||
	    --subs->active_invalidate_ranges ||
	    !mn_itree_is_invalidating(subs)) {
		spin_unlock(&subs->lock);
		return;
	}
	WRITE_ONCE(subs->invalidate_seq, subs->invalidate_seq + 1);
	list_for_each_entry_safe(sub, next, &subs->deferred_list,
				 deferred_item) {
		if (RB_EMPTY_NODE(&sub->interval_tree.rb))
			interval_tree_insert(&sub->interval_tree,
					     &subs->itree);
		else
			interval_tree_remove(&sub->interval_tree,
					     &subs->itree);
		list_del_init(&sub->deferred_item);
	}
	spin_unlock(&subs->lock);
	wake_up_all(&subs->wq);
}

/**
 * mmu_interval_read_begin() - start a read section against invalidations
 * @interval_sub: the subscription
 *
 * If an invalidation of this subscription is in progress, waits for it
 * to end, so the section does not begin with a result that is already
 * stale.  Pair with mmu_interval_read_retry() under the driver lock.
 *
 * Context: process context, may sleep; must not be called from the
 * invalidate callback or with locks the callback takes.
 * Return: the sequence to pass to mmu_interval_read_retry().
 */
unsigned long
mmu_interval_read_begin(struct mmu_interval_notifier *interval_sub)
{
	struct mmu_notifier_subscriptions *subs =
		interval_sub->mm->notifier_subscriptions;
	unsigned long seq;
	bool busy;

	spin_lock(&subs->lock);
	seq = READ_ONCE(interval_sub->invalidate_seq);
	busy = seq == subs->invalidate_seq;
	spin_unlock(&subs->lock);
	/*
	 * The callback stored this odd seq with set_seq during the running
	 * invalidation; mn_itree_inv_end() moves the mm's sequence past it.
	 */
	if (busy)
		wait_event(subs->wq, READ_ONCE(subs->invalidate_seq) != seq);
	return seq;
}
EXPORT_SYMBOL_GPL(mmu_interval_read_begin);

static void mn_itree_release(struct mmu_notifier_subscriptions *subs,
			     struct mm_struct *mm)
{
	struct mmu_notifier_range range = {
		.flags = MMU_NOTIFIER_RANGE_BLOCKABLE,
		.event = MMU_NOTIFY_RELEASE,
		.mm = mm,
		.start = 0,
		.end = ULONG_MAX,
	};
	struct mmu_interval_notifier *sub;
	unsigned long cur_seq;

	for (sub = mn_itree_inv_start_range(subs, &range, &cur_seq); sub;
	     sub = mn_itree_inv_next(sub, &range))
		WARN_ON(!sub->ops->invalidate(sub, &range, cur_seq));
	mn_itree_inv_end(subs);
}

/* Claim the one call of @sub's release; false if already claimed. */
static bool mn_claim_release(struct mmu_notifier_subscriptions *subs,
			     struct mmu_notifier *sub)
{
	bool claimed;

	spin_lock(&subs->lock);
	claimed = !sub->released;
	sub->released = true;
	spin_unlock(&subs->lock);
	return claimed;
}

/*
 * May the exit path call @sub's release?  Linux 6.1 calls it for every
 * subscription on the list, even one whose unregister already called it.
 */
static bool mn_release_by_exit(struct mmu_notifier_subscriptions *subs,
			       struct mmu_notifier *sub)
{
	return mn_linux61() || mn_claim_release(subs, sub);
}

/*
 * May unregister call @sub's release?  Linux 6.1 calls it while the exit
 * path has not unlinked the subscription yet, even if that path is
 * calling it right now.
 */
static bool mn_release_by_unregister(struct mmu_notifier_subscriptions *subs,
				     struct mmu_notifier *sub)
{
	bool linked;

	if (!mn_linux61())
		return mn_claim_release(subs, sub);
	spin_lock(&subs->lock);
	/* list_del_rcu() leaves LIST_POISON2 in prev: already unlinked. */
	linked = sub->list.prev != LIST_POISON2;
	spin_unlock(&subs->lock);
	return linked;
}

static void mn_hlist_release(struct mmu_notifier_subscriptions *subs,
			     struct mm_struct *mm)
{
	struct mmu_notifier *sub;
	int id;

	id = srcu_read_lock(&mn_srcu);
	list_for_each_entry_rcu(sub, &subs->list, list)
		if (mn_release_by_exit(subs, sub) && sub->ops->release)
			sub->ops->release(sub, mm);

	spin_lock(&subs->lock);
	while (!list_empty(&subs->list)) {
		sub = list_first_entry(&subs->list, struct mmu_notifier, list);
		mn_hlist_unlink(sub);
	}
	spin_unlock(&subs->lock);
	srcu_read_unlock(&mn_srcu, id);

	/* No callback of a released subscription runs past this point. */
	synchronize_srcu(&mn_srcu);
}

/**
 * __mmu_notifier_release() - the mm is exiting
 * @mm: the mm, whose mappings are about to be torn down
 *
 * Invalidates every interval subscription with MMU_NOTIFY_RELEASE, then
 * calls every classic release and unlinks the classic subscriptions
 * (they still need mmu_notifier_unregister() to drop their mm reference).
 *
 * Context: exit_mmap(), may sleep.
 */
void __mmu_notifier_release(struct mm_struct *mm)
{
	struct mmu_notifier_subscriptions *subs = mm->notifier_subscriptions;

	might_sleep();
	if (READ_ONCE(subs->has_itree))
		mn_itree_release(subs, mm);
	if (!list_empty(&subs->list))
		mn_hlist_release(subs, mm);
}

static int mn_itree_invalidate(struct mmu_notifier_subscriptions *subs,
			       const struct mmu_notifier_range *range)
{
	struct mmu_interval_notifier *sub;
	unsigned long cur_seq;

	for (sub = mn_itree_inv_start_range(subs, range, &cur_seq); sub;
	     sub = mn_itree_inv_next(sub, range)) {
		bool ok;

		if (!mmu_notifier_range_blockable(range))
			non_block_start();
		ok = sub->ops->invalidate(sub, range, cur_seq);
		if (!mmu_notifier_range_blockable(range))
			non_block_end();
		if (ok)
			continue;
		/* Only a non-blockable invalidation may be refused. */
		if (WARN_ON(mmu_notifier_range_blockable(range)))
			continue;
		/*
		 * The caller will not call end after a failed start; end the
		 * interval side here so the sequence goes back to even.
		 */
		mn_itree_inv_end(subs);
		return -EAGAIN;
	}
	return 0;
}

static void mn_call_end(struct mmu_notifier *sub,
			const struct mmu_notifier_range *range)
{
	if (!sub->ops->invalidate_range_end)
		return;
	if (!mmu_notifier_range_blockable(range))
		non_block_start();
	sub->ops->invalidate_range_end(sub, range);
	if (!mmu_notifier_range_blockable(range))
		non_block_end();
}

static void mn_hlist_end_all(struct mmu_notifier_subscriptions *subs,
			     const struct mmu_notifier_range *range)
{
	struct mmu_notifier *sub;

	list_for_each_entry_rcu(sub, &subs->list, list)
		mn_call_end(sub, range);
}

static int mn_hlist_invalidate_start(struct mmu_notifier_subscriptions *subs,
				     struct mmu_notifier_range *range)
{
	bool blockable = mmu_notifier_range_blockable(range);
	struct mmu_notifier *sub;
	int ret = 0;
	int id;

	id = srcu_read_lock(&mn_srcu);
	list_for_each_entry_rcu(sub, &subs->list, list) {
		const struct mmu_notifier_ops *ops = sub->ops;
		int err;

		if (!ops->invalidate_range_start)
			continue;
		if (!blockable)
			non_block_start();
		err = ops->invalidate_range_start(sub, range);
		if (!blockable)
			non_block_end();
		if (!err)
			continue;
		pr_info("mmu_notifier: invalidate_range_start failed with %d\n",
			err);
		/*
		 * Failing is only allowed when not blockable, with -EAGAIN,
		 * and by a subscriber without an end callback: that is what
		 * lets the core end all the others below.
		 */
		WARN_ON(blockable || err != -EAGAIN);
		WARN_ON(ops->invalidate_range_end);
		ret = err;
	}
	/* The caller will not call end: end every subscriber now. */
	if (ret)
		mn_hlist_end_all(subs, range);
	srcu_read_unlock(&mn_srcu, id);
	return ret;
}

/*
 * A classic subscriber refused after the interval side had started.  The
 * model ends the interval side.  Linux 6.1 returns without ending it: the
 * sequence stays odd, so read_begin on a subscription this invalidation
 * reached, and any remove, wait forever; count it as an open start.
 */
static void mn_itree_start_refused(struct mmu_notifier_subscriptions *subs)
{
	if (!mn_linux61()) {
		mn_itree_inv_end(subs);
		return;
	}
	spin_lock(&subs->lock);
	subs->open_starts++;
	spin_unlock(&subs->lock);
}

/**
 * __mmu_notifier_invalidate_range_start() - tell subscribers a range changes
 * @range: the invalidation
 *
 * Interval callbacks first, then classic invalidate_range_start.  On
 * failure (only possible when not blockable) the classic subscribers that
 * have an end get it; the interval side is ended too, except in Linux 6.1
 * mode when a classic subscriber refused (see mn_itree_start_refused()).
 *
 * Context: mmap_lock or (reverse-map walkers) mm->rmap_lock held, which
 * excludes registration; may sleep iff @range is blockable.
 * Return: 0, or -EAGAIN if a subscriber refused a non-blockable range.
 */
int __mmu_notifier_invalidate_range_start(struct mmu_notifier_range *range)
{
	struct mmu_notifier_subscriptions *subs =
		range->mm->notifier_subscriptions;
	bool itree = READ_ONCE(subs->has_itree);
	int ret;

	if (itree) {
		ret = mn_itree_invalidate(subs, range);
		if (ret)
			return ret;
	}
	if (!list_empty(&subs->list)) {
		ret = mn_hlist_invalidate_start(subs, range);
		if (ret) {
			if (itree)
				mn_itree_start_refused(subs);
			return ret;
		}
	}
	/* Every subscriber has let go of the range: let the observer see. */
	mn_observe(range, false);
	return 0;
}

static void mn_call_invalidate_range(struct mmu_notifier *sub,
				     const struct mmu_notifier_range *range)
{
	if (sub->ops->invalidate_range)
		sub->ops->invalidate_range(sub, range->mm, range->start,
					   range->end);
}

/*
 * The classic side of an end: every invalidate_range, then every end; in
 * Linux 6.1 mode each subscriber's invalidate_range and end in turn.
 */
static void mn_hlist_invalidate_end(struct mmu_notifier_subscriptions *subs,
				    const struct mmu_notifier_range *range)
{
	struct mmu_notifier *sub;
	int id;

	id = srcu_read_lock(&mn_srcu);
	list_for_each_entry_rcu(sub, &subs->list, list) {
		mn_call_invalidate_range(sub, range);
		if (mn_linux61())
			mn_call_end(sub, range);
	}
	if (!mn_linux61())
		mn_hlist_end_all(subs, range);
	srcu_read_unlock(&mn_srcu, id);
}

/**
 * __mmu_notifier_invalidate_range_end() - the range change is complete
 * @range: the invalidation passed to the successful start
 *
 * The classic subscribers' ends run before the interval side is ended
 * (read sections of the interval subscriptions may start again); in
 * Linux 6.1 mode after it.
 *
 * Context: as for the start.
 */
void __mmu_notifier_invalidate_range_end(struct mmu_notifier_range *range)
{
	struct mmu_notifier_subscriptions *subs =
		range->mm->notifier_subscriptions;
	bool itree = READ_ONCE(subs->has_itree);

	if (itree && mn_linux61())
		mn_itree_inv_end(subs);
	mn_hlist_invalidate_end(subs, range);
	if (itree && !mn_linux61())
		mn_itree_inv_end(subs);
	mn_observe(range, true);
}

/* Ask the classic subscribers; a test stops at the first young answer. */
static int mn_hlist_young(struct mmu_notifier_subscriptions *subs,
			  struct mm_struct *mm, unsigned long start,
			  unsigned long end, enum mmu_notifier_age_op op)
{
	struct mmu_notifier *sub;
	int young = 0;

	list_for_each_entry_rcu(sub, &subs->list, list) {
		const struct mmu_notifier_ops *ops = sub->ops;

		if (op == MMU_NOTIFIER_AGE_CLEAR_FLUSH &&
		    ops->clear_flush_young) {
			young |= ops->clear_flush_young(sub, mm, start, end);
		} else if (op == MMU_NOTIFIER_AGE_CLEAR && ops->clear_young) {
			young |= ops->clear_young(sub, mm, start, end);
		} else if (op == MMU_NOTIFIER_AGE_TEST && ops->test_young &&
			   ops->test_young(sub, mm, start)) {
			young = 1;
			break;
		}
	}
	return young;
}

/*
 * Ask the interval subscriptions that overlap [start, end) and have an
 * age callback (model-only extension).  The walk is made like an
 * invalidation's, so the tree cannot change under it, but nothing calls
 * mmu_interval_set_seq(): read sections are not made to retry.
 */
static int mn_itree_young(struct mmu_notifier_subscriptions *subs,
			  unsigned long start, unsigned long end,
			  enum mmu_notifier_age_op op)
{
	const struct mmu_notifier_range range = { .start = start, .end = end };
	struct mmu_interval_notifier *sub;
	unsigned long seq;
	int young = 0;

	for (sub = mn_itree_inv_start_range(subs, &range, &seq); sub;
	     sub = mn_itree_inv_next(sub, &range)) {
		if (!sub->ops->age)
			continue;
		non_block_start();
		young |= sub->ops->age(sub, start, end, op);
		non_block_end();
		if (young && op == MMU_NOTIFIER_AGE_TEST)
			break;
	}
	mn_itree_inv_end(subs);
	return young;
}

/* Shared body of the three aging hooks; @op selects the callback. */
static int mn_young(struct mm_struct *mm, unsigned long start,
		    unsigned long end, enum mmu_notifier_age_op op)
{
	struct mmu_notifier_subscriptions *subs = mm->notifier_subscriptions;
	int young;
	int id;

	id = srcu_read_lock(&mn_srcu);
	young = mn_hlist_young(subs, mm, start, end, op);
	/* The interval aging extension does not exist in Linux 6.1. */
	if (READ_ONCE(subs->has_itree) && !mn_linux61() &&
	    !(young && op == MMU_NOTIFIER_AGE_TEST))
		young |= mn_itree_young(subs, start, end, op);
	srcu_read_unlock(&mn_srcu, id);
	return young;
}

/**
 * __mmu_notifier_clear_flush_young() - clear secondary accessed bits
 * @mm: the mm
 * @start: first address
 * @end: address after the range
 *
 * Asks the classic subscribers' clear_flush_young and the age callback
 * of every overlapping interval subscription (model-only extension; not
 * in Linux 6.1 mode).
 *
 * Context: page-table lock held; must not sleep.
 * Return: non-zero if any subscriber saw an accessed bit.
 */
int __mmu_notifier_clear_flush_young(struct mm_struct *mm,
				     unsigned long start, unsigned long end)
{
	return mn_young(mm, start, end, MMU_NOTIFIER_AGE_CLEAR_FLUSH);
}

/**
 * __mmu_notifier_clear_young() - clear secondary accessed bits, no flush
 * @mm: the mm
 * @start: first address
 * @end: address after the range
 *
 * As __mmu_notifier_clear_flush_young(), with MMU_NOTIFIER_AGE_CLEAR for
 * the interval subscribers.
 *
 * Context: must not sleep.
 * Return: non-zero if any subscriber saw an accessed bit.
 */
int __mmu_notifier_clear_young(struct mm_struct *mm, unsigned long start,
			       unsigned long end)
{
	return mn_young(mm, start, end, MMU_NOTIFIER_AGE_CLEAR);
}

/**
 * __mmu_notifier_test_young() - is a page young in a secondary MMU?
 * @mm: the mm
 * @address: the page's address
 *
 * Classic subscribers first, then overlapping interval subscribers with
 * an age callback (MMU_NOTIFIER_AGE_TEST over the page); stops at the
 * first that reports the page accessed.
 *
 * Context: must not sleep.
 * Return: non-zero if a subscriber reports the page accessed.
 */
int __mmu_notifier_test_young(struct mm_struct *mm, unsigned long address)
{
	return mn_young(mm, address, address + PAGE_SIZE,
			MMU_NOTIFIER_AGE_TEST);
}

static struct mmu_notifier_subscriptions *mn_subscriptions_alloc(void)
{
	struct mmu_notifier_subscriptions *subs;

	subs = kzalloc(sizeof(*subs), GFP_KERNEL);
	if (!subs)
		return NULL;
	INIT_LIST_HEAD(&subs->list);
	spin_lock_init(&subs->lock);
	subs->invalidate_seq = 2;
	subs->itree = RB_ROOT_CACHED;
	init_waitqueue_head(&subs->wq);
	INIT_LIST_HEAD(&subs->deferred_list);
	return subs;
}

/* Link a classic subscription; 6.1 puts the newest first. */
static void mn_hlist_add(struct mmu_notifier_subscriptions *subs,
			 struct mmu_notifier *subscription)
{
	spin_lock(&subs->lock);
	if (mn_linux61())
		list_add_rcu(&subscription->list, &subs->list);
	else
		list_add_tail_rcu(&subscription->list, &subs->list);
	spin_unlock(&subs->lock);
}

/**
 * __mmu_notifier_register() - subscribe with mmap_lock held for write
 * @subscription: the subscription with ops set, or NULL to only prepare
 *	the mm for interval notifiers
 * @mm: the mm; its address space must be live (mm_users > 0)
 *
 * Takes an mmgrab() reference that mmu_notifier_unregister() drops.  The
 * change is made under @mm's rmap_lock for write as well, as Linux makes
 * it under mm_take_all_locks(): with mmap_lock, that excludes every
 * invalidation, so none starts without a subscriber that sees its end.
 *
 * Context: process context, mmap_lock held for write; may sleep; takes
 * @mm's rmap_lock for write.
 * Return: 0, -ESRCH if the address space is gone, -ENOMEM.
 */
int __mmu_notifier_register(struct mmu_notifier *subscription,
			    struct mm_struct *mm)
{
	struct mmu_notifier_subscriptions *subs = mm->notifier_subscriptions;
	struct mmu_notifier_subscriptions *new = NULL;

	mmap_assert_write_locked(mm);
	might_sleep();
	if (WARN_ON(atomic_read(&mm->mm_users) <= 0))
		return -ESRCH;
	/* Allocated before the locks, as in Linux. */
	if (!subs) {
		new = mn_subscriptions_alloc();
		if (!new)
			return -ENOMEM;
	}
	if (subscription) {
		mmgrab(mm);
		subscription->mm = mm;
		subscription->released = false;
		subscription->users = 1;
		INIT_LIST_HEAD(&subscription->free_item);
	}

	down_write(&mm->rmap_lock);
	if (new) {
		subs = new;
		/* Pairs with the acquire load in mm_has_notifiers(). */
		smp_store_release(&mm->notifier_subscriptions, subs);
	}
	if (subscription)
		mn_hlist_add(subs, subscription);
	else
		WRITE_ONCE(subs->has_itree, true);
	up_write(&mm->rmap_lock);
	return 0;
}
EXPORT_SYMBOL_GPL(__mmu_notifier_register);

/**
 * mmu_notifier_register() - subscribe a classic notifier to an mm
 * @subscription: the subscription with ops set
 * @mm: the mm; its address space must be live
 *
 * Context: process context, may sleep; takes mmap_lock for write.
 * Return: as for __mmu_notifier_register().
 */
int mmu_notifier_register(struct mmu_notifier *subscription,
			  struct mm_struct *mm)
{
	int ret;

	mmap_write_lock(mm);
	ret = __mmu_notifier_register(subscription, mm);
	mmap_write_unlock(mm);
	return ret;
}
EXPORT_SYMBOL_GPL(mmu_notifier_register);

/**
 * mmu_notifier_unregister() - remove a classic subscription
 * @subscription: a registered subscription
 * @mm: its mm
 *
 * Calls release if the exit path has not, unlinks the subscription and
 * waits until none of its callbacks runs; then drops the mm reference.
 *
 * Context: process context, may sleep; not from a callback.
 */
void mmu_notifier_unregister(struct mmu_notifier *subscription,
			     struct mm_struct *mm)
{
	struct mmu_notifier_subscriptions *subs = mm->notifier_subscriptions;

	might_sleep();
	if (mn_release_by_unregister(subs, subscription) &&
	    subscription->ops->release) {
		int id = srcu_read_lock(&mn_srcu);

		subscription->ops->release(subscription, mm);
		srcu_read_unlock(&mn_srcu, id);
	}
	spin_lock(&subs->lock);
	mn_hlist_unlink(subscription);
	spin_unlock(&subs->lock);

	synchronize_srcu(&mn_srcu);
	mmdrop(mm);
}
EXPORT_SYMBOL_GPL(mmu_notifier_unregister);

static int
__mmu_interval_notifier_insert(struct mmu_interval_notifier *interval_sub,
			       struct mm_struct *mm,
			       struct mmu_notifier_subscriptions *subs,
			       unsigned long start, unsigned long length,
			       const struct mmu_interval_notifier_ops *ops)
{
	unsigned long last;

	if (!length || __builtin_add_overflow(start, length - 1, &last))
		return -EOVERFLOW;
	/* The caller holds an mm_users reference (a caller bug otherwise). */
	if (WARN_ON(atomic_read(&mm->mm_users) <= 0))
		return -EINVAL;
	interval_sub->mm = mm;
	interval_sub->ops = ops;
	RB_CLEAR_NODE(&interval_sub->interval_tree.rb);
	INIT_LIST_HEAD(&interval_sub->deferred_item);
	interval_sub->interval_tree.start = start;
	interval_sub->interval_tree.last = last;
	mmgrab(mm);

	spin_lock(&subs->lock);
	if (subs->active_invalidate_ranges && mn_linux61() &&
	    !mn_itree_is_invalidating(subs)) {
		/*
		 * Linux 6.1: none of the running invalidations is in the
		 * tree, so insert at once; the odd sequence makes read_begin
		 * on the new subscription wait until they have all ended.
		 */
		WRITE_ONCE(subs->invalidate_seq, subs->invalidate_seq | 1);
		interval_tree_insert(&interval_sub->interval_tree,
				     &subs->itree);
		interval_sub->invalidate_seq = subs->invalidate_seq;
	} else if (subs->active_invalidate_ranges) {
		/*
		 * Walkers may be in the tree: defer the insert to the last
		 * end, which needs an odd sequence to notice.  Until then
		 * read_begin on the new subscription waits (same seq).
		 */
		if (!mn_itree_is_invalidating(subs))
			WRITE_ONCE(subs->invalidate_seq,
				   subs->invalidate_seq | 1);
		list_add(&interval_sub->deferred_item, &subs->deferred_list);
		interval_sub->invalidate_seq = subs->invalidate_seq;
	} else {
		WARN_ON(mn_itree_is_invalidating(subs));
		/* Any odd value other than a future one: nothing to wait. */
		interval_sub->invalidate_seq = subs->invalidate_seq - 1;
		interval_tree_insert(&interval_sub->interval_tree,
				     &subs->itree);
	}
	spin_unlock(&subs->lock);
	return 0;
}

/**
 * mmu_interval_notifier_insert() - subscribe to a range of an mm
 * @interval_sub: the subscription to fill in
 * @mm: the mm; its address space must be live
 * @start: first address
 * @length: bytes, non-zero
 * @ops: callbacks
 *
 * Takes an mmgrab() reference that mmu_interval_notifier_remove() drops.
 *
 * Context: process context, may sleep; may take mmap_lock for write.
 * Return: 0, -EOVERFLOW for an empty or wrapping range, -ESRCH, -ENOMEM,
 * -EINVAL (with a warning) if the caller holds no mm_users reference.
 */
int mmu_interval_notifier_insert(struct mmu_interval_notifier *interval_sub,
				 struct mm_struct *mm, unsigned long start,
				 unsigned long length,
				 const struct mmu_interval_notifier_ops *ops)
{
	struct mmu_notifier_subscriptions *subs;
	int ret;

	might_sleep();
	/* Pairs with the release store in __mmu_notifier_register(). */
	subs = smp_load_acquire(&mm->notifier_subscriptions);
	if (!subs || !READ_ONCE(subs->has_itree)) {
		ret = mmu_notifier_register(NULL, mm);
		if (ret)
			return ret;
		subs = mm->notifier_subscriptions;
	}
	return __mmu_interval_notifier_insert(interval_sub, mm, subs, start,
					      length, ops);
}
EXPORT_SYMBOL_GPL(mmu_interval_notifier_insert);

/**
 * mmu_interval_notifier_insert_locked() - insert with mmap_lock held
 * @interval_sub: the subscription to fill in
 * @mm: the mm; its address space must be live
 * @start: first address
 * @length: bytes, non-zero
 * @ops: callbacks
 *
 * As mmu_interval_notifier_insert(), for a caller that already holds
 * mmap_lock for write.
 *
 * Context: process context, mmap_lock held for write; may sleep.
 * Return: 0, -EOVERFLOW for an empty or wrapping range, -ESRCH, -ENOMEM,
 * -EINVAL (with a warning) if the caller holds no mm_users reference.
 */
int
mmu_interval_notifier_insert_locked(struct mmu_interval_notifier *interval_sub,
				    struct mm_struct *mm, unsigned long start,
				    unsigned long length,
				    const struct mmu_interval_notifier_ops *ops)
{
	struct mmu_notifier_subscriptions *subs = mm->notifier_subscriptions;
	int ret;

	mmap_assert_write_locked(mm);
	might_sleep();
	if (!subs || !READ_ONCE(subs->has_itree)) {
		ret = __mmu_notifier_register(NULL, mm);
		if (ret)
			return ret;
		subs = mm->notifier_subscriptions;
	}
	return __mmu_interval_notifier_insert(interval_sub, mm, subs, start,
					      length, ops);
}
EXPORT_SYMBOL_GPL(mmu_interval_notifier_insert_locked);

/**
 * mmu_interval_notifier_remove() - unsubscribe an interval notifier
 * @interval_sub: an inserted subscription
 *
 * If invalidations are running, the removal is deferred to the last of
 * them to end and this waits for it; on return no callback of
 * @interval_sub runs or will run.  Drops the mm reference.
 *
 * Context: process context, may sleep; not from a callback.
 */
void mmu_interval_notifier_remove(struct mmu_interval_notifier *interval_sub)
{
	struct mm_struct *mm = interval_sub->mm;
	struct mmu_notifier_subscriptions *subs = mm->notifier_subscriptions;
	unsigned long seq = 0;

	might_sleep();
	spin_lock(&subs->lock);
	if (mn_itree_is_invalidating(subs)) {
		if (RB_EMPTY_NODE(&interval_sub->interval_tree.rb)) {
			/* Its insert was still deferred: just forget it. */
			list_del_init(&interval_sub->deferred_item);
		} else {
			list_add(&interval_sub->deferred_item,
				 &subs->deferred_list);
			seq = subs->invalidate_seq;
		}
	} else {
		WARN_ON(RB_EMPTY_NODE(&interval_sub->interval_tree.rb));
		interval_tree_remove(&interval_sub->interval_tree,
				     &subs->itree);
	}
	spin_unlock(&subs->lock);

	/* seq is odd, never 0, when there is something to wait for. */
	if (seq)
		wait_event(subs->wq, READ_ONCE(subs->invalidate_seq) != seq);
	mmdrop(mm);
}
EXPORT_SYMBOL_GPL(mmu_interval_notifier_remove);

/**
 * __mmu_notifier_subscriptions_destroy() - free an mm's notifier state
 * @mm: the mm being freed
 *
 * Context: last mmdrop(); nothing can be subscribed any more.
 */
void __mmu_notifier_subscriptions_destroy(struct mm_struct *mm)
{
	struct mmu_notifier_subscriptions *subs = mm->notifier_subscriptions;

	WARN_ON(!list_empty(&subs->list));
	WARN_ON(!RB_EMPTY_ROOT(&subs->itree));
	WARN_ON(!list_empty(&subs->deferred_list));
	WARN_ON(subs->active_invalidate_ranges);
	kfree(subs);
	mm->notifier_subscriptions = NULL;
}
