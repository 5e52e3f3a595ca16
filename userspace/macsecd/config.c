// SPDX-License-Identifier: GPL-2.0
/* The configuration file, read line by line into struct config. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/if_macsec.h>

#include "addr.h"
#include "config.h"
#include "log.h"

#define DEFAULT_ADMIN_SOCKET "/run/qkd-macsecd.sock"

struct ctx {
	const char *path;
	unsigned int line;
	struct config *cfg;
	struct iface_cfg *ifc;		/* NULL in [global] */
};

static const struct {
	const char *name;
	uint64_t id;
	unsigned int sak_len;
	bool xpn;
} ciphers[] = {
	{ "gcm-aes-128", MACSEC_CIPHER_ID_GCM_AES_128, 16, false },
	{ "gcm-aes-256", MACSEC_CIPHER_ID_GCM_AES_256, 32, false },
	{ "gcm-aes-xpn-128", MACSEC_CIPHER_ID_GCM_AES_XPN_128, 16, true },
	{ "gcm-aes-xpn-256", MACSEC_CIPHER_ID_GCM_AES_XPN_256, 32, true },
};

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int config_duration(const char *s, uint32_t *ms)
{
	unsigned long long v, mult = 1;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (!strcmp(end, "s"))
		mult = 1000;
	else if (!strcmp(end, "m"))
		mult = 60000;
	else if (!strcmp(end, "h"))
		mult = 3600000;
	else if (*end && strcmp(end, "ms"))
		return -EINVAL;
	if (v > UINT32_MAX / mult)
		return -ERANGE;
	*ms = v * mult;
	return 0;
}

static int copy_str(char *dst, size_t size, const char *val)
{
	if (!*val || strlen(val) >= size)
		return -EINVAL;
	strcpy(dst, val);
	return 0;
}

