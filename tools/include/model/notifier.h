/* SPDX-License-Identifier: GPL-2.0 */
/*
 * model/notifier.h - test-facing knobs and probes of the model's MMU
 * notifier core (mm/mmu_notifier.c)
 *
 * The core runs in one of two modes, chosen once at program start (the
 * KTAP harness takes --core=model or --core=linux-6.1):
 *
 *  - MODEL_CORE_MODEL, the default, with the fixes that
 *    Documentation/mm/mmu_notifier_model.rst lists;
 *  - MODEL_CORE_LINUX_6_1, which behaves as Linux 6.1's core does where
 *    the two differ, so that a test can show what a subscriber still gets
 *    from the kernel it really runs on.
 *
 * The probes look at the core's state without waiting, so a test can
 * assert that a call would block forever instead of making it.  Not a
 * kernel header: only model code includes it.
 */
#ifndef _MODEL_NOTIFIER_H
#define _MODEL_NOTIFIER_H

#include <linux/types.h>

struct mm_struct;
struct mmu_interval_notifier;

enum model_notifier_core {
	MODEL_CORE_MODEL,
	MODEL_CORE_LINUX_6_1,
};

int model_notifier_set_core(const char *name);
enum model_notifier_core model_notifier_core(void);
const char *model_notifier_core_name(void);

/* True when the core behaves as Linux 6.1's. */
static inline bool model_core_is_linux_6_1(void)
{
	return model_notifier_core() == MODEL_CORE_LINUX_6_1;
}

bool model_interval_read_would_wait(struct mmu_interval_notifier *sub);
bool model_interval_remove_would_wait(struct mmu_interval_notifier *sub);
unsigned long model_notifier_open_starts(struct mm_struct *mm);
void model_notifier_end_open_starts(struct mm_struct *mm);

#endif /* _MODEL_NOTIFIER_H */
