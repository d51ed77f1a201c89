// SPDX-License-Identifier: GPL-2.0
/*
 * rcu.c - RCU of the model shim on liburcu's bulletproof flavour
 *
 * This file sees liburcu's headers and the shim's kernel-side struct
 * rcu_head layout, but not the shim's rcupdate.h: liburcu defines macros
 * with the kernel's names, so the shim exports model_* functions and its
 * header maps the kernel names onto them.
 */
#include <assert.h>
#include <stddef.h>
#include <urcu-bp.h>

/* Same layout as struct rcu_head in tools/include/linux/rcupdate.h. */
struct model_rcu_head {
	struct model_rcu_head *next;
	void (*func)(struct model_rcu_head *head);
	unsigned char urcu[32] __attribute__((aligned(8)));
};

static_assert(sizeof(struct rcu_head) <= 32,
	      "liburcu's rcu_head must fit the shim's reserved space");

void model_rcu_read_lock(void)
{
	urcu_bp_read_lock();
}

void model_rcu_read_unlock(void)
{
	urcu_bp_read_unlock();
}

void model_synchronize_rcu(void)
{
	urcu_bp_synchronize_rcu();
}

static void model_rcu_cb(struct rcu_head *urcu)
{
	struct model_rcu_head *head = (struct model_rcu_head *)
		((char *)urcu - offsetof(struct model_rcu_head, urcu));

	head->func(head);
}

void model_call_rcu(struct model_rcu_head *head,
		    void (*func)(struct model_rcu_head *head))
{
	head->func = func;
	urcu_bp_call_rcu((struct rcu_head *)head->urcu, model_rcu_cb);
}

void model_rcu_barrier(void)
{
	urcu_bp_barrier();
}
