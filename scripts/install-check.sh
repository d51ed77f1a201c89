#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# install-check.sh install|dkms OUTDIR - test the two ways of installing
# the modules without touching the system's module tree; flat KTAP.
# scripts/check.sh runs both after the QEMU tests ("install", "dkms").
#
#   install  "make install" and "make uninstall" of this tree (built
#            already) with DESTDIR and INSTALL_MOD_PATH in OUTDIR:
#            modules under lib/modules/$KVER/updates, depmod, the UAPI
#            headers, and that uninstall takes all of it away again.
#   dkms     dkms add, build, install, autoinstall (what the kernel's
#            postinst hook runs on an upgrade) and remove, for $KVER, on a
#            clean copy of the tree (git's files, or the tree without build
#            products), with dkms's source, build and install trees
#            (--sourcetree, --dkmstree, --installtree) in OUTDIR and
#            --no-depmod: /usr/src, /var/lib/dkms and /lib/modules stay as
#            they were, which the last case checks.  Needs root (dkms add
#            does); skipped otherwise.  A signing key that dkms generates
#            for the occasion (/var/lib/dkms/mok.key, mok.pub) is removed.
#
# The modules expected are the tree's modules.order (so "make modules"
# must have run).  Logs of every command go to OUTDIR/*.log; the scratch
# trees are removed at the end.  Environment: KVER (default: the newest
# kernel under /lib/modules).
#
# Exit status: 0 if every case passed or the program skipped, 1 if one
# failed, 2 for usage errors.

set -u

[ $# -eq 2 ] || { echo "usage: $0 install|dkms OUTDIR" >&2; exit 2; }
mode=$1
REPO=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "$2" && cd "$2" && pwd) || exit 2
KVER=${KVER:-$(find /lib/modules -mindepth 1 -maxdepth 1 -name '[0-9]*' \
	       -printf '%f\n' 2>/dev/null | sort -V | tail -n 1)}

n=0
failed=0
pass() { n=$((n + 1)); echo "ok $n $1"; }
fail() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n $1"
	shift
	[ $# -eq 0 ] || printf '%s\n' "$@" | head -n 30 | sed 's/^/# /'
}
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }

# The make of this tree with its default knobs, without the jobserver
# and the variables of the make that runs us.
tree_make() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u DESTDIR -u INSTALL_MOD_PATH \
		-u INSTALL_MOD_DIR -u PREFIX -u DEPMOD \
		make -C "$REPO" KVER="$KVER" --no-print-directory "$@"
}

