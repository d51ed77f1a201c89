// SPDX-License-Identifier: GPL-2.0
/*
 * dma.c - model of the streaming DMA API: per-frame mapping counts
 *
 * The counts live in an array indexed by pfn that grows on demand; a
 * mutex guards growth, the counts themselves are atomics.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bug.h>
#include <linux/dma-mapping.h>
#include <linux/mm.h>

static pthread_mutex_t dma_lock = PTHREAD_MUTEX_INITIALIZER;
static long *dma_maps;
static unsigned long dma_cap;
static long dma_live;

static long *dma_count(unsigned long pfn, bool grow)
{
	long *slot = NULL;

	pthread_mutex_lock(&dma_lock);
	if (pfn >= dma_cap && grow) {
		unsigned long cap = dma_cap ? dma_cap : 1024;
		long *v;

		while (cap <= pfn)
			cap *= 2;
		v = realloc(dma_maps, cap * sizeof(*v));
		if (!v)
			model_bug(__FILE__, __LINE__, "out of memory");
		memset(v + dma_cap, 0, (cap - dma_cap) * sizeof(*v));
		dma_maps = v;
		dma_cap = cap;
	}
	if (pfn < dma_cap)
		slot = &dma_maps[pfn];
	pthread_mutex_unlock(&dma_lock);
	return slot;
}

dma_addr_t dma_map_page_attrs(struct device *dev, struct page *page,
			      size_t offset, size_t size,
			      enum dma_data_direction dir, unsigned long attrs)
{
	unsigned long pfn = page_to_pfn(page), i;

	if (dev->dma_fail_nth &&
	    __atomic_sub_fetch(&dev->dma_fail_nth, 1, __ATOMIC_SEQ_CST) == 0)
		return DMA_MAPPING_ERROR;
	for (i = 0; i < DIV_ROUND_UP(offset + size, PAGE_SIZE); i++)
		__atomic_add_fetch(dma_count(pfn + i, true), 1,
				   __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&dma_live, 1, __ATOMIC_SEQ_CST);
	return ((u64)pfn << PAGE_SHIFT) + offset + dev->dma_offset;
}

void dma_unmap_page_attrs(struct device *dev, dma_addr_t addr, size_t size,
			  enum dma_data_direction dir, unsigned long attrs)
{
	u64 phys = addr - dev->dma_offset;
	unsigned long pfn = phys >> PAGE_SHIFT, i;

	for (i = 0; i < DIV_ROUND_UP(offset_in_page(phys) + size, PAGE_SIZE);
	     i++) {
		long *c = dma_count(pfn + i, false);

		if (!c || __atomic_sub_fetch(c, 1, __ATOMIC_SEQ_CST) < 0)
			model_bug(__FILE__, __LINE__,
				  "unmapping a DMA address never mapped");
	}
	__atomic_sub_fetch(&dma_live, 1, __ATOMIC_SEQ_CST);
}

long model_dma_frame_maps(unsigned long pfn)
{
	long *c = dma_count(pfn, false);

	return c ? __atomic_load_n(c, __ATOMIC_SEQ_CST) : 0;
}

long model_dma_live(void)
{
	return __atomic_load_n(&dma_live, __ATOMIC_SEQ_CST);
}
