/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: the streaming DMA API for one page at a time.
 *
 * A model device's DMA address of a page is its physical address plus
 * the device's dma_offset, so a driver that hands a physical address
 * where a DMA address belongs is seen.  Every mapping is counted per
 * frame: the checker reports a frame freed while still DMA-mapped, and
 * unmapping what was never mapped is a model bug.
 */
#ifndef _LINUX_DMA_MAPPING_H
#define _LINUX_DMA_MAPPING_H

#include <linux/kernel.h>
#include <linux/types.h>

struct page;

/**
 * struct device - what the model knows of a device
 * @init_name: name, for diagnostics
 * @dma_offset: added to a page's physical address to make its DMA address
 * @dma_fail_nth: fail the Nth mapping from now on (0: never)
 */
struct device {
	const char *init_name;
	u64 dma_offset;
	unsigned long dma_fail_nth;
};

typedef u64 dma_addr_t;

enum dma_data_direction {
	DMA_BIDIRECTIONAL = 0,
	DMA_TO_DEVICE = 1,
	DMA_FROM_DEVICE = 2,
	DMA_NONE = 3,
};

#define DMA_MAPPING_ERROR	(~(dma_addr_t)0)

dma_addr_t dma_map_page_attrs(struct device *dev, struct page *page,
			      size_t offset, size_t size,
			      enum dma_data_direction dir, unsigned long attrs);
void dma_unmap_page_attrs(struct device *dev, dma_addr_t addr, size_t size,
			  enum dma_data_direction dir, unsigned long attrs);

static inline int dma_mapping_error(struct device *dev, dma_addr_t addr)
{
	return addr == DMA_MAPPING_ERROR ? -ENOMEM : 0;
}

#define dma_map_page(d, p, o, s, r)	dma_map_page_attrs(d, p, o, s, r, 0)
#define dma_unmap_page(d, a, s, r)	dma_unmap_page_attrs(d, a, s, r, 0)

/* Model only: DMA mappings that cover the frame @pfn now. */
long model_dma_frame_maps(unsigned long pfn);
/* Model only: DMA mappings alive in total. */
long model_dma_live(void);

#endif /* _LINUX_DMA_MAPPING_H */
