/*
 * proxy.c: the PROXY protocol header parser (HAProxy's proxy-protocol.txt,
 * versions 1 and 2), kept apart from any socket so that it can be unit
 * tested and fuzzed byte by byte.
 *
 * What is accepted, and why so little:
 *   v1  "PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n", at most 107 bytes, with
 *       single spaces, numeric addresses of the announced family and
 *       decimal ports 0-65535 without leading zeros; "PROXY UNKNOWN ..."
 *       means "use the real addresses" (v1's health check, per the spec).
 *   v2  version 2, command LOCAL (health checks: the address block is
 *       ignored, as the spec says) or PROXY over STREAM with AF_INET or
 *       AF_INET6.  PROXY with UNSPEC, AF_UNIX or a datagram transport is
 *       refused: there is no client address to apply from= and Match
 *       Address to, and falling back to the proxy's own address would
 *       make every client look like the proxy host.  TLVs are skipped, but
 *       each must fit the header; the whole header is at most 16 + 216
 *       bytes (the largest address block), so a length field cannot make
 *       us wait for, or buffer, more.
 * The caller reads the header and nothing after it: a result of
 * PROXY_MORE promises that every byte seen so far is header.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "proxy.h"

#define PROXY_V1_PREFIX		"PROXY "
#define PROXY_V1_PREFIX_LEN	6
#define PROXY_V2_PREAMBLE	16

#define PROXY_V2_LOCAL		0x0
#define PROXY_V2_PROXY		0x1
#define PROXY_V2_AF_UNSPEC	0x0
#define PROXY_V2_AF_INET	0x1
#define PROXY_V2_AF_INET6	0x2
#define PROXY_V2_AF_UNIX	0x3
#define PROXY_V2_STREAM		0x1
#define PROXY_V2_DGRAM		0x2

static const uint8_t proxy_v2_sig[PROXY_SIG_LEN] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

static enum proxy_result
proxy_bad(struct proxy_hdr *ph, const char *why)
{
	ph->ph_why = why;
	return PROXY_BAD;
}

/*
 * Decimal 0-65535 as the spec writes it: no sign, no leading zero.  s is
 * never empty: the field split refuses empty fields.
 */
static int
proxy_port(const char *s)
{
	size_t i, n = strlen(s);
	long v = 0;

	if (n > 5 || (s[0] == '0' && n > 1))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v > 65535 ? -1 : (int)v;
}

/* A numeric address of family af, rewritten in its canonical form. */
static int
proxy_addr(int af, const char *s, char *out, size_t outlen)
{
	uint8_t a[sizeof(struct in6_addr)];

	if (inet_pton(af, s, a) != 1 ||
	    inet_ntop(af, a, out, (socklen_t)outlen) == NULL)
		return -1;
	return 0;
}

static enum proxy_result
proxy_v1(const uint8_t *buf, size_t len, struct proxy_hdr *ph)
{
	char line[PROXY_V1_MAX], *f[7], *p;
	const uint8_t *nl;
	size_t n, i;
	int nf, af;

	ph->ph_version = 1;
	n = len < PROXY_V1_PREFIX_LEN ? len : PROXY_V1_PREFIX_LEN;
	if (memcmp(buf, PROXY_V1_PREFIX, n) != 0)
		return proxy_bad(ph, "v1: no \"PROXY \"");
	nl = memchr(buf, '\n', len < PROXY_V1_MAX ? len : PROXY_V1_MAX);
	if (nl == NULL)
		return len < PROXY_V1_MAX ? PROXY_MORE :
		    proxy_bad(ph, "v1: no CRLF within 107 bytes");
	n = (size_t)(nl - buf) + 1;
	/* n >= 7: the prefix matched, so the LF comes after it. */
	if (buf[n - 2] != '\r')
		return proxy_bad(ph, "v1: LF without CR");
	ph->ph_len = n;
	/* The line without its CRLF: at most 105 bytes, so it fits. */
	memcpy(line, buf, n - 2);
	line[n - 2] = '\0';
	/* The spec: after UNKNOWN, ignore the rest of the line. */
	if (strncmp(line, "PROXY UNKNOWN", 13) == 0 &&
	    (line[13] == '\0' || line[13] == ' '))
		return PROXY_LOCAL;
	for (i = 0; i < n - 2; i++)
		if (line[i] < ' ' || line[i] > '~')
			return proxy_bad(ph, "v1: a byte that is not "
			    "printable ASCII");
	/* Exact single spaces: an empty field is a doubled space. */
	for (nf = 0, p = line; p != NULL && nf < 7; nf++) {
		f[nf] = strsep(&p, " ");
		if (*f[nf] == '\0')
			return proxy_bad(ph, "v1: not single spaces");
	}
	if (strcmp(f[1], "TCP4") == 0)
		af = AF_INET;
	else if (strcmp(f[1], "TCP6") == 0)
		af = AF_INET6;
	else
		return proxy_bad(ph, "v1: protocol not TCP4, TCP6 or UNKNOWN");
	if (nf != 6)
		return proxy_bad(ph, nf < 6 ? "v1: fewer than 6 fields" :
		    "v1: more than 6 fields");
	if (proxy_addr(af, f[2], ph->ph_src, sizeof(ph->ph_src)) == -1)
		return proxy_bad(ph, "v1: bad source address");
	if (proxy_addr(af, f[3], ph->ph_dst, sizeof(ph->ph_dst)) == -1)
		return proxy_bad(ph, "v1: bad destination address");
	if ((ph->ph_src_port = proxy_port(f[4])) == -1)
		return proxy_bad(ph, "v1: bad source port");
	if ((ph->ph_dst_port = proxy_port(f[5])) == -1)
		return proxy_bad(ph, "v1: bad destination port");
	return PROXY_OK;
}

