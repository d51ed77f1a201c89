// SPDX-License-Identifier: GPL-2.0
/*
 * interval_tree.c - the interval tree API of the model shim
 *
 * An augmented treap: ordered by start (equal starts keep insertion
 * order, later ones to the right), heap-ordered by random priorities so
 * the expected depth is logarithmic, and augmented with the largest last
 * of every subtree.  Callers serialize changes, as with the kernel's tree.
 */
#include <linux/interval_tree.h>
#include <linux/kernel.h>

static inline struct interval_tree_node *itn(struct rb_node *rb)
{
	return rb ? container_of(rb, struct interval_tree_node, rb) : NULL;
}

/* xorshift; the priorities only need to be unrelated to the keys. */
static unsigned int itn_random(void)
{
	static __thread unsigned int state = 2463534242U;

	state ^= state << 13;
	state ^= state >> 17;
	state ^= state << 5;
	return state;
}

static void itn_update(struct rb_node *rb)
{
	struct interval_tree_node *node = itn(rb);
	unsigned long sub = node->last;

	if (rb->left && itn(rb->left)->__subtree_last > sub)
		sub = itn(rb->left)->__subtree_last;
	if (rb->right && itn(rb->right)->__subtree_last > sub)
		sub = itn(rb->right)->__subtree_last;
	node->__subtree_last = sub;
}

static void itn_update_path(struct rb_node *rb)
{
	for (; rb; rb = rb->parent)
		itn_update(rb);
}

static void itn_replace_child(struct rb_root_cached *root,
			      struct rb_node *parent, struct rb_node *old,
			      struct rb_node *new)
{
	if (!parent)
		root->root = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
	if (new)
		new->parent = parent;
}

/* Move @x above its parent, keeping the search order. */
static void itn_rotate_up(struct rb_root_cached *root, struct rb_node *x)
{
	struct rb_node *p = x->parent;
	struct rb_node *g = p->parent;

	if (p->left == x) {
		p->left = x->right;
		if (x->right)
			x->right->parent = p;
		x->right = p;
	} else {
		p->right = x->left;
		if (x->left)
			x->left->parent = p;
		x->left = p;
	}
	itn_replace_child(root, g, p, x);
	p->parent = x;
	itn_update(p);
	itn_update(x);
}

void interval_tree_insert(struct interval_tree_node *node,
			  struct rb_root_cached *root)
{
	struct rb_node *rb = &node->rb, *parent = NULL;
	struct rb_node **link = &root->root;

	WARN_ON(node->start > node->last);
	while (*link) {
		parent = *link;
		link = node->start < itn(parent)->start ? &parent->left :
							   &parent->right;
	}
	rb->left = NULL;
	rb->right = NULL;
	rb->parent = parent;
	rb->prio = itn_random();
	*link = rb;
	itn_update_path(rb);
	while (rb->parent && rb->parent->prio > rb->prio)
		itn_rotate_up(root, rb);
	itn_update_path(rb->parent);
}

void interval_tree_remove(struct interval_tree_node *node,
			  struct rb_root_cached *root)
{
	struct rb_node *rb = &node->rb, *parent;

	if (WARN_ON(RB_EMPTY_NODE(rb)))
		return;
	/* Rotate the node down until it is a leaf or has one child. */
	while (rb->left && rb->right)
		itn_rotate_up(root, rb->left->prio < rb->right->prio ?
				    rb->left : rb->right);
	parent = rb->parent;
	itn_replace_child(root, parent, rb, rb->left ? rb->left : rb->right);
	itn_update_path(parent);
	rb->left = NULL;
	rb->right = NULL;
	RB_CLEAR_NODE(rb);
}

/*
 * Leftmost node of the subtree at @rb overlapping [start, last], given
 * that the subtree's largest last is at least @start.
 */
static struct interval_tree_node *itn_search(struct rb_node *rb,
					     unsigned long start,
					     unsigned long last)
{
	for (;;) {
		struct interval_tree_node *node = itn(rb);

		/* Something on the left ends late enough: it comes first. */
		if (rb->left && itn(rb->left)->__subtree_last >= start) {
			rb = rb->left;
			continue;
		}
		if (node->start > last)
			return NULL;
		if (node->last >= start)
			return node;
		if (!rb->right || itn(rb->right)->__subtree_last < start)
			return NULL;
		rb = rb->right;
	}
}

struct interval_tree_node *
interval_tree_iter_first(struct rb_root_cached *root, unsigned long start,
			 unsigned long last)
{
	if (!root->root || itn(root->root)->__subtree_last < start)
		return NULL;
	return itn_search(root->root, start, last);
}

struct interval_tree_node *
interval_tree_iter_next(struct interval_tree_node *node, unsigned long start,
			unsigned long last)
{
	struct rb_node *rb = &node->rb;

	for (;;) {
		struct rb_node *from;

		if (rb->right && itn(rb->right)->__subtree_last >= start)
			return itn_search(rb->right, start, last);
		/* Climb to the first ancestor we reach from its left. */
		do {
			from = rb;
			rb = rb->parent;
			if (!rb)
				return NULL;
		} while (rb->right == from);
		if (itn(rb)->start > last)
			return NULL;
		if (itn(rb)->last >= start)
			return itn(rb);
	}
}
