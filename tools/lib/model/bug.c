// SPDX-License-Identifier: GPL-2.0
/*
 * bug.c - WARN and BUG of the model shim
 *
 * A warning prints its location and is counted: tests end by asserting
 * the count is zero, so a warning fails the test without hiding the rest
 * of its output.
 */
#include <stdlib.h>
#include <linux/kernel.h>
#include <model/shim.h>

static unsigned long model_warnings;

void model_warn(const char *file, int line, const char *cond)
{
	__atomic_add_fetch(&model_warnings, 1, __ATOMIC_RELAXED);
	fprintf(stderr, "# WARNING: %s:%d: %s\n", file, line, cond);
}

void model_bug(const char *file, int line, const char *what)
{
	fprintf(stderr, "# BUG: %s:%d: %s\n", file, line, what);
	fflush(NULL);
	abort();
}

unsigned long model_warn_count(void)
{
	return __atomic_load_n(&model_warnings, __ATOMIC_RELAXED);
}

void model_warn_reset(void)
{
	__atomic_store_n(&model_warnings, 0, __ATOMIC_RELAXED);
}
