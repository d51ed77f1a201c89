/* SPDX-License-Identifier: GPL-2.0 */
/*
 * edu_mirror_dev.h - internals of the edu DMA mirror driver
 *
 * edu_mirror_pci.c owns the hardware: the PCI device, its registers and
 * interrupt, the DMA engine and the unmanaged IOMMU domain attached to
 * it.  edu_mirror_file.c owns what a process sees: the open file, its
 * mirror (the helper keeps the domain coherent with the process's page
 * tables through the map, unmap and flush operations) and the ioctls.
 *
 * Lock order (outermost first):
 *
 *	edu_dev->dma_lock	(mutex; one transfer at a time)
 *	  mirror->windows_sem, mm->mmap_lock, mirror->lock (the helper's)
 *
 * edu_dev->open_lock (spinlock) nests inside nothing and takes nothing.
 */
#ifndef _EDU_MIRROR_DEV_H
#define _EDU_MIRROR_DEV_H

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/iommu.h>
#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct pci_dev;
struct mm_struct;
struct mmu_mirror;
struct edu_file;

/* Most address ranges the device mirrors (the gaps are reserved IOVAs). */
#define EDU_MAX_WINDOWS		8

/* Device address of the edu DMA buffer, as the DMA registers see it. */
#define EDU_BUF_ADDR		0x40000ULL

/**
 * struct edu_window - a user address range the device may mirror
 * @start: first address, page aligned
 * @end: first address after it, page aligned
 */
struct edu_window {
	u64 start;
	u64 end;
};

/**
 * struct edu_counters - what the driver counts, for the device's lifetime
 * @iotlb_syncs: iommu_iotlb_sync() calls of the flush operation
 * @iotlb_syncs_skipped: flushes that skipped it (test knob)
 * @iommu_maps: iommu_map_atomic() calls
 * @iommu_pages_mapped: 4 KiB pages they mapped
 * @iommu_unmaps: iommu_unmap_fast() calls
 * @iommu_pages_unmapped: 4 KiB pages they unmapped
 * @dmas: transfers completed
 * @dma_timeouts: transfers not completed in time
 */
struct edu_counters {
	atomic64_t iotlb_syncs;
	atomic64_t iotlb_syncs_skipped;
	atomic64_t iommu_maps;
	atomic64_t iommu_pages_mapped;
	atomic64_t iommu_unmaps;
	atomic64_t iommu_pages_unmapped;
	atomic64_t dmas;
	atomic64_t dma_timeouts;
};

/**
 * struct edu_dev - one edu device bound to the driver
 * @ref: held by the PCI binding and by each open file; the last put
 *	frees the domain, so a file's mirror may unmap until it is gone
 * @pdev: the PCI device (referenced)
 * @mmio: BAR0
 * @domain: the unmanaged IOMMU domain; attached from probe to remove
 * @misc: the character device, /dev/edu_mirrorN
 * @name: its name
 * @id: N
 * @irq: interrupt number, or -1 when transfers are polled
 * @dma_lock: one transfer at a time; protects the DMA registers,
 *	@busy and @gone
 * @dma_done: completed by the interrupt handler at the end of a transfer
 * @busy: a transfer timed out and may still be running
 * @gone: the device was removed; no register may be touched
 * @open_lock: protects @owner
 * @owner: the open file, if any (one at a time)
 * @windows: the ranges of user addresses the device can mirror
 * @nr_windows: how many
 * @va_end: end of the last window
 * @ctr: the driver's counters
 */
struct edu_dev {
	struct kref ref;
	struct pci_dev *pdev;
	void __iomem *mmio;
	struct iommu_domain *domain;
	struct miscdevice misc;
	char name[24];
	int id;
	int irq;
	struct mutex dma_lock;	/* protects DMA registers, busy, gone */
	struct completion dma_done;
	bool busy;
	bool gone;
	spinlock_t open_lock;	/* protects owner */
	struct edu_file *owner;
	struct edu_window windows[EDU_MAX_WINDOWS];
	unsigned int nr_windows;
	u64 va_end;
	struct edu_counters ctr;
};

/* Direction of a transfer. */
enum edu_dir {
	EDU_TO_DEVICE,		/* RAM -> device buffer */
	EDU_FROM_DEVICE,	/* device buffer -> RAM */
};

int edu_dma_run(struct edu_dev *edu, enum edu_dir dir, u64 iova, u32 len,
		unsigned int timeout_ms);
int edu_dma_wait_idle(struct edu_dev *edu, unsigned int timeout_ms);
unsigned int edu_default_timeout_ms(void);
bool edu_test_knobs_allowed(void);
void edu_dev_put(struct edu_dev *edu);

extern const struct file_operations edu_fops;

#endif /* _EDU_MIRROR_DEV_H */
