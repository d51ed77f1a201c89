/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: printk goes to stderr as a KTAP diagnostic ("# "), so test
 * output stays valid KTAP.
 */
#ifndef _LINUX_PRINTK_H
#define _LINUX_PRINTK_H

#include <stdio.h>

#define KERN_ERR	""
#define KERN_WARNING	""
#define KERN_INFO	""
#define KERN_DEBUG	""

#define printk(fmt, ...)	fprintf(stderr, "# " fmt, ##__VA_ARGS__)
#define pr_err(fmt, ...)	printk("error: " fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...)	printk("warning: " fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...)	printk(fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...)	do { } while (0)
#define pr_warn_once		pr_warn

#endif /* _LINUX_PRINTK_H */
