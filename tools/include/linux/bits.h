/* SPDX-License-Identifier: GPL-2.0 */
/* Model shim: BIT() and BIT_ULL() live in <linux/kernel.h> here. */
#ifndef _LINUX_BITS_H
#define _LINUX_BITS_H

#include <linux/kernel.h>

#endif /* _LINUX_BITS_H */
