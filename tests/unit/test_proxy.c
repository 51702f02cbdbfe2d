/*
 * test_proxy.c: proxy_parse() and proxy_is_header(), every branch.
 *
 * The parser decides what address a trusted proxy's client gets, and so
 * what from= and Match Address see; and it must never claim a byte past
 * the header, which would eat the client's SSH banner.  So each accepted
 * header is also fed one byte at a time (every prefix must say "more")
 * and with SSH bytes after it (ph_len must stop at the header).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proxy.h"

#define SSH_BANNER	"SSH-2.0-OpenSSH_9.2\r\n"

static const uint8_t sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

/* Every strict prefix of an accepted header asks for more. */
static void
check_prefixes(const uint8_t *buf, size_t len)
{
	struct proxy_hdr ph;
	size_t i;

	for (i = 0; i < len; i++)
		assert_int_equal(proxy_parse(buf, i, &ph), PROXY_MORE);
}

/* buf[0..len) is one whole header: check it alone and with SSH after. */
static enum proxy_result
parse_whole(const uint8_t *buf, size_t len, struct proxy_hdr *ph)
{
	uint8_t more[PROXY_MAX + sizeof(SSH_BANNER)];
	enum proxy_result r, r2;
	struct proxy_hdr ph2;

	r = proxy_parse(buf, len, ph);
	if (r == PROXY_BAD)
		return r;
	assert_int_equal(ph->ph_len, len);
	check_prefixes(buf, len);
	assert_true(len + sizeof(SSH_BANNER) <= sizeof(more));
	memcpy(more, buf, len);
	memcpy(more + len, SSH_BANNER, sizeof(SSH_BANNER) - 1);
	r2 = proxy_parse(more, len + sizeof(SSH_BANNER) - 1, &ph2);
	assert_int_equal(r2, r);
	assert_int_equal(ph2.ph_len, len);
	return r;
}

static enum proxy_result
v1(const char *s, struct proxy_hdr *ph)
{
	return parse_whole((const uint8_t *)s, strlen(s), ph);
}

static void
bad_v1(const char *s, const char *why)
{
	struct proxy_hdr ph;

	assert_int_equal(proxy_parse((const uint8_t *)s, strlen(s), &ph),
	    PROXY_BAD);
	assert_string_equal(ph.ph_why, why);
	assert_int_equal(ph.ph_version, 1);
}

static void
test_v1_tcp4(void **state)
{
	struct proxy_hdr ph;

	assert_int_equal(v1("PROXY TCP4 203.0.113.7 192.0.2.10 4711 22\r\n",
	    &ph), PROXY_OK);
	assert_int_equal(ph.ph_version, 1);
	assert_string_equal(ph.ph_src, "203.0.113.7");
	assert_int_equal(ph.ph_src_port, 4711);
	assert_string_equal(ph.ph_dst, "192.0.2.10");
	assert_int_equal(ph.ph_dst_port, 22);
	assert_int_equal(v1("PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n",
	    &ph), PROXY_OK);
	assert_int_equal(ph.ph_src_port, 0);
	assert_int_equal(ph.ph_dst_port, 65535);
}

static void
test_v1_tcp6(void **state)
{
	struct proxy_hdr ph;
	const char *longest = "PROXY TCP6 "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
	/* The spec's worst case, 107 bytes, is the same with UNKNOWN. */
	const char *unknown = "PROXY UNKNOWN "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";

	/* Addresses come back canonical, as addr_peer would print them. */
	assert_int_equal(v1("PROXY TCP6 2001:DB8:0:0::7 2001:db8::1 1 2\r\n",
	    &ph), PROXY_OK);
	assert_string_equal(ph.ph_src, "2001:db8::7");
	assert_string_equal(ph.ph_dst, "2001:db8::1");
	assert_int_equal(ph.ph_src_port, 1);
	assert_int_equal(ph.ph_dst_port, 2);
	assert_int_equal(strlen(longest), 104);
	assert_int_equal(v1(longest, &ph), PROXY_OK);
	assert_int_equal(strlen(unknown), PROXY_V1_MAX);
	assert_int_equal(v1(unknown, &ph), PROXY_LOCAL);
	assert_int_equal(v1("PROXY TCP6 ::ffff:1.2.3.4 ::1 5 6\r\n", &ph),
	    PROXY_OK);
	assert_string_equal(ph.ph_src, "::ffff:1.2.3.4");
}

