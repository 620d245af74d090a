/* buf.c - the growable text buffer the renderers write into. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viewfs.h"

static int vbuf_reserve(struct vbuf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + extra + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

int vbuf_put(struct vbuf *b, const char *s, size_t n)
{
	if (vbuf_reserve(b, n) < 0)
		return -ENOMEM;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int vbuf_printf(struct vbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if (b->p && b->len + (size_t)n < b->cap) {
		b->len += (size_t)n;
		return 0;
	}
	if (vbuf_reserve(b, (size_t)n) < 0)
		return -ENOMEM;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void vbuf_reset(struct vbuf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

void vbuf_free(struct vbuf *b)
{
	free(b->p);
	*b = (struct vbuf){ 0 };
}
