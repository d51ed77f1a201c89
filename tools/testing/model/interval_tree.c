// SPDX-License-Identifier: GPL-2.0
/*
 * interval_tree.c - the model's interval tree against a brute-force list
 *
 * The helper finds windows, and our notifier core finds interval
 * subscriptions, through this tree; a wrong answer would hide an
 * invalidation.
 */
#include <stdlib.h>
#include <linux/interval_tree.h>
#include <linux/kernel.h>
#include <model/shim.h>
#include <model/vm.h>
#include "ktap.h"

#define NR_NODES	1500
#define SPACE		100000UL

static struct interval_tree_node nodes[NR_NODES];
static bool in_tree[NR_NODES];
static unsigned int rnd_state = 12345;

static unsigned long rnd(unsigned long n)
{
	rnd_state = rnd_state * 1103515245U + 12345U;
	return (rnd_state >> 8) % n;
}

/* The tree reports, in start order, exactly the brute-force overlaps. */
static bool query_matches(struct rb_root_cached *root, unsigned long s,
			  unsigned long l)
{
	struct interval_tree_node *n;
	unsigned int found = 0, want = 0, i;
	unsigned long prev_start = 0;

	for (n = interval_tree_iter_first(root, s, l); n;
	     n = interval_tree_iter_next(n, s, l)) {
		if (n->start > l || n->last < s || n->start < prev_start)
			return false;
		prev_start = n->start;
		found++;
	}
	for (i = 0; i < NR_NODES; i++)
		if (in_tree[i] && nodes[i].start <= l && nodes[i].last >= s)
			want++;
	return found == want;
}

/* Proves: random inserts, removes and queries agree with a brute-force scan. */
static bool test_random_against_brute_force(void)
{
	struct rb_root_cached root = RB_ROOT_CACHED;
	unsigned int step, i;

	for (i = 0; i < NR_NODES; i++)
		RB_CLEAR_NODE(&nodes[i].rb);
	for (step = 0; step < 20000; step++) {
		i = rnd(NR_NODES);
		if (in_tree[i]) {
			interval_tree_remove(&nodes[i], &root);
			in_tree[i] = false;
			KTAP_CHECK(RB_EMPTY_NODE(&nodes[i].rb));
		} else {
			nodes[i].start = rnd(SPACE);
			nodes[i].last = nodes[i].start + rnd(step % 7 ? 50 :
							     SPACE / 4);
			interval_tree_insert(&nodes[i], &root);
			in_tree[i] = true;
		}
		if (step % 10 == 0) {
			unsigned long s = rnd(SPACE), l = s + rnd(2000);

			KTAP_CHECK(query_matches(&root, s, l));
		}
	}
	KTAP_CHECK(query_matches(&root, 0, ~0UL));
	for (i = 0; i < NR_NODES; i++)
		if (in_tree[i])
			interval_tree_remove(&nodes[i], &root);
	KTAP_CHECK(RB_EMPTY_ROOT(&root));
	return true;
}

/* Proves: equal starts and nested intervals are all reported. */
static bool test_duplicates_and_nesting(void)
{
	struct rb_root_cached root = RB_ROOT_CACHED;
	struct interval_tree_node a = { .start = 10, .last = 20 };
	struct interval_tree_node b = { .start = 10, .last = 20 };
	struct interval_tree_node c = { .start = 0, .last = 1000 };
	struct interval_tree_node *n;
	unsigned int count = 0;

	interval_tree_insert(&a, &root);
	interval_tree_insert(&b, &root);
	interval_tree_insert(&c, &root);
	for (n = interval_tree_iter_first(&root, 15, 15); n;
	     n = interval_tree_iter_next(n, 15, 15))
		count++;
	KTAP_CHECK(count == 3);
	KTAP_CHECK(!interval_tree_iter_first(&root, 1001, 2000));
	interval_tree_remove(&c, &root);
	interval_tree_remove(&a, &root);
	interval_tree_remove(&b, &root);
	KTAP_CHECK(RB_EMPTY_ROOT(&root));
	return true;
}

static const struct ktap_case cases[] = {
	{ "random_against_brute_force", test_random_against_brute_force },
	{ "duplicates_and_nesting", test_duplicates_and_nesting },
};

int main(int argc, char **argv)
{
	return ktap_model_main(argc, argv, cases, ARRAY_SIZE(cases),
			       64, false);
}
