/*
 * Copyright (C) 2026 qkdpool authors
 *
 * This program is free software; you can redistribute it and/or modify it
 * under the terms of the GNU General Public License as published by the
 * Free Software Foundation; either version 2 of the License, or (at your
 * option) any later version.  See <http://www.fsf.org/copyleft/gpl.txt>.
 */

/**
 * Stand-in for the config.h of Debian's strongSwan 5.9.8 build.
 *
 * The plugin compiles against headers of the source package, but links
 * against Debian's binaries, so every define that changes a struct or enum
 * layout must match Debian's configure. The critical one is ME: Debian
 * builds with --enable-mediation, which adds members to daemon_t, ike_sa_t,
 * peer_cfg_t and entries to the task and payload enums; without it the
 * plugin would corrupt memory silently. The rest are what configure detects
 * on bookworm (glibc 2.36, gcc 12, x86_64).
 */

#ifndef QKD_DEBIAN_CONFIG_H_
#define QKD_DEBIAN_CONFIG_H_

/* library.h refuses to compile without it */
#define CONFIG_H_INCLUDED 1

/* --enable-mediation (Debian default): changes struct layouts */
#define ME 1
#define USE_IKEV1 1
#define USE_IKEV2 1

/* the release, as configure's VERSION */
#define VERSION "5.9.8"

#define HAVE_INT128 1
#define HAVE_CLOCK_GETTIME 1
#define HAVE_CONDATTR_CLOCK_MONOTONIC 1
#define HAVE_PTHREAD_CONDATTR_SETCLOCK 1
#define HAVE_EXPLICIT_BZERO 1
#define HAVE_STDBOOL_H 1
#define HAVE__BOOL 1
#define HAVE_ALLOCA_H 1
#define HAVE_SYS_PARAM_H 1
#define HAVE_SIGWAITINFO 1
#define HAVE_CLOSEFROM 1
#define HAVE_FMEMOPEN 1
#define HAVE_MEMRCHR 1
#define HAVE_QSORT_R 1
#define HAVE_DLADDR 1
#define HAVE_BACKTRACE 1

/* Debian's install paths, as --prefix=/usr --sysconfdir=/etc */
#define IPSEC_DIR "/usr/lib/ipsec"
#define IPSEC_PLUGINDIR "/usr/lib/ipsec/plugins"
#define IPSEC_CONFDIR "/etc"
#define IPSEC_PIDDIR "/var/run"

/* USE_BUILTIN_PRINTF and USE_VSTR stay undefined, as in Debian's build */

#endif /** QKD_DEBIAN_CONFIG_H_ */
