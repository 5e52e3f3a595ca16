// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the key manager's parsers, its fuzzable entry points: the
 * Kx framing (userspace/kmd/frame.c), the configuration file (config.c),
 * SKIP's PSK file lines (skip_psk.c), the ETSI 014 JSON mapping
 * (userspace/etsi014/json.c, bulk.c) and the HTTP head (http_parse.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "bulk.h"
#include "config.h"
#include "frame.h"
#include "http.h"
#include "json.h"
#include "skip_psk.h"

static uint8_t frame[KX_HDR_LEN + KX_PAYLOAD_MAX];

static int decode(const uint8_t *buf, size_t len, struct kx_msg *m,
		  const char **why)
{
	struct kx_hdr h;

	if (len < KX_HDR_LEN) {
		*why = "short";
		return -EINVAL;
	}
	if (kx_hdr_decode(buf, &h, why))
		return -EINVAL;
	if (len != KX_HDR_LEN + h.len) {
		*why = "length mismatch";
		return -EINVAL;
	}
	return kx_msg_decode(&h, buf + KX_HDR_LEN, m, why);
}

TEST(frame_roundtrip_every_type)
{
	static struct kx_msg in, out;
	const char *why = NULL;
	size_t len;
	int t;

	for (t = KX_HELLO; t < KX_RELAY_FIRST; t++) {
		memset(&in, 0, sizeof(in));
		in.type = t;
		in.role = KX_ROLE_SLAVE;
		in.owner = KX_OWNER_MASTER;
		in.key_bytes = 32;
		in.batch = 0x0102030405060708ULL;
		in.count = 3;
		memset(in.ids, 0xab, 3 * QKD_KEY_ID_LEN);
		strcpy(in.text, "node-b");
		len = kx_msg_encode(&in, 7, frame, sizeof(frame));
		ASSERT_GT(len, KX_HDR_LEN - 1);
		ASSERT_EQ(0, decode(frame, len, &out, &why)) {
			TH_LOG("%s: %s", kx_type_name(t), why);
		}
		EXPECT_EQ(t, out.type);
		if (t == KX_OFFER || t == KX_ADDED || t == KX_ABORT) {
			EXPECT_EQ(3, out.count);
			EXPECT_EQ(0, memcmp(in.ids, out.ids, 3 * QKD_KEY_ID_LEN));
		}
		if (t != KX_HELLO && t != KX_ERROR)
			EXPECT_EQ(in.batch, out.batch);
	}
}

/* A valid HELLO frame, to be broken by each case below. */
static size_t hello(void)
{
	static struct kx_msg m;

	memset(&m, 0, sizeof(m));
	m.type = KX_HELLO;
	m.role = KX_ROLE_MASTER;
	strcpy(m.text, "node-a");
	return kx_msg_encode(&m, 1, frame, sizeof(frame));
}

TEST(frame_rejects_with_reason)
{
	static struct kx_msg m;
	const char *why;
	size_t len;

	len = hello();
	frame[0] = 2;
	why = NULL;
	EXPECT_EQ(-EINVAL, decode(frame, len, &m, &why));
	EXPECT_STREQ("unsupported version", why);

	len = hello();
	frame[1] = 99;
	EXPECT_EQ(-EINVAL, decode(frame, len, &m, &why));
	EXPECT_STREQ("unknown message type", why);

	len = hello();
	frame[3] = 1;
	EXPECT_EQ(-EINVAL, decode(frame, len, &m, &why));
	EXPECT_STREQ("reserved flags set", why);

	len = hello();
	frame[8] = 0x7f;
	EXPECT_EQ(-EINVAL, decode(frame, len, &m, &why));
	EXPECT_STREQ("payload too long", why);

	len = hello();
	frame[KX_HDR_LEN] = 3;		/* role */
	EXPECT_EQ(-EINVAL, decode(frame, len, &m, &why));
	EXPECT_STREQ("bad role", why);

	len = hello();
	frame[KX_HDR_LEN + 2] = 1;	/* non-printable node ID */
	EXPECT_EQ(-EINVAL, decode(frame, len, &m, &why));
	EXPECT_STREQ("text is not printable ASCII", why);

	len = hello();
	frame[11] += 1;			/* one trailing byte */
	EXPECT_EQ(-EINVAL, decode(frame, len + 1, &m, &why));
	EXPECT_STREQ("trailing bytes after the payload", why);

	len = hello();
	frame[11] -= 1;
	EXPECT_EQ(-EINVAL, decode(frame, len - 1, &m, &why));
	EXPECT_STREQ("payload truncated", why);
}

TEST(frame_offer_bounds)
{
	static struct kx_msg m;
	const char *why;
	size_t len;

	memset(&m, 0, sizeof(m));
	m.type = KX_OFFER;
	m.owner = KX_OWNER_SLAVE;
	m.key_bytes = 8;		/* below QKD_KEY_MIN_LEN */
	m.count = 1;
	len = kx_msg_encode(&m, 1, frame, sizeof(frame));
	EXPECT_EQ(-EINVAL, decode(frame, len, &m, &why));
	EXPECT_STREQ("key size out of range", why);

	m.key_bytes = 32;
	m.count = 0;
	len = kx_msg_encode(&m, 1, frame, sizeof(frame));
	EXPECT_EQ(-EINVAL, decode(frame, len, &m, &why));
	EXPECT_STREQ("key ID count out of range", why);
}

/* Random bytes never crash the decoder (a poor man's fuzzer). */
TEST(frame_random_input)
{
	static struct kx_msg m;
	const char *why;
	int i, n;

	srand(1);
	for (i = 0; i < 20000; i++) {
		n = rand() % 64;
		for (int j = 0; j < n; j++)
			frame[j] = rand();
		if (n >= 2)
			frame[0] = 1, frame[1] = 1 + rand() % 7;
		if (n >= 12)
			frame[8] = frame[9] = frame[10] = 0,
			frame[11] = n - 12, frame[2] = frame[3] = 0;
		decode(frame, n, &m, &why);
	}
}

static const char good_conf[] =
	"# comment\n[node]\nid = node-a\ncert = a.pem\nkey = a.key\n"
	"ca = ca.pem\n\n[peer node-b]\nrole = master\n"
	"address = 10.0.0.2:7001\nkme_url = https://127.0.0.1:8443\n"
	"sae_id = sae-a\npeer_sae_id = sae-b\nfill_target = 100\n"
	"lifetime = 60\n";

TEST(config_good)
{
	struct kmd_config cfg;

	ASSERT_EQ(0, kmd_config_parse("t", good_conf, &cfg));
	EXPECT_STREQ("node-a", cfg.node_id);
	ASSERT_NE(NULL, cfg.peers);
	EXPECT_STREQ("node-b", cfg.peers->id);
	EXPECT_STREQ("node-b", cfg.peers->stream);	/* default */
	EXPECT_STREQ("a.pem", cfg.peers->kme_cert);	/* default */
	EXPECT_EQ(1, cfg.peers->master);
	EXPECT_EQ(100, cfg.peers->fill_target);
	EXPECT_EQ(60000, cfg.peers->lifetime_ms);
	EXPECT_EQ(256, cfg.peers->key_size);
	/* [relay] defaults: qkd-kmd.conf(5) */
	EXPECT_EQ(10000, cfg.relay_timeout_ms);
	EXPECT_EQ(16, cfg.relay_dry);
	EXPECT_EQ(32, cfg.relay_window);
	kmd_config_free(&cfg);
}

/* conf with replace changed into with: the parser's verdict. */
static int edited_conf(const char *conf, const char *replace,
		       const char *with)
{
	struct kmd_config cfg;
	char text[1024];
	const char *at = strstr(conf, replace);
	int ret;

	snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - conf), conf, with,
		 at + strlen(replace));
	ret = kmd_config_parse("t", text, &cfg);
	if (!ret)
		kmd_config_free(&cfg);
	return ret;
}

