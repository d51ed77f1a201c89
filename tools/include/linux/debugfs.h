/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: debugfs as an in-memory tree that records each file's
 * operations and data; model_debugfs_read() opens a file by path and
 * returns what its show function printed.
 */
#ifndef _LINUX_DEBUGFS_H
#define _LINUX_DEBUGFS_H

#include <linux/err.h>
#include <linux/fs.h>
#include <linux/types.h>

struct dentry;

struct dentry *debugfs_create_dir(const char *name, struct dentry *parent);
struct dentry *debugfs_create_file(const char *name, umode_t mode,
				   struct dentry *parent, void *data,
				   const struct file_operations *fops);
void debugfs_remove_recursive(struct dentry *dentry);
#define debugfs_remove(d)	debugfs_remove_recursive(d)

#endif /* _LINUX_DEBUGFS_H */
