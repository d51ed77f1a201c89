/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: the interval tree API over closed intervals [start, last].
 *
 * Model adapter: the kernel uses an augmented red-black tree; the model
 * uses an augmented treap (a binary search tree by start, heap-ordered by
 * random priorities), which has the same expected O(log n) cost and a far
 * smaller implementation.  Every node records the largest "last" of its
 * subtree, so a search skips subtrees that cannot overlap.  The kernel's
 * names are kept (rb_node, rb_root_cached, RB_ROOT_CACHED,
 * RB_EMPTY_NODE/RB_CLEAR_NODE on the node's rb member) so callers compile
 * unchanged.  Unlike the kernel, interval_tree_remove() leaves the node
 * cleared (RB_EMPTY_NODE() is true afterwards).
 */
#ifndef _LINUX_INTERVAL_TREE_H
#define _LINUX_INTERVAL_TREE_H

#include <linux/types.h>

struct rb_node {
	struct rb_node *left;
	struct rb_node *right;
	struct rb_node *parent;	/* NULL at the root; itself when unlinked */
	unsigned int prio;	/* heap order: parent's prio <= ours */
};

struct rb_root_cached {
	struct rb_node *root;
};

#define RB_ROOT_CACHED		((struct rb_root_cached) { NULL })
#define RB_EMPTY_NODE(n)	((n)->parent == (n))
#define RB_CLEAR_NODE(n)	((n)->parent = (n))
#define RB_EMPTY_ROOT(r)	(!(r)->root)

struct interval_tree_node {
	struct rb_node rb;
	unsigned long start;	/* first address of the interval */
	unsigned long last;	/* last address of the interval */
	unsigned long __subtree_last;	/* largest last in the subtree */
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
