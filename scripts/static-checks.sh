#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# static-checks.sh OUTDIR - host-side static checks of the kernel sources,
# printed as flat KTAP; logs go to OUTDIR.  Exit status 0 when all pass.
#
#   sparse         kbuild with C=2 CHECK=sparse: no warning or error that
#                  names a file of this tree (compiler and modpost too)
#   kernel-doc     scripts/kernel-doc -none -v: no warning (missing
#                  parameters, missing Return: of non-void functions)
#   checkpatch     scripts/checkpatch.pl --strict -f: no report
#   include-order  every object compiled by kbuild took <linux/mmu_notifier.h>
#                  from the kernel, and every -I of this tree comes after
#                  the kernel's include directory, so the model build's
#                  include/linux/mmu_notifier.h can never shadow it
#   coccinelle.*   each scripts/coccinelle/*.cocci in report mode: no report
#
# The kernel sources checked are the .c and .h files under mm/, include/,
# drivers/ and virt/.  checkpatch and kernel-doc come from the linux-source
# tarball (scripts/linux-source.sh).
#
# Environment: KVER, KDIR as in the Makefile; LINUX_SRC (extracted kernel
# files, default build/linux-source); CHECK_SRC (tree to check, default this
# repository; used to test the checks themselves).

set -eu

die() {
	echo "static-checks.sh: error: $*" >&2
	exit 1
}

