// SPDX-License-Identifier: GPL-2.0
/*
 * odp_ctx.c - the NIC, its protection domains and their commands
 *
 * One struct odp_dev per module; one struct odp_ctx (a PD) per open
 * file.  The ioctl handler copies each command in once, validates it,
 * calls one function of odp_mr.c, odp_mem.c or odp_qp.c and copies the
 * result out once.  Debugfs: odp_demo/device and odp_demo/pd<N>/{mrs,qps}.
 */
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/mmu_mirror.h>
#include "odp_core.h"

/* struct odp_mirror_stats is struct mmu_mirror_stats, exported as is. */
MMU_MIRROR_STATS_ASSERT_PREFIX(struct odp_mirror_stats);
static_assert(sizeof(struct odp_mirror_stats) ==
	      sizeof(struct mmu_mirror_stats));

static int odp_device_show(struct seq_file *m, void *unused)
{
	struct odp_dev *dev = m->private;

	seq_printf(m, "wrs_executed %lld\n",
		   (s64)atomic64_read(&dev->wrs_executed));
	seq_printf(m, "wrs_failed %lld\n",
		   (s64)atomic64_read(&dev->wrs_failed));
	seq_printf(m, "wrs_flushed %lld\n",
		   (s64)atomic64_read(&dev->wrs_flushed));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(odp_device);

static int odp_mrs_show(struct seq_file *m, void *unused)
{
	odp_mr_show(m->private, m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(odp_mrs);

static int odp_qps_show(struct seq_file *m, void *unused)
{
	odp_qp_show(m->private, m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(odp_qps);

/**
 * odp_dev_create() - bring the NIC up
 *
 * Context: process context, may sleep.
 * Return: the device, or ERR_PTR(-ENOMEM).
 */
struct odp_dev *odp_dev_create(void)
{
	struct odp_dev *dev = kzalloc(sizeof(*dev), GFP_KERNEL);

	if (!dev)
		return ERR_PTR(-ENOMEM);
	dev->qps = kvcalloc(ODP_MAX_QPS, sizeof(*dev->qps), GFP_KERNEL);
	/* Several QPs' work runs at once, as a NIC's engines would. */
	dev->wq = alloc_workqueue("odp_demo", WQ_UNBOUND, 0);
	if (!dev->qps || !dev->wq) {
		if (dev->wq)
			destroy_workqueue(dev->wq);
		kvfree(dev->qps);
		kfree(dev);
		return ERR_PTR(-ENOMEM);
	}
	spin_lock_init(&dev->lock);
	dev->debugfs = debugfs_create_dir("odp_demo", NULL);
	debugfs_create_file("device", 0444, dev->debugfs, dev,
			    &odp_device_fops);
	return dev;
}

/**
 * odp_dev_destroy() - take the NIC down
 * @dev: the device; every PD is gone
 *
 * Context: process context, may sleep (drains the engine).
 */
void odp_dev_destroy(struct odp_dev *dev)
{
	destroy_workqueue(dev->wq);
	debugfs_remove_recursive(dev->debugfs);
	kvfree(dev->qps);
	kfree(dev);
}

/**
 * odp_ctx_create() - the PD of a newly opened file
 * @dev: the device
 * @mm: the opener's address space, grabbed until the PD is freed
 *
 * Context: process context, may sleep.
 * Return: the PD, or ERR_PTR(-ENOMEM).
 */
struct odp_ctx *odp_ctx_create(struct odp_dev *dev, struct mm_struct *mm)
{
	struct odp_ctx *ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	char name[16];

	if (!ctx)
		return ERR_PTR(-ENOMEM);
	ctx->mrs = kvcalloc(ODP_MAX_MRS, sizeof(*ctx->mrs), GFP_KERNEL);
	if (!ctx->mrs) {
		kfree(ctx);
		return ERR_PTR(-ENOMEM);
	}
	ctx->dev = dev;
	kref_init(&ctx->ref);
	mutex_init(&ctx->lock);
	spin_lock_init(&ctx->mr_lock);
	init_waitqueue_head(&ctx->mr_wait);
	spin_lock_init(&ctx->tables_lock);
	ctx->mtt_tree = RB_ROOT_CACHED;
	INIT_LIST_HEAD(&ctx->qps);
	mmgrab(mm);
	ctx->mm = mm;
	ctx->id = atomic_inc_return(&dev->next_ctx);
	snprintf(name, sizeof(name), "pd%d", ctx->id);
	ctx->debugfs = debugfs_create_dir(name, dev->debugfs);
	debugfs_create_file("mrs", 0444, ctx->debugfs, ctx, &odp_mrs_fops);
	debugfs_create_file("qps", 0444, ctx->debugfs, ctx, &odp_qps_fops);
	return ctx;
}

static void odp_ctx_free(struct kref *ref)
{
	struct odp_ctx *ctx = container_of(ref, struct odp_ctx, ref);

	mmdrop(ctx->mm);
	mutex_destroy(&ctx->lock);
	kvfree(ctx->mrs);
	kfree(ctx);
}

/**
 * odp_ctx_put() - drop a reference to a PD
 * @ctx: the PD
 *
 * Context: any context that may call mmdrop().
 */
void odp_ctx_put(struct odp_ctx *ctx)
{
	kref_put(&ctx->ref, odp_ctx_free);
}

/**
 * odp_ctx_destroy() - tear down the PD of a closed file
 * @ctx: the PD; no command runs on it any more
 *
 * QPs first (the engine stops executing them), then MRs (waiting for
 * work that uses them, peers' included), then the mirrors.  The PD
 * itself stays until its last reference goes.
 *
 * Context: process context, may sleep.
 */
void odp_ctx_destroy(struct odp_ctx *ctx)
{
	debugfs_remove_recursive(ctx->debugfs);
	odp_qp_destroy_all(ctx);
	odp_mr_deregister_all(ctx);
	mmu_mirror_destroy(ctx->odp_mirror);
	mmu_mirror_destroy(ctx->pin_mirror);
	ctx->odp_mirror = NULL;
	ctx->pin_mirror = NULL;
	odp_ctx_put(ctx);
}

static int odp_pd_query(struct odp_ctx *ctx, struct odp_pd_query *q)
{
	struct mmu_mirror_stats st = { };
	struct mmu_mirror *mirror;

	if (q->mirror > ODP_PD_MIRROR_PINNED || q->reserved)
		return -EINVAL;
	mutex_lock(&ctx->lock);
	mirror = q->mirror == ODP_PD_MIRROR_PINNED ? ctx->pin_mirror :
						      ctx->odp_mirror;
	if (mirror)
		mmu_mirror_get_stats(mirror, &st);
	q->nr_mrs = ctx->nr_mrs;
	q->nr_qps = ctx->nr_qps;
	mutex_unlock(&ctx->lock);
	q->tlb_flushes = atomic64_read(q->mirror == ODP_PD_MIRROR_PINNED ?
				       &ctx->pin_flushes : &ctx->odp_flushes);
	memcpy(&q->stats, &st, sizeof(st));
	return 0;
}

/* Commands that change the PD or post work: only its owner's mm. */
static bool odp_cmd_needs_owner(unsigned int command)
{
	switch (command) {
	case ODP_QUERY_MR:
	case ODP_POLL_CQ:
	case ODP_QUERY_PD:
		return false;
	default:
		return true;
	}
}

union odp_cmd {
	struct odp_reg_mr reg;
	struct odp_mr_query query;
	struct odp_create_qp create;
	struct odp_connect_qp connect;
	struct odp_post post;
	struct odp_poll_cq poll;
	struct odp_advise_mr advise;
	struct odp_pd_query pd;
	u32 key;
};

static long odp_dispatch(struct odp_ctx *ctx, unsigned int command,
			 union odp_cmd *cmd)
{
	switch (command) {
	case ODP_REG_MR:
		return odp_mr_register(ctx, &cmd->reg);
	case ODP_DEREG_MR:
		return odp_mr_deregister(ctx, cmd->key);
	case ODP_QUERY_MR:
		return odp_mr_query(ctx, &cmd->query);
	case ODP_CREATE_QP:
		return odp_qp_create(ctx, &cmd->create);
	case ODP_CONNECT_QP:
		return odp_qp_connect(ctx, &cmd->connect);
	case ODP_DESTROY_QP:
		return odp_qp_destroy(ctx, cmd->key);
	case ODP_POST_SEND:
		return odp_qp_post_send(ctx, &cmd->post);
	case ODP_POST_RECV:
		return odp_qp_post_recv(ctx, &cmd->post);
	case ODP_POLL_CQ:
		return odp_qp_poll(ctx, &cmd->poll);
	case ODP_ADVISE_MR:
		return odp_advise(ctx, &cmd->advise);
	default:
		return odp_pd_query(ctx, &cmd->pd);
	}
}

/**
 * odp_ctx_ioctl() - execute one command of a PD
 * @ctx: the PD of the file
 * @command: ODP_* ioctl number
 * @uarg: user pointer to the command's argument
 *
 * Context: process context, may sleep; no lock is held across the user
 * copies of the argument.
 * Return: 0 on success; -ENOTTY for an unknown command; -EIO for a
 * command that needs the PD's own address space from another one;
 * -EFAULT for a bad argument pointer; the command's errors
 * (include/uapi/linux/odp_demo.h).  POST_SEND, POST_RECV and POLL_CQ
 * copy their argument back (with the count done) even when failing.
 */
long odp_ctx_ioctl(struct odp_ctx *ctx, unsigned int command,
		   void __user *uarg)
{
	union odp_cmd cmd;
	size_t size;
	long ret;

	switch (command) {
	case ODP_REG_MR:
	case ODP_DEREG_MR:
	case ODP_QUERY_MR:
	case ODP_CREATE_QP:
	case ODP_CONNECT_QP:
	case ODP_DESTROY_QP:
	case ODP_POST_SEND:
	case ODP_POST_RECV:
	case ODP_POLL_CQ:
	case ODP_ADVISE_MR:
	case ODP_QUERY_PD:
		break;
	default:
		return -ENOTTY;
	}
	if (odp_cmd_needs_owner(command) && current->mm != ctx->mm)
		return -EIO;
	size = _IOC_SIZE(command);
	if (copy_from_user(&cmd, uarg, size))
		return -EFAULT;
	ret = odp_dispatch(ctx, command, &cmd);
	if (ret && command != ODP_POST_SEND && command != ODP_POST_RECV &&
	    command != ODP_POLL_CQ)
		return ret;
	if ((_IOC_DIR(command) & _IOC_READ) && copy_to_user(uarg, &cmd, size))
		return -EFAULT;
	return ret;
}
