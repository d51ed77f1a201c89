/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: atomic_t and atomic64_t on GCC __atomic builtins.  Value
 * returning operations are fully ordered, the others relaxed, as in the
 * kernel's memory model.
 */
#ifndef _LINUX_ATOMIC_H
#define _LINUX_ATOMIC_H

#include <linux/types.h>

typedef struct {
	int counter;
} atomic_t;

typedef struct {
	s64 counter;
} atomic64_t;

typedef atomic64_t atomic_long_t;

#define ATOMIC_INIT(i)		{ (i) }
#define ATOMIC64_INIT(i)	{ (i) }

#define __MODEL_ATOMIC_OPS(pfx, t, v)					\
static inline v pfx##_read(const t *a)					\
{ return __atomic_load_n(&a->counter, __ATOMIC_RELAXED); }		\
static inline void pfx##_set(t *a, v i)					\
{ __atomic_store_n(&a->counter, i, __ATOMIC_RELAXED); }		\
static inline void pfx##_add(v i, t *a)					\
{ __atomic_fetch_add(&a->counter, i, __ATOMIC_RELAXED); }		\
static inline void pfx##_sub(v i, t *a)					\
{ __atomic_fetch_sub(&a->counter, i, __ATOMIC_RELAXED); }		\
static inline void pfx##_inc(t *a) { pfx##_add(1, a); }		\
static inline void pfx##_dec(t *a) { pfx##_sub(1, a); }		\
static inline v pfx##_add_return(v i, t *a)				\
{ return __atomic_add_fetch(&a->counter, i, __ATOMIC_SEQ_CST); }	\
static inline v pfx##_sub_return(v i, t *a)				\
{ return __atomic_sub_fetch(&a->counter, i, __ATOMIC_SEQ_CST); }	\
static inline v pfx##_inc_return(t *a) { return pfx##_add_return(1, a); } \
static inline v pfx##_dec_return(t *a) { return pfx##_sub_return(1, a); } \
static inline bool pfx##_dec_and_test(t *a)				\
{ return pfx##_sub_return(1, a) == 0; }				\
static inline v pfx##_cmpxchg(t *a, v old, v new)			\
{									\
	__atomic_compare_exchange_n(&a->counter, &old, new, false,	\
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
	return old;							\
}									\
static inline bool pfx##_add_unless(t *a, v i, v u)			\
{									\
	v c = pfx##_read(a);						\
	do {								\
		if (c == u)						\
			return false;					\
	} while (!__atomic_compare_exchange_n(&a->counter, &c, c + i,	\
					      false, __ATOMIC_SEQ_CST,	\
					      __ATOMIC_RELAXED));	\
	return true;							\
}									\
static inline bool pfx##_inc_not_zero(t *a)				\
{ return pfx##_add_unless(a, 1, 0); }					\
static inline v pfx##_xchg(t *a, v i)					\
{ return __atomic_exchange_n(&a->counter, i, __ATOMIC_SEQ_CST); }	\
static inline void pfx##_or(v i, t *a)					\
{ __atomic_fetch_or(&a->counter, i, __ATOMIC_RELAXED); }		\
static inline void pfx##_andnot(v i, t *a)				\
{ __atomic_fetch_and(&a->counter, ~i, __ATOMIC_RELAXED); }

__MODEL_ATOMIC_OPS(atomic, atomic_t, int)
__MODEL_ATOMIC_OPS(atomic64, atomic64_t, s64)

/*
 * cmpxchg() on a plain scalar or pointer, fully ordered; returns the
 * value found.  cmpxchg64() is the same on a 64-bit scalar.
 */
#define cmpxchg(ptr, old, new) ({					\
	typeof(*(ptr)) __cx_old = (old);				\
	__atomic_compare_exchange_n((ptr), &__cx_old, (new), false,	\
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
	__cx_old;							\
})
#define cmpxchg64(ptr, old, new)	cmpxchg(ptr, old, new)

#define atomic_long_read	atomic64_read
#define atomic_long_set		atomic64_set
#define atomic_long_add		atomic64_add
#define atomic_long_inc		atomic64_inc
#define atomic_long_dec		atomic64_dec

#endif /* _LINUX_ATOMIC_H */
