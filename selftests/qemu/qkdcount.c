// SPDX-License-Identifier: GPL-2.0
/*
 * qkdcount: a QEMU TCG plugin that counts the guest instructions the whole
 * VM executes (every vCPU, kernel and user), and writes the count at each
 * marker a guest program executes (qkd-mark.c, qkd-mark.h):
 *
 *   -plugin selftests/qemu/qkdcount.so,out=FILE   (qkdcount.sh prints it)
 *
 * appends "LABEL INSTRUCTIONS HOST_NS" to FILE at each mark (HOST_NS: the
 * host's CLOCK_MONOTONIC), and "0 INSTRUCTIONS HOST_NS" when QEMU exits.
 * Instruction counts are what a run costs whatever the host's load; the
 * host time only gives the VM's speed.
 *
 * Counted per translated block when it starts, per vCPU (the 7.2 API has
 * no per-vCPU inline counter, and one shared inline add would lose counts
 * between vCPU threads): a block left early by an interrupt or fault
 * counts whole, a small and steady error.
 *
 * QEMU 7.2 (Debian 12) installs no qemu-plugin.h: the few documented API
 * functions used here are declared below (docs/devel/tcg-plugins.rst of
 * QEMU, API version 1).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "qkd-mark.h"

/* --- the QEMU plugin API, as documented (version 1) --- */
typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;	/* not read here */
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags {
	QEMU_PLUGIN_CB_NO_REGS,
	QEMU_PLUGIN_CB_R_REGS,
	QEMU_PLUGIN_CB_RW_REGS,
};
typedef void (*qemu_plugin_tb_trans_cb_t)(qemu_plugin_id_t id,
					  struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index,
					    void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
					   qemu_plugin_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb,
					  qemu_plugin_vcpu_udata_cb_t cb,
					  enum qemu_plugin_cb_flags flags,
					  void *userdata);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
					    qemu_plugin_vcpu_udata_cb_t cb,
					    enum qemu_plugin_cb_flags flags,
					    void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id,
				    qemu_plugin_udata_cb_t cb, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb,
						 size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;
/* --- end of the API --- */

#define MAX_VCPUS	64

/* One counter per vCPU, each on its own cache line: no sharing, no lock. */
static struct {
	uint64_t n;
	char pad[56];
} count[MAX_VCPUS];

static FILE *out;
static pthread_mutex_t mark_lock = PTHREAD_MUTEX_INITIALIZER;
static bool marking;
static unsigned int ticks;

static uint64_t total(void)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < MAX_VCPUS; i++)
		n += __atomic_load_n(&count[i].n, __ATOMIC_RELAXED);
	return n;
}

static uint64_t host_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + t.tv_nsec;
}

static void emit(unsigned int label)
{
	fprintf(out, "%u %llu %llu\n", label, (unsigned long long)total(),
		(unsigned long long)host_ns());
	fflush(out);	/* the guest reads the file while the VM runs */
}

static void tb_exec(unsigned int vcpu, void *insns)
{
	if (vcpu < MAX_VCPUS)
		count[vcpu].n += (uintptr_t)insns;
}

/*
 * Markers come from one guest program at a time (qkd-mark), which may move
 * between vCPUs mid-mark: one state for the VM, under a lock.
 */
static void marker(unsigned int vcpu, void *kind)
{
	(void)vcpu;
	pthread_mutex_lock(&mark_lock);
	switch ((uintptr_t)kind) {
	case QKD_MARK_START:
		marking = true;
		ticks = 0;
		break;
	case QKD_MARK_TICK:
		if (marking)
			ticks++;
		break;
	case QKD_MARK_END:
		if (marking && ticks >= 1 && ticks <= QKD_MARK_MAX)
			emit(ticks);
		marking = false;
		break;
	}
	pthread_mutex_unlock(&mark_lock);
}

/* The marker's kind, or 0: "nopl disp32(%rax)" with a magic displacement. */
static uint32_t marker_kind(const struct qemu_plugin_insn *insn)
{
	const uint8_t *b = qemu_plugin_insn_data(insn);
	uint32_t disp;

	if (qemu_plugin_insn_size(insn) != 7 ||
	    b[0] != 0x0f || b[1] != 0x1f || b[2] != 0x80)
		return 0;
	memcpy(&disp, b + 3, 4);	/* little-endian, as the guest's */
	if (disp == QKD_MARK_START || disp == QKD_MARK_TICK ||
	    disp == QKD_MARK_END)
		return disp;
	return 0;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb);
	uint32_t kind;

	(void)id;
	qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_exec,
					     QEMU_PLUGIN_CB_NO_REGS,
					     (void *)(uintptr_t)n);
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

		kind = marker_kind(insn);
		if (kind)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, marker,
				QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)kind);
	}
}

static void at_exit(qemu_plugin_id_t id, void *userdata)
{
	(void)id;
	(void)userdata;
	pthread_mutex_lock(&mark_lock);
	emit(0);
	fclose(out);
	out = NULL;
	pthread_mutex_unlock(&mark_lock);
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
			int argc, char **argv)
{
	const char *path = NULL;
	int i;

	(void)info;
	for (i = 0; i < argc; i++)
		if (!strncmp(argv[i], "out=", 4))
			path = argv[i] + 4;
	if (!path) {
		fprintf(stderr, "qkdcount: no out=FILE argument\n");
		return -1;
	}
	out = fopen(path, "a");
	if (!out) {
		perror(path);
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