# The modules kbuild built: paths below the tree without .ko, one a line,
# sorted (modules.order of an external build has absolute paths).
built_modules() {
	local line
	while read -r line; do
		line=${line#"$REPO"/}
		line=${line#./}
		echo "${line%.ko}"
	done <"$REPO/modules.order" | LC_ALL=C sort
}

# dkms.conf's list of the modules, as paths without .ko.
dkms_conf_modules() {
	# shellcheck disable=SC1091,SC2154 # dkms.conf is dkms's format
	(
		kernelver=$KVER kernel_source_dir=
		. "$REPO/dkms.conf" || exit 1
		for i in "${!BUILT_MODULE_NAME[@]}"; do
			echo "${BUILT_MODULE_LOCATION[$i]}${BUILT_MODULE_NAME[$i]}"
		done
	) | LC_ALL=C sort
}

[ -n "$KVER" ] || { echo "Bail out! no kernel under /lib/modules"; exit 1; }
if [ ! -s "$REPO/modules.order" ]; then
	echo "Bail out! $REPO/modules.order missing (run 'make modules')"
	exit 1
fi
mapfile -t modules < <(built_modules)

# --- make install / make uninstall ----------------------------------------
check_install() {
	local root=$out/root modroot=$out/modroot missing='' m f deps d line
	local mlib=$modroot/lib/modules/$KVER/updates hdrs

	echo "TAP version 13"
	echo "1..5"
	rm -rf "$root" "$modroot"
	hdrs=$(cd "$REPO/include/uapi/linux" && ls -- *.h)

	# Proves: dkms.conf, from which "make uninstall" takes its list, names
	# exactly the modules kbuild builds.
	if [ "$(dkms_conf_modules)" = "$(printf '%s\n' "${modules[@]}")" ]; then
		pass "dkms_conf_lists_every_module"
	else
		fail "dkms_conf_lists_every_module" \
		     "modules.order: ${modules[*]}" \
		     "dkms.conf:     $(dkms_conf_modules | tr '\n' ' ')"
	fi

	# Proves: make install puts every module, unchanged, under
	# INSTALL_MOD_PATH/lib/modules/KVER/updates and the UAPI headers under
	# DESTDIR/usr/local/include/linux, and nothing in either elsewhere.
	if ! tree_make install DESTDIR="$root" INSTALL_MOD_PATH="$modroot" \
			>"$out/make-install.log" 2>&1; then
		fail "install_files" "make install failed; see $out/make-install.log" \
		     "$(tail -n 15 "$out/make-install.log")"
	else
		for m in "${modules[@]}"; do
			cmp -s "$REPO/$m.ko" "$mlib/$m.ko" || missing="$missing $m.ko"
		done
		for f in $hdrs; do
			cmp -s "$REPO/include/uapi/linux/$f" \
				"$root/usr/local/include/linux/$f" ||
				missing="$missing $f"
		done
		[ ! -e "$root/lib" ] || missing="$missing (modules in DESTDIR)"
		[ ! -e "$modroot/usr" ] || missing="$missing (headers in INSTALL_MOD_PATH)"
		if [ -z "$missing" ]; then
			pass "install_files"
		else
			fail "install_files" "missing or different:$missing" \
			     "installed: $(cd "$out" && find root modroot -type f |
					   grep -v '/modules\.' | tr '\n' ' ')"
		fi
	fi

	# Proves: make install ran depmod for KVER in that root: modules.dep
	# has each module with the modules it depends on (modinfo's depends).
	missing=
	for m in "${modules[@]}"; do
		line=$(grep "^updates/$m.ko:" \
			"$modroot/lib/modules/$KVER/modules.dep" 2>/dev/null)
		if [ -z "$line" ]; then
			missing="$missing $m(absent)"
			continue
		fi
		deps=$(modinfo -F depends "$REPO/$m.ko" 2>/dev/null | tr ',' ' ')
		for d in $deps; do
			case $line in
			*"/$d.ko"*) ;;
			*) missing="$missing $m(no $d)" ;;
			esac
		done
	done
	if [ -z "$missing" ]; then
		pass "install_depmod"
	else
		fail "install_depmod" "modules.dep lacks:$missing"
	fi

	# Proves: the installed headers are usable as <linux/...> by a
	# userspace program (they are not in the system's include path).
	{
		for f in $hdrs; do echo "#include <linux/$f>"; done
		echo "int main(void) { return 0; }"
	} >"$out/uapi-test.c"
	if ${CC:-gcc} -Wall -Werror -I"$root/usr/local/include" \
			-o "$out/uapi-test" "$out/uapi-test.c" \
			>"$out/uapi-test.log" 2>&1; then
		pass "install_uapi_headers_compile"
	else
		fail "install_uapi_headers_compile" "$(head -n 10 "$out/uapi-test.log")"
	fi

	# Proves: make uninstall removes every module and header install put
	# there (empty directories included) and depmod forgets the modules.
	if ! tree_make uninstall DESTDIR="$root" INSTALL_MOD_PATH="$modroot" \
			>"$out/make-uninstall.log" 2>&1; then
		fail "uninstall" "make uninstall failed; see $out/make-uninstall.log" \
		     "$(tail -n 15 "$out/make-uninstall.log")"
	else
		left=$(cd "$out" && find root modroot -mindepth 1 \
			\( -name '*.ko*' -o -name '*.h' -o -path '*/updates' \) |
			LC_ALL=C sort)
		if grep -q '^updates/' "$modroot/lib/modules/$KVER/modules.dep" \
				2>/dev/null; then
			left="$left modules.dep still lists them"
		fi
		if [ -z "$left" ]; then
			pass "uninstall"
		else
			fail "uninstall" "left behind: $(echo $left)"
		fi
	fi
	rm -rf "$root" "$modroot" "$out/uapi-test"
}

