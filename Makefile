# SPDX-License-Identifier: GPL-2.0
#
# qkdpool: top-level build. `make` builds every component present; the
# README's two commands are `make demo` and `make check`.
#
#   make install [DESTDIR=...] [PREFIX=/usr/local]   module, programs, plugin
#   make uninstall [DESTDIR=...] [PREFIX=/usr/local]
#   make deb        Debian packages into build/deb/ (scripts/mkdeb.sh)

# Components build in this order; a directory without a Makefile is skipped.
COMPONENTS := $(patsubst %/Makefile,%,$(wildcard kmod/Makefile \
	userspace/Makefile strongswan-plugin/Makefile selftests/Makefile))

all: $(COMPONENTS)

$(COMPONENTS): deps-build
	$(MAKE) -C $@

selftests strongswan-plugin: $(filter kmod userspace,$(COMPONENTS))

deps-build:
	@scripts/deps.sh build strongswan

deps:
	scripts/deps.sh all

# Host unit tests, every VM suite and the linters; ends "N passed, N failed".
# KERNEL=debug: the VM suites boot the debug kernel (check-debug below).
check:
	$(if $(filter debug,$(KERNEL)),QKD_KERNEL=debug )selftests/run.sh $(SUITES)

# The kernel's suites under a kernel with KASAN, UBSAN, KFENCE, kmemleak,
# lockdep and qkdpool built in (scripts/build-debug-kernel.sh: built once
# per machine, cached in /var/cache/qkdpool); any report fails the suite.
DEBUG_SUITES ?= pool qkdctl kmd strongswan macsec
check-debug:
	QKD_KERNEL=debug selftests/run.sh $(or $(SUITES),$(DEBUG_SUITES))

debug-kernel:
	scripts/build-debug-kernel.sh

# The kernel API's fuzzer (selftests/pool/fuzz.sh: pool_fuzz, then fault
# injection and trinity for a quarter and a half of the time each) for
# FUZZ_KERNEL_TIME seconds under the debug kernel: the long run of which
# the pool-fuzz suite of make check is the bounded one. pool_fuzz made
# 250 to 1000 operations a second there (TCG, 2 cores, as loaded): 10^6 of
# them take FUZZ_KERNEL_TIME=1000 to 4000 (the whole run about twice that).
FUZZ_KERNEL_TIME ?= 1800
fuzz-kernel: all
	@mkdir -p build/results
	QKD_KERNEL=debug selftests/qemu/vm-run.sh \
		-t $$(($(FUZZ_KERNEL_TIME) * 3 + 1800)) -l build/results/fuzz-kernel.vm.log \
		selftests/pool/fuzz.sh $(FUZZ_KERNEL_TIME)

demo:
	demo/run.sh

# libFuzzer targets of every parser (selftests/fuzz); `make fuzz-run
# FUZZ_TIME=S` fuzzes each for S seconds into build/fuzz/corpus/.
fuzz: deps-build
	scripts/deps.sh fuzz
	$(MAKE) -C selftests/fuzz

fuzz-run: fuzz
	$(MAKE) -C selftests/fuzz run $(if $(FUZZ_TIME),FUZZ_TIME=$(FUZZ_TIME))

bench:
	selftests/bench.sh $(BENCHES)

PREFIX ?= /usr/local
export PREFIX

# The module goes to /lib/modules/KVER/updates/ of the kernel kmod/ builds
# for; programs under PREFIX; plugin, units, udev and sysusers files where
# strongSwan, systemd and udev look (dist/Makefile). Debian signs its
# modules with a key it does not ship: ours stays unsigned, as DKMS's do.
install: all
	$(MAKE) -C kmod modules_install INSTALL_MOD_PATH=$(DESTDIR) \
		CONFIG_MODULE_SIG_ALL=
	$(if $(DESTDIR),,$(depmod_ours))
	$(MAKE) -C userspace install
	$(MAKE) -C strongswan-plugin install
	$(MAKE) -C dist install

uninstall:
	$(MAKE) -C dist uninstall
	$(MAKE) -C strongswan-plugin uninstall
	$(MAKE) -C userspace uninstall
	for ko in $(DESTDIR)/lib/modules/*/updates/qkdpool.ko; do \
		[ -e "$$ko" ] || continue; rm -f "$$ko"; \
		$(if $(DESTDIR),:,$(kver_depmod)); done

# Kbuild skips depmod without System.map, which Debian's headers lack.
kver_depmod = kver=$${ko\#/lib/modules/}; depmod "$${kver%%/*}"
depmod_ours = for ko in /lib/modules/*/updates/qkdpool.ko; do \
		[ -e "$$ko" ] || continue; $(kver_depmod); done

deb:
	scripts/deps.sh deb
	scripts/mkdeb.sh

clean:
	for d in $(COMPONENTS); do $(MAKE) -C $$d clean; done
	rm -rf build/results build/vm/logs

distclean: clean
	rm -rf build

.PHONY: all deps deps-build check check-debug debug-kernel fuzz-kernel demo bench fuzz fuzz-run install uninstall deb clean \
	distclean $(COMPONENTS)
