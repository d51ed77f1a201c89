/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: hmm_range_fault() and its pfn encoding, Linux 6.1
 * compatible.  The model has no device-private pages and no huge
 * mappings, so the map order is always 0.
 */
#ifndef _LINUX_HMM_H
#define _LINUX_HMM_H

#include <linux/mm.h>
#include <linux/mmu_notifier.h>

enum hmm_pfn_flags {
	HMM_PFN_VALID = 1UL << 63,
	HMM_PFN_WRITE = 1UL << 62,
	HMM_PFN_ERROR = 1UL << 61,
	HMM_PFN_ORDER_SHIFT = 56,

	HMM_PFN_REQ_FAULT = HMM_PFN_VALID,
	HMM_PFN_REQ_WRITE = HMM_PFN_WRITE,

	HMM_PFN_FLAGS = 0xFFUL << HMM_PFN_ORDER_SHIFT,
};

static inline struct page *hmm_pfn_to_page(unsigned long hmm_pfn)
{
	return pfn_to_page(hmm_pfn & ~HMM_PFN_FLAGS);
}

static inline unsigned int hmm_pfn_to_map_order(unsigned long hmm_pfn)
{
	return (hmm_pfn >> HMM_PFN_ORDER_SHIFT) & 0x1F;
}

/**
 * struct hmm_range - a range hmm_range_fault() reports on
 * @notifier: interval notifier covering the range
 * @notifier_seq: sequence from mmu_interval_read_begin()
 * @start: first address, page aligned
 * @end: address after the range, page aligned
 * @hmm_pfns: one entry per page: in, HMM_PFN_REQ_* requests (masked by
 *	@pfn_flags_mask); out, pfn and HMM_PFN_* flags
 * @default_flags: requests applied to every page
 * @pfn_flags_mask: which per-page request bits are honoured
 * @dev_private_owner: unused by the model
 */
struct hmm_range {
	struct mmu_interval_notifier *notifier;
	unsigned long notifier_seq;
	unsigned long start;
	unsigned long end;
	unsigned long *hmm_pfns;
	unsigned long default_flags;
	unsigned long pfn_flags_mask;
	void *dev_private_owner;
};

int hmm_range_fault(struct hmm_range *range);

#define HMM_RANGE_DEFAULT_TIMEOUT	1000

#endif /* _LINUX_HMM_H */
