/* SPDX-License-Identifier: GPL-2.0 */
/*
 * naive_client.h - a deliberately broken secondary MMU for negative tests
 *
 * Its fault path calls hmm_range_fault() and installs the result without
 * mmu_interval_read_retry(), so an invalidation that lands in between
 * leaves a stale entry.  The invariant checker must catch it.
 */
#ifndef _MODEL_NAIVE_CLIENT_H
#define _MODEL_NAIVE_CLIENT_H

#include <linux/mmu_notifier.h>
#include <linux/spinlock.h>

struct naive_client;

/* Test knob: called by naive_fault() between hmm_range_fault and install. */
typedef void (*naive_hook_fn)(struct naive_client *nc, void *arg);

/**
 * struct naive_client - one tiny table mirroring [start, start + npages)
 * @notifier: interval notifier over the range
 * @mm: the mirrored mm
 * @lock: protects @pfns and @gens
 * @start: first host address
 * @npages: pages in the range
 * @pfns: per page, pfn + 1, or 0 for no entry
 * @gens: per page, frame generation seen by hmm_range_fault()
 * @before_install: knob run after hmm_range_fault(), before install
 * @in_invalidate: knob run by the invalidate callback after it zapped
 * @arg: argument of both knobs
 */
struct naive_client {
	struct mmu_interval_notifier notifier;
	struct mm_struct *mm;
	spinlock_t lock;	/* see above */
	unsigned long start;
	unsigned long npages;
	unsigned long *pfns;
	u64 *gens;
	naive_hook_fn before_install;
	naive_hook_fn in_invalidate;
	void *arg;
};

struct naive_client *naive_create(struct mm_struct *mm, unsigned long start,
				  unsigned long npages);
void naive_destroy(struct naive_client *nc);
int naive_fault(struct naive_client *nc, unsigned long addr,
		unsigned long npages);
unsigned long naive_entries(struct naive_client *nc);

#endif /* _MODEL_NAIVE_CLIENT_H */
