// SPDX-License-Identifier: GPL-2.0
/* The head of an HTTP/1.1 request: see http.h. Pure, no I/O. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"

const char *http_reason(int code)
{
	switch (code) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

static int refuse(int code, const char *what, const char **why)
{
	*why = what;
	return -code;
}

/* One line of [p, end) without its CRLF; NULL if the CRLF is missing. */
static const char *next_line(const char *p, const char *end, size_t *len)
{
	const char *nl = memchr(p, '\n', end - p);

	if (!nl || nl == p || nl[-1] != '\r')
		return NULL;
	*len = nl - 1 - p;
	return nl + 1;
}

static int request_line(const char *p, size_t len, struct http_req *r,
			const char **why)
{
	const char *sp1 = memchr(p, ' ', len), *sp2, *q, *end = p + len;
	size_t n;

	if (!sp1 || sp1 == p || (size_t)(sp1 - p) >= sizeof(r->method))
		return refuse(400, "bad request line", why);
	for (q = p; q < sp1; q++)
		if (*q < 'A' || *q > 'Z')
			return refuse(400, "bad method", why);
	memcpy(r->method, p, sp1 - p);
	r->method[sp1 - p] = '\0';
	sp2 = memchr(sp1 + 1, ' ', end - sp1 - 1);
	if (!sp2 || sp1[1] != '/')
		return refuse(400, "bad request target", why);
	if (end - sp2 - 1 != 8 || memcmp(sp2 + 1, "HTTP/1.", 7))
		return refuse(505, "HTTP/1.x only", why);
	if (sp2[8] != '0' && sp2[8] != '1')
		return refuse(505, "HTTP/1.0 or HTTP/1.1 only", why);
	r->keep_alive = sp2[8] == '1';
	for (q = sp1 + 1; q < sp2; q++)
		if (*q <= ' ' || *q == 0x7f)
			return refuse(400, "bad request target", why);
	q = memchr(sp1 + 1, '?', sp2 - sp1 - 1);
	n = (q ? q : sp2) - sp1 - 1;
	if (n >= sizeof(r->path) || (q && (size_t)(sp2 - q - 1) >= sizeof(r->query)))
		return refuse(431, "request target too long", why);
	memcpy(r->path, sp1 + 1, n);
	r->path[n] = '\0';
	if (q) {
		memcpy(r->query, q + 1, sp2 - q - 1);
		r->query[sp2 - q - 1] = '\0';
	}
	return 0;
}

/* Strict decimal; a second Content-Length must say the same. */
static int content_length(const char *v, size_t len, struct http_req *r,
			  bool *seen, const char **why)
{
	size_t n = 0, i;

	if (!len || len > 18)
		return refuse(400, "bad Content-Length", why);
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return refuse(400, "bad Content-Length", why);
		n = n * 10 + (v[i] - '0');
	}
	if (*seen && n != r->content_length)
		return refuse(400, "conflicting Content-Length", why);
	*seen = true;
	r->content_length = n;
	return 0;
}

static bool is(const char *s, size_t len, const char *word)
{
	return len == strlen(word) && !strncasecmp(s, word, len);
}

static int header(const char *p, size_t len, struct http_req *r, bool *cl,
		  const char **why)
{
	const char *colon = memchr(p, ':', len), *v, *end = p + len, *q;
	size_t nlen;

	if (!colon || colon == p)
		return refuse(400, "bad header line", why);
	nlen = colon - p;
	for (q = p; q < colon; q++)
		if (*q <= ' ' || *q == 0x7f)
			return refuse(400, "bad header name", why);
	for (v = colon + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (is(p, nlen, "Content-Length"))
		return content_length(v, end - v, r, cl, why);
	if (is(p, nlen, "Transfer-Encoding"))
		r->chunked = true;
	else if (is(p, nlen, "Connection") && is(v, end - v, "close"))
		r->keep_alive = false;
	else if (is(p, nlen, "Connection") && is(v, end - v, "keep-alive"))
		r->keep_alive = true;
	else if (is(p, nlen, "Expect") && is(v, end - v, "100-continue"))
		r->expect_continue = true;
	return 0;
}

int http_parse_head(const char *buf, size_t len, struct http_req *r,
		    size_t *head_len, const char **why)
{
	const char *p = buf, *end, *next;
	bool cl = false;
	size_t n;
	int ret;

	memset(r, 0, sizeof(*r));
	*why = NULL;
	if (len > HTTP_HEAD_MAX)
		len = HTTP_HEAD_MAX;
	end = buf + len;
	next = next_line(p, end, &n);
	if (!next)
		goto incomplete;
	ret = request_line(p, n, r, why);
	if (ret)
		return ret;
	for (p = next; p < end; p = next) {
		if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {
			*head_len = p + 2 - buf;
			return 0;
		}
		next = next_line(p, end, &n);
		if (!next)
			goto incomplete;
		ret = header(p, n, r, &cl, why);
		if (ret)
			return ret;
	}
incomplete:
	if (p < end && memchr(p, '\n', end - p))
		return refuse(400, "bare LF in the request head", why);
	if (len == HTTP_HEAD_MAX)
		return refuse(431, "request head too large", why);
	return -EAGAIN;
}
