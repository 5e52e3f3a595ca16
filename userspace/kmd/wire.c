// SPDX-License-Identifier: GPL-2.0
/* Bounded wire readers and writers: see wire.h. */
#include <errno.h>
#include <string.h>

#include "wire.h"

int wire_fail(struct wire_rd *r, const char *why)
{
	if (!r->why)
		r->why = why;
	return -EINVAL;
}

int wire_get(struct wire_rd *r, void *out, size_t n)
{
	if (r->why)
		return -EINVAL;
	if (r->left < n)
		return wire_fail(r, "payload truncated");
	if (out)
		memcpy(out, r->p, n);
	r->p += n;
	r->left -= n;
	return 0;
}

int wire_get_be(struct wire_rd *r, uint64_t *v, int bytes)
{
	const uint8_t *p = r->p;

	if (wire_get(r, NULL, bytes))
		return -EINVAL;
	for (*v = 0; bytes--; p++)
		*v = (*v << 8) | *p;
	return 0;
}

static bool id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

static int get_string(struct wire_rd *r, char *out, size_t min, size_t max,
		      bool (*ok)(char))
{
	uint64_t len;
	size_t i;

	if (wire_get_be(r, &len, 1))
		return -EINVAL;
	if (len < min || len > max)
		return wire_fail(r, min ? "node ID length out of range" :
				 "text too long");
	if (wire_get(r, out, len))
		return -EINVAL;
	out[len] = '\0';
	for (i = 0; i < len; i++)
		if (!ok(out[i]))
			return wire_fail(r, min ? "bad character in node ID" :
					 "text is not printable ASCII");
	return 0;
}

int wire_get_id(struct wire_rd *r, char *out, size_t max)
{
	return get_string(r, out, 1, max, id_char);
}

static bool text_char(char c)
{
	return c >= 0x20 && c <= 0x7e;
}

int wire_get_text(struct wire_rd *r, char *out, size_t max)
{
	return get_string(r, out, 0, max, text_char);
}

int wire_end(struct wire_rd *r)
{
	if (r->why)
		return -EINVAL;
	return r->left ? wire_fail(r, "trailing bytes after the payload") : 0;
}

void wire_put(struct wire_wr *w, const void *in, size_t n)
{
	if (w->overflow || w->left < n) {
		w->overflow = true;
		return;
	}
	memcpy(w->p, in, n);
	w->p += n;
	w->left -= n;
}

void wire_put_be(struct wire_wr *w, uint64_t v, int bytes)
{
	uint8_t b[8];
	int i;

	for (i = 0; i < bytes; i++)
		b[i] = v >> (8 * (bytes - 1 - i));
	wire_put(w, b, bytes);
}

void wire_put_str(struct wire_wr *w, const char *s)
{
	size_t len = strlen(s);

	if (len > UINT8_MAX) {
		w->overflow = true;
		return;
	}
	wire_put_be(w, len, 1);
	wire_put(w, s, len);
}