static int bad_conf(const char *replace, const char *with)
{
	return edited_conf(good_conf, replace, with);
}

TEST(config_errors)
{
	EXPECT_EQ(-EINVAL, bad_conf("role = master", "role = boss"));
	EXPECT_EQ(-EINVAL, bad_conf("fill_target = 100", "fill_target = x"));
	EXPECT_EQ(-EINVAL, bad_conf("fill_target = 100", "fill_target = 70000"));
	EXPECT_EQ(-EINVAL, bad_conf("address = 10.0.0.2:7001", "address = host:1"));
	EXPECT_EQ(-EINVAL, bad_conf("address = 10.0.0.2:7001", "address = 10.0.0.2:0"));
	EXPECT_EQ(-EINVAL, bad_conf("sae_id = sae-a\n", ""));
	EXPECT_EQ(-EINVAL, bad_conf("[node]", "[nod]"));
	EXPECT_EQ(-EINVAL, bad_conf("# comment", "stray = 1"));
	EXPECT_EQ(-EINVAL, bad_conf("lifetime = 60", "colour = blue"));
	EXPECT_EQ(-EINVAL, bad_conf("lifetime = 60", "key_size = 129"));
	EXPECT_EQ(-EINVAL, bad_conf("role = master", "role = slave"));	/* no kx_listen */
	EXPECT_EQ(-EINVAL, bad_conf("[peer node-b]", "[peer node-b]\n[peer node-b]"));
}

