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

struct mm_struct;
struct mmu_mirror;

/**
 * struct ndemo_file - one open device file
 * @mm: the opener's mm (mmgrab()bed until the mirror owns it)
 * @lock: serializes lazy creation of @mirror and changes of @mode
 * @mode: NDEMO_MODE_NOTIFIER or NDEMO_MODE_PINNED
 * @mirror: created by the first command that touches memory
 * @tlb_flushes: flushes the device performed (the software device has no
 *	TLB to drop; the count shows how often a real one would be)
 * @minor: device number, for the mirror's debugfs name
 */
struct ndemo_file {
	struct mm_struct *mm;
	struct mutex lock;	/* protects mode and mirror creation */
	u32 mode;
	struct mmu_mirror *mirror;
	atomic64_t tlb_flushes;
	int minor;
};

struct ndemo_file *ndemo_file_create(struct mm_struct *mm, int minor);
void ndemo_file_destroy(struct ndemo_file *nf);
long ndemo_file_ioctl(struct ndemo_file *nf, unsigned int command,
		      void __user *uarg);

#endif /* _NDEMO_DMIRROR_CORE_H */
