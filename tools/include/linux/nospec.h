/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: there is no speculation to stop in the model; the index is
 * clamped to 0 when out of bounds, which is the result the kernel's
 * array_index_nospec() guarantees under speculation.
 */
#ifndef _LINUX_NOSPEC_H
#define _LINUX_NOSPEC_H

#include <linux/kernel.h>

#define array_index_nospec(index, size) ({				\
	typeof(index) __ai_index = (index);				\
	__ai_index < (size) ? __ai_index : (typeof(index))0;		\
})

#endif /* _LINUX_NOSPEC_H */
