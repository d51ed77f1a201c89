// SPDX-License-Identifier: GPL-2.0
/*
 * invalidator.c - invalidations that come faster than large faults; see
 * invalidator.h.
 */
#include <linux/hmm.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <model/vm.h>
#include "invalidator.h"

/* Runs at the start of hmm_range_fault(), mmap_lock held for read. */
static void invalidator_hook(struct hmm_range *range, void *arg)
{
	struct invalidator *inv = arg;
	unsigned long n = (range->end - range->start) >> PAGE_SHIFT;
	struct mmu_notifier_range r;

	inv->walked += n;
	inv->since += n;
	if (inv->since <= inv->budget)
		return;
	/* This call's walk is the first of the next period. */
	inv->since = n;
	mmu_notifier_range_init(&r, MMU_NOTIFY_CLEAR,
				MMU_NOTIFIER_RANGE_BLOCKABLE,
				vma_lookup(inv->mm, inv->start), inv->mm,
				inv->start, inv->end);
	mmu_notifier_invalidate_range_start(&r);
	mmu_notifier_invalidate_range_end(&r);
	inv->invalidations++;
}

void invalidator_arm(struct invalidator *inv)
{
	inv->since = 0;
	inv->walked = 0;
	inv->invalidations = 0;
	model_set_hmm_fault_hook(invalidator_hook, inv);
}

void invalidator_disarm(void)
{
	model_set_hmm_fault_hook(NULL, NULL);
}