static const char far_conf[] =
	"[node]\nid = node-a\ncert = a.pem\nkey = a.key\nca = ca.pem\n"
	"[relay]\ntimeout = 4\ndry = 8\nwindow = 100\n"
	"[peer node-b]\nrole = master\naddress = 10.0.0.2:7001\n"
	"kme_url = https://127.0.0.1:8443\nsae_id = sae-a\n"
	"peer_sae_id = sae-b\nrelay_reserve = 10\n"
	"[far node-e]\nfill_target = 64\nroute = node-b  node-c node-e\n";

TEST(config_far)
{
	struct kmd_config cfg;

	ASSERT_EQ(0, kmd_config_parse("t", far_conf, &cfg));
	EXPECT_EQ(4000, cfg.relay_timeout_ms);
	EXPECT_EQ(8, cfg.relay_dry);
	EXPECT_EQ(100, cfg.relay_window);
	EXPECT_EQ(10, cfg.peers->relay_reserve);
	EXPECT_EQ(0, cfg.peers->no_relay);
	ASSERT_NE(NULL, cfg.fars);
	EXPECT_STREQ("node-e", cfg.fars->id);
	EXPECT_STREQ("node-e", cfg.fars->stream);
	EXPECT_EQ(64, cfg.fars->fill_target);
	EXPECT_EQ(3, cfg.fars->route_count);
	EXPECT_STREQ("node-c", cfg.fars->route[1]);
	kmd_config_free(&cfg);
}

static int bad_far(const char *replace, const char *with)
{
	return edited_conf(far_conf, replace, with);
}

TEST(config_far_errors)
{
	EXPECT_EQ(0, bad_far("relay_reserve = 10", "relay = no"));
	EXPECT_EQ(-EINVAL, bad_far("relay_reserve = 10", "relay = maybe"));
	EXPECT_EQ(-EINVAL, bad_far("[far node-e]", "[far node-b]"));
	EXPECT_EQ(-EINVAL, bad_far("[far node-e]", "[far node-a]"));
	EXPECT_EQ(-EINVAL, bad_far("[far node-e]", "[far node e]"));
	EXPECT_EQ(-EINVAL, bad_far("node-c node-e", "node-c"));
	EXPECT_EQ(-EINVAL, bad_far("node-c node-e", "node/c node-e"));
	EXPECT_EQ(-EINVAL, bad_far("fill_target = 64", "kme_url = x"));
	EXPECT_EQ(-EINVAL, bad_far("dry = 8", "dry = 0"));
	EXPECT_EQ(-EINVAL, bad_far("window = 100", "window = 0"));
	EXPECT_EQ(-EINVAL, bad_far("window = 100", "window = 1025"));
	EXPECT_EQ(0, bad_far("window = 100", "window = 1024"));
	EXPECT_EQ(-EINVAL, bad_far("timeout = 4", "hops = 4"));
}

