/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: WARN and BUG.  Every warning is counted; a test ends by
 * checking model_warn_count() is zero.  BUG() aborts.
 */
#ifndef _LINUX_BUG_H
#define _LINUX_BUG_H

#include <linux/compiler.h>

void model_warn(const char *file, int line, const char *cond);
__attribute__((noreturn)) void model_bug(const char *file, int line,
					 const char *what);
unsigned long model_warn_count(void);

#define WARN_ON(cond) ({						\
	bool __w = !!(cond);						\
	if (unlikely(__w))						\
		model_warn(__FILE__, __LINE__, #cond);			\
	unlikely(__w);							\
})

#define WARN_ON_ONCE(cond) ({						\
	static bool __warned;						\
	bool __w = !!(cond);						\
	if (unlikely(__w) && !__atomic_exchange_n(&__warned, true,	\
						  __ATOMIC_RELAXED))	\
		model_warn(__FILE__, __LINE__, #cond);			\
	unlikely(__w);							\
})

#define WARN(cond, fmt...)	WARN_ON(cond)
#define WARN_ONCE(cond, fmt...)	WARN_ON_ONCE(cond)
#define BUG()			model_bug(__FILE__, __LINE__, "BUG()")
#define BUG_ON(cond) do {						\
	if (unlikely(cond))						\
		model_bug(__FILE__, __LINE__, #cond);			\
} while (0)

#endif /* _LINUX_BUG_H */
