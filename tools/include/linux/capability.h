/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: capabilities of the calling thread.  Every thread starts
 * with all of them; a test drops CAP_IPC_LOCK by clearing
 * current->cap_ipc_lock.
 */
#ifndef _LINUX_CAPABILITY_H
#define _LINUX_CAPABILITY_H

#include <linux/sched.h>

#define CAP_IPC_LOCK	14

static inline bool capable(int cap)
{
	return cap == CAP_IPC_LOCK ? !READ_ONCE(current->no_cap_ipc_lock) :
				     true;
}

#endif /* _LINUX_CAPABILITY_H */
