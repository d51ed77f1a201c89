/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmu_notifier_internal.h - private declarations of the model's MMU
 * notifier core (mm/mmu_notifier.c, mm/mmu_notifier_get.c,
 * tools/lib/model/notifier.c)
 *
 * MODEL BUILD ONLY, like the rest of the core.
 */
#ifndef _MM_MMU_NOTIFIER_INTERNAL_H
#define _MM_MMU_NOTIFIER_INTERNAL_H

#include <linux/interval_tree.h>
#include <linux/list.h>
#include <linux/mmu_notifier.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/wait.h>
#include <model/notifier.h>

/* Protects list walks and keeps subscriptions alive across callbacks. */
extern struct srcu_struct mn_srcu;

/* Does the core behave as Linux 6.1's (<model/notifier.h>)? */
static inline bool mn_linux61(void)
{
	return model_core_is_linux_6_1();
}

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
 * @open_starts: Linux 6.1 mode only: invalidations whose start a classic
 *	subscriber refused after the interval side had started; 6.1 never
 *	ends their interval side, so @active_invalidate_ranges stays raised
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
	unsigned long open_starts;
};

static inline bool
mn_itree_is_invalidating(struct mmu_notifier_subscriptions *subs)
{
	lockdep_assert_held(&subs->lock);
	return subs->invalidate_seq & 1;
}

/* Unlink @sub unless already unlinked; subs->lock held. */
static inline void mn_hlist_unlink(struct mmu_notifier *sub)
{
	/* list_del_rcu() leaves LIST_POISON2 in prev: already unlinked. */
	if (sub->list.prev != LIST_POISON2)
		list_del_rcu(&sub->list);
}

void mn_itree_inv_end(struct mmu_notifier_subscriptions *subs);

#endif /* _MM_MMU_NOTIFIER_INTERNAL_H */
