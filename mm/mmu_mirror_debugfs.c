// SPDX-License-Identifier: GPL-2.0
/*
 * mmu_mirror_debugfs.c - per-mirror statistics in debugfs
 *
 * /sys/kernel/debug/mmu_mirror/<name>-<id>/stats, one "name value" pair a
 * line.  Debugfs being optional, every failure here is ignored.
 */
#include <linux/seq_file.h>
#include "mmu_mirror_internal.h"

static struct dentry *mmu_mirror_debugfs_root;
static atomic_t mmu_mirror_debugfs_ids = ATOMIC_INIT(0);

static const char *const mmu_mirror_event_names[MMU_MIRROR_NR_EVENTS] = {
	"unmap", "clear", "protection_vma", "protection_page",
	"soft_dirty", "release", "migrate", "exclusive",
};

static int mmu_mirror_stats_show(struct seq_file *m, void *unused)
{
	struct mmu_mirror *mirror = m->private;
	struct mmu_mirror_stats st;
	unsigned int i;

	mmu_mirror_get_stats(mirror, &st);
	seq_printf(m, "mode %s\n", mmu_mirror_pinned(mirror) ? "pinned" :
							       "notifier");
	seq_printf(m, "faults %llu\n", st.faults);
	seq_printf(m, "pages_mapped %llu\n", st.pages_mapped);
	seq_printf(m, "retries %llu\n", st.retries);
	for (i = 0; i < MMU_MIRROR_NR_EVENTS; i++)
		seq_printf(m, "invalidations_%s %llu\n",
			   mmu_mirror_event_names[i], st.invalidations[i]);
	seq_printf(m, "entries_zapped %llu\n", st.entries_zapped);
	seq_printf(m, "pages_zapped %llu\n", st.pages_zapped);
	seq_printf(m, "flushes %llu\n", st.flushes);
	seq_printf(m, "dirty_propagated %llu\n", st.dirty_propagated);
	seq_printf(m, "young_cleared %llu\n", st.young_cleared);
	seq_printf(m, "nonblock_invalidations %llu\n",
		   st.nonblock_invalidations);
	seq_printf(m, "nonblock_flushes %llu\n", st.nonblock_flushes);
	seq_printf(m, "pages_pinned %llu\n", st.pages_pinned);
	seq_printf(m, "entries %llu\n", st.entries);
	seq_printf(m, "table_nodes %llu\n", st.table_nodes);
	seq_printf(m, "nonblock_failed %llu\n", st.nonblock_failed);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mmu_mirror_stats);

/**
 * mmu_mirror_debugfs_add() - publish a mirror's statistics
 * @mirror: the new mirror
 *
 * Context: process context.
 */
void mmu_mirror_debugfs_add(struct mmu_mirror *mirror)
{
	char name[64];

	if (!mmu_mirror_debugfs_root)
		return;
	snprintf(name, sizeof(name), "%s-%d", mirror->name,
		 atomic_inc_return(&mmu_mirror_debugfs_ids));
	mirror->debugfs = debugfs_create_dir(name, mmu_mirror_debugfs_root);
	debugfs_create_file("stats", 0444, mirror->debugfs, mirror,
			    &mmu_mirror_stats_fops);
}

/**
 * mmu_mirror_debugfs_remove() - withdraw a mirror's statistics
 * @mirror: the mirror being destroyed
 *
 * Waits for readers of the files to finish.
 *
 * Context: process context, may sleep.
 */
void mmu_mirror_debugfs_remove(struct mmu_mirror *mirror)
{
	debugfs_remove_recursive(mirror->debugfs);
	mirror->debugfs = NULL;
}

/**
 * mmu_mirror_debugfs_init() - create the helper's debugfs directory
 *
 * Context: module init.
 */
void mmu_mirror_debugfs_init(void)
{
	struct dentry *root = debugfs_create_dir("mmu_mirror", NULL);

	mmu_mirror_debugfs_root = IS_ERR(root) ? NULL : root;
}

/**
 * mmu_mirror_debugfs_exit() - remove the helper's debugfs directory
 *
 * Context: module exit; no mirror exists any more.
 */
void mmu_mirror_debugfs_exit(void)
{
	debugfs_remove_recursive(mmu_mirror_debugfs_root);
	mmu_mirror_debugfs_root = NULL;
}
