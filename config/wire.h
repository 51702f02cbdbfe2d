/*
 * wire.h: a bounds-checked reader of SSH wire data (RFC 4251: byte,
 * uint32, uint64, string, mpint), shared by the certificate and KRL
 * parsers.
 *
 * A struct wire is a view (pointer and length) of bytes someone else
 * owns.  Every getter checks what is left before it reads and, on
 * failure, leaves the reader where it was and returns -1, so a length
 * field is never trusted.
 */
#ifndef JG_WIRE_H
#define JG_WIRE_H

#include <stddef.h>
#include <stdint.h>

struct wire {
	const uint8_t	*w_p;
	size_t		 w_len;
};

void	wire_init(struct wire *w, const void *p, size_t len);
int	wire_u8(struct wire *w, uint8_t *v);
int	wire_u32(struct wire *w, uint32_t *v);
int	wire_u64(struct wire *w, uint64_t *v);
/* A string's contents as a view into w. */
int	wire_string(struct wire *w, struct wire *out);
/* The same, refused when it holds a NUL byte (sshbuf_get_cstring). */
int	wire_cstring(struct wire *w, struct wire *out);
/*
 * A positive mpint in its one canonical form: no needless leading zero
 * byte, not negative, at most maxbytes of magnitude.  out is the
 * magnitude, without the sign byte.
 */
int	wire_mpint(struct wire *w, size_t maxbytes, struct wire *out);
/* 1 when the view holds exactly the NUL-free text s. */
int	wire_eq(const struct wire *w, const char *s);
/* A NUL-terminated copy of a view, or NULL when out of memory. */
char	*wire_strdup(const struct wire *w);

#endif
