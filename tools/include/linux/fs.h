/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: just enough of inode/file for debugfs show files (and a
 * file's mapping, which no model VMA has).
 */
#ifndef _LINUX_FS_H
#define _LINUX_FS_H

#include <linux/kernel.h>

struct module;

struct inode {
	void *i_private;
};

struct address_space;

struct file {
	void *private_data;
	struct address_space *f_mapping;
};

struct file_operations {
	struct module *owner;
	int (*open)(struct inode *inode, struct file *file);
	ssize_t (*read)(struct file *file, char *buf, size_t len,
			loff_t *pos);
	loff_t (*llseek)(struct file *file, loff_t off, int whence);
	int (*release)(struct inode *inode, struct file *file);
};

#endif /* _LINUX_FS_H */
