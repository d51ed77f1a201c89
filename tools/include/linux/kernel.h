/* SPDX-License-Identifier: GPL-2.0 */
/* Model shim: the everyday kernel helpers. */
#ifndef _LINUX_KERNEL_H
#define _LINUX_KERNEL_H

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/bug.h>
#include <linux/printk.h>
#include <linux/export.h>

#ifndef static_assert
#define static_assert(expr, ...) _Static_assert(expr, #expr)
#endif

#define container_of(ptr, type, member) ({				\
	const typeof(((type *)0)->member) *__mptr = (ptr);		\
	(type *)((char *)__mptr - offsetof(type, member)); })

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define BIT(n)		(1UL << (n))
#define BIT_ULL(n)	(1ULL << (n))
#define ALIGN(x, a)	(((x) + ((typeof(x))(a) - 1)) & ~((typeof(x))(a) - 1))
#define IS_ALIGNED(x, a)	(((x) & ((typeof(x))(a) - 1)) == 0)
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))

#define min(a, b) ({ typeof(a) __a = (a); typeof(b) __b = (b);		\
	(void)(&__a == &__b); __a < __b ? __a : __b; })
#define max(a, b) ({ typeof(a) __a = (a); typeof(b) __b = (b);		\
	(void)(&__a == &__b); __a > __b ? __a : __b; })
#define min3(a, b, c)	min(min(a, b), c)
#define min_t(t, a, b) ({ t __a = (a); t __b = (b); __a < __b ? __a : __b; })
#define max_t(t, a, b) ({ t __a = (a); t __b = (b); __a > __b ? __a : __b; })

#define U64_MAX		UINT64_MAX

/* User pointers are plain pointers of the test program in the model. */
#define u64_to_user_ptr(x)	((void __user *)(uintptr_t)(u64)(x))

/* Copies at most @size - 1 bytes; -E2BIG if @src did not fit. */
static inline ssize_t strscpy(char *dst, const char *src, size_t size)
{
	size_t len = strnlen(src, size);

	if (!size)
		return -E2BIG;
	if (len == size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return -E2BIG;
	}
	memcpy(dst, src, len + 1);
	return len;
}

void might_sleep(void);
void might_fault(void);
void non_block_start(void);
void non_block_end(void);
void cond_resched(void);

#endif /* _LINUX_KERNEL_H */
