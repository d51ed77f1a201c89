// SPDX-License-Identifier: GPL-2.0
/*
 * edu_mirror_pci.c - PCI driver for QEMU's edu device behind an IOMMU
 *
 * The edu device (QEMU docs/specs/edu.rst, PCI 1234:11e8) has a 4 KiB
 * buffer and a DMA engine that copies between it and bus addresses, one
 * transfer at a time, each completing about 100 ms after it was started.
 * This driver takes the device away from the DMA API: at probe it
 * allocates an unmanaged IOMMU domain and attaches it in place of the
 * default one, so that the device's bus addresses are whatever the open
 * file maps there (edu_mirror_file.c: the process's own user addresses).
 * No IOMMU, no device: probe fails with -ENODEV.
 *
 * Completion is signalled by an interrupt (MSI, else INTx) when one can
 * be had, and polled otherwise; either way the engine's command register
 * is what says a transfer is over, the interrupt only wakes the waiter.
 */
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/idr.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include "edu_mirror_dev.h"

#define EDU_VENDOR_ID		0x1234
#define EDU_DEVICE_ID		0x11e8

/* Registers of BAR0. */
#define EDU_REG_ID		0x00	/* 0xRRrr00ed: version, "ed" */
#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_ACK		0x64
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98

#define EDU_ID_MAGIC		0xed
#define EDU_IRQ_DMA		0x100
#define EDU_DMA_RUN		0x1
#define EDU_DMA_TO_RAM		0x2	/* device buffer -> bus address */
#define EDU_DMA_IRQ		0x4

/* How long remove() and close wait for a transfer that timed out. */
#define EDU_IDLE_WAIT_MS	10000

static unsigned int dma_timeout_ms = 2000;
module_param(dma_timeout_ms, uint, 0644);
MODULE_PARM_DESC(dma_timeout_ms,
		 "Wait for a transfer at most this long (1-60000, default 2000)");

static unsigned int dma_bits = 48;
module_param(dma_bits, uint, 0444);
MODULE_PARM_DESC(dma_bits,
		 "Address bits the device drives; QEMU: -device edu,dma_mask=2^bits-1 (32-64, default 48)");

static bool test_knobs;
module_param(test_knobs, bool, 0444);
MODULE_PARM_DESC(test_knobs,
		 "Allow the test-only knobs of EDU_MIRROR_SET_TEST (default off)");

static DEFINE_IDA(edu_ida);

/**
 * edu_default_timeout_ms() - the module's transfer timeout
 *
 * Context: any.
 * Return: the dma_timeout_ms parameter, clamped to 1..60000.
 */
unsigned int edu_default_timeout_ms(void)
{
	return clamp_t(unsigned int, READ_ONCE(dma_timeout_ms), 1, 60000);
}

/**
 * edu_test_knobs_allowed() - were the test-only knobs enabled at load?
 *
 * Context: any.
 * Return: the test_knobs parameter.
 */
bool edu_test_knobs_allowed(void)
{
	return test_knobs;
}

static bool edu_dma_running(struct edu_dev *edu)
{
	return readq(edu->mmio + EDU_REG_DMA_CMD) & EDU_DMA_RUN;
}

/*
 * Wait until the engine is idle or @deadline (jiffies) passes.  The
 * interrupt only wakes us; the command register decides, so a late
 * interrupt of an earlier transfer cannot end the wait too soon.
 */
static int edu_dma_wait_until(struct edu_dev *edu, unsigned long deadline)
{
	for (;;) {
		long left = (long)(deadline - jiffies);

		if (!edu_dma_running(edu))
			return 0;
		if (left <= 0)
			return -ETIMEDOUT;
		if (edu->irq >= 0)
			wait_for_completion_timeout(&edu->dma_done, left);
		else
			usleep_range(500, 1000);
	}
}

/**
 * edu_dma_wait_idle() - wait for a transfer that timed out to end
 * @edu: the device
 * @timeout_ms: at most this long
 *
 * Context: process context, may sleep; @edu->dma_lock held.
 * Return: 0 when the engine is idle (@edu->busy cleared), -ETIMEDOUT.
 */
