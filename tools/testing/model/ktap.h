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
#include <model/checker.h>

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

/*
 * Runs the cases with the invariant checker (<model/checker.h>) on: a case
 * fails if it caused a violation it did not declare with checker_expect().
 * A last case, harness_teardown, checks that the program left nothing
 * allocated, no frame in use and no lock held.
 */
static inline int ktap_run(const struct ktap_case *cases, unsigned int n)
{
	unsigned int i, failed = 0;

	checker_init();
	printf("KTAP version 1\n1..%u\n", n + 1);
	for (i = 0; i <= n; i++) {
		unsigned long bad = checker_unexpected();
		const char *name = "harness_teardown";
		bool ok;

		fflush(stdout);
		if (i < n) {
			name = cases[i].name;
			ok = cases[i].fn();
		} else {
			ok = checker_teardown_ok();
		}
		fflush(stderr);
		if (checker_unexpected() != bad) {
			printf("# checker: %lu invariant violations\n",
			       checker_unexpected() - bad);
			ok = false;
		}
		printf("%s %u %s\n", ok ? "ok" : "not ok", i + 1, name);
		failed += !ok;
	}
	printf("# totals: pass:%u fail:%u\n", n + 1 - failed, failed);
	return failed ? 1 : 0;
}

#endif /* _MODEL_KTAP_H */
