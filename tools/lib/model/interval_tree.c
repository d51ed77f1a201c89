// SPDX-License-Identifier: GPL-2.0
/*
 * interval_tree.c - the interval tree API of the model shim
 *
 * A singly linked list sorted by start (ties: by insertion), with back
 * links for O(1) removal.  Lookup is linear; the callers in the model
 * hold few intervals.  An augmented balanced tree can replace it without
 * changing the API.
 */
#include <linux/interval_tree.h>
#include <linux/kernel.h>

static inline struct interval_tree_node *itn(struct rb_node *rb)
{
	return rb ? container_of(rb, struct interval_tree_node, rb) : NULL;
}

void interval_tree_insert(struct interval_tree_node *node,
			  struct rb_root_cached *root)
{
	struct rb_node **link = &root->first;

	WARN_ON(node->start > node->last);
	while (*link && itn(*link)->start <= node->start)
		link = &(*link)->next;
	node->rb.next = *link;
	node->rb.pprev = link;
	if (*link)
		(*link)->pprev = &node->rb.next;
	*link = &node->rb;
	node->__subtree_last = node->last;
}

void interval_tree_remove(struct interval_tree_node *node,
			  struct rb_root_cached *root)
{
	if (WARN_ON(RB_EMPTY_NODE(&node->rb)))
		return;
	*node->rb.pprev = node->rb.next;
	if (node->rb.next)
		node->rb.next->pprev = node->rb.pprev;
	RB_CLEAR_NODE(&node->rb);
	node->rb.next = NULL;
}

/* First node from @rb on that overlaps [start, last]. */
static struct interval_tree_node *itn_scan(struct rb_node *rb,
					   unsigned long start,
					   unsigned long last)
{
	for (; rb; rb = rb->next) {
		struct interval_tree_node *node = itn(rb);

		if (node->start > last)
			return NULL;
		if (node->last >= start)
			return node;
	}
	return NULL;
}

struct interval_tree_node *
interval_tree_iter_first(struct rb_root_cached *root, unsigned long start,
			 unsigned long last)
{
	return itn_scan(root->first, start, last);
}

struct interval_tree_node *
interval_tree_iter_next(struct interval_tree_node *node, unsigned long start,
			unsigned long last)
{
	return itn_scan(node->rb.next, start, last);
}
