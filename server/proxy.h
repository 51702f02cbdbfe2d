/*
 * proxy.h: the PROXY protocol header (HAProxy's, versions 1 and 2),
 * parsed from bytes already received; no I/O.
 */
#ifndef JG_PROXY_H
#define JG_PROXY_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* v1: "PROXY TCP6 " and two full addresses, ports and CRLF. */
#define PROXY_V1_MAX	107
/* v2: the 16-byte preamble and the largest address block (AF_UNIX). */
#define PROXY_V2_MAX	(16 + 216)
#define PROXY_MAX	PROXY_V2_MAX
/* The longest prefix proxy_is_header needs to decide. */
#define PROXY_SIG_LEN	12

enum proxy_result {
	PROXY_MORE = 0,	/* a valid start: wait for more bytes */
	PROXY_OK,	/* ph_src and ph_dst carry the connection */
	PROXY_LOCAL,	/* a valid header that says: use the real addresses */
	PROXY_BAD,	/* not a header we accept; ph_why says why */
};

struct proxy_hdr {
	size_t		 ph_len;	/* bytes the header takes */
	int		 ph_version;	/* 1 or 2; 0 before it is known */
	char		 ph_src[ADDR_STRLEN];
	int		 ph_src_port;
	char		 ph_dst[ADDR_STRLEN];
	int		 ph_dst_port;
	const char	*ph_why;	/* PROXY_BAD: a static text */
};

/*
 * Parses the first len bytes a connection sent.  PROXY_MORE guarantees
 * that all len bytes belong to the header (a caller may consume them);
 * PROXY_OK and PROXY_LOCAL set ph_len, and the bytes after it are the
 * connection's own.  Never reads past buf[len - 1].
 */
enum proxy_result proxy_parse(const uint8_t *buf, size_t len,
	    struct proxy_hdr *ph);

/*
 * The version (1 or 2) when buf starts with a PROXY header's marker
 * ("PROXY " or v2's 12-byte signature), else 0.
 */
int	proxy_is_header(const uint8_t *buf, size_t len);

#endif
