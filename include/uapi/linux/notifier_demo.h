/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * notifier_demo.h - UAPI of the notifier-demo GPU-style mirror device
 *
 * The device mirrors the address space of the process that opened it.
 * The command block, ioctl numbers and snapshot byte encoding are
 * layout-compatible with the kernel's test_hmm "dmirror" device, so
 * tools written for /dev/hmm_dmirror0 and /dev/hmm_dmirror1 run unchanged.
 * Commands from 0x40 on are specific to this device.
 */
#ifndef _UAPI_LINUX_NOTIFIER_DEMO_H
#define _UAPI_LINUX_NOTIFIER_DEMO_H

#include <linux/types.h>
#include <linux/ioctl.h>

/**
 * struct ndemo_cmd - one device memory command
 * @addr: (in) page-aligned address in the opener's address space
 * @ptr: (in) user buffer the device copies to (READ, SNAPSHOT) or from
 *	(WRITE); SNAPSHOT stores one byte per page
 * @npages: (in) number of pages, at least one
 * @cpages: (out) number of pages copied or reported
 * @faults: (out) number of device fault batches needed
 */
struct ndemo_cmd {
	__u64	addr;
	__u64	ptr;
	__u64	npages;
	__u64	cpages;
	__u64	faults;
};

#define NDEMO_IOC_MAGIC		'H'

/* Commands shared with test_hmm's dmirror (numbers 0x00-0x07). */
#define NDEMO_READ		_IOWR(NDEMO_IOC_MAGIC, 0x00, struct ndemo_cmd)
#define NDEMO_WRITE		_IOWR(NDEMO_IOC_MAGIC, 0x01, struct ndemo_cmd)
#define NDEMO_MIGRATE_TO_DEV	_IOWR(NDEMO_IOC_MAGIC, 0x02, struct ndemo_cmd)
#define NDEMO_MIGRATE_TO_SYS	_IOWR(NDEMO_IOC_MAGIC, 0x03, struct ndemo_cmd)
#define NDEMO_SNAPSHOT		_IOWR(NDEMO_IOC_MAGIC, 0x04, struct ndemo_cmd)
#define NDEMO_EXCLUSIVE		_IOWR(NDEMO_IOC_MAGIC, 0x05, struct ndemo_cmd)
#define NDEMO_CHECK_EXCLUSIVE	_IOWR(NDEMO_IOC_MAGIC, 0x06, struct ndemo_cmd)
#define NDEMO_RELEASE		_IOWR(NDEMO_IOC_MAGIC, 0x07, struct ndemo_cmd)

/*
 * Byte values stored per page by NDEMO_SNAPSHOT.  ERROR: no valid CPU
 * mapping; NONE: not populated; READ/WRITE: access the CPU mapping
 * allows; PMD/PUD: mapped by one huge CPU entry; ZERO: the shared zero
 * page.  The device-private and device-coherent values are never reported
 * by this device; they keep the encoding complete.
 */
enum {
	NDEMO_PROT_ERROR		= 0xFF,
	NDEMO_PROT_NONE			= 0x00,
	NDEMO_PROT_READ			= 0x01,
	NDEMO_PROT_WRITE		= 0x02,
	NDEMO_PROT_PMD			= 0x04,
	NDEMO_PROT_PUD			= 0x08,
	NDEMO_PROT_ZERO			= 0x10,
	NDEMO_PROT_DEV_PRIVATE_LOCAL	= 0x20,
	NDEMO_PROT_DEV_PRIVATE_REMOTE	= 0x30,
	NDEMO_PROT_DEV_COHERENT_LOCAL	= 0x40,
	NDEMO_PROT_DEV_COHERENT_REMOTE	= 0x50,
};

/* Number of MMU_NOTIFY_* event types counted in struct ndemo_stats. */
#define NDEMO_NR_EVENTS		8

/**
 * struct ndemo_stats - counters of the mirror behind one open file
 * @faults: fault batches served (one per mmu_mirror_fault() call)
 * @pages_mapped: 4 KiB pages installed in the secondary table
 * @retries: fault rounds repeated because an invalidation raced
 * @invalidations: invalidations overlapping a window, by MMU_NOTIFY_* event
 *	(UNMAP, CLEAR, PROTECTION_VMA, PROTECTION_PAGE, SOFT_DIRTY, RELEASE,
 *	MIGRATE, EXCLUSIVE)
 * @entries_zapped: secondary entries removed by invalidations
 * @pages_zapped: 4 KiB pages covered by those entries
 * @flushes: device TLB flushes requested by the helper
 * @dirty_propagated: pages marked dirty because the device wrote them
 * @young_cleared: entries whose accessed bit an aging hook cleared
 * @nonblock_invalidations: invalidations that were not allowed to sleep
 * @nonblock_flushes: flushes made at once because an invalidation was not
 *	allowed to sleep (another subscriber may make the core VM give up on
 *	it before the flush the helper issues last otherwise)
 * @pages_pinned: pages currently pinned (pinned mode only)
 * @entries: entries currently present in the secondary table
 * @table_nodes: radix table nodes currently allocated
 * @nonblock_failed: non-blockable invalidations refused because a device
 *	access was in flight over the range
 * @tlb_hits: page accesses of READ and WRITE that the device's TLB
 *	served without looking at the secondary table
 * @tlb_misses: page accesses that looked the secondary table up (and
 *	filled the TLB): no cached entry, or a write meeting an entry that
 *	a read filled
 * @tlb_emptied: flushes that emptied the device's TLB; equal to @flushes
 *	unless the test-only tlb_skip_flush parameter was set at open
 * @tlb_dropped: cached translations those flushes dropped
 * @tlb_fill_races: TLB fills given up because a flush ran between the
 *	table lookup and the fill
 * @tlb_age_resets: times the TLB dropped its entries because reclaim
 *	cleared the secondary table's accessed bits
 */
struct ndemo_stats {
	__u64	faults;
	__u64	pages_mapped;
	__u64	retries;
	__u64	invalidations[NDEMO_NR_EVENTS];
	__u64	entries_zapped;
	__u64	pages_zapped;
	__u64	flushes;
	__u64	dirty_propagated;
	__u64	young_cleared;
	__u64	nonblock_invalidations;
	__u64	nonblock_flushes;
	__u64	pages_pinned;
	__u64	entries;
	__u64	table_nodes;
	__u64	nonblock_failed;
	__u64	tlb_hits;
	__u64	tlb_misses;
	__u64	tlb_emptied;
	__u64	tlb_dropped;
	__u64	tlb_fill_races;
	__u64	tlb_age_resets;
};

/* Modes for NDEMO_SET_MODE. */
#define NDEMO_MODE_NOTIFIER	0	/* mirror through MMU notifiers */
#define NDEMO_MODE_PINNED	1	/* pin pages, register no notifier */

/* Device-specific commands. */
#define NDEMO_GET_STATS		_IOR(NDEMO_IOC_MAGIC, 0x40, struct ndemo_stats)
/* Set before the first access; -EBUSY afterwards. */
#define NDEMO_SET_MODE		_IOW(NDEMO_IOC_MAGIC, 0x41, __u32)

#endif /* _UAPI_LINUX_NOTIFIER_DEMO_H */
