/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: RCU on liburcu's bulletproof flavour (urcu-bp), which needs
 * no thread registration.  Differences from the kernel: read-side critical
 * sections may sleep (nothing checks that they do not), and call_rcu()
 * callbacks run on liburcu's helper thread.
 */
#ifndef _LINUX_RCUPDATE_H
#define _LINUX_RCUPDATE_H

#include <linux/kernel.h>

struct rcu_head {
	struct rcu_head *next;
	void (*func)(struct rcu_head *head);
	unsigned char model_urcu[32] __attribute__((aligned(8)));
};

void model_rcu_read_lock(void);
void model_rcu_read_unlock(void);
void model_synchronize_rcu(void);
void model_call_rcu(struct rcu_head *head,
		    void (*func)(struct rcu_head *head));
void model_rcu_barrier(void);

#define rcu_read_lock()		model_rcu_read_lock()
#define rcu_read_unlock()	model_rcu_read_unlock()
#define synchronize_rcu()	model_synchronize_rcu()
#define call_rcu(h, f)		model_call_rcu(h, f)
#define rcu_barrier()		model_rcu_barrier()

#define rcu_dereference(p)		smp_load_acquire(&(p))
#define rcu_dereference_protected(p, c)	(p)
#define rcu_assign_pointer(p, v)	smp_store_release(&(p), (v))

#endif /* _LINUX_RCUPDATE_H */