/* Relay frames pass the framing undecoded, for relay.c to decode. */
TEST(frame_relay_types_pass_raw)
{
	static const uint8_t payload[] = { 1, 2, 3, 4, 5 };
	static struct kx_msg m;
	const char *why = NULL;
	size_t len;
	int t;

	for (t = KX_RELAY_FIRST; t < __KX_TYPE_MAX; t++) {
		len = kx_frame_encode(t, 7, payload, sizeof(payload), frame,
				      sizeof(frame));
		ASSERT_EQ(KX_HDR_LEN + sizeof(payload), len);
		ASSERT_EQ(0, decode(frame, len, &m, &why));
		EXPECT_EQ(t, m.type);
		ASSERT_EQ(sizeof(payload), m.raw_len);
		EXPECT_EQ(0, memcmp(payload, m.raw, sizeof(payload)));
	}
	EXPECT_EQ(0, kx_frame_encode(__KX_TYPE_MAX, 1, payload, 1, frame,
				     sizeof(frame)));
	EXPECT_EQ(0, kx_frame_encode(KX_LSA, 1, payload, KX_PAYLOAD_MAX + 1,
				     frame, sizeof(frame)));
}

TEST(json_keys)
{
	static struct qkd_key_record k[4];
	struct etsi014_error e = { 0 };
	char *s;
	size_t n;

	memset(k[0].id, 0x11, QKD_KEY_ID_LEN);
	k[0].material_len = 32;
	memset(k[0].material, 0x5a, 32);
	s = etsi014_keys_json(k, 1);
	ASSERT_NE(NULL, s);
	memset(k, 0, sizeof(k));
	ASSERT_EQ(0, etsi014_keys_parse(s, strlen(s), k, 4, &n, &e));
	etsi014_str_free(s);
	EXPECT_EQ(1, n);
	EXPECT_EQ(32, k[0].material_len);
	EXPECT_EQ(0x5a, k[0].material[31]);

	s = "{\"keys\":[{\"key_ID\":\"nope\",\"key\":\"AAAA\"}]}";
	EXPECT_EQ(-EINVAL, etsi014_keys_parse(s, strlen(s), k, 4, &n, &e));
	EXPECT_EQ(400, e.code);
	s = "{\"keys\":[{\"key_ID\":\"11111111-1111-1111-1111-111111111111\",\"key\":\"A===\"}]}";
	EXPECT_EQ(-EINVAL, etsi014_keys_parse(s, strlen(s), k, 4, &n, &e));
	s = "{\"keys\":{}}";
	EXPECT_EQ(-EINVAL, etsi014_keys_parse(s, strlen(s), k, 4, &n, &e));
	s = "[1,2]";
	EXPECT_EQ(-EINVAL, etsi014_keys_parse(s, strlen(s), k, 4, &n, &e));
}

