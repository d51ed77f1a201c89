/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: spinlock_t for headers that embed one.  The model defines
 * the type with the operations, in <linux/spinlock.h>.
 */
#ifndef _LINUX_SPINLOCK_TYPES_H
#define _LINUX_SPINLOCK_TYPES_H

#include <linux/spinlock.h>

#endif /* _LINUX_SPINLOCK_TYPES_H */
