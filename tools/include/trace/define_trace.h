/* SPDX-License-Identifier: GPL-2.0 */
/* Model shim: nothing to define, the model's tracepoints are inline. */
