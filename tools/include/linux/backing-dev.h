/* SPDX-License-Identifier: GPL-2.0 */
/* Model shim: the model has no writeback, so no mapping needs it. */
#ifndef _LINUX_BACKING_DEV_H
#define _LINUX_BACKING_DEV_H

#include <linux/fs.h>

static inline bool mapping_can_writeback(struct address_space *mapping)
{
	return false;
}

#endif /* _LINUX_BACKING_DEV_H */
