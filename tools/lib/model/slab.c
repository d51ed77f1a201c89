// SPDX-License-Identifier: GPL-2.0
/*
 * slab.c - kmalloc and page allocations of the model shim
 *
 * Every successful allocation increments the live count and every free
 * decrements it; a test ends with model_slab_live() == 0.  Fault
 * injection: model_slab_fail_nth(n) makes the n-th allocation attempt
 * from now fail (1: the next one), once.
 */
#include <stdlib.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <model/shim.h>

static long slab_live;
static unsigned long slab_attempts;
static unsigned long slab_fail_at;	/* attempt number that fails, or 0 */

/* Account one attempt; true if fault injection makes it fail. */
static bool slab_should_fail(gfp_t gfp)
{
	unsigned long n;

	if (gfpflags_allow_blocking(gfp))
		might_sleep();
	n = __atomic_add_fetch(&slab_attempts, 1, __ATOMIC_RELAXED);
	return __atomic_compare_exchange_n(&slab_fail_at, &n, 0, false,
					   __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

void model_slab_fail_nth(unsigned long nth)
{
	__atomic_store_n(&slab_fail_at,
			 nth ? __atomic_load_n(&slab_attempts,
					       __ATOMIC_RELAXED) + nth : 0,
			 __ATOMIC_RELAXED);
}

unsigned long model_slab_attempts(void)
{
	return __atomic_load_n(&slab_attempts, __ATOMIC_RELAXED);
}

long model_slab_live(void)
{
	return __atomic_load_n(&slab_live, __ATOMIC_RELAXED);
}

void *kmalloc(size_t size, gfp_t gfp)
{
	void *p;

	if (slab_should_fail(gfp))
		return NULL;
	p = (gfp & __GFP_ZERO) ? calloc(1, size ? size : 1) :
				 malloc(size ? size : 1);
	if (p)
		__atomic_add_fetch(&slab_live, 1, __ATOMIC_RELAXED);
	return p;
}

void kfree(const void *p)
{
	if (!p)
		return;
	__atomic_sub_fetch(&slab_live, 1, __ATOMIC_RELAXED);
	free((void *)p);
}

unsigned long __get_free_pages(gfp_t gfp, unsigned int order)
{
	size_t size = PAGE_SIZE << order;
	void *p;

	if (slab_should_fail(gfp))
		return 0;
	/* Naturally aligned, as the buddy allocator's blocks are. */
	p = aligned_alloc(size, size);
	if (!p)
		return 0;
	if (gfp & __GFP_ZERO)
		memset(p, 0, size);
	__atomic_add_fetch(&slab_live, 1, __ATOMIC_RELAXED);
	return (unsigned long)p;
}

unsigned long __get_free_page(gfp_t gfp)
{
	return __get_free_pages(gfp, 0);
}

unsigned long get_zeroed_page(gfp_t gfp)
{
	return __get_free_page(gfp | __GFP_ZERO);
}

void free_page(unsigned long addr)
{
	kfree((void *)addr);
}

void free_pages(unsigned long addr, unsigned int order)
{
	kfree((void *)addr);
}
