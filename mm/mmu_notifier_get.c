// SPDX-License-Identifier: GPL-2.0
/*
 * mmu_notifier_get.c - shared, reference-counted classic subscriptions of
 * the model's MMU notifier core
 *
 * MODEL BUILD ONLY.  mmu_notifier_get() finds the subscription with the
 * same ops on an mm and takes a reference, or allocates and registers
 * one; the last mmu_notifier_put() unlinks it and queues it on
 * mn_free_list.  mmu_notifier_synchronize() waits for an SRCU grace
 * period and then hands the queued ones to their free_notifier callback
 * (Linux frees each on an SRCU callback of its own; the model's SRCU has
 * no call_srcu()).
 */
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include "mmu_notifier_internal.h"

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
