/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * edu_mirror.h - UAPI of the edu DMA mirror device
 *
 * /dev/edu_mirrorN drives one QEMU "edu" PCI device (1234:11e8), a DMA
 * engine with a 4 KiB buffer, behind an IOMMU.  Opening the file binds it
 * to the opener's address space: the device's IOMMU domain then mirrors
 * that address space, I/O virtual address == user address, and is kept
 * coherent with the CPU page tables by MMU notifiers (or, in pinned mode,
 * by pinning every page the device maps, as VFIO does).  One file may be
 * open per device at a time; only the opener's process may use it.
 * Documentation/misc-devices/edu-mirror.rst describes the device.
 */
#ifndef _UAPI_LINUX_EDU_MIRROR_H
#define _UAPI_LINUX_EDU_MIRROR_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* Largest transfer: the device buffer is 4096 bytes, its last byte unused. */
#define EDU_MIRROR_MAX_LEN	4095U
/* Largest range of one EDU_MIRROR_MAP. */
#define EDU_MIRROR_MAX_MAP	(1ULL << 30)

/* Modes for EDU_MIRROR_SET_MODE. */
#define EDU_MIRROR_MODE_NOTIFIER 0	/* mirror through MMU notifiers */
#define EDU_MIRROR_MODE_PINNED	1	/* pin what is mapped, as VFIO does */

/**
 * struct edu_mirror_copy - one copy through the device
 * @src: (in) user address the device reads @len bytes from
 * @dst: (in) user address the device writes them to
 * @len: (in) bytes, 1 to EDU_MIRROR_MAX_LEN; any alignment
 * @flags: (in) must be 0
 * @faults: (out) mmu_mirror_fault() calls made for the copy
 * @retries: (out) times the driver faulted a range again because an
 *	invalidation took it, or was waiting for it, before the transfer
 * @src_done_ns: (out) CLOCK_MONOTONIC time at which the device had read
 *	@src (the transfer into its buffer completed)
 * @dst_done_ns: (out) the same for the write of @dst
 *
 * The device reads @src into its buffer with one DMA, then writes the
 * buffer to @dst with a second one (about 100 ms each).
 */
struct edu_mirror_copy {
	__u64	src;
	__u64	dst;
	__u32	len;
	__u32	flags;
	__u64	faults;
	__u64	retries;
	__u64	src_done_ns;
	__u64	dst_done_ns;
};

/* struct edu_mirror_map flags */
#define EDU_MIRROR_MAP_WRITE	0x1U	/* map for device writes too */

/**
 * struct edu_mirror_map - make a range ready for DMA
 * @addr: (in) page-aligned user address
 * @len: (in) page multiple, at most EDU_MIRROR_MAX_MAP
 * @flags: (in) 0 or EDU_MIRROR_MAP_WRITE
 * @pad: (in) must be 0
 *
 * Faults the range into the device's IOMMU domain now (in pinned mode:
 * pins it), as VFIO_IOMMU_MAP_DMA would; a copy needs no such call.
 */
struct edu_mirror_map {
	__u64	addr;
	__u64	len;
	__u32	flags;
	__u32	pad;
};

/* struct edu_mirror_test flags: TEST ONLY, they break the device. */
#define EDU_MIRROR_TEST_SKIP_REFAULT	0x1U	/* DMA without fault/bracket */
#define EDU_MIRROR_TEST_SKIP_SYNC	0x2U	/* flush without IOTLB sync */
#define EDU_MIRROR_TEST_ALL		0x3U

/**
 * struct edu_mirror_test - test-only knobs of the open file
 * @flags: (in) EDU_MIRROR_TEST_* bits; 0 restores normal operation
 * @dma_timeout_ms: (in) how long to wait for a transfer, 1 to 60000;
 *	0 for the module's default (parameter dma_timeout_ms)
 *
 * Refused with -EPERM unless the module was loaded with test_knobs=1 and
 * the caller has CAP_SYS_ADMIN.  SKIP_REFAULT makes a copy program the
 * transfer without faulting its ranges in or holding them in flight, so
 * a DMA can reach an unmapped I/O address (the IOMMU must fault it).
 * SKIP_SYNC makes the device's flush skip iommu_iotlb_sync(), so the
 * IOMMU keeps translations the driver removed (the device can read a
 * page the process no longer maps).
 */
