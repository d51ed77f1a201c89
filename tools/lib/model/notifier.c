// SPDX-License-Identifier: GPL-2.0
/*
 * notifier.c - the modes and the test probes of the model's MMU
 * notifier core (<model/notifier.h>)
 *
 * MODEL BUILD ONLY; Linux has nothing of this.  The mode is chosen once,
 * before any mm exists; the probes read the core's state under its lock
 * and never wait.
 */
#include <linux/mm.h>
#include "../../../mm/mmu_notifier_internal.h"

static enum model_notifier_core mn_core = MODEL_CORE_MODEL;

/**
 * model_notifier_set_core() - choose how the core behaves
 * @name: "model" (the default) or "linux-6.1"
 *
 * Context: program start, before any mm exists.
 * Return: 0, or -EINVAL for an unknown name.
 */
int model_notifier_set_core(const char *name)
{
	if (!strcmp(name, "model"))
		WRITE_ONCE(mn_core, MODEL_CORE_MODEL);
	else if (!strcmp(name, "linux-6.1"))
		WRITE_ONCE(mn_core, MODEL_CORE_LINUX_6_1);
	else
		return -EINVAL;
	return 0;
}

/**
 * model_notifier_core() - the mode the core runs in
 *
 * Context: any.
 * Return: the mode.
 */
enum model_notifier_core model_notifier_core(void)
{
	return READ_ONCE(mn_core);
}

/**
 * model_notifier_core_name() - the mode's name, as model_notifier_set_core()
 *	takes it
 *
 * Context: any.
 * Return: "model" or "linux-6.1".
 */
const char *model_notifier_core_name(void)
{
	return mn_linux61() ? "linux-6.1" : "model";
}

/**
 * model_interval_read_would_wait() - would read_begin sleep right now?
 * @sub: an inserted interval subscription
 *
 * Model only.  True while an invalidation that reached @sub (or, for a
 * deferred insert, any running invalidation) has not ended: then
 * mmu_interval_read_begin() sleeps until it ends, or forever if that end
 * never comes (a start Linux 6.1 left open).
 *
 * Context: any context that may take a spinlock.
 * Return: true if mmu_interval_read_begin(@sub) would wait.
 */
bool model_interval_read_would_wait(struct mmu_interval_notifier *sub)
{
	struct mmu_notifier_subscriptions *subs =
		sub->mm->notifier_subscriptions;
	bool busy;

	spin_lock(&subs->lock);
	busy = READ_ONCE(sub->invalidate_seq) == subs->invalidate_seq;
	spin_unlock(&subs->lock);
	return busy;
}

/**
 * model_interval_remove_would_wait() - would remove sleep right now?
 * @sub: an inserted interval subscription
 *
 * Model only.  mmu_interval_notifier_remove() waits while the mm-wide
 * sequence is odd, whatever range is being invalidated.
 *
 * Context: any context that may take a spinlock.
 * Return: true if mmu_interval_notifier_remove(@sub) would wait.
 */
bool model_interval_remove_would_wait(struct mmu_interval_notifier *sub)
{
	struct mmu_notifier_subscriptions *subs =
		sub->mm->notifier_subscriptions;
	bool busy;

	spin_lock(&subs->lock);
	busy = mn_itree_is_invalidating(subs) &&
	       !RB_EMPTY_NODE(&sub->interval_tree.rb);
	spin_unlock(&subs->lock);
	return busy;
}

/**
 * model_notifier_open_starts() - starts Linux 6.1 mode left open
 * @mm: the mm
 *
 * Model only.  Counts the invalidations of @mm whose start a classic
 * subscriber refused after the interval side had started, and which 6.1
 * therefore never ends.  Always 0 in the model's own mode.
 *
 * Context: any context that may take a spinlock.
 * Return: the count.
 */
unsigned long model_notifier_open_starts(struct mm_struct *mm)
{
	struct mmu_notifier_subscriptions *subs = mm->notifier_subscriptions;
	unsigned long n;

	if (!subs)
		return 0;
	spin_lock(&subs->lock);
	n = subs->open_starts;
	spin_unlock(&subs->lock);
	return n;
}

/**
 * model_notifier_end_open_starts() - end what Linux 6.1 mode left open
 * @mm: the mm
 *
 * Model only; Linux has no such thing.  A test that has shown a hang of
 * 6.1 calls this to get its program back: the interval side of every
 * open start is ended, as the model's own mode would have done at once,
 * and whoever waits in read_begin or remove is woken.
 *
 * Context: process context.
 */
void model_notifier_end_open_starts(struct mm_struct *mm)
{
	struct mmu_notifier_subscriptions *subs = mm->notifier_subscriptions;

	for (;;) {
		bool more;

		spin_lock(&subs->lock);
		more = subs->open_starts;
		if (more)
			subs->open_starts--;
		spin_unlock(&subs->lock);
		if (!more)
			break;
		mn_itree_inv_end(subs);
	}
}