int edu_dma_wait_idle(struct edu_dev *edu, unsigned int timeout_ms)
{
	int ret;

	lockdep_assert_held(&edu->dma_lock);
	if (edu->gone)
		return -ENODEV;
	if (!edu->busy)
		return 0;
	ret = edu_dma_wait_until(edu, jiffies + msecs_to_jiffies(timeout_ms));
	if (!ret)
		edu->busy = false;
	return ret;
}

/**
 * edu_dma_run() - one transfer between the device buffer and a bus address
 * @edu: the device
 * @dir: EDU_TO_DEVICE (@iova -> buffer) or EDU_FROM_DEVICE (buffer -> @iova)
 * @iova: I/O virtual address in the device's domain
 * @len: bytes, 1 to EDU_MIRROR_MAX_LEN (the buffer's start is used)
 * @timeout_ms: give up after this long
 *
 * Starts the transfer and waits for it without sleeping on anything but
 * the device, so it may run while accesses are in flight.  A transfer
 * that times out may still be running: the device stays busy and the
 * next transfer first waits for it.
 *
 * Context: process context, may sleep (uninterruptibly, bounded by
 * @timeout_ms); @edu->dma_lock held.
 * Return: 0, -ENODEV after remove, -ETIMEDOUT.
 */
int edu_dma_run(struct edu_dev *edu, enum edu_dir dir, u64 iova, u32 len,
		unsigned int timeout_ms)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(timeout_ms);
	u64 cmd = EDU_DMA_RUN;
	int ret;

	lockdep_assert_held(&edu->dma_lock);
	ret = edu_dma_wait_idle(edu, timeout_ms);
	if (ret)
		return ret;
	if (!len || len >= PAGE_SIZE)
		return -EINVAL;

	reinit_completion(&edu->dma_done);
	if (dir == EDU_TO_DEVICE) {
		writeq(iova, edu->mmio + EDU_REG_DMA_SRC);
		writeq(EDU_BUF_ADDR, edu->mmio + EDU_REG_DMA_DST);
	} else {
		writeq(EDU_BUF_ADDR, edu->mmio + EDU_REG_DMA_SRC);
		writeq(iova, edu->mmio + EDU_REG_DMA_DST);
		cmd |= EDU_DMA_TO_RAM;
	}
	writeq(len, edu->mmio + EDU_REG_DMA_COUNT);
	if (edu->irq >= 0)
		cmd |= EDU_DMA_IRQ;
	writeq(cmd, edu->mmio + EDU_REG_DMA_CMD);

	ret = edu_dma_wait_until(edu, deadline);
	if (ret) {
		edu->busy = true;
		atomic64_inc(&edu->ctr.dma_timeouts);
		dev_warn_ratelimited(&edu->pdev->dev,
				     "transfer of %u bytes at %#llx timed out after %u ms\n",
				     len, iova, timeout_ms);
		return ret;
	}
	atomic64_inc(&edu->ctr.dmas);
	return 0;
}

static irqreturn_t edu_irq(int irq, void *data)
{
	struct edu_dev *edu = data;
	u32 status = readl(edu->mmio + EDU_REG_IRQ_STATUS);

	if (!status)
		return IRQ_NONE;
	writel(status, edu->mmio + EDU_REG_IRQ_ACK);
	if (status & EDU_IRQ_DMA)
		complete(&edu->dma_done);
	return IRQ_HANDLED;
}

static int edu_setup_irq(struct edu_dev *edu)
{
	struct pci_dev *pdev = edu->pdev;
	int ret;

	edu->irq = -1;
	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI | PCI_IRQ_LEGACY);
	if (ret < 0) {
		dev_info(&pdev->dev, "no interrupt (%d), polling\n", ret);
		return 0;
	}
	ret = devm_request_irq(&pdev->dev, pci_irq_vector(pdev, 0), edu_irq,
			       IRQF_SHARED, edu->name, edu);
	if (ret) {
		pci_free_irq_vectors(pdev);
		dev_info(&pdev->dev, "cannot request interrupt (%d), polling\n",
			 ret);
		return 0;
	}
	edu->irq = pci_irq_vector(pdev, 0);
	return 0;
}