struct edu_mirror_test {
	__u32	flags;
	__u32	dma_timeout_ms;
};

/* Number of MMU_NOTIFY_* event types counted in struct edu_mirror_stats. */
#define EDU_MIRROR_NR_EVENTS	8

/**
 * struct edu_mirror_stats - counters of the open file's mirror and device
 * @faults: fault batches served (one per mmu_mirror_fault() call)
 * @pages_mapped: 4 KiB pages installed in the helper's table
 * @retries: fault rounds repeated because an invalidation raced
 * @invalidations: invalidations overlapping a window, by MMU_NOTIFY_* event
 * @entries_zapped: entries removed by invalidations
 * @pages_zapped: 4 KiB pages covered by those entries
 * @flushes: device flushes requested by the helper
 * @dirty_propagated: pages marked dirty because the device wrote them
 * @young_cleared: entries whose accessed bit an aging hook cleared
 * @nonblock_invalidations: invalidations that were not allowed to sleep
 * @nonblock_flushes: flushes made at once for those
 * @pages_pinned: pages currently pinned (pinned mode only)
 * @entries: entries currently present in the helper's table
 * @table_nodes: table nodes currently allocated
 * @nonblock_failed: non-blockable invalidations refused because a DMA
 *	was in flight over the range
 * @iotlb_syncs: iommu_iotlb_sync() calls made by the device's flush
 * @iotlb_syncs_skipped: flushes that skipped it (test knob SKIP_SYNC)
 * @iommu_maps: iommu_map_atomic() calls (one per entry)
 * @iommu_pages_mapped: 4 KiB pages they mapped
 * @iommu_unmaps: iommu_unmap_fast() calls
 * @iommu_pages_unmapped: 4 KiB pages they unmapped
 * @dmas: transfers the device completed
 * @dma_timeouts: transfers not completed within the timeout
 * @va_end: first user address above the range the device can mirror
 *
 * The fields up to @nonblock_failed are the helper's counters for this
 * file's mirror (zero before its first use); the others count for the
 * device since the driver bound to it.
 */
struct edu_mirror_stats {
	__u64	faults;
	__u64	pages_mapped;
	__u64	retries;
	__u64	invalidations[EDU_MIRROR_NR_EVENTS];
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
	__u64	iotlb_syncs;
	__u64	iotlb_syncs_skipped;
	__u64	iommu_maps;
	__u64	iommu_pages_mapped;
	__u64	iommu_unmaps;
	__u64	iommu_pages_unmapped;
	__u64	dmas;
	__u64	dma_timeouts;
	__u64	va_end;
};

#define EDU_MIRROR_IOC_MAGIC	0xB8

/* Set before the first copy or map; -EBUSY afterwards. */
#define EDU_MIRROR_SET_MODE	_IOW(EDU_MIRROR_IOC_MAGIC, 0x00, __u32)
#define EDU_MIRROR_COPY		_IOWR(EDU_MIRROR_IOC_MAGIC, 0x01, \
				      struct edu_mirror_copy)
#define EDU_MIRROR_MAP		_IOW(EDU_MIRROR_IOC_MAGIC, 0x02, \
				     struct edu_mirror_map)
#define EDU_MIRROR_GET_STATS	_IOR(EDU_MIRROR_IOC_MAGIC, 0x03, \
				     struct edu_mirror_stats)
/* Test only; see struct edu_mirror_test. */
#define EDU_MIRROR_SET_TEST	_IOW(EDU_MIRROR_IOC_MAGIC, 0x04, \
				     struct edu_mirror_test)

#endif /* _UAPI_LINUX_EDU_MIRROR_H */
