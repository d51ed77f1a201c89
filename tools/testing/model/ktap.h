/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ktap.h - minimal KTAP output for the model tests
 *
 * A test function returns true on success; KTAP_CHECK() prints the
 * failing condition as a diagnostic and fails the test.
 */
#ifndef _MODEL_KTAP_H
#define _MODEL_KTAP_H

#include <stdbool.h>
#include <stdio.h>

struct ktap_case {
	const char *name;
	bool (*fn)(void);
};

#define KTAP_CHECK(cond) do {						\
	if (!(cond)) {							\
		printf("# %s:%d: check failed: %s\n", __FILE__,		\
		       __LINE__, #cond);				\
		return false;						\
	}								\
} while (0)

static inline int ktap_run(const struct ktap_case *cases, unsigned int n)
{
	unsigned int i, failed = 0;

	printf("KTAP version 1\n1..%u\n", n);
	for (i = 0; i < n; i++) {
		bool ok;

		fflush(stdout);
		ok = cases[i].fn();
		fflush(stderr);
		printf("%s %u %s\n", ok ? "ok" : "not ok", i + 1,
		       cases[i].name);
		failed += !ok;
	}
	printf("# totals: pass:%u fail:%u\n", n - failed, failed);
	return failed ? 1 : 0;
}

#endif /* _MODEL_KTAP_H */
