// SPDX-License-Identifier: GPL-2.0
/*
 * The head of an HTTP/1.1 request as the Ak server reads it off a
 * connection (etsi014/http_parse.c). The input is what the server holds
 * so far, in a buffer of exactly that size, so that a read past it is an
 * ASan report. Besides the sanitizers, the rules the server relies on:
 * a head taken is the same head whatever follows it, a strict prefix of
 * it is incomplete (-EAGAIN) rather than refused, since bytes come in
 * pieces, and a refusal is one of the codes the server knows how to
 * answer, with a reason.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

static struct http_req r, again;

static void fail(const char *what, size_t len)
{
	fprintf(stderr, "http_parse_head on %zu bytes: %s\n", len, what);
	abort();
}

/* Parse len bytes of data from a buffer of exactly len bytes. */
static int parse(const uint8_t *data, size_t len, struct http_req *req,
		 size_t *head_len, const char **why)
{
	char *buf = malloc(len ? len : 1);
	int ret;

	if (!buf)
		abort();
	memcpy(buf, data, len);
	ret = http_parse_head(buf, len, req, head_len, why);
	free(buf);
	return ret;
}

static void refused(int ret, const char *why, size_t len)
{
	if (ret != -400 && ret != -431 && ret != -505)
		fail("an error the server cannot answer", len);
	if (!why || !*why)
		fail("a refusal without a reason", len);
	if (!strcmp(http_reason(-ret), "Error"))
		fail("a refusal without a reason phrase", len);
}

static void taken(const uint8_t *data, size_t size, size_t head_len)
{
	size_t cut[] = { head_len - 1, head_len - 2, head_len / 2 }, h, i;
	const char *why;
	int ret;

	if (head_len < 4 || head_len > size || head_len > HTTP_HEAD_MAX ||
	    memcmp(data + head_len - 4, "\r\n\r\n", 4))
		fail("a head that does not end in an empty line", size);
	if (!r.method[0] || strspn(r.method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") !=
	    strlen(r.method))
		fail("a method not in capitals", size);
	if (r.path[0] != '/' || strchr(r.path, '?') || strchr(r.path, ' '))
		fail("a path that is not one", size);

	ret = parse(data, head_len, &again, &h, &why);
	if (ret || h != head_len || memcmp(&r, &again, sizeof(r)))
		fail("a different head without what follows it", size);
	for (i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		if (!cut[i] || cut[i] >= head_len)
			continue;
		ret = parse(data, cut[i], &again, &h, &why);
		if (ret != -EAGAIN)
			fail("a prefix of a good head is not incomplete",
			     cut[i]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t head_len = 0;
	const char *why;
	int ret;

	ret = parse(data, size, &r, &head_len, &why);
	if (!ret) {
		if (why)
			fail("a head taken with a reason to refuse it", size);
		taken(data, size, head_len);
	} else if (ret == -EAGAIN) {
		if (size >= HTTP_HEAD_MAX)
			fail("incomplete at the head's limit", size);
	} else {
		refused(ret, why, size);
	}
	return 0;
}
