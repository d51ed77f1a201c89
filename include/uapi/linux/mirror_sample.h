/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mirror_sample.h - UAPI of the minimal mmu_mirror sample driver
 *
 * /dev/mirror_sample: MIRROR_SAMPLE_SETUP maps [addr, addr + len) of the
 * caller's memory into the device's window, once per open file; pread()
 * at offset o then has the device copy the bytes at addr + o out.
 */
#ifndef _UAPI_LINUX_MIRROR_SAMPLE_H
#define _UAPI_LINUX_MIRROR_SAMPLE_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* The largest window: 64 MiB. */
#define MIRROR_SAMPLE_MAX_LEN	(64ULL << 20)

/**
 * struct mirror_sample_setup - the window of an open file
 * @addr: page-aligned start of the range in the caller's address space
 * @len: page-aligned length, 1 .. MIRROR_SAMPLE_MAX_LEN bytes
 */
struct mirror_sample_setup {
	__u64	addr;
	__u64	len;
};

/*
 * MIRROR_SAMPLE_SETUP fails with -EFAULT (bad pointer), -EINVAL (@len 0
 * or too long, @addr or @len not page-aligned), -EPERM (called from
 * another address space than the opener's), -EBUSY (the window is set up
 * already), -ENOMEM, -ESRCH (the opener's address space is gone) or
 * -EINTR (a signal arrived while the mirror subscribed to the address
 * space's MMU notifiers, which mm_take_all_locks() gives up on; nothing
 * was set up, try again).
 */
#define MIRROR_SAMPLE_SETUP	_IOW(0xB7, 0x00, struct mirror_sample_setup)

#endif /* _UAPI_LINUX_MIRROR_SAMPLE_H */
