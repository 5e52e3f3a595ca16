// SPDX-License-Identifier: GPL-2.0
/*
 * Configuration file parsing, line by line into a context struct (as
 * wireguard-tools config.c does): see config.h and qkd-kmd.conf(5).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "addr.h"
#include "config.h"
#include "log.h"

struct ctx {
	struct kmd_config *cfg;
	struct kmd_peer_cfg *peer;	/* current [peer] section */
	enum { S_NONE, S_NODE, S_AK, S_SKIP, S_PEER, S_RELAY, S_FAR } section;
	const char *name;
	int line;
};

/* Print "FILE:LINE: reason"; returns -EINVAL. */
static int fail(const struct ctx *c, const char *fmt, const char *arg)
{
	fprintf(stderr, "%s:%d: ", c->name, c->line);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return -EINVAL;
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
			   end[-1] == '\r' || end[-1] == '\n'))
		*--end = '\0';
	return s;
}

static int set_str(const struct ctx *c, char *dst, size_t size,
		   const char *v)
{
	if (!*v || strlen(v) >= size)
		return fail(c, "value must be 1..%s characters",
			    size > 200 ? "255" : "63");
	strcpy(dst, v);
	return 0;
}

static int set_u32(const struct ctx *c, uint32_t *dst, const char *v,
		   uint32_t min, uint32_t max)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || *v < '0' || *v > '9' || n < min || n > max)
		return fail(c, "'%s' is not a number in the allowed range", v);
	*dst = n;
	return 0;
}

static int set_endpoint(const struct ctx *c, char *dst, size_t size,
			const char *v)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (qkd_sockaddr(v, &ss, &len))
		return fail(c, "'%s' is not ADDR:PORT (numeric)", v);
	return set_str(c, dst, size, v);
}

/* Prometheus metrics: a TCP endpoint or a UNIX socket's absolute path. */
static int set_metrics(const struct ctx *c, char *dst, size_t size,
		       const char *v)
{
	if (v[0] == '/') {
		if (strlen(v) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			return fail(c, "metrics socket path '%s' too long", v);
		return set_str(c, dst, size, v);
	}
	return set_endpoint(c, dst, size, v);
}

static int node_key(struct ctx *c, const char *k, const char *v)
{
	struct kmd_config *cfg = c->cfg;

	if (!strcmp(k, "id"))
		return set_str(c, cfg->node_id, sizeof(cfg->node_id), v);
	if (!strcmp(k, "kx_listen"))
		return set_endpoint(c, cfg->kx_listen, sizeof(cfg->kx_listen),
				    v);
	if (!strcmp(k, "cert"))
		return set_str(c, cfg->cert, sizeof(cfg->cert), v);
	if (!strcmp(k, "key"))
		return set_str(c, cfg->key, sizeof(cfg->key), v);
	if (!strcmp(k, "ca"))
		return set_str(c, cfg->ca, sizeof(cfg->ca), v);
	if (!strcmp(k, "status_file"))
		return set_str(c, cfg->status_file, sizeof(cfg->status_file),
			       v);
	if (!strcmp(k, "metrics"))
		return set_metrics(c, cfg->metrics, sizeof(cfg->metrics), v);
	if (!strcmp(k, "log_level")) {
		cfg->log_level = qkd_log_level_parse(v);
		return cfg->log_level < 0 ?
			fail(c, "unknown log level '%s'", v) : 0;
	}
	return fail(c, "unknown key '%s' in [node]", k);
}

static int peer_role(struct ctx *c, const char *v)
{
	if (strcmp(v, "master") && strcmp(v, "slave"))
		return fail(c, "role must be master or slave, not '%s'", v);
	c->peer->master = !strcmp(v, "master");
	return 0;
}

static int peer_key(struct ctx *c, const char *k, const char *v)
{
	struct kmd_peer_cfg *p = c->peer;

#define STR(name, field) \
	if (!strcmp(k, name)) \
		return set_str(c, p->field, sizeof(p->field), v)
	STR("stream", stream);
	STR("kme_url", kme_url);
	STR("sae_id", sae);
	STR("peer_sae_id", peer_sae);
	STR("kme_cert", kme_cert);
	STR("kme_key", kme_key);
	STR("kme_ca", kme_ca);
	STR("app_sae_id", app_sae);
	STR("peer_app_sae_id", peer_app_sae);
	STR("skip_remote_system_id", skip_system);
#undef STR
	if (!strcmp(k, "address"))
		return set_endpoint(c, p->address, sizeof(p->address), v);
	if (!strcmp(k, "role"))
		return peer_role(c, v);
	if (!strcmp(k, "key_size"))
		return set_u32(c, &p->key_size, v, 128, 512) ?:
		       (p->key_size % 8 ?
			fail(c, "key_size %s is not a multiple of 8", v) : 0);
	if (!strcmp(k, "fill_target"))
		return set_u32(c, &p->fill_target, v, 1, QKD_STREAM_KEYS_LIMIT);
	if (!strcmp(k, "batch"))
		return set_u32(c, &p->batch, v, 1, 1024);
	if (!strcmp(k, "max_keys"))
		return set_u32(c, &p->max_keys, v, 1, QKD_STREAM_KEYS_LIMIT);
	if (!strcmp(k, "lifetime"))
		return set_u32(c, &p->lifetime_ms, v, 0, 4000000) ?:
		       (p->lifetime_ms *= 1000, 0);
	return fail(c, "unknown key '%s' in [peer]", k);
}

/* [peer] keys: the stream's, and the link's use by key relay. */
static int link_key(struct ctx *c, const char *k, const char *v)
{
	struct kmd_peer_cfg *p = c->peer;

	if (!strcmp(k, "relay")) {
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return fail(c, "relay must be yes or no, not '%s'", v);
		p->no_relay = !strcmp(v, "no");
		return 0;
	}
	if (!strcmp(k, "relay_reserve"))
		return set_u32(c, &p->relay_reserve, v, 0,
			       QKD_STREAM_KEYS_LIMIT);
	return peer_key(c, k, v);
}

static bool id_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
}

