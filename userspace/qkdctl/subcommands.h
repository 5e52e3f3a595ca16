/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The command groups of qkdctl. To add one: write <group>.c with
 * <group>_main(), declare it here and add a line to the table in qkdctl.c.
 */
#ifndef QKDCTL_SUBCOMMANDS_H
#define QKDCTL_SUBCOMMANDS_H

/* argv[0] is the group's name; returns the exit status. */
int pool_main(int argc, char *argv[]);
int macsec_main(int argc, char *argv[]);
int km_main(int argc, char *argv[]);

#endif /* QKDCTL_SUBCOMMANDS_H */
