/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: the part of <linux/swap.h> the helper uses.  The model VM
 * implements mark_page_accessed() (tools/lib/model/vm/page_alloc.c),
 * declared with the rest of its page API in <linux/mm.h>.
 */
#ifndef _LINUX_SWAP_H
#define _LINUX_SWAP_H

#include <linux/mm.h>

#endif /* _LINUX_SWAP_H */