/* Every TLV after the addresses must end inside the header. */
static int
proxy_v2_tlvs(const uint8_t *p, const uint8_t *end)
{
	size_t tl;

	while (p < end) {
		if (end - p < 3)
			return -1;
		tl = (size_t)p[1] << 8 | p[2];
		if (tl > (size_t)(end - p) - 3)
			return -1;
		p += 3 + tl;
	}
	return 0;
}

static enum proxy_result
proxy_v2(const uint8_t *buf, size_t len, struct proxy_hdr *ph)
{
	const uint8_t *p;
	size_t n, total, alen;
	int af;

	ph->ph_version = 2;
	n = len < PROXY_SIG_LEN ? len : PROXY_SIG_LEN;
	if (memcmp(buf, proxy_v2_sig, n) != 0)
		return proxy_bad(ph, "v2: bad signature");
	if (len < PROXY_V2_PREAMBLE)
		return PROXY_MORE;
	if (buf[12] >> 4 != 2)
		return proxy_bad(ph, "v2: version is not 2");
	if ((buf[12] & 0xf) != PROXY_V2_LOCAL &&
	    (buf[12] & 0xf) != PROXY_V2_PROXY)
		return proxy_bad(ph, "v2: command is not LOCAL or PROXY");
	total = PROXY_V2_PREAMBLE + ((size_t)buf[14] << 8 | buf[15]);
	if (total > PROXY_V2_MAX)
		return proxy_bad(ph, "v2: longer than 232 bytes");
	if (len < total)
		return PROXY_MORE;
	ph->ph_len = total;
	if ((buf[12] & 0xf) == PROXY_V2_LOCAL)
		return PROXY_LOCAL;
	switch (buf[13] >> 4) {
	case PROXY_V2_AF_INET:
		af = AF_INET;
		alen = 2 * sizeof(struct in_addr) + 4;
		break;
	case PROXY_V2_AF_INET6:
		af = AF_INET6;
		alen = 2 * sizeof(struct in6_addr) + 4;
		break;
	case PROXY_V2_AF_UNSPEC:
		return proxy_bad(ph, "v2: PROXY with family UNSPEC");
	case PROXY_V2_AF_UNIX:
		return proxy_bad(ph, "v2: AF_UNIX addresses");
	default:
		return proxy_bad(ph, "v2: unknown address family");
	}
	if ((buf[13] & 0xf) == PROXY_V2_DGRAM)
		return proxy_bad(ph, "v2: datagram transport");
	if ((buf[13] & 0xf) != PROXY_V2_STREAM)
		return proxy_bad(ph, "v2: transport is not STREAM");
	if (total - PROXY_V2_PREAMBLE < alen)
		return proxy_bad(ph, "v2: address block too short");
	p = buf + PROXY_V2_PREAMBLE;
	n = (alen - 4) / 2;
	/* Binary addresses always convert: the buffers are big enough. */
	inet_ntop(af, p, ph->ph_src, sizeof(ph->ph_src));
	inet_ntop(af, p + n, ph->ph_dst, sizeof(ph->ph_dst));
	ph->ph_src_port = p[2 * n] << 8 | p[2 * n + 1];
	ph->ph_dst_port = p[2 * n + 2] << 8 | p[2 * n + 3];
	if (proxy_v2_tlvs(p + alen, buf + total) == -1)
		return proxy_bad(ph, "v2: a TLV overruns the header");
	return PROXY_OK;
}

enum proxy_result
proxy_parse(const uint8_t *buf, size_t len, struct proxy_hdr *ph)
{
	memset(ph, 0, sizeof(*ph));
	if (len == 0)
		return PROXY_MORE;
	if (buf[0] == PROXY_V1_PREFIX[0])
		return proxy_v1(buf, len, ph);
	if (buf[0] == proxy_v2_sig[0])
		return proxy_v2(buf, len, ph);
	return proxy_bad(ph, "not a PROXY header");
}

int
proxy_is_header(const uint8_t *buf, size_t len)
{
	if (len >= PROXY_V1_PREFIX_LEN &&
	    memcmp(buf, PROXY_V1_PREFIX, PROXY_V1_PREFIX_LEN) == 0)
		return 1;
	if (len >= PROXY_SIG_LEN && memcmp(buf, proxy_v2_sig,
	    PROXY_SIG_LEN) == 0)
		return 2;
	return 0;
}