static int parse_bool(const char *val, bool *out)
{
	if (!strcmp(val, "yes") || !strcmp(val, "on") || !strcmp(val, "true"))
		*out = true;
	else if (!strcmp(val, "no") || !strcmp(val, "off") ||
		 !strcmp(val, "false"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int parse_cipher(struct iface_cfg *ifc, const char *val)
{
	size_t i;

	for (i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
		if (strcasecmp(val, ciphers[i].name))
			continue;
		ifc->cipher = ciphers[i].id;
		ifc->sak_len = ciphers[i].sak_len;
		ifc->xpn = ciphers[i].xpn;
		return 0;
	}
	return -EINVAL;
}

static int parse_enum(const char *val, const char *const *names, int *out)
{
	int i;

	for (i = 0; names[i]; i++)
		if (!strcmp(val, names[i])) {
			*out = i;
			return 0;
		}
	return -EINVAL;
}

static int parse_u64(const char *val, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(val, &end, 0);
	return errno || end == val || *end || *val == '-' ? -EINVAL : 0;
}

static int parse_u32(const char *val, uint32_t *out)
{
	uint64_t v;

	if (parse_u64(val, &v) || v > UINT32_MAX)
		return -EINVAL;
	*out = v;
	return 0;
}

static int iface_option(struct iface_cfg *ifc, const char *key, const char *val)
{
	static const char *const roles[] = { "auto", "leader", "follower", NULL };
	static const char *const policies[] = { "block", "keep", NULL };
	int e;

	if (!strcmp(key, "device"))
		return copy_str(ifc->device, sizeof(ifc->device), val);
	if (!strcmp(key, "stream"))
		return copy_str(ifc->stream, sizeof(ifc->stream), val);
	if (!strcmp(key, "local"))
		return copy_str(ifc->local, sizeof(ifc->local), val);
	if (!strcmp(key, "peer"))
		return copy_str(ifc->peer, sizeof(ifc->peer), val);
	if (!strcmp(key, "control-key-file"))
		return copy_str(ifc->key_file, sizeof(ifc->key_file), val);
	if (!strcmp(key, "cipher"))
		return parse_cipher(ifc, val);
	if (!strcmp(key, "encrypt"))
		return parse_bool(val, &ifc->encrypt);
	if (!strcmp(key, "role")) {
		if (parse_enum(val, roles, &e))
			return -EINVAL;
		ifc->role = e;
		return 0;
	}
	if (!strcmp(key, "on-exhaustion")) {
		if (parse_enum(val, policies, &e))
			return -EINVAL;
		ifc->policy = e;
		return 0;
	}
	if (!strcmp(key, "pn-threshold"))
		return parse_u64(val, &ifc->pn_threshold);
	if (!strcmp(key, "key-reserve"))
		return parse_u32(val, &ifc->key_reserve);
	if (!strcmp(key, "rekey-interval"))
		return config_duration(val, &ifc->rekey_interval_ms);
	if (!strcmp(key, "max-sa-lifetime"))
		return config_duration(val, &ifc->max_sa_lifetime_ms);
	if (!strcmp(key, "grace"))
		return config_duration(val, &ifc->grace_ms);
	if (!strcmp(key, "handshake-timeout"))
		return config_duration(val, &ifc->handshake_timeout_ms);
	if (!strcmp(key, "retransmit"))
		return config_duration(val, &ifc->retransmit_ms);
	return -ENOENT;
}

static int global_option(struct config *cfg, const char *key, const char *val)
{
	if (!strcmp(key, "log-level")) {
		cfg->log_level = qkd_log_level_parse(val);
		return cfg->log_level < 0 ? -EINVAL : 0;
	}
	if (!strcmp(key, "control-socket"))
		return copy_str(cfg->admin_socket, sizeof(cfg->admin_socket), val);
	if (!strcmp(key, "metrics")) {
		struct sockaddr_storage ss;
		socklen_t len;

		if (*val != '/' && qkd_sockaddr(val, &ss, &len))
			return -EINVAL;
		return copy_str(cfg->metrics, sizeof(cfg->metrics), val);
	}
	return -ENOENT;
}

static void iface_defaults(struct iface_cfg *ifc, const char *name)
{
	memset(ifc, 0, sizeof(*ifc));
	strcpy(ifc->name, name);
	parse_cipher(ifc, "gcm-aes-128");
	ifc->encrypt = true;
	ifc->rekey_interval_ms = 3600000;
	ifc->key_reserve = 4;
	ifc->pn_threshold = 0xc0000000ULL;
	ifc->grace_ms = 3000;
	ifc->handshake_timeout_ms = 2000;
	ifc->retransmit_ms = 200;
}

static int section(struct ctx *c, char *line)
{
	char *end = strchr(line, ']');
	char *name;

	if (!end || end[1])
		return -EINVAL;
	*end = '\0';
	name = trim(line + 1);
	if (!strcmp(name, "global")) {
		c->ifc = NULL;
		return 0;
	}
	if (!*name || strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	if (c->cfg->n_iface == CONFIG_IFACE_MAX)
		return -E2BIG;
	c->ifc = &c->cfg->iface[c->cfg->n_iface++];
	iface_defaults(c->ifc, name);
	return 0;
}

static int process_line(struct ctx *c, char *line)
{
	char *eq, *key, *val;
	int ret;

	line = trim(line);
	if (!*line || *line == '#' || *line == ';')
		return 0;
	if (*line == '[') {
		ret = section(c, line);
		if (ret)
			fprintf(stderr, "%s:%u: %s\n", c->path, c->line,
				ret == -E2BIG ? "too many interfaces" :
				"bad section header (\"[global]\" or \"[IFNAME]\")");
		return ret;
	}
	eq = strchr(line, '=');
	if (!eq) {
		fprintf(stderr, "%s:%u: expected \"key = value\"\n", c->path,
			c->line);
		return -EINVAL;
	}
	*eq = '\0';
	key = trim(line);
	val = trim(eq + 1);
	ret = c->ifc ? iface_option(c->ifc, key, val) :
		       global_option(c->cfg, key, val);
	if (ret == -ENOENT)
		fprintf(stderr, "%s:%u: unknown option \"%s\"\n", c->path,
			c->line, key);
	else if (ret)
		fprintf(stderr, "%s:%u: bad value for \"%s\": \"%s\"\n",
			c->path, c->line, key, val);
	return ret;
}

static int check_iface(const char *path, const struct iface_cfg *ifc)
{
	const char *missing = !*ifc->stream ? "stream" :
			      !*ifc->local ? "local" :
			      !*ifc->peer ? "peer" :
			      !*ifc->key_file ? "control-key-file" : NULL;

	if (missing) {
		fprintf(stderr, "%s: [%s]: \"%s\" is required\n", path,
			ifc->name, missing);
		return -EINVAL;
	}
	if (!ifc->rekey_interval_ms || !ifc->retransmit_ms ||
	    ifc->retransmit_ms > ifc->handshake_timeout_ms) {
		fprintf(stderr, "%s: [%s]: rekey-interval must be > 0 and retransmit <= handshake-timeout\n",
			path, ifc->name);
		return -EINVAL;
	}
	return 0;
}

int config_parse(const char *path, FILE *f, struct config *cfg)
{
	struct ctx c = { .path = path, .cfg = cfg };
	char line[512];
	unsigned int i;
	int ret = 0;

	memset(cfg, 0, sizeof(*cfg));
	cfg->log_level = LOG_INFO;
	strcpy(cfg->admin_socket, DEFAULT_ADMIN_SOCKET);
	while (!ret && fgets(line, sizeof(line), f)) {
		c.line++;
		ret = process_line(&c, line);
	}
	if (!ret && !cfg->n_iface) {
		fprintf(stderr, "%s: no interface section\n", path);
		ret = -EINVAL;
	}
	for (i = 0; !ret && i < cfg->n_iface; i++)
		ret = check_iface(path, &cfg->iface[i]);
	return ret;
}

int config_read(const char *path, struct config *cfg)
{
	FILE *f;
	int ret;

	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		fprintf(stderr, "%s: %s\n", path, strerror(-ret));
		return ret;
	}
	ret = config_parse(path, f, cfg);
	fclose(f);
	return ret;
}