TEST(json_requests)
{
	static struct etsi014_dec_req d;
	struct etsi014_enc_req r = { .number = 1 };
	struct etsi014_error e = { 0 };
	const char *s;

	s = "{\"number\":5,\"size\":128,\"extension_mandatory\":[{\"route\":1}]}";
	ASSERT_EQ(0, etsi014_enc_req_parse(s, strlen(s), &r, &e));
	EXPECT_EQ(5, r.number);
	EXPECT_EQ(128, r.size);
	EXPECT_STREQ("route", r.bad_extension);
	s = "{\"number\":-1}";
	EXPECT_EQ(-EINVAL, etsi014_enc_req_parse(s, strlen(s), &r, &e));
	s = "{\"number\":1,\"number\":2}";
	EXPECT_EQ(-EINVAL, etsi014_enc_req_parse(s, strlen(s), &r, &e));

	s = "{\"size\":0}";
	EXPECT_EQ(-EINVAL, etsi014_enc_req_parse(s, strlen(s), &r, &e));

	s = "{\"key_IDs\":[{\"key_ID\":\"11111111-1111-1111-1111-111111111111\"}]}";
	ASSERT_EQ(0, etsi014_dec_req_parse(s, strlen(s), &d, &e));
	EXPECT_EQ(1, d.n);
	EXPECT_STREQ("", d.bad_extension);
	s = "{\"key_IDs\":[{\"key_ID\":\"11111111-1111-1111-1111-111111111111\"}],"
	    "\"extension_mandatory\":[{\"route\":1}]}";
	ASSERT_EQ(0, etsi014_dec_req_parse(s, strlen(s), &d, &e));
	EXPECT_STREQ("route", d.bad_extension);
	s = "{\"key_IDs\":[]}";
	EXPECT_EQ(-EINVAL, etsi014_dec_req_parse(s, strlen(s), &d, &e));
	s = "{\"key_IDs\":[{\"key\":\"x\"}]}";
	EXPECT_EQ(-EINVAL, etsi014_dec_req_parse(s, strlen(s), &d, &e));
}

/* body with a space after every ',' and ':': valid JSON, not compact. */
static char *spaced(const char *s)
{
	char *out = malloc(2 * strlen(s) + 1), *p = out;

	for (; out && *s; s++) {
		*p++ = *s;
		if (*s == ',' || *s == ':')
			*p++ = ' ';
	}
	if (out)
		*p = '\0';
	return out;
}

/* The bulk writer's form, read without a tree, and the same keys read by
 * jansson from a spaced copy: both give the same keys. */
TEST(bulk_keys_same_as_tree)
{
	static struct qkd_key_record in[3], fast[4], tree[4];
	struct etsi014_error e = { 0 };
	size_t i, n = 0, m = 0;
	char *s, *sp;

	for (i = 0; i < 3; i++) {
		memset(in[i].id, 0x21 * (i + 1), QKD_KEY_ID_LEN);
		in[i].material_len = 16 << i;
		memset(in[i].material, 0x5a + i, in[i].material_len);
	}
	s = etsi014_keys_json(in, 1);
	ASSERT_NE(NULL, s);
	EXPECT_STREQ("{\"keys\":[{\"key_ID\":\"21212121-2121-2121-2121-212121212121\","
		     "\"key\":\"WlpaWlpaWlpaWlpaWlpaWg==\"}]}", s);
	etsi014_str_free(s);
	s = etsi014_keys_json(in, 3);
	sp = spaced(s);
	ASSERT_NE(NULL, sp);
	EXPECT_EQ(0, etsi014_bulk_keys_read(s, strlen(s), fast, 4, &n));
	EXPECT_EQ(-EAGAIN, etsi014_bulk_keys_read(sp, strlen(sp), tree, 4, &m));
	ASSERT_EQ(0, etsi014_keys_parse(sp, strlen(sp), tree, 4, &m, &e));
	EXPECT_EQ(3, n);
	EXPECT_EQ(3, m);
	EXPECT_EQ(0, memcmp(fast, in, sizeof(in)));
	EXPECT_EQ(0, memcmp(tree, in, sizeof(in)));
	/* Compact but refused: the tree parser explains it. */
	EXPECT_EQ(-EINVAL, etsi014_keys_parse(s, strlen(s), tree, 2, &m, &e));
	EXPECT_EQ(-EINVAL, etsi014_keys_parse(s, strlen(s) - 1, tree, 4, &m, &e));
	s[strlen(s) - 7] = '=';		/* "...X==\"}]}" -> "...===" */
	EXPECT_EQ(-EINVAL, etsi014_keys_parse(s, strlen(s), tree, 4, &m, &e));
	etsi014_str_free(s);
	free(sp);
	s = "{\"keys\":[]}";
	EXPECT_EQ(0, etsi014_keys_parse(s, strlen(s), tree, 4, &m, &e));
	EXPECT_EQ(0, m);
	s = "{\"keys\":[]} x";
	EXPECT_EQ(-EINVAL, etsi014_keys_parse(s, strlen(s), tree, 4, &m, &e));
	s = "{\"keys\":[{\"key_ID\":\"21212121-2121-2121-2121-21212121212\","
	    "\"key\":\"WlpaWlpaWlpaWlpaWlpaWg==\"}]}";
	EXPECT_EQ(-EINVAL, etsi014_keys_parse(s, strlen(s), tree, 4, &m, &e));
}

