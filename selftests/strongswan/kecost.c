// SPDX-License-Identifier: GPL-2.0
/*
 * kecost: one end of COUNT key exchanges of a method, through strongSwan's
 * own key_exchange_t objects, for kecost.sh to count the instructions of
 * under callgrind. Each exchange is what a CHILD_SA rekey with PFS asks of
 * the method: create, public value out, the peer's in, shared secret, then
 * the bus's child_keys hook (where the qkd method commits its key) and
 * destroy. The two ends are two processes, each with its own strongswan.conf
 * (the qkd method's key source and stream are per end), joined by two
 * FIFOs; what differs between methods is the method alone.
 *
 * Links libcharon and libstrongswan of the strongSwan it is built against
 * and loads the plugins of charon.load, the qkd plugin from the directory
 * given: libcharon is initialised without charon->initialize(), which
 * would want a kernel interface and sockets, so no IKE traffic and no
 * kernel state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <library.h>
#include <daemon.h>
#include <collections/array.h>

static const char usage_text[] =
"usage: kecost i|r METHOD COUNT IN OUT PLUGINDIR\n"
"\n"
"Run COUNT key exchanges of METHOD (x25519, ecp256 or qkd) as the\n"
"initiator (i) or the responder (r), reading the peer's public values from\n"
"the FIFO IN and writing ours to the FIFO OUT. Plugins come from charon.load of\n"
"$STRONGSWAN_CONF, searched in PLUGINDIR first. Prints the number of\n"
"exchanges done; exits 1 at the first that fails.\n";

struct end {
	bool initiator;
	key_exchange_method_t method;
	FILE *in, *out;
	ike_sa_t *ike_sa;
	child_sa_t *child_sa;
};

/* a public value on the FIFO: 16-bit length, then the value */
static bool send_value(struct end *e, chunk_t value)
{
	uint16_t len = value.len;

	return value.len <= UINT16_MAX &&
	       fwrite(&len, sizeof(len), 1, e->out) == 1 &&
	       fwrite(value.ptr, 1, value.len, e->out) == value.len &&
	       fflush(e->out) == 0;
}

static bool recv_value(struct end *e, chunk_t *value)
{
	uint16_t len;

	if (fread(&len, sizeof(len), 1, e->in) != 1)
		return false;
	*value = chunk_alloc(len);
	if (fread(value->ptr, 1, len, e->in) != len) {
		chunk_free(value);
		return false;
	}
	return true;
}

/*
 * One exchange. Not static and never inlined: kecost.sh reads its
 * inclusive cost beside the process totals.
 */
__attribute__((noinline)) bool exchange(struct end *e)
{
	chunk_t mine = chunk_empty, theirs = chunk_empty, secret = chunk_empty;
	key_exchange_t *ke;
	array_t *kes;
	bool ok;

	ke = lib->crypto->create_ke(lib->crypto, e->method);
	if (!ke)
		return false;
	if (e->initiator)
		ok = ke->get_public_key(ke, &mine) && send_value(e, mine) &&
		     recv_value(e, &theirs) && ke->set_public_key(ke, theirs);
	else
		ok = recv_value(e, &theirs) && ke->set_public_key(ke, theirs) &&
		     ke->get_public_key(ke, &mine) && send_value(e, mine);
	ok = ok && ke->get_shared_secret(ke, &secret);
	if (ok) {
		/* as child_create.c does once the CHILD_SA is installed */
		kes = array_create(0, 1);
		array_insert(kes, ARRAY_TAIL, ke);
		charon->bus->child_keys(charon->bus, e->child_sa, e->initiator,
					kes, chunk_empty, chunk_empty);
		array_destroy(kes);
	}
	ke->destroy(ke);
	chunk_clear(&secret);
	chunk_free(&mine);
	chunk_free(&theirs);
	return ok;
}

/*
 * The IKE_SA the exchanges run on, as charon's bus has it while it works
 * on one: the qkd method finds its stream through it (by the connection's
 * name, its remote identity or the plugin's default stream).
 */