static void edu_keep(struct edu_window *out, unsigned int *n, u64 start,
		     u64 end)
{
	if (*n < EDU_MAX_WINDOWS)
		out[(*n)++] = (struct edu_window){ .start = start, .end = end };
}

/* Take [start, end) out of the windows; what does not fit is lost. */
static void edu_carve(struct edu_dev *edu, u64 start, u64 end)
{
	struct edu_window out[EDU_MAX_WINDOWS];
	unsigned int i, n = 0;

	for (i = 0; i < edu->nr_windows; i++) {
		const struct edu_window *w = &edu->windows[i];

		if (end <= w->start || start >= w->end) {
			edu_keep(out, &n, w->start, w->end);
			continue;
		}
		if (w->start < start)
			edu_keep(out, &n, w->start, start);
		if (end < w->end)
			edu_keep(out, &n, end, w->end);
	}
	memcpy(edu->windows, out, n * sizeof(*out));
	edu->nr_windows = n;
}

/*
 * The user addresses the device can mirror one to one: the user address
 * space, cut at what the domain and the device can address, minus the
 * IOVA ranges the IOMMU reserves (the MSI window, RMRRs).
 */
static void edu_setup_windows(struct edu_dev *edu)
{
	struct device *dev = &edu->pdev->dev;
	u64 end = TASK_SIZE_MAX & PAGE_MASK;
	struct iommu_resv_region *r;
	struct iommu_group *group;
	LIST_HEAD(resv);
	unsigned int i;
	int ret = 0;

	if (edu->domain->geometry.aperture_end < end)
		end = (edu->domain->geometry.aperture_end + 1) & PAGE_MASK;
	if (dma_bits < 64)
		end = min_t(u64, end, BIT_ULL(dma_bits));
	edu->windows[0].start = PAGE_SIZE;
	edu->windows[0].end = end;
	edu->nr_windows = 1;

	group = iommu_group_get(dev);
	if (group) {
		ret = iommu_get_group_resv_regions(group, &resv);
		iommu_group_put(group);
	}
	list_for_each_entry(r, &resv, list)
		edu_carve(edu, r->start & PAGE_MASK,
			  PAGE_ALIGN(r->start + r->length));
	iommu_put_resv_regions(dev, &resv);
	if (!group || ret) {
		dev_info(dev, "cannot read the reserved IOVA regions (%d)\n",
			 ret);
		edu->nr_windows = 0;
	}

	edu->va_end = edu->nr_windows ?
		      edu->windows[edu->nr_windows - 1].end : 0;
	for (i = 0; i < edu->nr_windows; i++)
		dev_dbg(dev, "window %#llx-%#llx\n", edu->windows[i].start,
			edu->windows[i].end);
}

static int edu_setup_domain(struct edu_dev *edu)
{
	struct device *dev = &edu->pdev->dev;
	int ret;

	if (!device_iommu_mapped(dev)) {
		dev_info(dev, "not behind an IOMMU, not binding\n");
		return -ENODEV;
	}
	edu->domain = iommu_domain_alloc(dev->bus);
	if (!edu->domain) {
		dev_info(dev, "no unmanaged IOMMU domain for it\n");
		return -EOPNOTSUPP;
	}
	ret = iommu_attach_device(edu->domain, dev);
	if (ret) {
		dev_info(dev, "cannot attach an IOMMU domain (%d)\n", ret);
		iommu_domain_free(edu->domain);
		edu->domain = NULL;
		return ret;
	}
	edu_setup_windows(edu);
	if (!edu->nr_windows) {
		iommu_detach_device(edu->domain, dev);
		iommu_domain_free(edu->domain);
		edu->domain = NULL;
		return -ENODEV;
	}
	return 0;
}