TEST(bulk_ids_same_as_tree)
{
	static struct etsi014_dec_req in, fast, tree;
	struct etsi014_error e = { 0 };
	char *s, *sp;
	size_t i;

	in.n = ETSI014_KEYS_MAX;
	for (i = 0; i < in.n; i++)
		memset(in.ids[i], i, QKD_KEY_ID_LEN);
	s = etsi014_dec_req_json(&in);
	sp = spaced(s);
	ASSERT_NE(NULL, sp);
	EXPECT_EQ(0, etsi014_bulk_ids_read(s, strlen(s), &fast));
	EXPECT_EQ(-EAGAIN, etsi014_bulk_ids_read(sp, strlen(sp), &tree));
	ASSERT_EQ(0, etsi014_dec_req_parse(sp, strlen(sp), &tree, &e));
	EXPECT_EQ(0, memcmp(&fast, &in, sizeof(in)));
	EXPECT_EQ(0, memcmp(&tree, &in, sizeof(in)));
	etsi014_str_free(s);
	free(sp);
	/* One ID too many, in compact form: refused with the tree's reason. */
	sp = malloc(ETSI014_KEYS_MAX * 60 + 64);
	ASSERT_NE(NULL, sp);
	strcpy(sp, "{\"key_IDs\":[");
	for (i = 0; i <= ETSI014_KEYS_MAX; i++)
		strcat(sp, i ? ",{\"key_ID\":\"11111111-1111-1111-1111-111111111111\"}"
			     : "{\"key_ID\":\"11111111-1111-1111-1111-111111111111\"}");
	strcat(sp, "]}");
	EXPECT_EQ(-EINVAL, etsi014_dec_req_parse(sp, strlen(sp), &tree, &e));
	EXPECT_NE(NULL, strstr(e.details, "too many"));
	free(sp);
	s = "{\"key_IDs\":[{\"key_ID\":\"1111111111111111111111111111111F\"}]}";
	ASSERT_EQ(0, etsi014_dec_req_parse(s, strlen(s), &fast, &e));
	EXPECT_EQ(0x1f, fast.ids[0][15]);
}

TEST(json_error_body)
{
	struct etsi014_error e, back = { 0 };
	char *s;

	etsi014_error_set(&e, 503, "server error", "QKD link %s", "down");
	s = etsi014_error_json(&e);
	ASSERT_NE(NULL, s);
	etsi014_error_parse(s, strlen(s), &back);
	free(s);
	EXPECT_STREQ("server error", back.message);
	EXPECT_STREQ("QKD link down", back.details);
}

static int head(const char *s, struct http_req *r, size_t *used)
{
	const char *why;

	return http_parse_head(s, strlen(s), r, used, &why);
}

