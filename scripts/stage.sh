#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stage.sh LABEL LOG CMD... - one build step of "make check", "make demo"
# or "make bench": CMD's output goes to LOG and one line is printed,
# "LABEL ... ok (Ns)", or on failure the status and the last lines of LOG.
# V=1 shows the output as it comes (it is still kept in LOG).
#
# Exit status: CMD's; 2 for usage errors.

set -u
[ $# -ge 3 ] || { echo "usage: $0 LABEL LOG CMD..." >&2; exit 2; }
# shellcheck source=scripts/progress.sh
. "$(dirname "$0")/progress.sh"
run_logged "$@"
