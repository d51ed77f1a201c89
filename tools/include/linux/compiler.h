/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: compiler helpers.  READ_ONCE()/WRITE_ONCE() are relaxed C11
 * atomics here, so ThreadSanitizer sees marked accesses as the kernel's
 * KCSAN would.  They only take scalars of up to 8 bytes.
 */
#ifndef _LINUX_COMPILER_H
#define _LINUX_COMPILER_H

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define __must_check	__attribute__((warn_unused_result))
#undef __always_inline
#define __always_inline	inline __attribute__((always_inline))
#define __maybe_unused	__attribute__((unused))
#define __always_unused	__attribute__((unused))
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define __cold		__attribute__((cold))
#define noinline	__attribute__((noinline))
#define __init
#define __exit
#define __rcu
#define __user
#define __iomem
#define __force

#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define smp_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define smp_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define smp_mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_rmb()		__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_wmb()		__atomic_thread_fence(__ATOMIC_RELEASE)
#define barrier()		__asm__ __volatile__("" ::: "memory")

#endif /* _LINUX_COMPILER_H */