static void
test_v1_unknown(void **state)
{
	struct proxy_hdr ph;

	assert_int_equal(v1("PROXY UNKNOWN\r\n", &ph), PROXY_LOCAL);
	assert_int_equal(ph.ph_len, 15);
	/* Whatever follows UNKNOWN is ignored, as the spec demands. */
	assert_int_equal(v1("PROXY UNKNOWN ffff::1 \x01 x\r\n", &ph),
	    PROXY_LOCAL);
	bad_v1("PROXY UNKNOWNX 1.2.3.4 1.2.3.4 1 2\r\n",
	    "v1: protocol not TCP4, TCP6 or UNKNOWN");
}

static void
test_v1_more(void **state)
{
	struct proxy_hdr ph;
	char buf[200];

	assert_int_equal(proxy_parse((const uint8_t *)"", 0, &ph),
	    PROXY_MORE);
	assert_int_equal(proxy_parse((const uint8_t *)"PRO", 3, &ph),
	    PROXY_MORE);
	/* 106 bytes without LF: the 107th may still be it. */
	memset(buf, 'x', sizeof(buf));
	memcpy(buf, "PROXY ", 6);
	assert_int_equal(proxy_parse((uint8_t *)buf, PROXY_V1_MAX - 1, &ph),
	    PROXY_MORE);
	bad_v1("PROXY UNKNOWN but a line that goes on and on and on and on "
	    "and on and on past the one hundred and seven bytes of the spec"
	    "\r\n",
	    "v1: no CRLF within 107 bytes");
	memcpy(buf + 107, "\r\n", 2);
	assert_int_equal(proxy_parse((uint8_t *)buf, PROXY_V1_MAX, &ph),
	    PROXY_BAD);
	assert_string_equal(ph.ph_why, "v1: no CRLF within 107 bytes");
}

static void
test_v1_bad(void **state)
{
	bad_v1("PROXX", "v1: no \"PROXY \"");
	bad_v1("PROXY\tTCP4", "v1: no \"PROXY \"");
	bad_v1("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", "v1: LF without CR");
	bad_v1("PROXY \n", "v1: LF without CR");
	bad_v1("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n",
	    "v1: a byte that is not printable ASCII");
	bad_v1("PROXY TCP4 1.2.3.4 5.6.7.8 1\t2\r\n",
	    "v1: a byte that is not printable ASCII");
	bad_v1("PROXY TCP4 1.2.3.4 5.6.7.8 1 \xb2\r\n",
	    "v1: a byte that is not printable ASCII");
	bad_v1("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\x7f\r\n",
	    "v1: a byte that is not printable ASCII");
	bad_v1("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n", "v1: not single spaces");
	bad_v1("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", "v1: not single spaces");
	bad_v1("PROXY \r\n", "v1: not single spaces");
	bad_v1("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",
	    "v1: more than 6 fields");
	bad_v1("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3 4 5\r\n",
	    "v1: more than 6 fields");
	bad_v1("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", "v1: fewer than 6 fields");
	bad_v1("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n",
	    "v1: protocol not TCP4, TCP6 or UNKNOWN");
	bad_v1("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n",
	    "v1: protocol not TCP4, TCP6 or UNKNOWN");
	/* The family must match the protocol; no names, no short forms. */
	bad_v1("PROXY TCP4 ::1 5.6.7.8 1 2\r\n", "v1: bad source address");
	bad_v1("PROXY TCP6 1.2.3.4 ::1 1 2\r\n", "v1: bad source address");
	bad_v1("PROXY TCP6 ::1 1.2.3.4 1 2\r\n",
	    "v1: bad destination address");
	bad_v1("PROXY TCP4 localhost 5.6.7.8 1 2\r\n",
	    "v1: bad source address");
	bad_v1("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", "v1: bad source address");
	bad_v1("PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n", "v1: bad source address");
	bad_v1("PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n", "v1: bad source address");
	/* Ports: decimal, 0-65535, no sign, no leading zero or junk. */
	bad_v1("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", "v1: bad source port");
	bad_v1("PROXY TCP4 1.2.3.4 5.6.7.8 04711 2\r\n", "v1: bad source port");
	bad_v1("PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n", "v1: bad source port");
	bad_v1("PROXY TCP4 1.2.3.4 5.6.7.8 100000 2\r\n",
	    "v1: bad source port");
	bad_v1("PROXY TCP4 1.2.3.4 5.6.7.8 1x 2\r\n", "v1: bad source port");
	bad_v1("PROXY TCP4 1.2.3.4 5.6.7.8 1 -2\r\n",
	    "v1: bad destination port");
	bad_v1("PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n",
	    "v1: bad destination port");
}

