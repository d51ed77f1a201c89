/* SPDX-License-Identifier: GPL-2.0 */
/* Model shim: every frame is always mapped; kmap is page_address(). */
#ifndef _LINUX_HIGHMEM_H
#define _LINUX_HIGHMEM_H

#include <linux/mm.h>

static inline void *kmap_local_page(struct page *page)
{
	return page_address(page);
}

static inline void kunmap_local(const void *addr)
{
}

#endif /* _LINUX_HIGHMEM_H */
