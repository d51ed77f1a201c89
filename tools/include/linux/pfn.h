/* SPDX-License-Identifier: GPL-2.0 */
/* Model shim: conversions between frame numbers and physical addresses. */
#ifndef _LINUX_PFN_H_
#define _LINUX_PFN_H_

#include <linux/types.h>

#define PFN_DOWN(x)	((x) >> PAGE_SHIFT)
#define PFN_PHYS(x)	((phys_addr_t)(x) << PAGE_SHIFT)
#define PHYS_PFN(x)	((unsigned long)((x) >> PAGE_SHIFT))

#endif /* _LINUX_PFN_H_ */
