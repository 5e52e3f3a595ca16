/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fixture of the netlink tests (netlink_test.c, harden_test.c): a
 * netlink handle (libqkd) and a fresh stream named after the test process,
 * deleted after the test. Include after kselftest_harness.h and qkdnl.h.
 */
#ifndef _NL_FIXTURE_H
#define _NL_FIXTURE_H

FIXTURE(nl) {
	struct qkd_genl *g;
	char name[QKD_STREAM_NAME_MAX];
	uint32_t tag;
};

FIXTURE_SETUP(nl)
{
	if (access("/dev/qkdpool", F_OK))
		SKIP(return, "qkdpool module not loaded");
	ASSERT_EQ(0, qkd_genl_open(&self->g));
	self->tag = getpid();
	snprintf(self->name, sizeof(self->name), "nl-%u", self->tag);
	ASSERT_EQ(0, qnl_stream_new(self->g, self->name, 0, 0, 0));
}

FIXTURE_TEARDOWN(nl)
{
	qnl_teardown(self->g, self->name, -1);
}

#endif /* _NL_FIXTURE_H */