/* A v2 header: preamble, then body (addresses and TLVs) of blen bytes. */
static size_t
v2_make(uint8_t *out, uint8_t vercmd, uint8_t fam, const uint8_t *body,
    size_t blen)
{
	memcpy(out, sig, sizeof(sig));
	out[12] = vercmd;
	out[13] = fam;
	out[14] = (uint8_t)(blen >> 8);
	out[15] = (uint8_t)blen;
	if (blen > 0)
		memcpy(out + 16, body, blen);
	return 16 + blen;
}

static const uint8_t body4[12] = {
	203, 0, 113, 7, 192, 0, 2, 10, 0x12, 0x67, 0x00, 0x16
};

static void
bad_v2(const uint8_t *buf, size_t len, const char *why)
{
	struct proxy_hdr ph;

	assert_int_equal(proxy_parse(buf, len, &ph), PROXY_BAD);
	assert_string_equal(ph.ph_why, why);
	assert_int_equal(ph.ph_version, 2);
}

static void
test_v2_tcp4(void **state)
{
	uint8_t buf[PROXY_MAX + 64], body[64];
	struct proxy_hdr ph;
	size_t n;

	n = v2_make(buf, 0x21, 0x11, body4, sizeof(body4));
	assert_int_equal(parse_whole(buf, n, &ph), PROXY_OK);
	assert_int_equal(ph.ph_version, 2);
	assert_string_equal(ph.ph_src, "203.0.113.7");
	assert_int_equal(ph.ph_src_port, 4711);
	assert_string_equal(ph.ph_dst, "192.0.2.10");
	assert_int_equal(ph.ph_dst_port, 22);
	/* TLVs after the addresses are skipped: a NOOP and an empty one. */
	memcpy(body, body4, sizeof(body4));
	memcpy(body + 12, "\x04\x00\x03xyz\x05\x00\x00", 9);
	n = v2_make(buf, 0x21, 0x11, body, 21);
	assert_int_equal(parse_whole(buf, n, &ph), PROXY_OK);
	assert_string_equal(ph.ph_src, "203.0.113.7");
}