static bool sa_setup(struct end *e)
{
	ike_cfg_create_t ike = {
		.version = IKEV2,
		.local = "127.0.0.1",
		.remote = "127.0.0.1",
	};
	peer_cfg_create_t peer = {};
	child_cfg_create_t child = {};
	child_sa_create_t sa = {};
	ike_sa_id_t *id;
	peer_cfg_t *peer_cfg;
	child_cfg_t *child_cfg;
	host_t *host;

	peer_cfg = peer_cfg_create("kecost", ike_cfg_create(&ike), &peer);
	child_cfg = child_cfg_create("kecost", &child);
	id = ike_sa_id_create(IKEV2, 1, 2, e->initiator);
	e->ike_sa = ike_sa_create(id, e->initiator, IKEV2);
	id->destroy(id);
	host = host_create_from_string("127.0.0.1", 0);
	e->child_sa = e->ike_sa ?
		child_sa_create(host, host, child_cfg, &sa) : NULL;
	host->destroy(host);
	if (e->ike_sa)
		e->ike_sa->set_peer_cfg(e->ike_sa, peer_cfg);
	peer_cfg->destroy(peer_cfg);
	child_cfg->destroy(child_cfg);
	if (!e->child_sa)
		return false;
	charon->bus->set_sa(charon->bus, e->ike_sa);
	return true;
}

static void sa_teardown(struct end *e)
{
	charon->bus->set_sa(charon->bus, NULL);
	if (e->child_sa)
		e->child_sa->destroy(e->child_sa);
	if (e->ike_sa)
		e->ike_sa->destroy(e->ike_sa);
}

int main(int argc, char **argv)
{
	struct end e = {};
	char *load;
	int count, done = 0, rc = 1;

	if (argc != 7 || (strcmp(argv[1], "i") && strcmp(argv[1], "r")) ||
	    (count = atoi(argv[3])) <= 0) {
		fputs(usage_text, stderr);
		return 2;
	}
	e.initiator = !strcmp(argv[1], "i");
	if (!strcmp(argv[2], "x25519")) {
		e.method = CURVE_25519;
	} else if (!strcmp(argv[2], "ecp256")) {
		e.method = ECP_256_BIT;
	} else if (!strcmp(argv[2], "qkd")) {
		/* the plugin's private-use transform ID (qkd_ke.h) */
		e.method = 0x514B;
	} else {
		fprintf(stderr, "kecost: unknown method '%s'\n", argv[2]);
		return 2;
	}

	if (!library_init(NULL, "charon")) {
		library_deinit();
		return 1;
	}
	if (!libcharon_init()) {
		fputs("kecost: libcharon_init failed\n", stderr);
		goto out_libcharon;
	}
	/* charon's filelog settings: the qkd method logs each key it uses,
	 * as it does in charon */
	charon->load_loggers(charon);
	lib->plugins->add_path(lib->plugins, argv[6]);
	load = lib->settings->get_str(lib->settings, "charon.load", NULL);
	if (!load || !lib->plugins->load(lib->plugins, load)) {
		fputs("kecost: loading the plugins of charon.load failed\n",
		      stderr);
		goto out_libcharon;
	}
	if (!sa_setup(&e)) {
		fputs("kecost: creating the IKE_SA failed\n", stderr);
		goto out_sa;
	}
	/* the responder opens its reading end first, the initiator its
	 * writing end: neither open blocks the other */
	if (e.initiator) {
		e.out = fopen(argv[5], "w");
		e.in = e.out ? fopen(argv[4], "r") : NULL;
	} else {
		e.in = fopen(argv[4], "r");
		e.out = e.in ? fopen(argv[5], "w") : NULL;
	}
	if (!e.in || !e.out) {
		fprintf(stderr, "kecost: opening the FIFOs failed: %s\n",
			strerror(errno));
		goto out_fifo;
	}
	while (done < count && exchange(&e))
		done++;
	printf("%d\n", done);
	if (done == count)
		rc = 0;
	else
		fprintf(stderr, "kecost: exchange %d of %s failed\n", done + 1,
			argv[2]);
out_fifo:
	if (e.in)
		fclose(e.in);
	if (e.out)
		fclose(e.out);
out_sa:
	sa_teardown(&e);
out_libcharon:
	libcharon_deinit();
	library_deinit();
	return rc;
}