static void edu_free(struct kref *ref)
{
	struct edu_dev *edu = container_of(ref, struct edu_dev, ref);

	if (edu->domain)
		iommu_domain_free(edu->domain);
	ida_free(&edu_ida, edu->id);
	pci_dev_put(edu->pdev);
	mutex_destroy(&edu->dma_lock);
	kfree(edu);
}

/**
 * edu_dev_put() - drop a reference to the device
 * @edu: the device
 *
 * Context: process context, may sleep (the last put frees the domain).
 */
void edu_dev_put(struct edu_dev *edu)
{
	kref_put(&edu->ref, edu_free);
}

static int edu_map_bar(struct edu_dev *edu)
{
	struct pci_dev *pdev = edu->pdev;
	u32 id;
	int ret;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = pcim_iomap_regions(pdev, BIT(0), KBUILD_MODNAME);
	if (ret)
		return ret;
	edu->mmio = pcim_iomap_table(pdev)[0];
	id = readl(edu->mmio + EDU_REG_ID);
	if ((id & 0xff) != EDU_ID_MAGIC) {
		dev_info(&pdev->dev, "unexpected id register %#x\n", id);
		return -ENODEV;
	}
	if (dma_bits < 32 || dma_bits > 64)
		return -EINVAL;
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(dma_bits));
	if (ret)
		return ret;
	pci_set_master(pdev);
	return 0;
}

static int edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct edu_dev *edu;
	int ret;

	edu = kzalloc(sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	ret = ida_alloc(&edu_ida, GFP_KERNEL);
	if (ret < 0) {
		kfree(edu);
		return ret;
	}
	edu->id = ret;
	kref_init(&edu->ref);
	edu->pdev = pci_dev_get(pdev);
	mutex_init(&edu->dma_lock);
	init_completion(&edu->dma_done);
	spin_lock_init(&edu->open_lock);
	snprintf(edu->name, sizeof(edu->name), "edu_mirror%d", edu->id);

	ret = edu_map_bar(edu);
	if (!ret)
		ret = edu_setup_irq(edu);
	if (!ret)
		ret = edu_setup_domain(edu);
	if (ret)
		goto err;

	edu->misc.minor = MISC_DYNAMIC_MINOR;
	edu->misc.name = edu->name;
	edu->misc.fops = &edu_fops;
	edu->misc.mode = 0666;
	edu->misc.parent = &pdev->dev;
	ret = misc_register(&edu->misc);
	if (ret)
		goto err_detach;
	pci_set_drvdata(pdev, edu);
	dev_info(&pdev->dev,
		 "/dev/%s: unmanaged IOMMU domain, user addresses %#llx-%#llx in %u window(s), %s\n",
		 edu->name, edu->windows[0].start, edu->va_end,
		 edu->nr_windows, edu->irq >= 0 ? "interrupt" : "polling");
	return 0;

err_detach:
	iommu_detach_device(edu->domain, &pdev->dev);
err:
	edu_dev_put(edu);
	return ret;
}

/*
 * Open files may outlive the binding: they keep the domain (for their
 * mirror's unmaps) but find the device gone and touch no register.
 */
static void edu_remove(struct pci_dev *pdev)
{
	struct edu_dev *edu = pci_get_drvdata(pdev);

	misc_deregister(&edu->misc);
	mutex_lock(&edu->dma_lock);
	if (edu->busy && edu_dma_wait_idle(edu, EDU_IDLE_WAIT_MS))
		dev_err(&pdev->dev, "a transfer is still running at removal\n");
	WRITE_ONCE(edu->gone, true);
	mutex_unlock(&edu->dma_lock);
	iommu_detach_device(edu->domain, &pdev->dev);
	edu_dev_put(edu);
}

static const struct pci_device_id edu_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR_ID, EDU_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_ids);

static struct pci_driver edu_driver = {
	.name		= KBUILD_MODNAME,
	.id_table	= edu_ids,
	.probe		= edu_probe,
	.remove		= edu_remove,
};
module_pci_driver(edu_driver);

MODULE_DESCRIPTION("QEMU edu DMA device mirroring a process through an IOMMU domain");
MODULE_LICENSE("GPL");
