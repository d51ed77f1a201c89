// SPDX-License-Identifier: GPL-2.0
/*
 * uaccess.c - model user copies: memcpy() behind a validity check and a
 * fault-injection knob
 */
#include <linux/uaccess.h>
#include <model/shim.h>

static unsigned long uaccess_count;	/* copies attempted, atomically */
static unsigned long uaccess_fail_nth;	/* 0: never fail */

void model_uaccess_fail_nth(unsigned long nth)
{
	__atomic_store_n(&uaccess_count, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&uaccess_fail_nth, nth, __ATOMIC_RELAXED);
}

static bool model_user_ok(const void *uptr, unsigned long n)
{
	unsigned long nth = __atomic_load_n(&uaccess_fail_nth,
					    __ATOMIC_RELAXED);
	unsigned long count;

	might_fault();
	count = __atomic_add_fetch(&uaccess_count, 1, __ATOMIC_RELAXED);
	if (nth && count == nth)
		return false;
	return (unsigned long)uptr >= PAGE_SIZE &&
	       access_ok((const void __user *)uptr, n);
}

unsigned long model_copy_from_user(void *to, const void *from,
				   unsigned long n)
{
	if (!model_user_ok(from, n))
		return n;
	memcpy(to, from, n);
	return 0;
}

unsigned long model_copy_to_user(void *to, const void *from,
				 unsigned long n)
{
	if (!model_user_ok(to, n))
		return n;
	memcpy(to, from, n);
	return 0;
}