[ $# -eq 1 ] || die "usage: scripts/static-checks.sh OUTDIR"

REPO=$(cd "$(dirname "$0")/.." && pwd)
SRC=$(cd "${CHECK_SRC:-$REPO}" && pwd) ||
	die "tree to check '${CHECK_SRC:-$REPO}' does not exist"
KVER=${KVER:-$(find /lib/modules -mindepth 1 -maxdepth 1 -name '[0-9]*' \
	       -printf '%f\n' 2>/dev/null | sort -V | tail -n 1)}
KDIR=${KDIR:-/lib/modules/$KVER/build}
LINUX_SRC=${LINUX_SRC:-$REPO/build/linux-source}
JOBS=$(nproc 2>/dev/null || echo 1)
KDIRS="mm include drivers virt"
MAX_DETAIL=60

[ -d "$KDIR" ] ||
	die "no kernel build tree at '$KDIR' (run 'make deps' or set KVER/KDIR)"
command -v perl >/dev/null 2>&1 || die "perl is not installed (run 'make deps')"

mkdir -p "$1"
OUTDIR=$(cd "$1" && pwd)
"$REPO/scripts/linux-source.sh" "$LINUX_SRC" >&2

# The kernel's own <linux/mmu_notifier.h>; the source tree of a Debian
# headers package is behind the "source" link.
KHDR=
KSRC=$KDIR
for h in "$KDIR/include/linux/mmu_notifier.h" \
	 "$KDIR/source/include/linux/mmu_notifier.h" \
	 "/lib/modules/$KVER/source/include/linux/mmu_notifier.h"; do
	if [ -f "$h" ]; then
		KHDR=$(realpath "$h")
		KSRC=$(dirname "$(dirname "$(dirname "$KHDR")")")
		break
	fi
done

# Kernel sources of the checked tree, relative to it, generated files left
# out.
FILES=$OUTDIR/files.txt
(
	cd "$SRC"
	for d in $KDIRS; do
		[ -d "$d" ] || continue
		find "$d" -type f \( -name '*.c' -o -name '*.h' \) \
			! -name '*.mod.c'
	done | LC_ALL=C sort
) > "$FILES"
NFILES=$(wc -l < "$FILES")

shopt -s nullglob
RULES=("$SRC"/scripts/coccinelle/*.cocci)
shopt -u nullglob

n=0
failed=0

# pass NAME [DIRECTIVE] / fail NAME: one KTAP result line.
pass() {
	n=$((n + 1))
	echo "ok $n $1${2:+ # $2}"
}

fail() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n $1"
}

# Copy stdin as KTAP diagnostics, at most MAX_DETAIL lines.
detail() {
	awk -v max="$MAX_DETAIL" '
		NR <= max { print "# " $0 }
		END { if (NR > max) print "# ... " NR - max " more lines" }'
}

echo "TAP version 13"
echo "1..$((4 + (${#RULES[@]} > 0 ? ${#RULES[@]} : 1)))"

# --- sparse ---------------------------------------------------------------
# The parent make's jobserver is not passed down to this script; run a
# make of its own.
check_sparse() {
	local log=$OUTDIR/sparse.log rc=0 hits

	if ! command -v sparse >/dev/null 2>&1; then
		echo "sparse is not installed (run 'make deps')" | detail
		fail sparse
		return
	fi
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		make -C "$KDIR" M="$SRC" C=2 CHECK=sparse -j"$JOBS" modules \
		> "$log" 2>&1 || rc=$?
	hits=$(grep -F "$SRC/" "$log" | grep -iE '(warning|error):' || true)
	if [ $rc -ne 0 ]; then
		{
			echo "kbuild failed (exit status $rc); full log: $log"
			grep -iE '(warning|error)' "$log" || tail -n 20 "$log"
		} | detail
		fail sparse
	elif [ -n "$hits" ]; then
		{
			echo "full log: $log"
			echo "$hits"
		} | detail
		fail sparse
	else
		pass sparse
	fi
}

# --- kernel-doc -----------------------------------------------------------
# -v adds the missing-Return: warning; its "info:" progress lines are
# dropped.  The environment variables kernel-doc reads are cleared.
check_kernel_doc() {
	local log=$OUTDIR/kernel-doc.log

	if [ "$NFILES" -eq 0 ]; then
		pass kernel-doc "SKIP no kernel sources under $KDIRS"
		return
	fi
	(
		cd "$SRC"
		xargs -d '\n' env -u KBUILD_VERBOSE -u KCFLAGS -u KDOC_WERROR \
			perl "$LINUX_SRC/scripts/kernel-doc" -none -v \
			< "$FILES" 2>&1 || echo "kernel-doc exited with an error"
	) | grep -v ': info: ' > "$log" || true
	if [ -s "$log" ]; then
		detail < "$log"
		fail kernel-doc
	else
		pass kernel-doc
	fi
}

# --- checkpatch -----------------------------------------------------------
# Run from a scratch directory whose top-level entries link to the checked
# tree: file names are then tree-relative (several checks test paths such
# as ^include/uapi/), and checkpatch's CamelCase cache lands there, not in
# the tree.  --root points at the kernel source, as in-tree, to seed the
# known CamelCase identifiers and check <asm/...> includes.
#
# Ignored types (keep this list short):
#   LINUX_VERSION_CODE  an out-of-tree module's compat header must test the
#                       kernel version it is built against
CHECKPATCH_IGNORE=LINUX_VERSION_CODE

check_checkpatch() {
	local log=$OUTDIR/checkpatch.log rc=0 root=$OUTDIR/checkpatch-root
	local d

	if [ "$NFILES" -eq 0 ]; then
		pass checkpatch "SKIP no kernel sources under $KDIRS"
		return
	fi
	rm -rf "$root"
	mkdir -p "$root"
	for d in $KDIRS; do
		[ -d "$SRC/$d" ] && ln -s "$SRC/$d" "$root/$d"
	done
	(
		cd "$root"
		xargs -d '\n' env GIT_DIR="$root/.no-git" \
			perl "$LINUX_SRC/scripts/checkpatch.pl" \
			--no-tree --root="$KSRC" --strict --terse -f \
			--max-line-length=80 --ignore "$CHECKPATCH_IGNORE" \
			< "$FILES"
	) > "$log" 2>&1 || rc=$?
	if [ $rc -ne 0 ] || [ -s "$log" ]; then
		{
			[ $rc -eq 0 ] || echo "checkpatch exit status $rc"
			cat "$log"
		} | detail
		fail checkpatch
	else
		pass checkpatch
	fi
}

# --- include order --------------------------------------------------------
# Resolve a path from a .cmd file: relative ones are relative to KDIR,
# where kbuild runs.
kpath() {
	case $1 in
	/*) realpath -m "$1" ;;
	*) realpath -m "$KDIR/$1" ;;
	esac
}

in_tree() {
	case $1 in
	"$SRC" | "$SRC"/*) return 0 ;;
	esac
	return 1
}

# Check one .cmd file; print problems, return 1 if there are any.
check_cmd_file() {
	local cmd=$1 kinc=$2 bad=0 seen_kinc=0 next_is_dir=0 tok dir dep

	# Search path: -I DIR and -IDIR, in command line order.
	# shellcheck disable=SC2013 # the command line is split into words
	for tok in $(sed -n '1s/^cmd_[^ ]* := //p' "$cmd"); do
		dir=
		if [ $next_is_dir -eq 1 ]; then
			dir=$tok
			next_is_dir=0
		elif [ "$tok" = "-I" ]; then
			next_is_dir=1
			continue
		elif [ "${tok#-I}" != "$tok" ]; then
			dir=${tok#-I}
		fi
		[ -n "$dir" ] || continue
		dir=$(kpath "$dir")
		if [ "$dir" = "$kinc" ]; then
			seen_kinc=1
		elif in_tree "$dir" && [ $seen_kinc -eq 0 ]; then
			echo "$cmd: -I$dir comes before the kernel's $kinc"
			bad=1
		fi
	done
	[ $seen_kinc -eq 1 ] ||
		{ echo "$cmd: the kernel's $kinc is not searched"; bad=1; }

	# Dependencies: any mmu_notifier.h must be the kernel's.
	# shellcheck disable=SC2013 # one path a line, without blanks
	for dep in $(sed -n '/^deps_/,/^$/p' "$cmd" |
		     grep -E '(^|/)linux/mmu_notifier\.h' |
		     sed -e 's/[[:space:]\\]*$//' -e 's/^[[:space:]]*//'); do
		dep=$(kpath "$dep")
		if [ "$dep" = "$KHDR" ]; then
			echo "$cmd: uses the kernel's $KHDR" >&3
		else
			echo "$cmd: uses $dep, not the kernel's $KHDR"
			bad=1
		fi
	done
	return $bad
}

check_include_order() {
	local log=$OUTDIR/include-order.log kinc cmd objs=0 users bad=0

	if [ -z "$KHDR" ]; then
		echo "cannot find the kernel's include/linux/mmu_notifier.h" \
		     "under '$KDIR'" | detail
		fail include-order
		return
	fi
	kinc=$(dirname "$(dirname "$KHDR")")
	: > "$log"
	while IFS= read -r cmd; do
		# Only objects compiled from C have a dependency list.
		grep -q '^deps_' "$cmd" || continue
		head -n 1 "$cmd" | grep -qF "cmd_$SRC/" || continue
		objs=$((objs + 1))
		check_cmd_file "$cmd" "$kinc" 3>>"$log" || bad=1
	done < <(find "$SRC" \( -path "$SRC/build" -o -path "$SRC/.git" \) \
			-prune -o -name '.*.o.cmd' -print | LC_ALL=C sort) \
		> "$log.bad"
	users=$(grep -c "uses the kernel's" "$log" || true)
	{
		echo "$objs compiled objects, $users include the kernel's" \
		     "$KHDR"
		cat "$log.bad"
	} >> "$log"
	if [ $objs -eq 0 ]; then
		echo "no object compiled by kbuild under $SRC" \
		     "(see the sparse build)" | detail
		fail include-order
	elif [ $bad -ne 0 ]; then
		detail < "$log.bad"
		fail include-order
	else
		tail -n 1 "$log" | detail
		pass include-order
	fi
	rm -f "$log.bad"
}

# --- coccinelle -----------------------------------------------------------
check_coccinelle() {
	local rule name log rc

	if [ ${#RULES[@]} -eq 0 ]; then
		pass coccinelle "SKIP no scripts/coccinelle/*.cocci rules"
		return
	fi
	for rule in "${RULES[@]}"; do
		name=$(basename "$rule" .cocci)
		log=$OUTDIR/coccinelle-$name.log
		rc=0
		if ! command -v spatch >/dev/null 2>&1; then
			echo "spatch is not installed (run 'make deps')" | detail
			fail "coccinelle.$name"
			continue
		fi
		if [ "$NFILES" -eq 0 ]; then
			pass "coccinelle.$name" "SKIP no kernel sources"
			continue
		fi
		(
			cd "$SRC"
			xargs -d '\n' spatch --very-quiet -D report \
				--no-show-diff --no-includes --include-headers \
				--sp-file "$rule" < "$FILES"
		) > "$log" 2>&1 || rc=$?
		if [ $rc -ne 0 ] || [ -s "$log" ]; then
			{
				[ $rc -eq 0 ] || echo "spatch exit status $rc"
				cat "$log"
			} | detail
			fail "coccinelle.$name"
		else
			pass "coccinelle.$name"
		fi
	done
}

check_sparse
check_kernel_doc
check_checkpatch
check_include_order
check_coccinelle

echo "# $failed of $n static checks failed; logs in $OUTDIR"
[ $failed -eq 0 ] || exit 1
exit 0
