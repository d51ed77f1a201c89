/* SPDX-License-Identifier: GPL-2.0 */
/* Model shim: everything links into one program; exports are no-ops. */
#ifndef _LINUX_EXPORT_H
#define _LINUX_EXPORT_H

#define EXPORT_SYMBOL(sym)
#define EXPORT_SYMBOL_GPL(sym)

#endif /* _LINUX_EXPORT_H */