# --- dkms -----------------------------------------------------------------
# A copy of the tree as a fresh clone has it: git's files (untracked ones
# that are not ignored included), or without git the tree minus the
# build products .gitignore names.
clean_copy() {
	local dst=$1
	mkdir -p "$dst"
	if command -v git >/dev/null &&
	   git -C "$REPO" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		(cd "$REPO" && git ls-files -z --cached --others \
			--exclude-standard | xargs -0 -r ls -d 2>/dev/null |
			tar -cf - --no-recursion -T -) | tar -xf - -C "$dst"
	else
		(cd "$REPO" && tar -cf - --exclude=./build --exclude=./.git \
			--exclude='*.o' --exclude='*.ko' --exclude='*.mod' \
			--exclude='*.mod.c' --exclude='.*.cmd' --exclude='*.a' \
			--exclude=modules.order --exclude=Module.symvers .) |
			tar -xf - -C "$dst"
	fi
}

dkms_state() {
	# What the system's own dkms and module trees hold for us.
	ls -d /var/lib/dkms/mmu-mirror /usr/src/mmu-mirror-* 2>/dev/null
	find "/lib/modules/$KVER" -path "*/updates/*" \
		\( -name 'mmu_mirror.ko*' -o -name 'notifier_demo.ko*' \
		   -o -name 'kvm_mirror.ko*' \) 2>/dev/null
	md5sum "/lib/modules/$KVER/modules.dep" 2>/dev/null
}

# dkms_cleanup: remove the scratch trees, and the signing key if dkms made
# it for this run.
dkms_cleanup() {
	rm -rf "$out/tree" "$out/src" "$out/dkms" "$out/installed"
	[ "$key_made" = 0 ] || rm -f /var/lib/dkms/mok.key /var/lib/dkms/mok.pub
}

