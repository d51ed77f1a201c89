/* SPDX-License-Identifier: GPL-2.0 */
/*
 * model/checker.h - invariant checker of the userspace model
 *
 * Secondary MMUs (every live mmu_mirror, every device TLB set up with
 * mmu_mirror_tlb_init(), and any test client that registers itself as a
 * source) are checked against the core VM.  A device TLB's entries count
 * as entries of the source "mmu_mirror_tlb", one page each, so that what
 * a device caches obeys the same rules as the table behind it:
 *
 *  (a) when mmu_notifier_invalidate_range_start() returns, no entry of any
 *      source maps a host page of the invalidated range of that mm;
 *  (b) no entry references a freed frame: checked when a frame is freed,
 *      at every invalidation end and at checkpoints (where an entry must
 *      also agree with the CPU page table, which catches reused frames);
 *  (c) checker_compare(): data read through an entry equals the CPU's;
 *  (d) checker_teardown_ok(): nothing allocated, every frame free;
 *  (e) every entry lies inside a window of its source (for a mirror: the
 *      secondary range of one of its windows), since nothing else tells
 *      an invalidation to remove it: checked by every check that covers
 *      all host addresses (invalidation end, frame free, checkpoints),
 *      which walk a mirror's whole table.
 *
 * A violation prints a "# checker:" diagnostic and is counted; the KTAP
 * harness fails the test that caused a violation it did not expect.
 * Not a kernel header: only model code includes it.
 */
#ifndef _MODEL_CHECKER_H
#define _MODEL_CHECKER_H

#include <linux/types.h>

struct mm_struct;
struct mmu_notifier_range;
struct page;

/**
 * struct checker_entry - one secondary translation, as a source reports it
 * @hva: host address of the first page the entry translates
 * @pfn: frame of that page
 * @npages: pages covered (contiguous in both address and frame)
 * @pinned: the entry holds page pins instead of following invalidations;
 *	exempt from (a) and from the page-table comparison
 * @has_gen: @gen is valid
 * @gen: frame generation the source saw when it installed the entry
 * @orphan: no window of the source holds the entry, a violation of (e);
 *	@hva then holds the entry's secondary address, and only the checks
 *	that need no host address ((b) by frame) look at it further
 */
struct checker_entry {
	unsigned long hva;
	unsigned long pfn;
	unsigned long npages;
	bool pinned;
	bool has_gen;
	u64 gen;
	bool orphan;
};

typedef void (*checker_visit_fn)(const struct checker_entry *e, void *arg);

/*
 * An enumerator calls @visit for each entry of @mm (every mm if NULL)
 * that translates host addresses overlapping [@start, @end), holding the
 * source's own lock so that the entry cannot change under @visit.  With
 * @nowait it must not sleep or wait for a lock: it skips what it cannot
 * lock.  @visit never sleeps and never calls back into the source.
 */
typedef void (*checker_source_fn)(void *ctx, struct mm_struct *mm,
				  unsigned long start, unsigned long end,
				  bool nowait, checker_visit_fn visit,
				  void *arg);

int checker_register_source(const char *name, checker_source_fn fn,
			    void *ctx);
void checker_unregister_source(void *ctx);

void checker_init(void);
unsigned long checker_violations(void);
unsigned long checker_count(char inv);
unsigned long checker_unexpected(void);
void checker_expect(unsigned long n);
void checker_set_verbose(bool verbose);

unsigned long checker_checkpoint(struct mm_struct *mm);
unsigned long checker_compare(struct mm_struct *mm, const char *source);
bool checker_teardown_ok(void);

/*
 * Hook of the model core VM (tools/lib/model/vm/page_alloc.c).  The
 * notifier core knows nothing of the checker: checker_init() sets it as
 * the core's observer (mmu_notifier_set_observer()).
 */
void checker_frame_free(struct page *page);

#endif /* _MODEL_CHECKER_H */