static bool node_id_ok(const char *id)
{
	size_t i, len = strlen(id);

	for (i = 0; i < len; i++)
		if (!id_char(id[i]))
			return false;
	return len && len < KMD_ID_MAX;
}

/* route = NODE... : the nodes after us, the far node last. */
static int far_route(struct ctx *c, char *v)
{
	struct kmd_peer_cfg *p = c->peer;
	char *save = NULL, *tok;

	p->route_count = 0;
	for (tok = strtok_r(v, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (p->route_count == KMD_ROUTE_HOPS)
			return fail(c, "a route has at most %s nodes", "15");
		if (!node_id_ok(tok))
			return fail(c, "'%s' is not a node ID", tok);
		strcpy(p->route[p->route_count++], tok);
	}
	if (!p->route_count || strcmp(p->route[p->route_count - 1], p->id))
		return fail(c, "the route must end at the far node %s", p->id);
	return 0;
}

static int far_key(struct ctx *c, const char *k, char *v)
{
	if (!strcmp(k, "route"))
		return far_route(c, v);
	if (!strcmp(k, "stream") || !strcmp(k, "key_size") ||
	    !strcmp(k, "fill_target") || !strcmp(k, "max_keys") ||
	    !strcmp(k, "lifetime") || !strcmp(k, "app_sae_id") ||
	    !strcmp(k, "peer_app_sae_id"))
		return peer_key(c, k, v);
	return fail(c, "unknown key '%s' in [far]", k);
}

static int relay_key(struct ctx *c, const char *k, const char *v)
{
	struct kmd_config *cfg = c->cfg;

	if (!strcmp(k, "timeout"))
		return set_u32(c, &cfg->relay_timeout_ms, v, 1, 3600) ?:
		       (cfg->relay_timeout_ms *= 1000, 0);
	if (!strcmp(k, "dry"))
		return set_u32(c, &cfg->relay_dry, v, 1,
			       QKD_STREAM_KEYS_LIMIT);
	if (!strcmp(k, "window"))
		return set_u32(c, &cfg->relay_window, v, 1, RELAY_WINDOW_MAX);
	if (!strcmp(k, "batch"))
		return set_u32(c, &cfg->relay_batch, v, 1, RELAY_BATCH_CFG_MAX);
	return fail(c, "unknown key '%s' in [relay]", k);
}

static int ak_key(struct ctx *c, const char *k, const char *v)
{
	if (!strcmp(k, "listen"))
		return set_endpoint(c, c->cfg->ak_listen,
				    sizeof(c->cfg->ak_listen), v);
	return fail(c, "unknown key '%s' in [ak]", k);
}

static int skip_key(struct ctx *c, const char *k, const char *v)
{
	struct kmd_config *cfg = c->cfg;

	if (!strcmp(k, "listen"))
		return set_endpoint(c, cfg->skip_listen,
				    sizeof(cfg->skip_listen), v);
	if (!strcmp(k, "psk_file"))
		return set_str(c, cfg->skip_psk_file,
			       sizeof(cfg->skip_psk_file), v);
	if (!strcmp(k, "system_id"))
		return set_str(c, cfg->skip_system, sizeof(cfg->skip_system),
			       v);
	return fail(c, "unknown key '%s' in [skip]", k);
}

static bool node_listed(const struct kmd_peer_cfg *p, const char *id)
{
	for (; p; p = p->next)
		if (!strcmp(p->id, id))
			return true;
	return false;
}

/* A [peer] (far false) or a [far] section. */
static int new_peer(struct ctx *c, const char *id, bool far)
{
	struct kmd_peer_cfg *p, **tail;

	if (node_listed(c->cfg->peers, id) || node_listed(c->cfg->fars, id))
		return fail(c, "node '%s' configured twice (as [peer] or [far])",
			    id);
	if (far && !node_id_ok(id))
		return fail(c, "'%s' is not a node ID", id);
	p = calloc(1, sizeof(*p));
	if (!p) {
		fail(c, "%s", "out of memory");
		return -ENOMEM;
	}
	p->key_size = 256;
	p->fill_target = 1024;
	p->batch = 64;
	p->max_keys = 65536;
	for (tail = far ? &c->cfg->fars : &c->cfg->peers; *tail;
	     tail = &(*tail)->next)
		;
	*tail = p;
	c->peer = p;
	return set_str(c, p->id, sizeof(p->id), id);
}

static int section(struct ctx *c, char *s)
{
	char *end = strchr(s, ']');

	if (!end || end[1])
		return fail(c, "%s", "a section header is [name]");
	*end = '\0';
	s = trim(s + 1);
	if (!strcmp(s, "node")) {
		c->section = S_NODE;
		return 0;
	}
	if (!strcmp(s, "ak")) {
		c->section = S_AK;
		return 0;
	}
	if (!strcmp(s, "skip")) {
		c->section = S_SKIP;
		return 0;
	}
	if (!strcmp(s, "relay")) {
		c->section = S_RELAY;
		return 0;
	}
	if (!strncmp(s, "peer ", 5)) {
		c->section = S_PEER;
		return new_peer(c, trim(s + 5), false);
	}
	if (!strncmp(s, "far ", 4)) {
		c->section = S_FAR;
		return new_peer(c, trim(s + 4), true);
	}
	return fail(c, "unknown section [%s]", s);
}

static int process_line(struct ctx *c, char *line)
{
	char *eq, *k, *v;

	line = trim(line);
	if (!*line || *line == '#' || *line == ';')
		return 0;
	if (*line == '[')
		return section(c, line);
	eq = strchr(line, '=');
	if (!eq)
		return fail(c, "expected 'key = value', got '%s'", line);
	*eq = '\0';
	k = trim(line);
	v = trim(eq + 1);
	switch (c->section) {
	case S_NODE:
		return node_key(c, k, v);
	case S_AK:
		return ak_key(c, k, v);
	case S_SKIP:
		return skip_key(c, k, v);
	case S_PEER:
		return link_key(c, k, v);
	case S_RELAY:
		return relay_key(c, k, v);
	case S_FAR:
		return far_key(c, k, v);
	default:
		return fail(c, "'%s' outside a section", k);
	}
}

/* Defaults that depend on other keys, and required keys. */
static int check_peer(struct ctx *c, struct kmd_peer_cfg *p)
{
	if (!p->stream[0])
		snprintf(p->stream, sizeof(p->stream), "%s", p->id);
	if (!p->kme_cert[0])
		strcpy(p->kme_cert, c->cfg->cert);
	if (!p->kme_key[0])
		strcpy(p->kme_key, c->cfg->key);
	if (!p->kme_ca[0])
		strcpy(p->kme_ca, c->cfg->ca);
	if (!p->kme_url[0] || !p->sae[0] || !p->peer_sae[0])
		return fail(c, "[peer %s]: kme_url, sae_id and peer_sae_id are required",
			    p->id);
	if (p->master && !p->address[0])
		return fail(c, "[peer %s]: a master needs the peer's address",
			    p->id);
	if (p->fill_target > p->max_keys)
		return fail(c, "[peer %s]: fill_target exceeds max_keys", p->id);
	return 0;
}

static int check_config(struct ctx *c)
{
	struct kmd_config *cfg = c->cfg;
	struct kmd_peer_cfg *p, *q;
	int ret;

	if (!cfg->node_id[0] || !cfg->cert[0] || !cfg->key[0] || !cfg->ca[0])
		return fail(c, "%s", "[node]: id, cert, key and ca are required");
	if (!cfg->peers)
		return fail(c, "%s", "no [peer] section");
	if (cfg->skip_listen[0] && !cfg->skip_psk_file[0])
		return fail(c, "%s", "[skip]: psk_file is required");
	if (!cfg->skip_system[0])
		strcpy(cfg->skip_system, cfg->node_id);
	for (p = cfg->fars; p; p = p->next) {
		if (!p->stream[0])
			snprintf(p->stream, sizeof(p->stream), "%s", p->id);
		if (!strcmp(p->id, cfg->node_id))
			return fail(c, "[far %s]: that is this node", p->id);
		if (p->fill_target > p->max_keys)
			return fail(c, "[far %s]: fill_target exceeds max_keys",
				    p->id);
	}
	for (p = cfg->peers; p; p = p->next) {
		for (q = p->next; q && p->skip_system[0]; q = q->next)
			if (!strcmp(p->skip_system, q->skip_system))
				return fail(c, "skip_remote_system_id %s given twice",
					    p->skip_system);
		ret = check_peer(c, p);
		if (ret)
			return ret;
		if (!p->master && !cfg->kx_listen[0])
			return fail(c, "[peer %s]: a slave needs [node] kx_listen",
				    p->id);
	}
	return 0;
}

int kmd_config_parse(const char *name, const char *text,
		     struct kmd_config *cfg)
{
	struct ctx c = { .cfg = cfg, .name = name };
	const char *p = text, *nl;
	char line[1024];
	size_t len;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	cfg->log_level = LOG_NOTICE;
	cfg->relay_timeout_ms = 10000;
	cfg->relay_dry = 16;
	cfg->relay_window = 32;
	cfg->relay_batch = RELAY_BATCH_CFG_MAX;
	while (*p) {
		c.line++;
		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		if (len >= sizeof(line)) {
			ret = fail(&c, "%s", "line too long");
			goto err_free;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		ret = process_line(&c, line);
		if (ret)
			goto err_free;
		p += len + !!nl;
	}
	ret = check_config(&c);
	if (!ret)
		return 0;
err_free:
	kmd_config_free(cfg);
	return ret;
}

int kmd_config_load(const char *path, struct kmd_config *cfg)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f;
	int ret;

	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		fprintf(stderr, "%s: %s\n", path, strerror(-ret));
		return ret;
	}
	ret = getdelim(&text, &size, '\0', f) < 0 ? -EIO : 0;
	fclose(f);
	if (!ret)
		ret = kmd_config_parse(path, text, cfg);
	else
		fprintf(stderr, "%s: empty or unreadable\n", path);
	free(text);
	return ret;
}

void kmd_config_free(struct kmd_config *cfg)
{
	struct kmd_peer_cfg *p;

	while ((p = cfg->peers)) {
		cfg->peers = p->next;
		free(p);
	}
	while ((p = cfg->fars)) {
		cfg->fars = p->next;
		free(p);
	}
}
