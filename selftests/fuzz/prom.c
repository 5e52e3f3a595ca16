// SPDX-License-Identifier: GPL-2.0
/*
 * lib/prom.c, included whole to reach its static parts: the request line
 * of a metrics scrape (route()) and the escaping of label values and HELP
 * text. The first byte picks which. A request is served only if its
 * first word is GET and its second /metrics, whatever query or version
 * follow, and an escaped text reads back to the bytes that went in, with
 * no newline or bare quote that would let a label value write a sample of
 * its own.
 */
#include "../../userspace/lib/prom.c"

static void fail(const char *what)
{
	fprintf(stderr, "%s\n", what);
	abort();
}

/*
 * An independent reading of what route() serves: the first word (up to a
 * space) is GET, and the next, up to a space, '?', CR or LF, is /metrics.
 * Like strtok(), it skips the delimiters before each word; strchr()
 * finds the NUL too, so a request that ends in /metrics is served.
 */
static bool scrape(const char *s)
{
	s += strspn(s, " ");
	if (strncmp(s, "GET ", 4))
		return false;
	s += 4 + strspn(s + 4, " ?\r\n");
	return !strncmp(s, "/metrics", 8) && strchr(" ?\r\n", s[8]);
}

static void request(const uint8_t *data, size_t size)
{
	char req[REQ_MAX], copy[REQ_MAX];

	/* read_request() hands over at most REQ_MAX - 1 bytes and a NUL. */
	if (size > REQ_MAX - 1)
		size = REQ_MAX - 1;
	memcpy(req, data, size);
	req[size] = '\0';
	memcpy(copy, req, size + 1);
	if (!route(req) != scrape(copy))
		fail(scrape(copy) ? "a scrape refused" :
		     "a scrape of something else served");
}

/* Undo escaped() at s, up to the closing quote (or the end); NULL if bad. */
static const char *unescape(const char *s, char *out, bool quote)
{
	for (; *s && !(quote && *s == '"'); s++) {
		if (*s == '\n')
			return NULL;
		if (*s != '\\') {
			*out++ = *s;
			continue;
		}
		s++;
		if (*s == '\\')
			*out++ = '\\';
		else if (*s == 'n')
			*out++ = '\n';
		else if (*s == '"' && quote)
			*out++ = '"';
		else
			return NULL;
	}
	*out = '\0';
	return s;
}

static void text(const uint8_t *data, size_t size)
{
	struct qkd_prom m = { 0 };
	char *in = malloc(size + 1), *back = malloc(size + 1);
	const char *p, *end;

	if (!in || !back)
		abort();
	memcpy(in, data, size);
	in[size] = '\0';

	qkd_prom_u64(&m, "qkd_fuzz_total", 7, "peer", in, PROM_END);
	if (m.full || strncmp(m.buf, "qkd_fuzz_total{peer=\"", 21))
		fail("a sample without its label");
	end = unescape(m.buf + 21, back, true);
	if (!end || strcmp(end, "\"} 7\n") || strcmp(in, back))
		fail("a label value that does not read back");
	qkd_prom_free(&m);

	qkd_prom_family(&m, "qkd_fuzz_total", "counter", in);
	p = m.buf + strlen("# HELP qkd_fuzz_total ");
	if (m.full || !(end = strchr(p, '\n')) ||
	    strcmp(end, "\n# TYPE qkd_fuzz_total counter\n"))
		fail("HELP text that writes a line of its own");
	*(char *)end = '\0';
	if (!unescape(p, back, false) || strcmp(in, back))
		fail("HELP text that does not read back");
	qkd_prom_free(&m);
	free(in);
	free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] & 1)
		text(data + 1, size - 1);
	else
		request(data + 1, size - 1);
	return 0;
}
