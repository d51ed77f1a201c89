/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: kref on atomic_t.  The kernel's is a refcount_t, which also
 * saturates instead of wrapping; the model warns on a get from zero and
 * on a put below zero instead.
 */
#ifndef _LINUX_KREF_H
#define _LINUX_KREF_H

#include <linux/atomic.h>
#include <linux/bug.h>

struct kref {
	atomic_t refcount;
};

static inline void kref_init(struct kref *kref)
{
	atomic_set(&kref->refcount, 1);
}

static inline unsigned int kref_read(const struct kref *kref)
{
	return atomic_read(&kref->refcount);
}

static inline void kref_get(struct kref *kref)
{
	WARN_ON(atomic_inc_return(&kref->refcount) <= 1);
}

static inline int kref_put(struct kref *kref,
			   void (*release)(struct kref *kref))
{
	int left = atomic_dec_return(&kref->refcount);

	WARN_ON(left < 0);
	if (left)
		return 0;
	release(kref);
	return 1;
}

static inline int kref_get_unless_zero(struct kref *kref)
{
	return atomic_inc_not_zero(&kref->refcount);
}

#endif /* _LINUX_KREF_H */
