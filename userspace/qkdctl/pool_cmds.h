/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The commands of "qkdctl pool". Each gets the arguments after its own
 * keywords (argv[0] is the first of them; argc may be 0) and returns the
 * exit status.
 */
#ifndef QKDCTL_POOL_CMDS_H
#define QKDCTL_POOL_CMDS_H

int pool_show(int argc, char *argv[]);
int pool_stream(int argc, char *argv[]);
int pool_key_add(int argc, char *argv[]);
int pool_key(int argc, char *argv[]);
int pool_watch(int argc, char *argv[]);

#endif /* QKDCTL_POOL_CMDS_H */
