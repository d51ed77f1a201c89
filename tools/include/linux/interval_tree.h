/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: the interval tree API over closed intervals [start, last].
 *
 * Model adapter: instead of the kernel's augmented rbtree, the nodes sit
 * on a list sorted by start, so lookups cost O(n) rather than O(log n).
 * The names of the kernel API are kept (rb_root_cached, RB_ROOT_CACHED,
 * RB_EMPTY_NODE/RB_CLEAR_NODE on the node's rb member) so callers compile
 * unchanged.
 */
#ifndef _LINUX_INTERVAL_TREE_H
#define _LINUX_INTERVAL_TREE_H

#include <linux/types.h>

struct rb_node {
	struct rb_node *next;	/* next node by start */
	struct rb_node **pprev;	/* link pointing at us; NULL: not linked */
};

struct rb_root_cached {
	struct rb_node *first;
};

#define RB_ROOT_CACHED		((struct rb_root_cached) { NULL })
#define RB_EMPTY_NODE(n)	((n)->pprev == NULL)
#define RB_CLEAR_NODE(n)	((n)->pprev = NULL)
#define RB_EMPTY_ROOT(r)	((r)->first == NULL)

struct interval_tree_node {
	struct rb_node rb;
	unsigned long start;	/* first address of the interval */
	unsigned long last;	/* last address of the interval */
	unsigned long __subtree_last;
};

void interval_tree_insert(struct interval_tree_node *node,
			  struct rb_root_cached *root);
void interval_tree_remove(struct interval_tree_node *node,
			  struct rb_root_cached *root);
struct interval_tree_node *
interval_tree_iter_first(struct rb_root_cached *root, unsigned long start,
			 unsigned long last);
struct interval_tree_node *
interval_tree_iter_next(struct interval_tree_node *node, unsigned long start,
			unsigned long last);

#endif /* _LINUX_INTERVAL_TREE_H */
