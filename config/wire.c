/*
 * wire.c: the bounds-checked SSH wire reader of wire.h.
 *
 * Kept apart from cert.c and krl.c so that the one piece of code that
 * turns untrusted lengths into pointers is small enough to read whole.
 */
#include <stdlib.h>
#include <string.h>

#include "wire.h"

void
wire_init(struct wire *w, const void *p, size_t len)
{
	w->w_p = p;
	w->w_len = len;
}

int
wire_u8(struct wire *w, uint8_t *v)
{
	if (w->w_len < 1)
		return -1;
	*v = w->w_p[0];
	w->w_p++;
	w->w_len--;
	return 0;
}

int
wire_u32(struct wire *w, uint32_t *v)
{
	if (w->w_len < 4)
		return -1;
	*v = (uint32_t)w->w_p[0] << 24 | (uint32_t)w->w_p[1] << 16 |
	    (uint32_t)w->w_p[2] << 8 | (uint32_t)w->w_p[3];
	w->w_p += 4;
	w->w_len -= 4;
	return 0;
}

int
wire_u64(struct wire *w, uint64_t *v)
{
	uint32_t hi, lo;
	struct wire save = *w;

	if (wire_u32(w, &hi) == -1 || wire_u32(w, &lo) == -1) {
		*w = save;
		return -1;
	}
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

int
wire_string(struct wire *w, struct wire *out)
{
	struct wire save = *w;
	uint32_t len;

	if (wire_u32(w, &len) == -1)
		return -1;
	if (len > w->w_len) {
		*w = save;
		return -1;
	}
	out->w_p = w->w_p;
	out->w_len = len;
	w->w_p += len;
	w->w_len -= len;
	return 0;
}

int
wire_cstring(struct wire *w, struct wire *out)
{
	struct wire save = *w;

	if (wire_string(w, out) == -1)
		return -1;
	if (out->w_len > 0 && memchr(out->w_p, '\0', out->w_len) != NULL) {
		*w = save;
		return -1;
	}
	return 0;
}

int
wire_mpint(struct wire *w, size_t maxbytes, struct wire *out)
{
	struct wire save = *w, m;

	if (wire_string(w, &m) == -1)
		return -1;
	/* Zero, negative, or a leading zero the next byte does not need. */
	if (m.w_len == 0 || (m.w_p[0] & 0x80) != 0 ||
	    (m.w_p[0] == 0 && (m.w_len == 1 || (m.w_p[1] & 0x80) == 0)))
		goto bad;
	if (m.w_p[0] == 0) {
		m.w_p++;
		m.w_len--;
	}
	if (m.w_len > maxbytes)
		goto bad;
	*out = m;
	return 0;
bad:
	*w = save;
	return -1;
}

int
wire_eq(const struct wire *w, const char *s)
{
	size_t len = strlen(s);

	return w->w_len == len && memcmp(w->w_p, s, len) == 0;
}

char *
wire_strdup(const struct wire *w)
{
	char *s;

	if ((s = malloc(w->w_len + 1)) == NULL)
		return NULL;
	if (w->w_len > 0)
		memcpy(s, w->w_p, w->w_len);
	s[w->w_len] = '\0';
	return s;
}
