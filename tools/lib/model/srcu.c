// SPDX-License-Identifier: GPL-2.0
/*
 * srcu.c - sleepable RCU of the model shim
 *
 * A reader increments the counter of the current index and then checks
 * that the index has not moved; if it has, it moves to the new one.  An
 * updater flips the index and waits for the old counter to drain.  All
 * accesses are sequentially consistent: either the reader's increment is
 * seen by the updater's wait, or the updater's flip is seen by the
 * reader's check (and the reader retries on the new index).
 */
#include <sched.h>
#include <linux/srcu.h>

int init_srcu_struct(struct srcu_struct *ssp)
{
	ssp->readers[0] = 0;
	ssp->readers[1] = 0;
	ssp->idx = 0;
	mutex_init(&ssp->gp_mutex);
	return 0;
}

void cleanup_srcu_struct(struct srcu_struct *ssp)
{
	WARN_ON(__atomic_load_n(&ssp->readers[0], __ATOMIC_SEQ_CST) ||
		__atomic_load_n(&ssp->readers[1], __ATOMIC_SEQ_CST));
}

int srcu_read_lock(struct srcu_struct *ssp)
{
	for (;;) {
		int idx = __atomic_load_n(&ssp->idx, __ATOMIC_SEQ_CST);

		__atomic_add_fetch(&ssp->readers[idx], 1, __ATOMIC_SEQ_CST);
		/* Pairs with the flip in synchronize_srcu(). */
		if (__atomic_load_n(&ssp->idx, __ATOMIC_SEQ_CST) == idx)
			return idx;
		__atomic_sub_fetch(&ssp->readers[idx], 1, __ATOMIC_SEQ_CST);
	}
}

void srcu_read_unlock(struct srcu_struct *ssp, int idx)
{
	/* Pairs with the drain loop in synchronize_srcu(). */
	if (__atomic_sub_fetch(&ssp->readers[idx], 1, __ATOMIC_SEQ_CST) < 0)
		model_bug(__FILE__, __LINE__, "unbalanced srcu_read_unlock()");
}

void synchronize_srcu(struct srcu_struct *ssp)
{
	int old;

	might_sleep();
	mutex_lock(&ssp->gp_mutex);
	old = ssp->idx;
	/* Pairs with the index check in srcu_read_lock(). */
	__atomic_store_n(&ssp->idx, !old, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&ssp->readers[old], __ATOMIC_SEQ_CST))
		sched_yield();
	mutex_unlock(&ssp->gp_mutex);
}
