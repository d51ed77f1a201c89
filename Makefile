# SPDX-License-Identifier: GPL-2.0
#
# mmu-mirror: top-level build.  "make help" lists the targets and knobs.
#
# KVER selects the Debian kernel to build against and boot (default: the
# newest one installed under /lib/modules, never the running kernel); KDIR
# overrides the build tree.  check, demo and bench print one line per
# stage and keep the build, boot and test output in log files; V=1 prints
# everything as it comes.

KVER	?= $(shell ls -1 /lib/modules 2>/dev/null | grep -E '^[0-9]' | sort -V | tail -n 1)
KDIR	?= /lib/modules/$(KVER)/build
O_DIR	:= $(CURDIR)/build
CC	?= gcc
USER_CFLAGS := -O2 -g -Wall -Wextra -Wno-unused-parameter -static -pthread \
	       -I$(CURDIR)/include/uapi -I$(CURDIR)/tools/testing/selftests

export KVER KDIR

SELFTEST_SRCS := $(wildcard tools/testing/selftests/notifier-demo/*.c)
SELFTEST_BINS := $(patsubst tools/testing/selftests/notifier-demo/%.c,\
		   $(O_DIR)/selftests/%,$(SELFTEST_SRCS))
SELFTEST_HDRS := $(wildcard tools/testing/selftests/notifier-demo/*.h) \
		 $(wildcard tools/testing/selftests/*.h) \
		 include/uapi/linux/notifier_demo.h
KVMM_SELFTEST_SRCS := $(wildcard tools/testing/selftests/kvm-mirror/*.c)
KVMM_SELFTEST_BINS := $(patsubst tools/testing/selftests/kvm-mirror/%.c,\
			$(O_DIR)/selftests/%,$(KVMM_SELFTEST_SRCS))
KVMM_SELFTEST_HDRS := $(wildcard tools/testing/selftests/kvm-mirror/*.h) \
		      $(wildcard tools/testing/selftests/*.h) \
		      tools/testing/selftests/notifier-demo/ktap.h \
		      include/uapi/linux/kvm_mirror.h

EDUM_SELFTEST_SRCS := $(wildcard tools/testing/selftests/edu-mirror/*.c)
EDUM_SELFTEST_BINS := $(patsubst tools/testing/selftests/edu-mirror/%.c,\
			$(O_DIR)/selftests/%,$(EDUM_SELFTEST_SRCS))
EDUM_SELFTEST_HDRS := $(wildcard tools/testing/selftests/edu-mirror/*.h) \
		      $(wildcard tools/testing/selftests/*.h) \
		      tools/testing/selftests/notifier-demo/ktap.h \
		      include/uapi/linux/edu_mirror.h

ODP_SELFTEST_SRCS := $(wildcard tools/testing/selftests/odp-demo/*.c)
ODP_SELFTEST_BINS := $(patsubst tools/testing/selftests/odp-demo/%.c,\
		       $(O_DIR)/selftests/%,$(ODP_SELFTEST_SRCS))
ODP_SELFTEST_HDRS := $(wildcard tools/testing/selftests/odp-demo/*.h) \
		     $(wildcard tools/testing/selftests/*.h) \
		     tools/testing/selftests/notifier-demo/ktap.h \
		     include/uapi/linux/odp_demo.h

TOOL_SRCS := $(wildcard tools/notifier-demo/*.c tools/kvm-vmm/*.c \
	     tools/edu-mirror/*.c)
TOOL_BINS := $(addprefix $(O_DIR)/tools/,$(basename $(notdir $(TOOL_SRCS))))

# Installation.  DESTDIR is a staging root as usual; INSTALL_MOD_PATH (the
# kbuild name, default DESTDIR) the root under which the modules go.
VERSION	:= $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' dkms.conf)
PREFIX	?= /usr/local
INSTALL_MOD_PATH ?= $(DESTDIR)
INSTALL_MOD_DIR ?= updates
DEPMOD	?= depmod
UAPI_HDRS := $(wildcard include/uapi/linux/*.h)
MODLIB	 = $(INSTALL_MOD_PATH)/lib/modules/$(KVER)
# The modules, as paths below the tree's root without .ko: dkms.conf's
# list, the one place that names them (make check compares it with what
# kbuild builds).
MODULE_PATHS := $(shell bash -c '. ./dkms.conf && \
	for i in "$${!BUILT_MODULE_NAME[@]}"; do \
		echo "$${BUILT_MODULE_LOCATION[$$i]}$${BUILT_MODULE_NAME[$$i]}"; \
	done' 2>/dev/null)

# Debian's headers packages carry no signing key: without one, kbuild's
# attempt to sign at modules_install only prints errors.  dkms signs with
# its own key instead.
SIGN_OFF := $(if $(wildcard $(KDIR)/certs/signing_key.x509),,CONFIG_MODULE_SIG_ALL=)

BENCH_ROUNDS ?= 41

# The output of the build steps of check, demo and bench (V=1: shown).
STAGE	= scripts/stage.sh
BUILD_LOG := $(O_DIR)/build.log

export V

.PHONY: all help deps modules selftests tools hmm-tests check demo bench \
	shell clean static-checks install uninstall debug-kernel check-debug

all: modules selftests tools

help:
	@echo 'mmu-mirror $(VERSION): the mmu_mirror helper and its clients'
	@echo
	@echo 'Targets:'
	@echo '  demo           the pinned-versus-notifier experiments (GPU-style and'
	@echo '                 DMA device behind an IOMMU) and the seed experiment'
	@echo '                 in QEMU; prints their tables and verdicts'
	@echo '  check          every test: static checks, model tests on the host,'
	@echo '                 selftests in QEMU, make install and dkms in scratch'
	@echo '                 directories; ends with "N passed, M failed"'
	@echo '  bench          unmap cost of mirrored vs. unmirrored memory, then our'
	@echo '                 device against test_hmm'"'"'s dmirror, in QEMU'
	@echo '  deps           install the missing Debian packages (apt-get, as root)'
	@echo '  all            modules, selftests and tools (the default)'
	@echo '  modules        mmu_mirror.ko, notifier_demo.ko, edu_mirror.ko,'
	@echo '                 kvm_mirror.ko (kbuild)'
	@echo '  selftests      the KTAP selftest binaries, into build/selftests'
	@echo '  tools          the demo and benchmark binaries, into build/tools'
	@echo '  hmm-tests      the kernel'"'"'s hmm-tests from linux-source-6.1'
	@echo '  static-checks  sparse C=2, kernel-doc, checkpatch --strict, coccinelle'
	@echo '  shell          boot the test kernel with everything loaded, get a shell'
	@echo '  debug-kernel   build the debug kernel (KASAN, lockdep, ...) from'
	@echo '                 linux-source-6.1, or find it in the cache'
	@echo '  check-debug    only the debug-kernel stage of check'
	@echo '  soak           SOAK_MINUTES (10) of every client under pressure in'
	@echo '                 QEMU, accounting back after unload; the model'
	@echo '                 stress to 10^7 operations under ASan and TSan'
	@echo '  install        modules into $$(INSTALL_MOD_PATH)/lib/modules/$$(KVER)/'
	@echo '                 $$(INSTALL_MOD_DIR), depmod, UAPI headers into'
	@echo '                 $$(DESTDIR)$$(PREFIX)/include/linux'
	@echo '  uninstall      remove what install put there, depmod'
	@echo '  clean          remove kbuild output and build/'
	@echo
	@echo 'Knobs (make VAR=value; current value in brackets):'
	@printf '  %-18s %s\n' \
	  KVER "kernel to build for and boot [$(KVER)]" \
	  '' "(default: the newest under /lib/modules, not the running one)" \
	  KDIR "its build tree [$(KDIR)]" \
	  V=1 "show build, boot and test output as it comes (default: a" \
	  '' "line per stage, the rest in logs under build/)" \
	  DESTDIR "staging root for install and uninstall [$(DESTDIR)]" \
	  INSTALL_MOD_PATH "root for the modules only [$(INSTALL_MOD_PATH)]" \
	  INSTALL_MOD_DIR "their directory under lib/modules/KVER [$(INSTALL_MOD_DIR)]" \
	  PREFIX "headers go to DESTDIR/PREFIX/include/linux [$(PREFIX)]" \
	  DEPMOD "run by install and uninstall; DEPMOD=: skips it [$(DEPMOD)]" \
	  DEMO_MIB "size of the notifier-demo experiment [$${DEMO_MIB:-64} MiB]" \
	  SEED_SMALL_MIB "small VM of the seed experiment [$${SEED_SMALL_MIB:-32} MiB]" \
	  SEED_LARGE_MIB "large VM of the seed experiment [$${SEED_LARGE_MIB:-128} MiB]" \
	  SEED_GUEST_MEM "its QEMU guest's RAM [$${SEED_GUEST_MEM:-768} MiB]" \
	  BENCH_ROUNDS "rounds per operation of make bench [$(BENCH_ROUNDS)]" \
	  CHECK_DEBUG_KERNEL=0 "make check without its debug-kernel stage" \
	  DEBUG_KERNEL_FUZZ_CALLS "fuzzer calls on the debug kernel [$${DEBUG_KERNEL_FUZZ_CALLS:-10000}]" \
	  SOAK_MINUTES "length of make soak's QEMU part [$${SOAK_MINUTES:-10}]" \
	  SOAK_SEED "its seed [$${SOAK_SEED:-random}]" \
	  SOAK_MODEL_OPS "operations of its model stress [$${SOAK_MODEL_OPS:-10000000}]" \
	  QEMU_RUN_OPTS "more scripts/qemu-run.sh options for demo, bench [$${QEMU_RUN_OPTS}]"
	@echo
	@echo 'DKMS (as root; see Documentation/admin-guide/mmu-mirror.rst):'
	@echo '  dkms add . && dkms build mmu-mirror/$(VERSION) -k $(KVER) &&'
	@echo '  dkms install mmu-mirror/$(VERSION) -k $(KVER)'

deps:
	@scripts/deps.sh

modules:
	@test -d "$(KDIR)" || { echo "error: no kernel build tree at '$(KDIR)'" \
		"(run 'make deps' or set KVER/KDIR)" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

selftests: $(SELFTEST_BINS) $(KVMM_SELFTEST_BINS) $(EDUM_SELFTEST_BINS) \
	   $(ODP_SELFTEST_BINS)

$(O_DIR)/selftests/%: tools/testing/selftests/notifier-demo/%.c $(SELFTEST_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -o $@ $<

$(O_DIR)/selftests/%: tools/testing/selftests/kvm-mirror/%.c $(KVMM_SELFTEST_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -o $@ $<

$(O_DIR)/selftests/%: tools/testing/selftests/edu-mirror/%.c $(EDUM_SELFTEST_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -o $@ $<

$(O_DIR)/selftests/%: tools/testing/selftests/odp-demo/%.c $(ODP_SELFTEST_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -o $@ $<

# The UAPI fuzzer: one selftest program, mirror_fuzz, from all the .c files
# of its directory (qemu-run.sh lists only the ones with a program of their
# name).  "make fuzz" runs it long in QEMU, then unloads the modules:
# FUZZ_CALLS (default 10^6) or FUZZ_SECONDS, FUZZ_SEED (default random).
FUZZ_DIR := tools/testing/selftests/fuzz
FUZZ_BIN := $(O_DIR)/selftests/mirror_fuzz
selftests: $(FUZZ_BIN)
$(FUZZ_BIN): $(wildcard $(FUZZ_DIR)/*.c $(FUZZ_DIR)/*.h) $(SELFTEST_HDRS) \
	     include/uapi/linux/kvm_mirror.h include/uapi/linux/odp_demo.h \
	     include/uapi/linux/mirror_sample.h include/uapi/linux/edu_mirror.h
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -o $@ $(wildcard $(FUZZ_DIR)/*.c)

.PHONY: fuzz
fuzz: deps
	@$(MAKE) --no-print-directory modules selftests
	@$(FUZZ_DIR)/fuzz-qemu.sh $(O_DIR)

tools: $(TOOL_BINS)

# The soak's guest program, a tool (make check does not run it).
SOAK_BIN := $(O_DIR)/tools/mirror_soak
tools: $(SOAK_BIN)
$(SOAK_BIN): tools/testing/soak/mirror_soak.c $(SELFTEST_HDRS) $(KVMM_SELFTEST_HDRS) \
	     $(ODP_SELFTEST_HDRS) \
	     include/uapi/linux/odp_demo.h include/uapi/linux/edu_mirror.h
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -o $@ $<

# make soak: SOAK_MINUTES (default 10) of every client under pressure in
# QEMU, then the model stress to SOAK_MODEL_OPS operations (ASan, TSan).
.PHONY: soak
soak: deps
	@scripts/soak.sh $(O_DIR)

$(O_DIR)/tools/%: tools/notifier-demo/%.c tools/notifier-demo/pageout_demo.h \
		  include/uapi/linux/notifier_demo.h \
		  include/uapi/linux/odp_demo.h
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -o $@ $<

$(O_DIR)/tools/%: tools/kvm-vmm/%.c tools/kvm-vmm/seed_common.h \
		  include/uapi/linux/kvm_mirror.h
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -o $@ $<

$(O_DIR)/tools/%: tools/edu-mirror/%.c include/uapi/linux/edu_mirror.h
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -o $@ $<

hmm-tests:
	@scripts/build-hmm-tests.sh $(O_DIR)/hmm-tests

static-checks: modules
	@scripts/static-checks.sh $(O_DIR)/static-checks

check: deps
	@$(STAGE) "build: modules, selftests, tools, hmm-tests" $(BUILD_LOG) \
		$(MAKE) --no-print-directory modules selftests tools hmm-tests
	@scripts/check.sh $(O_DIR)

debug-kernel: deps
	@scripts/debug-kernel.sh build

check-debug: deps
	@$(MAKE) --no-print-directory selftests tools hmm-tests
	@scripts/debug-kernel.sh check $(O_DIR) $(O_DIR)/check-debug

# Each experiment prints its table; the verdicts, one paragraph per table,
# come last.
demo: deps
	@$(STAGE) "build: modules, tools" $(BUILD_LOG) \
		$(MAKE) --no-print-directory modules tools
	@rm -f $(O_DIR)/demo-verdicts.txt; rc=0; \
	 export VERDICT_OUT=$(O_DIR)/demo-verdicts.txt; \
	 scripts/demo.sh $(O_DIR) || rc=1; echo; \
	 scripts/seed-demo.sh $(O_DIR) || rc=1; \
	 if [ -s $$VERDICT_OUT ]; then \
		printf '\n==== What the figures show ====\n\n'; \
		cat $$VERDICT_OUT; \
	 fi; exit $$rc

bench: deps
	@$(STAGE) "build: modules, tools" $(BUILD_LOG) \
		$(MAKE) --no-print-directory modules tools
	@scripts/bench.sh $(O_DIR) $(BENCH_ROUNDS)

# kbuild's modules_install cannot run depmod with Debian's headers (no
# System.map there), so depmod runs here; -b when installing elsewhere
# than /.
install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(INSTALL_MOD_PATH) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) $(SIGN_OFF) modules_install
	$(DEPMOD) -a $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KVER)
	install -d $(DESTDIR)$(PREFIX)/include/linux
	install -m 644 $(UAPI_HDRS) $(DESTDIR)$(PREFIX)/include/linux/

uninstall:
	@test -n "$(MODULE_PATHS)" || { echo "error: no modules listed in" \
		"dkms.conf" >&2; exit 1; }
	rm -f $(foreach m,$(MODULE_PATHS),$(foreach z,.ko .ko.xz .ko.gz .ko.zst,\
		$(MODLIB)/$(INSTALL_MOD_DIR)/$(m)$(z)))
	@for d in $(sort $(foreach m,$(MODULE_PATHS),$(dir $(m)))); do \
		d=$(MODLIB)/$(INSTALL_MOD_DIR)/$$d; \
		while [ "$$d" != $(MODLIB) ] && rmdir "$$d" 2>/dev/null; do \
			d=$$(dirname "$$d"); \
		done; \
	done
	test ! -d $(MODLIB) || $(DEPMOD) -a \
		$(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KVER)
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/include/linux/,\
		$(notdir $(UAPI_HDRS)))

shell: modules selftests tools
	@scripts/qemu-run.sh --shell

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	rm -rf $(O_DIR)