static void
test_v2_tcp6(void **state)
{
	uint8_t buf[PROXY_MAX + 64], body[216];
	struct proxy_hdr ph;
	size_t n;

	memset(body, 0, sizeof(body));
	body[0] = 0x20, body[1] = 0x01, body[2] = 0x0d, body[3] = 0xb8;
	body[15] = 7;
	body[16] = 0x20, body[17] = 0x01, body[18] = 0x0d, body[19] = 0xb8;
	body[31] = 1;
	body[32] = 0xff, body[33] = 0xff, body[34] = 0, body[35] = 0;
	n = v2_make(buf, 0x21, 0x21, body, 36);
	assert_int_equal(parse_whole(buf, n, &ph), PROXY_OK);
	assert_string_equal(ph.ph_src, "2001:db8::7");
	assert_string_equal(ph.ph_dst, "2001:db8::1");
	assert_int_equal(ph.ph_src_port, 65535);
	assert_int_equal(ph.ph_dst_port, 0);
	/* The longest accepted: 36 bytes of addresses, 180 of one TLV. */
	body[36] = 0xee, body[37] = 0, body[38] = 177;
	n = v2_make(buf, 0x21, 0x21, body, 216);
	assert_int_equal(n, PROXY_V2_MAX);
	assert_int_equal(parse_whole(buf, n, &ph), PROXY_OK);
}

static void
test_v2_local(void **state)
{
	uint8_t buf[PROXY_MAX + 64], body[216];
	struct proxy_hdr ph;
	size_t n;

	/* HAProxy's health check: LOCAL, UNSPEC, no address block. */
	n = v2_make(buf, 0x20, 0x00, NULL, 0);
	assert_int_equal(parse_whole(buf, n, &ph), PROXY_LOCAL);
	assert_int_equal(ph.ph_len, 16);
	/* LOCAL ignores the block, whatever family it claims. */
	memset(body, 0xff, sizeof(body));
	n = v2_make(buf, 0x20, 0x32, body, 5);
	assert_int_equal(parse_whole(buf, n, &ph), PROXY_LOCAL);
	assert_int_equal(ph.ph_len, 21);
}

static void
test_v2_more(void **state)
{
	uint8_t buf[PROXY_MAX + 64];
	struct proxy_hdr ph;
	size_t n;

	/* Waiting for the body promises every byte so far is header. */
	n = v2_make(buf, 0x21, 0x11, body4, sizeof(body4));
	assert_int_equal(proxy_parse(buf, 12, &ph), PROXY_MORE);
	assert_int_equal(proxy_parse(buf, 16, &ph), PROXY_MORE);
	assert_int_equal(proxy_parse(buf, n - 1, &ph), PROXY_MORE);
	assert_int_equal(proxy_parse(buf, n, &ph), PROXY_OK);
}

