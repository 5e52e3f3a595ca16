# SPDX-License-Identifier: GPL-2.0
#
# qkdpool: top-level build. `make` builds every component present; the
# README's two commands are `make demo` and `make check`.

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
check:
	selftests/run.sh $(SUITES)

demo:
	demo/run.sh

bench:
	selftests/bench.sh $(BENCHES)

clean:
	for d in $(COMPONENTS); do $(MAKE) -C $$d clean; done
	rm -rf build/results build/vm/logs

distclean: clean
	rm -rf build

.PHONY: all deps deps-build check demo bench clean distclean $(COMPONENTS)