key_made=0
check_dkms() {
	local tree=$out/tree src=$out/src dtree=$out/dkms itree=$out/installed
	local name ver conf before mods got want m vm bad
	local -a D

	echo "TAP version 13"
	if [ "$(id -u)" != 0 ]; then
		echo "1..0 # SKIP dkms add and install need root"
		return
	fi
	if ! command -v dkms >/dev/null; then
		echo "1..1"
		fail "dkms_installed" "no dkms command (run 'make deps')"
		return
	fi
	echo "1..6"
	conf=$REPO/dkms.conf
	name=$(sed -n 's/^PACKAGE_NAME="\(.*\)"$/\1/p' "$conf")
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$conf")
	diag "$(dkms --version), $name/$ver for $KVER (host runs $(uname -r))"
	before=$(dkms_state)
	[ -e /var/lib/dkms/mok.key ] || [ -e /var/lib/dkms/mok.pub ] ||
		key_made=1
	# Also when interrupted: no scratch tree or key left behind.
	trap 'dkms_cleanup' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 141' PIPE
	rm -rf "$tree" "$src" "$dtree" "$itree"
	mkdir -p "$src" "$dtree" "$itree/$KVER"
	clean_copy "$tree"
	D=(dkms --dkmstree "$dtree" --sourcetree "$src" --installtree "$itree")
	mods=$dtree/$name/$ver/$KVER/$(uname -m)/module

	# Proves: "dkms add" takes the tree as it is checked out: dkms.conf
	# parses and the source copy holds no build product.
	if "${D[@]}" add "$tree" >"$out/dkms-add.log" 2>&1 &&
	   [ -f "$src/$name-$ver/dkms.conf" ] &&
	   [ -z "$(find "$src/$name-$ver" -name '*.ko' -o -name '*.o' | head -n 1)" ]; then
		pass "dkms_add"
	else
		fail "dkms_add" "$(tail -n 15 "$out/dkms-add.log")"
	fi

	# Proves: "dkms build -k KVER" builds every module of modules.order
	# for KVER (its vermagic), not for the kernel the host runs.
	"${D[@]}" build "$name/$ver" -k "$KVER" >"$out/dkms-build.log" 2>&1
	got=$(cd "$mods" 2>/dev/null && ls -- *.ko* 2>/dev/null | sed 's/\.ko.*//' |
	      LC_ALL=C sort)
	want=$(for m in "${modules[@]}"; do basename "$m"; done | LC_ALL=C sort)
	bad=
	for m in $got; do
		vm=$(modinfo -F vermagic "$mods/$m.ko"* 2>/dev/null)
		[ "${vm%% *}" = "$KVER" ] || bad="$bad $m($vm)"
	done
	if [ -n "$got" ] && [ "$got" = "$want" ] && [ -z "$bad" ]; then
		pass "dkms_build"
	else
		fail "dkms_build" "built: $(echo $got); expected: $(echo $want)" \
		     ${bad:+"wrong vermagic:$bad"} \
		     "$(tail -n 15 "$out/dkms-build.log")" \
		     "make.log: $(ls "$dtree/$name/$ver"/*/*/log/make.log \
				  "$dtree/$name/$ver/build/make.log" 2>/dev/null)"
	fi

	# Proves: "dkms install" puts them into KVER's updates/dkms.
	"${D[@]}" install --no-depmod "$name/$ver" -k "$KVER" \
		>"$out/dkms-install.log" 2>&1
	got=$(cd "$itree/$KVER/updates/dkms" 2>/dev/null &&
	      ls -- *.ko* 2>/dev/null | sed 's/\.ko.*//' | LC_ALL=C sort)
	if [ -n "$got" ] && [ "$got" = "$want" ]; then
		pass "dkms_install"
	else
		fail "dkms_install" "installed: $(echo $got)" \
		     "$(tail -n 15 "$out/dkms-install.log")"
	fi

	# Proves: AUTOINSTALL: "dkms autoinstall -k KVER", which the kernel
	# package's postinst hook runs for a new kernel, installs them again
	# after an uninstall.
	"${D[@]}" uninstall --no-depmod "$name/$ver" -k "$KVER" \
		>"$out/dkms-uninstall.log" 2>&1
	bad=$(find "$itree" -name '*.ko*')
	"${D[@]}" autoinstall --no-depmod -k "$KVER" \
		>"$out/dkms-autoinstall.log" 2>&1
	got=$(cd "$itree/$KVER/updates/dkms" 2>/dev/null &&
	      ls -- *.ko* 2>/dev/null | sed 's/\.ko.*//' | LC_ALL=C sort)
	if [ -n "$bad" ]; then
		fail "dkms_autoinstall" "dkms uninstall left: $(echo $bad)"
	elif [ -n "$got" ] && [ "$got" = "$want" ]; then
		pass "dkms_autoinstall"
	else
		fail "dkms_autoinstall" "installed: ${got:-nothing}" \
		     "dkms autoinstall said: $(tail -n 15 \
			"$out/dkms-autoinstall.log" | grep . || echo nothing)"
	fi

	# Proves: "dkms remove --all" uninstalls and forgets them.
	"${D[@]}" remove --no-depmod "$name/$ver" --all \
		>"$out/dkms-remove.log" 2>&1
	got=$(find "$itree" "$dtree" -name '*.ko*' 2>/dev/null)
	if [ -z "$got" ] && [ -z "$("${D[@]}" status 2>/dev/null)" ]; then
		pass "dkms_remove"
	else
		fail "dkms_remove" "left: $(echo $got)" \
		     "status: $("${D[@]}" status 2>&1)" \
		     "$(tail -n 15 "$out/dkms-remove.log")"
	fi

	dkms_cleanup
	trap - EXIT

	# Proves: none of this touched the system's dkms tree, /usr/src or
	# the module tree of KVER (the QEMU tests boot that kernel).
	if [ "$(dkms_state)" = "$before" ]; then
		pass "dkms_system_untouched"
	else
		fail "dkms_system_untouched" "before: $before" "after: $(dkms_state)"
	fi
}

case $mode in
install) check_install ;;
dkms) check_dkms ;;
*) echo "usage: $0 install|dkms OUTDIR" >&2; exit 2 ;;
esac
[ "$failed" = 0 ]
