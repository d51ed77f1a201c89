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
 * Subscriptions made by mmu_notifier_get() are reference counted; the
 * last mmu_notifier_put() unlinks one and queues it on mn_free_list.
 * mmu_notifier_synchronize() waits for an SRCU grace period and then
 * hands the queued ones to their free_notifier callback.
 *
 * Order inside one invalidation start: every overlapping interval
 * callback first, then every classic invalidate_range_start.  The
 * mmu_mirror helper depends on this (its classic callback issues the one
 * flush for what the interval callbacks removed).  Keep it.
 *
 * Differences from Linux 6.1, on purpose:
 *  - registration holds mmap_lock for write instead of mm_take_all_locks():
 *    every invalidation of the model runs under mmap_lock.  Reclaim,
 *    which will not, must exclude registration when it is added.
 *  - when a classic subscriber fails a non-blockable start, the interval
 *    side is ended too, so the sequence count cannot stay odd forever.
 *  - a subscription's release is called once even if unregister races
 *    the exit path.
 *  - the free after the last mmu_notifier_put() runs at the next
 *    mmu_notifier_synchronize(), not on an SRCU callback of its own: the
 *    model's SRCU has no call_srcu().
 *  - extension: interval subscriptions with an age callback take part in
 *    the aging hooks.  Model only; the shared sources must not use it.
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
#include <model/checker.h>

/* Protects list walks and keeps subscriptions alive across callbacks. */
DEFINE_STATIC_SRCU(mn_srcu);

/*
 * Subscriptions put for the last time, waiting for a grace period and
 * their free_notifier (entries linked by free_item).  mn_free_lock guards
 * the list; mn_free_mutex makes one mmu_notifier_synchronize() at a time
 * drain it, so a caller cannot return while another still frees entries
 * that were queued before it was called.
 */
static LIST_HEAD(mn_free_list);
static DEFINE_SPINLOCK(mn_free_lock);
static DEFINE_MUTEX(mn_free_mutex);

/**
 * struct mmu_notifier_subscriptions - notifier state of one mm
 * @list: classic subscriptions; changed under @lock, walked under mn_srcu
 * @has_itree: an interval notifier may exist; set once, never cleared
 * @lock: protects @list changes, @invalidate_seq,
 *	@active_invalidate_ranges, @itree changes and @deferred_list
 * @invalidate_seq: odd while interval invalidations are in progress;
 *	read without @lock by waiters
 * @active_invalidate_ranges: invalidations between start and end; while
 *	non-zero the tree is not changed
 * @itree: interval subscriptions
 * @wq: waiters for @invalidate_seq to move on
 * @deferred_list: interval subscriptions whose insert or remove waits for
 *	the last active invalidation to end
 */
struct mmu_notifier_subscriptions {
	struct list_head list;
	bool has_itree;
	spinlock_t lock;	/* never held across a callback */
	unsigned long invalidate_seq;
	unsigned long active_invalidate_ranges;
	struct rb_root_cached itree;
	wait_queue_head_t wq;
	struct list_head deferred_list;
};