TEST(http_head)
{
	static char big[HTTP_HEAD_MAX + 64];
	struct http_req r;
	size_t used;
	const char *s;

	s = "POST /api/v1/keys/b/enc_keys?number=2 HTTP/1.1\r\n"
	    "Content-Length: 12\r\nExpect: 100-continue\r\n\r\n{\"number\":2}";
	ASSERT_EQ(0, head(s, &r, &used));
	EXPECT_EQ(strstr(s, "{") - s, (long)used);
	EXPECT_STREQ("POST", r.method);
	EXPECT_STREQ("/api/v1/keys/b/enc_keys", r.path);
	EXPECT_STREQ("number=2", r.query);
	EXPECT_EQ(12, r.content_length);
	EXPECT_TRUE(r.keep_alive);
	EXPECT_TRUE(r.expect_continue);
	ASSERT_EQ(0, head("GET /x HTTP/1.0\r\n\r\n", &r, &used));
	EXPECT_FALSE(r.keep_alive);
	ASSERT_EQ(0, head("DELETE /x HTTP/1.1\r\nConnection: close\r\n\r\n", &r, &used));
	EXPECT_FALSE(r.keep_alive);
	ASSERT_EQ(0, head("PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", &r, &used));
	EXPECT_TRUE(r.chunked);

	EXPECT_EQ(-EAGAIN, head("GET /x HTTP/1.1\r\nHost: a\r\n", &r, &used));
	EXPECT_EQ(-EAGAIN, head("GET /x HT", &r, &used));
	EXPECT_EQ(-400, head("GET /x HTTP/1.1\nHost: a\n\n", &r, &used));
	EXPECT_EQ(-400, head("get /x HTTP/1.1\r\n\r\n", &r, &used));
	EXPECT_EQ(-400, head("GET x HTTP/1.1\r\n\r\n", &r, &used));
	EXPECT_EQ(-505, head("GET /x HTTP/2.0\r\n\r\n", &r, &used));
	EXPECT_EQ(-400, head("GET /x HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", &r, &used));
	EXPECT_EQ(-400, head("GET /x HTTP/1.1\r\nContent-Length: 1\r\n"
			     "Content-Length: 2\r\n\r\n", &r, &used));
	EXPECT_EQ(-400, head("GET /x HTTP/1.1\r\nNo colon\r\n\r\n", &r, &used));
	memset(big, 'a', sizeof(big) - 1);
	memcpy(big, "GET /", 5);
	EXPECT_EQ(-431, head(big, &r, &used));
}

TEST(skip_psk_lines)
{
	struct skip_psk p;
	const char *why;
	char line[256];

	snprintf(line, sizeof(line), "router-a  %s  # comment\n",
		 "000102030405060708090a0b0c0d0e0f");
	ASSERT_EQ(1, skip_psk_parse_line(line, &p, &why));
	EXPECT_STREQ("router-a", p.identity);
	EXPECT_EQ(16, p.len);
	EXPECT_EQ(0x0f, p.key[15]);
	EXPECT_EQ(0, skip_psk_parse_line("  # only a comment\n", &p, &why));
	EXPECT_EQ(0, skip_psk_parse_line("\n", &p, &why));
	EXPECT_EQ(-EINVAL, skip_psk_parse_line("router-a\n", &p, &why));
	EXPECT_EQ(-EINVAL, skip_psk_parse_line("router-a 0001\n", &p, &why));
	EXPECT_EQ(-EINVAL, skip_psk_parse_line("router-a 000102030405060708090a0b0c0d0e0fzz\n",
					       &p, &why));
	EXPECT_EQ(-EINVAL, skip_psk_parse_line("router-a 000102030405060708090a0b0c0d0e0f x\n",
					       &p, &why));
	explicit_bzero(&p, sizeof(p));
}

TEST(config_skip)
{
	struct kmd_config cfg;
	char text[2048];

	snprintf(text, sizeof(text), "%s\n[skip]\nlisten = 127.0.0.1:9444\n"
		 "psk_file = /etc/qkd/skip.psk\n", good_conf);
	ASSERT_EQ(0, kmd_config_parse("t", text, &cfg));
	EXPECT_STREQ("127.0.0.1:9444", cfg.skip_listen);
	EXPECT_STREQ("node-a", cfg.skip_system);	/* default */
	kmd_config_free(&cfg);
	snprintf(text, sizeof(text), "%s\n[skip]\nlisten = 127.0.0.1:9444\n",
		 good_conf);
	EXPECT_EQ(-EINVAL, kmd_config_parse("t", text, &cfg));
	EXPECT_EQ(-EINVAL, bad_conf("lifetime = 60", "skip_remote_system_id ="));
}

TEST_HARNESS_MAIN
