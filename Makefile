# SPDX-License-Identifier: GPL-2.0
#
# mmu-mirror: top-level build.
#
#   make deps      install the Debian packages that are missing
#   make modules   build mmu_mirror.ko and the client modules (kbuild)
#   make check     every test: static checks, the userspace model tests
#                  (ASan+UBSan, TSan), then the selftests in QEMU
#   make demo      the pinned-versus-notifier experiment and the seed
#                  experiment (stopped guests under memory pressure) in QEMU
#   make bench     unmap cost of mirrored vs. unmirrored memory (ratios)
#   make shell     boot the test kernel with everything loaded, get a shell
#   make debug-kernel  build the debug kernel (KASAN, lockdep, ...) from
#                  linux-source-6.1, or find it in the cache
#   make check-debug   only the debug-kernel stage of "make check": the
#                  selftests on the debug kernel
#
# KVER selects the Debian kernel to build against and boot (default: the
# newest one installed under /lib/modules); KDIR overrides the build tree.

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

TOOL_SRCS := $(wildcard tools/notifier-demo/*.c tools/kvm-vmm/*.c)
TOOL_BINS := $(addprefix $(O_DIR)/tools/,$(basename $(notdir $(TOOL_SRCS))))

.PHONY: all deps modules selftests tools hmm-tests check demo bench shell clean \
	static-checks debug-kernel check-debug

all: modules selftests tools

deps:
	@scripts/deps.sh

modules:
	@test -d "$(KDIR)" || { echo "error: no kernel build tree at '$(KDIR)'" \
		"(run 'make deps' or set KVER/KDIR)" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

selftests: $(SELFTEST_BINS) $(KVMM_SELFTEST_BINS)

$(O_DIR)/selftests/%: tools/testing/selftests/notifier-demo/%.c $(SELFTEST_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -o $@ $<

$(O_DIR)/selftests/%: tools/testing/selftests/kvm-mirror/%.c $(KVMM_SELFTEST_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -o $@ $<

tools: $(TOOL_BINS)

$(O_DIR)/tools/%: tools/notifier-demo/%.c include/uapi/linux/notifier_demo.h
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -o $@ $<

$(O_DIR)/tools/%: tools/kvm-vmm/%.c tools/kvm-vmm/seed_common.h \
		  include/uapi/linux/kvm_mirror.h
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -o $@ $<

hmm-tests:
	@scripts/build-hmm-tests.sh $(O_DIR)/hmm-tests

static-checks: modules
	@scripts/static-checks.sh $(O_DIR)/static-checks

check: deps
	@$(MAKE) --no-print-directory modules selftests tools hmm-tests
	@scripts/check.sh $(O_DIR)

debug-kernel: deps
	@scripts/debug-kernel.sh build

check-debug: deps
	@$(MAKE) --no-print-directory selftests tools hmm-tests
	@scripts/debug-kernel.sh check $(O_DIR) $(O_DIR)/check-debug

demo: deps
	@$(MAKE) --no-print-directory modules tools
	@rc=0; scripts/demo.sh $(O_DIR) || rc=1; \
	 scripts/seed-demo.sh $(O_DIR) || rc=1; exit $$rc

bench: deps
	@$(MAKE) --no-print-directory modules tools
	@scripts/bench.sh $(O_DIR)

shell: modules selftests tools
	@scripts/qemu-run.sh --shell

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	rm -rf $(O_DIR)