static bool mn_itree_is_invalidating(struct mmu_notifier_subscriptions *subs)
{
	lockdep_assert_held(&subs->lock);
	return subs->invalidate_seq & 1;
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
static void mn_itree_inv_end(struct mmu_notifier_subscriptions *subs)
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

/* Unlink @sub unless already unlinked; subs->lock held. */
static void mn_hlist_unlink(struct mmu_notifier *sub)
{
	/* list_del_rcu() leaves LIST_POISON2 in prev: already unlinked. */
	if (sub->list.prev != LIST_POISON2)
		list_del_rcu(&sub->list);
}

static void mn_hlist_release(struct mmu_notifier_subscriptions *subs,
			     struct mm_struct *mm)
{
	struct mmu_notifier *sub;
	int id;

	id = srcu_read_lock(&mn_srcu);
	list_for_each_entry_rcu(sub, &subs->list, list)
		if (mn_claim_release(subs, sub) && sub->ops->release)
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

static void mn_hlist_end_all(struct mmu_notifier_subscriptions *subs,
			     const struct mmu_notifier_range *range)
{
	struct mmu_notifier *sub;

	list_for_each_entry_rcu(sub, &subs->list, list) {
		if (!sub->ops->invalidate_range_end)
			continue;
		if (!mmu_notifier_range_blockable(range))
			non_block_start();
		sub->ops->invalidate_range_end(sub, range);
		if (!mmu_notifier_range_blockable(range))
			non_block_end();
	}
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

/**
 * __mmu_notifier_invalidate_range_start() - tell subscribers a range changes
 * @range: the invalidation
 *
 * Interval callbacks first, then classic invalidate_range_start.  On
 * failure (only possible when not blockable) everything started is ended
 * again before returning.
 *
 * Context: mmap_lock held in the model; may sleep iff @range is blockable.
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
				mn_itree_inv_end(subs);
			return ret;
		}
	}
	/* Every subscriber has let go of the range: check that it did. */
	checker_invalidate_start(range);
	return 0;
}

/**
 * __mmu_notifier_invalidate_range_end() - the range change is complete
 * @range: the invalidation passed to the successful start
 *
 * Context: as for the start.
 */
void __mmu_notifier_invalidate_range_end(struct mmu_notifier_range *range)
{
	struct mmu_notifier_subscriptions *subs =
		range->mm->notifier_subscriptions;
	struct mmu_notifier *sub;
	int id;

	id = srcu_read_lock(&mn_srcu);
	list_for_each_entry_rcu(sub, &subs->list, list)
		if (sub->ops->invalidate_range)
			sub->ops->invalidate_range(sub, range->mm, range->start,
						   range->end);
	mn_hlist_end_all(subs, range);
	srcu_read_unlock(&mn_srcu, id);
	if (READ_ONCE(subs->has_itree))
		mn_itree_inv_end(subs);
	checker_invalidate_end(range);
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
	if (READ_ONCE(subs->has_itree) &&
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
 * of every overlapping interval subscription (model-only extension).
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

/**
 * __mmu_notifier_register() - subscribe with mmap_lock held for write
 * @subscription: the subscription with ops set, or NULL to only prepare
 *	the mm for interval notifiers
 * @mm: the mm; its address space must be live (mm_users > 0)
 *
 * Takes an mmgrab() reference that mmu_notifier_unregister() drops.
 *
 * Context: process context, mmap_lock held for write; may sleep.
 * Return: 0, -ESRCH if the address space is gone, -ENOMEM.
 */
int __mmu_notifier_register(struct mmu_notifier *subscription,
			    struct mm_struct *mm)
{
	struct mmu_notifier_subscriptions *subs = mm->notifier_subscriptions;

	mmap_assert_write_locked(mm);
	might_sleep();
	if (WARN_ON(atomic_read(&mm->mm_users) <= 0))
		return -ESRCH;
	if (!subs) {
		subs = mn_subscriptions_alloc();
		if (!subs)
			return -ENOMEM;
		/* Pairs with the acquire load in mm_has_notifiers(). */
		smp_store_release(&mm->notifier_subscriptions, subs);
	}
	if (!subscription) {
		WRITE_ONCE(subs->has_itree, true);
		return 0;
	}
	mmgrab(mm);
	subscription->mm = mm;
	subscription->released = false;
	subscription->users = 1;
	INIT_LIST_HEAD(&subscription->free_item);
	spin_lock(&subs->lock);
	list_add_tail_rcu(&subscription->list, &subs->list);
	spin_unlock(&subs->lock);
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
	if (mn_claim_release(subs, subscription) &&
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

/* Take a reference on the subscription of @ops, if there is one. */
static struct mmu_notifier *
mn_find_get(struct mmu_notifier_subscriptions *subs,
	    const struct mmu_notifier_ops *ops)
{
	struct mmu_notifier *sub;
	struct mmu_notifier *found = NULL;

	spin_lock(&subs->lock);
	list_for_each_entry(sub, &subs->list, list) {
		if (sub->ops != ops)
			continue;
		if (sub->users == UINT_MAX) {
			found = ERR_PTR(-EOVERFLOW);
		} else {
			sub->users++;
			found = sub;
		}
		break;
	}
	spin_unlock(&subs->lock);
	return found;
}

/**
 * mmu_notifier_get_locked() - the one subscription of @ops on @mm
 * @ops: the callbacks, with @alloc_notifier and @free_notifier set; the
 *	pointer identifies the subscription
 * @mm: the mm; its address space must be live
 *
 * If @mm has a subscription with @ops, takes another reference on it.
 * Otherwise allocates one with @ops->alloc_notifier() and registers it
 * with one reference; if the registration fails, @ops->free_notifier()
 * gets it back.  Every successful call is paired with mmu_notifier_put().
 * While a reference is held, the subscription's mm stays allocated.
 *
 * Context: process context, mmap_lock held for write; may sleep.
 * Return: the subscription, or an ERR_PTR(): the error of
 * @ops->alloc_notifier(), -EOVERFLOW when the reference count is full,
 * or as for __mmu_notifier_register().
 */
struct mmu_notifier *
mmu_notifier_get_locked(const struct mmu_notifier_ops *ops,
			struct mm_struct *mm)
{
	struct mmu_notifier *sub;
	int ret;

	mmap_assert_write_locked(mm);
	might_sleep();
	if (mm->notifier_subscriptions) {
		sub = mn_find_get(mm->notifier_subscriptions, ops);
		if (sub)
			return sub;
	}
	sub = ops->alloc_notifier(mm);
	if (IS_ERR(sub))
		return sub;
	sub->ops = ops;
	ret = __mmu_notifier_register(sub, mm);
	if (ret) {
		ops->free_notifier(sub);
		return ERR_PTR(ret);
	}
	return sub;
}
EXPORT_SYMBOL_GPL(mmu_notifier_get_locked);

/**
 * mmu_notifier_put() - drop a reference taken by mmu_notifier_get()
 * @subscription: the subscription
 *
 * The last reference unlinks the subscription (no release is called for
 * it; that happens only at exit) and queues it to be freed: after an SRCU
 * grace period, its @free_notifier callback runs and its mm reference is
 * dropped.  In the model that happens in the next
 * mmu_notifier_synchronize().  The caller must have dropped all its
 * secondary mappings and must not create new ones.
 *
 * Context: any context that may take a spinlock, including the release
 * callback of @subscription; does not sleep.
 */
void mmu_notifier_put(struct mmu_notifier *subscription)
{
	struct mmu_notifier_subscriptions *subs =
		subscription->mm->notifier_subscriptions;

	spin_lock(&subs->lock);
	if (WARN_ON(!subscription->users) || --subscription->users) {
		spin_unlock(&subs->lock);
		return;
	}
	mn_hlist_unlink(subscription);
	spin_unlock(&subs->lock);

	spin_lock(&mn_free_lock);
	list_add_tail(&subscription->free_item, &mn_free_list);
	spin_unlock(&mn_free_lock);
}
EXPORT_SYMBOL_GPL(mmu_notifier_put);

/**
 * mmu_notifier_synchronize() - run the frees queued by mmu_notifier_put()
 *
 * Description: Waits for an SRCU grace period, so no callback of a queued
 * subscription still runs, then calls ops->free_notifier() for every
 * subscription queued before the call and drops its mm reference.  On
 * return all of them are freed.  A module using mmu_notifier_get() calls
 * this in its exit function.
 *
 * Context: process context, may sleep; not from a callback.
 */
void mmu_notifier_synchronize(void)
{
	struct mmu_notifier *sub, *next;
	LIST_HEAD(batch);

	might_sleep();
	mutex_lock(&mn_free_mutex);
	spin_lock(&mn_free_lock);
	while (!list_empty(&mn_free_list)) {
		sub = list_first_entry(&mn_free_list, struct mmu_notifier,
				       free_item);
		list_del(&sub->free_item);
		list_add_tail(&sub->free_item, &batch);
	}
	spin_unlock(&mn_free_lock);

	/* Every entry of batch was unlinked before this grace period. */
	synchronize_srcu(&mn_srcu);

	list_for_each_entry_safe(sub, next, &batch, free_item) {
		struct mm_struct *mm = sub->mm;

		list_del(&sub->free_item);
		/* free_notifier runs from an SRCU callback in Linux. */
		non_block_start();
		sub->ops->free_notifier(sub);
		non_block_end();
		mmdrop(mm);
	}
	mutex_unlock(&mn_free_mutex);
}
EXPORT_SYMBOL_GPL(mmu_notifier_synchronize);

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
	interval_sub->mm = mm;
	interval_sub->ops = ops;
	RB_CLEAR_NODE(&interval_sub->interval_tree.rb);
	INIT_LIST_HEAD(&interval_sub->deferred_item);
	interval_sub->interval_tree.start = start;
	interval_sub->interval_tree.last = last;
	mmgrab(mm);

	spin_lock(&subs->lock);
	if (subs->active_invalidate_ranges) {
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
 * Return: 0, -EOVERFLOW for an empty or wrapping range, -ESRCH, -ENOMEM.
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
 * Return: 0, -EOVERFLOW for an empty or wrapping range, -ESRCH, -ENOMEM.
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
	kfree(subs);
	mm->notifier_subscriptions = NULL;
}
