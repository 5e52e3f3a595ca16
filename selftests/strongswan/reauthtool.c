// SPDX-License-Identifier: GPL-2.0
/*
 * reauthtool: drives consecutive IKE_SA reauthentications of one charon
 * connection through vici, for the strongSwan suite. It waits on charon's
 * ike-updown events instead of polling swanctl: under TCG a swanctl process
 * costs more than the IKE exchanges it would wait for.
 *
 * Each round sends "rekey" (reauth) for the current IKE_SA and waits until
 * a new IKE_SA of the connection is up with a PPK and the old one is down
 * (make_before_break: the new one comes first). It prints a summary line
 * with the time the rounds took: up (IKE_SA_INIT + IKE_AUTH with the
 * CHILD_SA) and down (the delete of the old IKE_SA).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libvici.h>

#define ROUND_TIMEOUT_S 30

struct tracker {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	const char *conn;
	unsigned int up_id;	/* newest IKE_SA of conn that came up */
	int up_ppk;		/* whether it has the PPK condition */
	unsigned int down_id;	/* newest IKE_SA of conn that went down */
	unsigned int events;
};

static const char usage_text[] =
"usage: reauthtool SOCKET CONN COUNT\n"
"\n"
"Take the established IKE_SA of connection CONN (or initiate IKE_SA CONN\n"
"with CHILD_SA CONN) through the vici socket, then reauthenticate it\n"
"COUNT times in a row. Fails if a round does not bring\n"
"up a new IKE_SA with a PPK and take the old one down within 30 s.\n";

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Runs on libvici's event thread. */
static void on_updown(void *user, char *name, vici_res_t *ev)
{
	struct tracker *t = user;
	unsigned int id;
	int up, ppk;

	(void)name;
	id = vici_find_int(ev, 0, "%s.uniqueid", t->conn);
	if (!id)
		return;	/* another connection's IKE_SA */
	up = !strcmp(vici_find_str(ev, "no", "up"), "yes");
	ppk = !strcmp(vici_find_str(ev, "no", "%s.ppk", t->conn), "yes");

	pthread_mutex_lock(&t->lock);
	if (up) {
		t->up_id = id;
		t->up_ppk = ppk;
	} else {
		t->down_id = id;
	}
	t->events++;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

/* Wait (lock held) until cond_fn holds or the round times out. */
static int wait_until(struct tracker *t, int (*cond_fn)(struct tracker *,
							unsigned int),
		      unsigned int arg)
{
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += ROUND_TIMEOUT_S;
	while (!cond_fn(t, arg))
		if (pthread_cond_timedwait(&t->cond, &t->lock, &deadline) ==
		    ETIMEDOUT)
			return cond_fn(t, arg) ? 0 : -1;
	return 0;
}

static int new_sa_up(struct tracker *t, unsigned int old)
{
	return t->up_id && t->up_id != old;
}

static int old_sa_down(struct tracker *t, unsigned int old)
{
	return t->down_id == old;
}

/* submit a command and check its "success" reply */
static int command(vici_conn_t *conn, vici_req_t *req, const char *what)
{
	vici_res_t *res;
	int ok;

	res = vici_submit(req, conn);
	if (!res) {
		fprintf(stderr, "reauthtool: %s: %s\n", what, strerror(errno));
		return -1;
	}
	ok = !strcmp(vici_find_str(res, "no", "success"), "yes");
	if (!ok)
		fprintf(stderr, "reauthtool: %s: %s\n", what,
			vici_find_str(res, "(no reason)", "errmsg"));
	vici_free_res(res);
	return ok ? 0 : -1;
}

static int initiate(vici_conn_t *conn, struct tracker *t)
{
	vici_req_t *req = vici_begin("initiate");

	vici_add_key_valuef(req, "ike", "%s", t->conn);
	vici_add_key_valuef(req, "child", "%s", t->conn);
	vici_add_key_valuef(req, "timeout", "%d", ROUND_TIMEOUT_S * 1000);
	return command(conn, req, "initiate");
}

/* Runs on libvici's event thread, before list-sas returns. */
static void on_list_sa(void *user, char *name, vici_res_t *ev)
{
	struct tracker *t = user;
	unsigned int id;

	(void)name;
	id = vici_find_int(ev, 0, "%s.uniqueid", t->conn);
	pthread_mutex_lock(&t->lock);
	if (id && !strcmp(vici_find_str(ev, "", "%s.state", t->conn),
			  "ESTABLISHED"))
		t->up_id = id;
	pthread_mutex_unlock(&t->lock);
}

/* The established IKE_SA of the connection, 0 if none. */
static unsigned int current_sa(vici_conn_t *conn, struct tracker *t)
{
	vici_req_t *req;
	vici_res_t *res;
	unsigned int id;

	if (vici_register(conn, "list-sa", on_list_sa, t))
		return 0;
	req = vici_begin("list-sas");
	vici_add_key_valuef(req, "ike", "%s", t->conn);
	vici_add_key_valuef(req, "noblock", "yes");
	res = vici_submit(req, conn);
	if (res)
		vici_free_res(res);
	vici_register(conn, "list-sa", NULL, NULL);
	pthread_mutex_lock(&t->lock);
	id = t->up_id;
	pthread_mutex_unlock(&t->lock);
	return id;
}

static int request_reauth(vici_conn_t *conn, unsigned int id)
{
	vici_req_t *req = vici_begin("rekey");

	vici_add_key_valuef(req, "ike-id", "%u", id);
	vici_add_key_valuef(req, "reauth", "yes");
	return command(conn, req, "rekey");
}

/*
 * One reauth of IKE_SA *id; on success *id is the new IKE_SA. Adds the
 * milliseconds until the new one was up and the old one down.
 */
static int reauth_round(vici_conn_t *conn, struct tracker *t,
			unsigned int *id, double *up_ms, double *down_ms)
{
	double start = now_ms();
	unsigned int old = *id;
	int ret = -1;

	if (request_reauth(conn, old))
		return -1;
	pthread_mutex_lock(&t->lock);
	if (wait_until(t, new_sa_up, old)) {
		fprintf(stderr, "reauthtool: no new IKE_SA after #%u\n", old);
		goto out;
	}
	*up_ms += now_ms() - start;
	if (!t->up_ppk) {
		fprintf(stderr, "reauthtool: IKE_SA #%u up without PPK\n",
			t->up_id);
		goto out;
	}
	*id = t->up_id;
	if (wait_until(t, old_sa_down, old)) {
		fprintf(stderr, "reauthtool: IKE_SA #%u not deleted\n", old);
		goto out;
	}
	*down_ms += now_ms() - start;
	ret = 0;
out:
	pthread_mutex_unlock(&t->lock);
	return ret;
}

static int run(vici_conn_t *conn, struct tracker *t, long count)
{
	double up_ms = 0, down_ms = 0, start;
	unsigned int id;
	long i;

	id = current_sa(conn, t);
	if (!id) {
		if (initiate(conn, t))
			return 1;
		pthread_mutex_lock(&t->lock);
		id = t->up_id;
		pthread_mutex_unlock(&t->lock);
	}
	if (!id) {
		fprintf(stderr, "reauthtool: no ike-updown event for %s\n",
			t->conn);
		return 1;
	}
	start = now_ms();
	for (i = 0; i < count; i++)
		if (reauth_round(conn, t, &id, &up_ms, &down_ms)) {
			fprintf(stderr, "reauthtool: round %ld of %ld failed\n",
				i + 1, count);
			return 1;
		}
	if (count)
		printf("%ld reauths in %.1f s: %.0f ms each, new IKE_SA up after %.0f ms, old one down after %.0f ms\n",
		       count, (now_ms() - start) / 1e3,
		       (now_ms() - start) / count, up_ms / count,
		       down_ms / count);
	return 0;
}

int main(int argc, char **argv)
{
	struct tracker t = {
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.cond = PTHREAD_COND_INITIALIZER,
	};
	vici_conn_t *conn;
	char *end;
	long count;
	int ret;

	if (argc != 4) {
		fputs(usage_text, stderr);
		return 2;
	}
	count = strtol(argv[3], &end, 10);
	if (*end || count < 0) {
		fputs(usage_text, stderr);
		return 2;
	}
	t.conn = argv[2];

	vici_init();
	conn = vici_connect(argv[1]);
	if (!conn) {
		fprintf(stderr, "reauthtool: connecting to %s: %s\n", argv[1],
			strerror(errno));
		vici_deinit();
		return 1;
	}
	if (vici_register(conn, "ike-updown", on_updown, &t)) {
		fprintf(stderr, "reauthtool: ike-updown: %s\n", strerror(errno));
		ret = 1;
		goto out;
	}
	ret = run(conn, &t, count);
	vici_register(conn, "ike-updown", NULL, NULL);
out:
	vici_disconnect(conn);
	vici_deinit();
	return ret;
}
