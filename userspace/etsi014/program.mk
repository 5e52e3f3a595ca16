# SPDX-License-Identifier: GPL-2.0
#
# The build of a program that links libetsi014.a (qkd-kmd, qkd-simkme).
# Its Makefile sets PROG and OBJS, may add to LDLIBS, and includes this.

CFLAGS ?= -std=gnu99 -Wall -Wextra -O2 -g
CPPFLAGS ?= -I../../include -I../lib
CPPFLAGS += -I../etsi014
LIBQKD ?= ../lib/libqkd.a
LIBETSI := ../etsi014/libetsi014.a
ETSI014_LIBS := -levent_openssl -levent -ljansson -lcurl -lssl -lcrypto

all: $(PROG)

$(PROG): $(OBJS) $(LIBETSI) $(LIBQKD)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(LIBETSI) $(LIBQKD) \
		$(ETSI014_LIBS) $(LDLIBS)

# userspace/Makefile builds etsi014 first; this covers a standalone
# `make -C userspace/<program>`.
$(LIBETSI): FORCE
	$(MAKE) -C ../etsi014

%.o: %.c $(wildcard *.h) $(wildcard ../etsi014/*.h)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

clean:
	rm -f $(PROG) $(OBJS)

.PHONY: all clean install uninstall FORCE
