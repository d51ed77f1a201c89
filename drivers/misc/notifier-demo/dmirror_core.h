/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dmirror_core.h - the device logic of the GPU-style mirror device
 *
 * dmirror_core.c holds what the device does: command validation and the
 * READ, WRITE and SNAPSHOT transfers on top of the mmu_mirror helper.  It
 * builds unchanged in the kernel module and in the userspace model;
 * dmirror.c is the kernel glue around it (misc devices, file operations,
 * the module).
 */
#ifndef _NDEMO_DMIRROR_CORE_H
#define _NDEMO_DMIRROR_CORE_H

#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/mmu_mirror.h>

struct mm_struct;

/**
 * struct ndemo_file - one open device file
 * @mm: the opener's mm (mmgrab()bed until the mirror owns it)
 * @lock: serializes lazy creation of @mirror and changes of @mode
 * @mode: NDEMO_MODE_NOTIFIER or NDEMO_MODE_PINNED
 * @mirror: created by the first command that touches memory
 * @tlb: the device's TLB, set up with @mirror; every READ and WRITE goes
 *	through it
 * @tlb_flushes: calls of the device's flush operation
 * @tlb_skip_flush: test only (the tlb_skip_flush module parameter when
 *	the file was opened): the flush only takes write permission from
 *	the TLB's entries and keeps them, so the device goes on reading
 *	pages through translations the helper removed
 * @minor: device number, for the mirror's debugfs name
 */
struct ndemo_file {
	struct mm_struct *mm;
	struct mutex lock;	/* protects mode and mirror creation */
	u32 mode;
	struct mmu_mirror *mirror;
	struct mmu_mirror_tlb tlb;
	atomic64_t tlb_flushes;
	bool tlb_skip_flush;
	int minor;
};

struct ndemo_file *ndemo_file_create(struct mm_struct *mm, int minor);
void ndemo_file_destroy(struct ndemo_file *nf);
long ndemo_file_ioctl(struct ndemo_file *nf, unsigned int command,
		      void __user *uarg);

#endif /* _NDEMO_DMIRROR_CORE_H */
