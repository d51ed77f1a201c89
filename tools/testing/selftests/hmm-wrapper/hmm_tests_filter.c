// SPDX-License-Identifier: GPL-2.0
/*
 * hmm_tests_filter.c - run a chosen subset of the kernel's hmm-tests
 *
 * The Linux 6.1 kselftest harness runs every registered test and ignores
 * its command line.  This unit compiles the unmodified hmm-tests.c (found
 * through the include path, extracted from the linux-source tarball at build
 * time) and puts its own main() in front of the harness's, which it renames.
 * Before handing over, it rebuilds the harness's fixture list so that only
 * the selected tests remain; the harness then plans, numbers and reports
 * exactly those.  Renaming main() rather than pruning from a constructor
 * keeps the result independent of constructor execution order.  The
 * harness's FIXTURE_TEARDOWN is also redefined, to run a teardown at most
 * once (see below).
 *
 * Environment:
 *   HMM_TESTS_ONLY     selectors separated by commas or blanks; each is an
 *                      fnmatch(3) pattern matched against the full name the
 *                      harness prints, "fixture.variant.test" (or
 *                      "fixture.test" for a fixture without variants), e.g.
 *                      "hmm.hmm_device_private.open_close" or
 *                      "hmm*_device_private.*".  A selector that matches no
 *                      test is an error.  Unset or empty: every test.
 *   HMM_TESTS_TIMEOUT  seconds before the harness kills a test's process
 *                      group (default: the harness's 30).
 *   HMM_TESTS_LIST     when set to 1, print the selected full names, one a
 *                      line, and exit without running anything.
 */

/*
 * Take in the harness and every header hmm-tests.c uses first, so that the
 * rename below touches only the harness's TEST_HARNESS_MAIN expansion at the
 * end of hmm-tests.c.  Angle brackets: both files come from the extracted
 * kernel tree through -I, never from this directory.
 */
#include <kselftest_harness.h>

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * A failed ASSERT leaves _metadata->trigger set and longjmp()s back to the
 * test wrapper, which then runs the teardown.  In the 6.1 harness the stale
 * trigger makes the teardown's first ASSERT bail out again, even one that
 * holds, so the teardown repeats until the test times out, printing a
 * failure each round.  Later harnesses run a teardown at most once; so do
 * these: the stale trigger is cleared and a second entry returns at once.
 * Each test runs in a process of its own, so a static flag is per test.
 */
#undef FIXTURE_TEARDOWN
#define FIXTURE_TEARDOWN(fixture_name) \
	static void fixture_name##_teardown_once( \
		struct __test_metadata *_metadata, \
		FIXTURE_DATA(fixture_name) *self, \
		const FIXTURE_VARIANT(fixture_name) *variant); \
	void fixture_name##_teardown( \
		struct __test_metadata *_metadata, \
		FIXTURE_DATA(fixture_name) *self, \
		const FIXTURE_VARIANT(fixture_name) *variant) \
	{ \
		static bool entered; \
		\
		if (entered) \
			return; \
		entered = true; \
		_metadata->trigger = 0; \
		fixture_name##_teardown_once(_metadata, self, variant); \
	} \
	static void fixture_name##_teardown_once( \
		struct __test_metadata *_metadata, \
		FIXTURE_DATA(fixture_name) *self, \
		const FIXTURE_VARIANT(fixture_name) *variant)

int hmm_tests_main(int argc, char **argv);

#define main hmm_tests_main
#include <hmm-tests.c>
#undef main

#define FILTER_NAME_MAX		256
#define FILTER_TIMEOUT_MAX	86400

/* Full harness name of test @t of fixture @f run with variant @v. */
static void filter_full_name(char *buf, size_t len,
			     const struct __fixture_metadata *f,
			     const struct __fixture_variant_metadata *v,
			     const struct __test_metadata *t)
{
	bool has_variant = v && v->name[0];

	snprintf(buf, len, "%s%s%s.%s", f->name, has_variant ? "." : "",
		 has_variant ? v->name : "", t->name);
}

static void *filter_alloc(size_t size)
{
	void *p = calloc(1, size);

	if (!p) {
		fprintf(stderr, "hmm-tests: out of memory\n");
		exit(KSFT_FAIL);
	}
	return p;
}

/* Append to a harness list: next ends in NULL, head->prev is the tail. */
#define FILTER_APPEND(head, item) do {			\
	(item)->next = NULL;				\
	if (!(head)) {					\
		(item)->prev = (item);			\
		(head) = (item);			\
	} else {					\
		(item)->prev = (head)->prev;		\
		(head)->prev->next = (item);		\
		(head)->prev = (item);			\
	}						\
} while (0)

struct filter_selectors {
	char **pat;
	bool *used;
	int nr;
};

/* Split @spec at commas and blanks; return false if it holds no selector. */
static bool filter_parse(char *spec, struct filter_selectors *sel)
{
	char *save = NULL, *tok;
	int max = 1;

	for (tok = spec; *tok; tok++)
		max += (*tok == ',' || *tok == ' ' || *tok == '\t' ||
			*tok == '\n');
	sel->pat = filter_alloc(max * sizeof(*sel->pat));
	sel->used = filter_alloc(max * sizeof(*sel->used));
	sel->nr = 0;
	for (tok = strtok_r(spec, ", \t\n", &save); tok;
	     tok = strtok_r(NULL, ", \t\n", &save))
		sel->pat[sel->nr++] = tok;
	return sel->nr > 0;
}

