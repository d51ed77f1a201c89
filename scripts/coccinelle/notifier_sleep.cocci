// SPDX-License-Identifier: GPL-2.0
/// An MMU notifier invalidation callback must not sleep when the range is
/// not blockable (the OOM reaper calls it that way).  Sleeping locks are
/// only allowed on paths that asked mmu_notifier_range_blockable() first;
/// otherwise take a trylock, or a lock whose holders never sleep.
//
// Confidence: Moderate
// Options: --no-includes --include-headers

virtual report
virtual org
virtual context

@iops@
identifier I, fn;
@@
struct mmu_interval_notifier_ops I = {
	.invalidate = fn,
};

@cops@
identifier I, fn;
@@
struct mmu_notifier_ops I = {
	.invalidate_range_start = fn,
};

@isleep depends on iops@
identifier iops.fn;
identifier mni, range, seq;
position p;
@@
fn(struct mmu_interval_notifier *mni,
   const struct mmu_notifier_range *range, unsigned long seq)
{
	... when != mmu_notifier_range_blockable(range)
	    when any
(
	mutex_lock@p(...)
|
	down_read@p(...)
|
	down_write@p(...)
|
	msleep@p(...)
|
	schedule@p(...)
)
	...
}

@csleep depends on cops@
identifier cops.fn;
identifier mn, range;
position p;
@@
fn(struct mmu_notifier *mn, const struct mmu_notifier_range *range)
{
	... when != mmu_notifier_range_blockable(range)
	    when any
(
	mutex_lock@p(...)
|
	down_read@p(...)
|
	down_write@p(...)
|
	msleep@p(...)
|
	schedule@p(...)
)
	...
}

@script:python depends on report@
p << isleep.p;
@@
coccilib.report.print_report(p[0],
	"invalidate callback may sleep without checking mmu_notifier_range_blockable()")

@script:python depends on report@
p << csleep.p;
@@
coccilib.report.print_report(p[0],
	"invalidate_range_start may sleep without checking mmu_notifier_range_blockable()")

@script:python depends on org@
p << isleep.p;
@@
coccilib.org.print_todo(p[0], "sleeping invalidate callback")

@script:python depends on org@
p << csleep.p;
@@
coccilib.org.print_todo(p[0], "sleeping invalidate_range_start")
