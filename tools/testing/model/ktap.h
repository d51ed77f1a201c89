/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ktap.h - minimal KTAP output for the model tests
 *
 * A test function returns true on success; KTAP_CHECK() prints the
 * failing condition as a diagnostic and fails the test.
 *
 * Every program takes the harness options:
 *
 *	--core=model		the model's notifier core (the default)
 *	--core=linux-6.1	the core behaving as Linux 6.1's where they
 *				differ (<model/notifier.h>)
 */
#ifndef _MODEL_KTAP_H
#define _MODEL_KTAP_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <model/checker.h>
#include <model/notifier.h>
#include <model/shim.h>
#include <model/vm.h>

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

/* ktap_model_main() loaded the model's modules; teardown unloads them. */
static bool ktap_modules_loaded;

/*
 * The last case of every program: unload the modules, close the swap
 * file, then nothing may be left: no allocation, frame, swap slot, held
 * lock, warning or unexpected checker violation.
 */
static inline bool ktap_teardown(void)
{
	bool ok = true;

	if (ktap_modules_loaded)
		model_modules_exit();
	ktap_modules_loaded = false;
	if (model_swap_used()) {
		printf("# %lu swap slots still in use\n", model_swap_used());
		ok = false;
	} else {
		model_swap_exit();
	}
	if (model_warn_count()) {
		printf("# %lu warnings\n", model_warn_count());
		ok = false;
	}
	return checker_teardown_ok() && ok;
}

/*
 * Runs the cases with the invariant checker (<model/checker.h>) on: a case
 * fails if it caused a violation it did not declare with checker_expect().
 * A last case, harness_teardown, is ktap_teardown().
 */
static inline int ktap_run(const struct ktap_case *cases, unsigned int n)
{
	unsigned int i, failed = 0;

	checker_init();
	printf("KTAP version 1\n1..%u\n", n + 1);
	printf("# notifier core: %s\n", model_notifier_core_name());
	for (i = 0; i <= n; i++) {
		unsigned long bad = checker_unexpected();
		const char *name = "harness_teardown";
		bool ok;

		fflush(stdout);
		if (i < n) {
			name = cases[i].name;
			ok = cases[i].fn();
		} else {
			ok = ktap_teardown();
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

/*
 * Take the harness options out of @argv (see the top of this file), so
 * that a program with options of its own sees only those.  Returns 0, or
 * -EINVAL after printing the usage for a bad harness option.
 */
static inline int ktap_harness_args(int *argc, char **argv)
{
	int i, kept = 1;

	for (i = 1; i < *argc; i++) {
		const char *arg = argv[i];

		if (strncmp(arg, "--core=", 7)) {
			argv[kept++] = argv[i];
			continue;
		}
		if (model_notifier_set_core(arg + 7)) {
			fprintf(stderr, "%s: --core=model or --core=linux-6.1\n",
				argv[0]);
			return -EINVAL;
		}
	}
	*argc = kept;
	argv[kept] = NULL;
	return 0;
}

/*
 * main() of a model test program: the harness options from @argv (any
 * other argument is an error), @nr_frames physical frames, the modules of
 * the shared sources loaded if @modules, the cases, teardown.  Returns
 * the exit status: 0 all passed, 1 a case failed, 2 bad usage or no setup.
 */
static inline int ktap_model_main(int argc, char **argv,
				  const struct ktap_case *cases,
				  unsigned int n, unsigned long nr_frames,
				  bool modules)
{
	int ret;

	if (ktap_harness_args(&argc, argv))
		return 2;
	if (argc > 1) {
		fprintf(stderr, "%s: unknown argument %s\n", argv[0], argv[1]);
		return 2;
	}
	if (model_phys_init(nr_frames))
		return 2;
	if (modules && model_modules_init()) {
		model_phys_exit();
		return 2;
	}
	ktap_modules_loaded = modules;
	ret = ktap_run(cases, n);
	model_phys_exit();
	return ret;
}

#endif /* _MODEL_KTAP_H */
