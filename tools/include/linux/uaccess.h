/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: user copies.  A "user" pointer is a plain pointer into the
 * test program, so a copy is a memcpy() after a validity check
 * (tools/lib/model/uaccess.c): a pointer into the first page (NULL and
 * small offsets from it) faults, and model_uaccess_fail_nth() makes the
 * Nth copy fault.  A faulting copy copies nothing; the kernel may copy a
 * prefix.  Every copy checks might_fault().
 */
#ifndef _LINUX_UACCESS_H
#define _LINUX_UACCESS_H

#include <linux/kernel.h>
#include <linux/mm.h>

unsigned long model_copy_from_user(void *to, const void *from,
				   unsigned long n);
unsigned long model_copy_to_user(void *to, const void *from,
				 unsigned long n);

static inline __must_check unsigned long
copy_from_user(void *to, const void __user *from, unsigned long n)
{
	return model_copy_from_user(to, from, n);
}

static inline __must_check unsigned long
copy_to_user(void __user *to, const void *from, unsigned long n)
{
	return model_copy_to_user(to, from, n);
}

/* Is [addr, addr + size) within the user address space? */
static inline bool access_ok(const void __user *addr, unsigned long size)
{
	unsigned long a = (unsigned long)addr;

	return size <= TASK_SIZE_MAX && a <= TASK_SIZE_MAX - size;
}

#define get_user(x, ptr) ({						\
	typeof(ptr) __gu_ptr = (ptr);					\
	typeof(*__gu_ptr) __gu_val;					\
	int __gu_err = copy_from_user(&__gu_val, __gu_ptr,		\
				      sizeof(__gu_val)) ? -EFAULT : 0;	\
	if (!__gu_err)							\
		(x) = __gu_val;						\
	__gu_err;							\
})

#define put_user(x, ptr) ({						\
	typeof(ptr) __pu_ptr = (ptr);					\
	typeof(*__pu_ptr) __pu_val = (x);				\
	copy_to_user(__pu_ptr, &__pu_val, sizeof(__pu_val)) ? -EFAULT : 0; \
})

#endif /* _LINUX_UACCESS_H */
