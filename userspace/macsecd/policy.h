/* SPDX-License-Identifier: GPL-2.0 */
/*
 * When to rekey, and what to do when no key comes (policy.c): reads the
 * interface's state and the kernel's, decides; the rekey protocol acts.
 */
#ifndef MACSECD_POLICY_H
#define MACSECD_POLICY_H

#include "iface.h"

/* A rekey is due now; sets ifc->demand if for a reason beyond the clock. */
bool policy_due(struct iface *ifc, uint64_t now);
/* PN exhaustion or maximum SA lifetime with no new key: block or keep. */
void policy_exhaustion(struct iface *ifc, uint64_t now);
/* Frames failing validation: say so, and ask for a rekey. */
void policy_watch_validation(struct iface *ifc);

#endif /* MACSECD_POLICY_H */
