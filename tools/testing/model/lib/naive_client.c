// SPDX-License-Identifier: GPL-2.0
/*
 * naive_client.c - a deliberately broken secondary MMU (test code)
 *
 * Correct in every respect but one: naive_fault() never checks
 * mmu_interval_read_retry() before installing what hmm_range_fault()
 * returned.  It registers itself as a checker source so the invariant
 * checker sees its table.
 */
#include <linux/hmm.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <model/checker.h>
#include "naive_client.h"

static bool naive_invalidate(struct mmu_interval_notifier *mni,
			     const struct mmu_notifier_range *range,
			     unsigned long cur_seq)
{
	struct naive_client *nc =
		container_of(mni, struct naive_client, notifier);
	unsigned long i;

	spin_lock(&nc->lock);
	mmu_interval_set_seq(mni, cur_seq);
	for (i = 0; i < nc->npages; i++) {
		unsigned long hva = nc->start + i * PAGE_SIZE;

		if (hva >= range->start && hva < range->end)
			nc->pfns[i] = 0;
	}
	spin_unlock(&nc->lock);
	if (nc->in_invalidate)
		nc->in_invalidate(nc, nc->arg);
	return true;
}

static const struct mmu_interval_notifier_ops naive_ops = {
	.invalidate = naive_invalidate,
};

/* Checker source: the entries of one naive client. */
static void naive_source(void *ctx, struct mm_struct *mm,
			 unsigned long start, unsigned long end, bool nowait,
			 checker_visit_fn visit, void *arg)
{
	struct naive_client *nc = ctx;
	bool held = model_lock_held(&nc->lock);
	unsigned long i;

	if (mm && mm != nc->mm)
		return;
	if (!held) {
		if (!nowait)
			spin_lock(&nc->lock);
		else if (!spin_trylock(&nc->lock))
			return;
	}
	for (i = 0; i < nc->npages; i++) {
		struct checker_entry e = {
			.hva = nc->start + i * PAGE_SIZE,
			.npages = 1,
			.has_gen = true,
			.gen = nc->gens[i],
		};

		if (!nc->pfns[i] || e.hva < start || e.hva >= end)
			continue;
		e.pfn = nc->pfns[i] - 1;
		visit(&e, arg);
	}
	if (!held)
		spin_unlock(&nc->lock);
}

/**
 * naive_create() - mirror [start, start + npages pages) of @mm
 * @mm: a live mm
 * @start: page-aligned host address
 * @npages: pages
 *
 * Context: process context, may sleep.
 * Return: the client, or NULL.
 */
struct naive_client *naive_create(struct mm_struct *mm, unsigned long start,
				  unsigned long npages)
{
	struct naive_client *nc = kzalloc(sizeof(*nc), GFP_KERNEL);

	if (!nc)
		return NULL;
	nc->pfns = kcalloc(npages, sizeof(*nc->pfns), GFP_KERNEL);
	nc->gens = kcalloc(npages, sizeof(*nc->gens), GFP_KERNEL);
	if (!nc->pfns || !nc->gens)
		goto err;
	nc->mm = mm;
	nc->start = start;
	nc->npages = npages;
	spin_lock_init(&nc->lock);
	if (mmu_interval_notifier_insert(&nc->notifier, mm, start,
					 npages * PAGE_SIZE, &naive_ops))
		goto err;
	if (checker_register_source("naive", naive_source, nc)) {
		mmu_interval_notifier_remove(&nc->notifier);
		goto err;
	}
	return nc;
err:
	kfree(nc->pfns);
	kfree(nc->gens);
	kfree(nc);
	return NULL;
}

/**
 * naive_destroy() - unsubscribe and free a client
 * @nc: the client
 *
 * Context: process context, may sleep.
 */
void naive_destroy(struct naive_client *nc)
{
	checker_unregister_source(nc);
	mmu_interval_notifier_remove(&nc->notifier);
	kfree(nc->pfns);
	kfree(nc->gens);
	kfree(nc);
}

/**
 * naive_fault() - fault pages in, the wrong way
 * @nc: the client
 * @addr: page-aligned address inside the client's range
 * @npages: pages, inside the range
 *
 * Context: process context, may sleep; takes mmap_lock for read.
 * Return: 0, or the error of hmm_range_fault().
 */
int naive_fault(struct naive_client *nc, unsigned long addr,
		unsigned long npages)
{
	unsigned long first = (addr - nc->start) >> PAGE_SHIFT;
	/* hmm_range_fault() results, then the generations they had. */
	unsigned long *pfns = kcalloc(2 * npages, sizeof(*pfns), GFP_KERNEL);
	struct hmm_range range = {
		.notifier = &nc->notifier,
		.start = addr,
		.end = addr + npages * PAGE_SIZE,
		.hmm_pfns = pfns,
		.default_flags = HMM_PFN_REQ_FAULT,
	};
	unsigned long i;
	int ret;

	if (!pfns)
		return -ENOMEM;
	range.notifier_seq = mmu_interval_read_begin(&nc->notifier);
	mmap_read_lock(nc->mm);
	ret = hmm_range_fault(&range);
	mmap_read_unlock(nc->mm);
	if (ret)
		goto out;
	for (i = 0; i < npages; i++)
		pfns[npages + i] =
			atomic64_read(&hmm_pfn_to_page(pfns[i])->generation);
	if (nc->before_install)
		nc->before_install(nc, nc->arg);
	/* The bug: no mmu_interval_read_retry(&nc->notifier, seq) here. */
	spin_lock(&nc->lock);
	for (i = 0; i < npages; i++) {
		nc->pfns[first + i] = page_to_pfn(hmm_pfn_to_page(pfns[i])) + 1;
		nc->gens[first + i] = pfns[npages + i];
	}
	spin_unlock(&nc->lock);
out:
	kfree(pfns);
	return ret;
}

/**
 * naive_entries() - entries currently in the table
 * @nc: the client
 *
 * Context: process context.
 * Return: the count.
 */
unsigned long naive_entries(struct naive_client *nc)
{
	unsigned long i, n = 0;

	spin_lock(&nc->lock);
	for (i = 0; i < nc->npages; i++)
		n += nc->pfns[i] != 0;
	spin_unlock(&nc->lock);
	return n;
}
