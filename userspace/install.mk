# SPDX-License-Identifier: GPL-2.0
#
# Where `make install` puts things, shared by every program here. PREFIX
# and DESTDIR as usual; units go to systemd's directory for PREFIX
# (/usr/local/lib/systemd/system is on systemd's search path too), and
# their ExecStart paths are rewritten to SBINDIR.

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system

# install_unit FILE: the unit with /usr/sbin/ replaced by SBINDIR.
define install_unit
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/sbin/|$(SBINDIR)/|g' $(1) >$(DESTDIR)$(UNITDIR)/$(notdir $(1))
	chmod 0644 $(DESTDIR)$(UNITDIR)/$(notdir $(1))
endef
