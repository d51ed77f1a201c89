/* SPDX-License-Identifier: GPL-2.0 */
/*
 * invalidator.h - invalidations that come faster than large faults
 *
 * While armed, a hook inside hmm_range_fault() counts the pages each call
 * is asked to walk and, each time more than @budget pages were walked
 * since its last invalidation, invalidates the whole range [start, end)
 * of the mm right there (MMU_NOTIFY_CLEAR, blockable; the CPU page tables
 * stay as they are), as an invalidation on another CPU lands in the
 * middle of a fault.  A device then loses whatever it faulted more than
 * about @budget walked pages before it gets to it: only a device that
 * keeps its faults small makes progress, and the counts show how much
 * work that took.  Deterministic: the clock is the walk, not time.
 */
#ifndef _MODEL_INVALIDATOR_H
#define _MODEL_INVALIDATOR_H

struct mm_struct;

/**
 * struct invalidator - one armed invalidator
 * @mm: the mm whose range is invalidated
 * @start: first host address of the range
 * @end: host address after it
 * @budget: pages walked between two invalidations, at most
 * @since: pages walked since the last invalidation
 * @walked: pages hmm_range_fault() was asked to walk, in all
 * @invalidations: invalidations made
 */
struct invalidator {
	struct mm_struct *mm;
	unsigned long start, end, budget;
	unsigned long since, walked, invalidations;
};

/* Arm @inv (filled in by the caller, counts zeroed here); one at a time. */
void invalidator_arm(struct invalidator *inv);
/* Disarm it; its counts stay. */
void invalidator_disarm(void);

#endif /* _MODEL_INVALIDATOR_H */