static void
test_v2_bad(void **state)
{
	uint8_t buf[PROXY_MAX + 64], body[300];
	size_t n;

	memset(body, 0, sizeof(body));
	memcpy(body, body4, sizeof(body4));
	/* Signature wrong at its last byte, and right away on a prefix. */
	n = v2_make(buf, 0x21, 0x11, body4, sizeof(body4));
	buf[11] = 'x';
	bad_v2(buf, n, "v2: bad signature");
	bad_v2(buf, 12, "v2: bad signature");
	bad_v2((const uint8_t *)"\r\n\r\r", 4, "v2: bad signature");
	n = v2_make(buf, 0x11, 0x11, body4, sizeof(body4));
	bad_v2(buf, n, "v2: version is not 2");
	n = v2_make(buf, 0x31, 0x11, body4, sizeof(body4));
	bad_v2(buf, n, "v2: version is not 2");
	n = v2_make(buf, 0x22, 0x11, body4, sizeof(body4));
	bad_v2(buf, n, "v2: command is not LOCAL or PROXY");
	/* Too long is refused from the preamble alone, without waiting. */
	n = v2_make(buf, 0x21, 0x21, body, 217);
	bad_v2(buf, 16, "v2: longer than 232 bytes");
	buf[14] = 0xff, buf[15] = 0xff;
	bad_v2(buf, 16, "v2: longer than 232 bytes");
	n = v2_make(buf, 0x21, 0x01, body4, sizeof(body4));
	bad_v2(buf, n, "v2: PROXY with family UNSPEC");
	n = v2_make(buf, 0x21, 0x00, NULL, 0);
	bad_v2(buf, n, "v2: PROXY with family UNSPEC");
	n = v2_make(buf, 0x21, 0x31, body, 216);
	bad_v2(buf, n, "v2: AF_UNIX addresses");
	n = v2_make(buf, 0x21, 0x41, body4, sizeof(body4));
	bad_v2(buf, n, "v2: unknown address family");
	n = v2_make(buf, 0x21, 0x12, body4, sizeof(body4));
	bad_v2(buf, n, "v2: datagram transport");
	n = v2_make(buf, 0x21, 0x10, body4, sizeof(body4));
	bad_v2(buf, n, "v2: transport is not STREAM");
	n = v2_make(buf, 0x21, 0x13, body4, sizeof(body4));
	bad_v2(buf, n, "v2: transport is not STREAM");
	n = v2_make(buf, 0x21, 0x11, body4, 11);
	bad_v2(buf, n, "v2: address block too short");
	n = v2_make(buf, 0x21, 0x21, body, 35);
	bad_v2(buf, n, "v2: address block too short");
	/* TLVs: a header of two bytes, then one whose value runs over. */
	body[12] = 0x04, body[13] = 0x00;
	n = v2_make(buf, 0x21, 0x11, body, 14);
	bad_v2(buf, n, "v2: a TLV overruns the header");
	body[12] = 0x04, body[13] = 0x00, body[14] = 0x02, body[15] = 'x';
	n = v2_make(buf, 0x21, 0x11, body, 16);
	bad_v2(buf, n, "v2: a TLV overruns the header");
	body[12] = 0x04, body[13] = 0xff, body[14] = 0xff;
	n = v2_make(buf, 0x21, 0x11, body, 20);
	bad_v2(buf, n, "v2: a TLV overruns the header");
}

static void
test_not_proxy(void **state)
{
	struct proxy_hdr ph;
	const char *ssh = SSH_BANNER;

	assert_int_equal(proxy_parse((const uint8_t *)ssh, strlen(ssh), &ph),
	    PROXY_BAD);
	assert_string_equal(ph.ph_why, "not a PROXY header");
	assert_int_equal(ph.ph_version, 0);
	assert_int_equal(proxy_parse((const uint8_t *)"\x16\x03\x01", 3,
	    &ph), PROXY_BAD);
}

static void
test_is_header(void **state)
{
	uint8_t buf[32];

	assert_int_equal(proxy_is_header((const uint8_t *)"PROXY TCP4", 10),
	    1);
	assert_int_equal(proxy_is_header((const uint8_t *)"PROXY ", 6), 1);
	/* A prefix cannot decide: it is left to the SSH banner check. */
	assert_int_equal(proxy_is_header((const uint8_t *)"PROXY", 5), 0);
	assert_int_equal(proxy_is_header((const uint8_t *)"PROXYX", 6), 0);
	assert_int_equal(proxy_is_header((const uint8_t *)SSH_BANNER,
	    strlen(SSH_BANNER)), 0);
	memcpy(buf, sig, sizeof(sig));
	assert_int_equal(proxy_is_header(buf, 12), 2);
	assert_int_equal(proxy_is_header(buf, 11), 0);
	buf[4] = 1;
	assert_int_equal(proxy_is_header(buf, 12), 0);
	assert_int_equal(proxy_is_header(buf, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1_tcp4),
		cmocka_unit_test(test_v1_tcp6),
		cmocka_unit_test(test_v1_unknown),
		cmocka_unit_test(test_v1_more),
		cmocka_unit_test(test_v1_bad),
		cmocka_unit_test(test_v2_tcp4),
		cmocka_unit_test(test_v2_tcp6),
		cmocka_unit_test(test_v2_local),
		cmocka_unit_test(test_v2_more),
		cmocka_unit_test(test_v2_bad),
		cmocka_unit_test(test_not_proxy),
		cmocka_unit_test(test_is_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
