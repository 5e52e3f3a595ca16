// SPDX-License-Identifier: GPL-2.0
/*
 * What qkd-kmd reads from a neighbour key manager: Kx frames (frame.c),
 * the payloads of key relay (relay_msg.c, over wire.c) and link-state
 * adverts (route.c). The first byte picks the reader: 0..127 a whole Kx
 * frame (header and payload), else a relay payload of type 8 + byte % 7
 * (8 is the LSA). The decoders are strict, so whatever one accepts must
 * encode back to the very bytes it came from: a field a decoder skips
 * without checking shows up as a difference.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "relay_msg.h"
#include "route.h"

static uint8_t out[KX_HDR_LEN + KX_PAYLOAD_MAX + RELAY_MSG_MAX];

static void same(const char *what, const uint8_t *in, size_t len, long n)
{
	if (n < 0 || (size_t)n != len || memcmp(in, out, len)) {
		fprintf(stderr, "%s: decoded %zu bytes, encoded back to %ld that differ\n",
			what, len, n);
		abort();
	}
}

static void kx_frame(const uint8_t *data, size_t size)
{
	static struct kx_msg m;
	const char *why;
	struct kx_hdr h;

	if (size < KX_HDR_LEN || kx_hdr_decode(data, &h, &why))
		return;
	if (h.len != size - KX_HDR_LEN ||
	    kx_msg_decode(&h, data + KX_HDR_LEN, &m, &why))
		return;
	same(kx_type_name(m.type), data, size,
	     kx_msg_encode(&m, h.seq, out, sizeof(out)));
}

static void relay(uint8_t type, const uint8_t *data, size_t size)
{
	static struct relay_msg m;
	static struct lsa lsa;
	const char *why;

	if (type == KX_LSA) {
		if (!route_lsa_decode(data, size, &lsa, &why))
			same("LSA", data, size,
			     route_lsa_encode(&lsa, out, sizeof(out)));
		return;
	}
	if (!relay_msg_decode(type, data, size, &m, &why))
		same(relay_type_name(type), data, size,
		     relay_msg_encode(&m, out, sizeof(out)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] < 0x80)
		kx_frame(data + 1, size - 1);
	else
		relay(KX_LSA + data[0] % (__KX_RELAY_TYPE_MAX - KX_LSA),
		      data + 1, size - 1);
	return 0;
}