/* Does any selector match @name?  Marks every selector that does. */
static bool filter_match(struct filter_selectors *sel, const char *name)
{
	bool hit = false;
	int i;

	for (i = 0; i < sel->nr; i++) {
		if (fnmatch(sel->pat[i], name, 0) == 0) {
			sel->used[i] = true;
			hit = true;
		}
	}
	return hit;
}

/*
 * Fixture @f run with variant @v (NULL: a fixture without variants), as a
 * new fixture of its own that holds @v alone and a copy of each selected
 * test.  The harness runs every test of a fixture under every variant, so
 * one fixture per variant is what lets any set of (variant, test) pairs be
 * expressed.  Returns NULL when no test of the pair is selected.
 */
static struct __fixture_metadata *
filter_one_variant(const struct __fixture_metadata *f,
		   const struct __fixture_variant_metadata *v,
		   struct filter_selectors *sel)
{
	struct __fixture_metadata *nf;
	struct __test_metadata *t, *nt;
	char name[FILTER_NAME_MAX];

	nf = filter_alloc(sizeof(*nf));
	nf->name = f->name;
	if (v) {
		struct __fixture_variant_metadata *nv;

		nv = filter_alloc(sizeof(*nv));
		*nv = *v;
		nf->variant = NULL;
		FILTER_APPEND(nf->variant, nv);
	}
	for (t = f->tests; t; t = t->next) {
		filter_full_name(name, sizeof(name), f, v, t);
		if (!filter_match(sel, name))
			continue;
		nt = filter_alloc(sizeof(*nt));
		*nt = *t;
		nt->fixture = nf;
		FILTER_APPEND(nf->tests, nt);
	}
	if (!nf->tests) {
		free(nf->variant);
		free(nf);
		return NULL;
	}
	return nf;
}

/* Replace the harness's fixture list by the selected tests only. */
static void filter_prune(struct filter_selectors *sel)
{
	struct __fixture_metadata *f, *nf, *head = NULL;
	struct __fixture_variant_metadata *v;

	for (f = __fixture_list; f; f = f->next) {
		if (!f->variant) {
			nf = filter_one_variant(f, NULL, sel);
			if (nf)
				FILTER_APPEND(head, nf);
			continue;
		}
		for (v = f->variant; v; v = v->next) {
			nf = filter_one_variant(f, v, sel);
			if (nf)
				FILTER_APPEND(head, nf);
		}
	}
	__fixture_list = head;
}

static void filter_set_timeout(const char *s)
{
	struct __fixture_metadata *f;
	struct __test_metadata *t;
	char *end;
	long secs;

	errno = 0;
	secs = strtol(s, &end, 10);
	if (errno || end == s || *end || secs < 1 ||
	    secs > FILTER_TIMEOUT_MAX) {
		fprintf(stderr,
			"hmm-tests: HMM_TESTS_TIMEOUT='%s' is not a number of seconds in 1..%d\n",
			s, FILTER_TIMEOUT_MAX);
		exit(KSFT_FAIL);
	}
	for (f = __fixture_list; f; f = f->next)
		for (t = f->tests; t; t = t->next)
			t->timeout = secs;
}

static void filter_list(void)
{
	const struct __fixture_variant_metadata *v;
	struct __fixture_metadata *f;
	struct __test_metadata *t;
	char name[FILTER_NAME_MAX];

	for (f = __fixture_list; f; f = f->next) {
		for (v = f->variant; ; v = v->next) {
			for (t = f->tests; t; t = t->next) {
				filter_full_name(name, sizeof(name), f, v, t);
				printf("%s\n", name);
			}
			if (!v || !v->next)
				break;
		}
	}
}

/* Keep only the tests HMM_TESTS_ONLY selects; fail on a useless selector. */
static void filter_select(const char *only)
{
	struct filter_selectors sel;
	char *spec = strdup(only);
	int i;

	if (!spec) {
		fprintf(stderr, "hmm-tests: out of memory\n");
		exit(KSFT_FAIL);
	}
	if (!filter_parse(spec, &sel))
		return;
	filter_prune(&sel);
	for (i = 0; i < sel.nr; i++) {
		if (sel.used[i])
			continue;
		fprintf(stderr,
			"hmm-tests: HMM_TESTS_ONLY: '%s' matches no test (HMM_TESTS_LIST=1 lists them)\n",
			sel.pat[i]);
		exit(KSFT_FAIL);
	}
}

int main(int argc, char **argv)
{
	const char *only = getenv("HMM_TESTS_ONLY");
	const char *timeout = getenv("HMM_TESTS_TIMEOUT");
	const char *list = getenv("HMM_TESTS_LIST");

	if (only)
		filter_select(only);
	if (timeout)
		filter_set_timeout(timeout);
	if (list && strcmp(list, "1") == 0) {
		filter_list();
		return KSFT_PASS;
	}
	return hmm_tests_main(argc, argv);
}
