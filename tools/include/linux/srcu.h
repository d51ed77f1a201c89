/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: sleepable RCU.  liburcu has no SRCU, so each srcu_struct
 * carries two reader counters and an index, the classic SRCU scheme:
 * readers count themselves on the current index; synchronize_srcu() flips
 * the index twice and waits for each old counter to drain, so every
 * reader that started before it has finished.  Readers may sleep.
 * call_srcu() is not provided yet.
 */
#ifndef _LINUX_SRCU_H
#define _LINUX_SRCU_H

#include <linux/mutex.h>

struct srcu_struct {
	long readers[2];	/* per index, updated atomically */
	int idx;		/* index new readers use */
	struct mutex gp_mutex;	/* serialises synchronize_srcu() */
};

#define DEFINE_SRCU(n)							\
	struct srcu_struct n = { { 0, 0 }, 0,				\
				 __MUTEX_INITIALIZER(n.gp_mutex) }
#define DEFINE_STATIC_SRCU(n)	static DEFINE_SRCU(n)

int init_srcu_struct(struct srcu_struct *ssp);
void cleanup_srcu_struct(struct srcu_struct *ssp);
int srcu_read_lock(struct srcu_struct *ssp);
void srcu_read_unlock(struct srcu_struct *ssp, int idx);
void synchronize_srcu(struct srcu_struct *ssp);

#endif /* _LINUX_SRCU_H */
