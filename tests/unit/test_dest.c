/*
 * test_dest.c: the entry parsers behind PermitOpen, PermitDestination
 * and DenyDestination.
 *
 * PermitOpen must read exactly what sshd reads (hpdelim, cleanhostname,
 * permitopen_port); the rule grammar is jumpgate's own, so each form and
 * each refusal is pinned here, and the parsed fields are what the policy
 * code will compare against.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "testutil.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static void
test_permitopen_good(void **state)
{
	static const struct {
		const char	*in;
		const char	*host;
		int		 port;
	} cases[] = {
		{ "localhost:22", "localhost", 22 },
		{ "127.0.0.1:2300", "127.0.0.1", 2300 },
		{ "[::1]:2300", "::1", 2300 },
		{ "[fe80::1%eth0]:1", "fe80::1%eth0", 1 },
		{ "*:443", "*", 443 },
		{ "db.internal:*", "db.internal", AUTHKEYS_PERMIT_ANY_PORT },
		{ "*:*", "*", AUTHKEYS_PERMIT_ANY_PORT },
		{ "[*]:*", "*", AUTHKEYS_PERMIT_ANY_PORT },
		{ "Host.Example.:65535", "Host.Example.", 65535 },
		/* Case and spelling are kept: open_match is a strcmp. */
		{ "LOCALHOST:22", "LOCALHOST", 22 },
		{ "*.example.com:80", "*.example.com", 80 },
		/* Brackets around a name are stripped, as cleanhostname does. */
		{ "[gw]:22", "gw", 22 },
	};
	struct permit_entry pe;
	char err[128];
	size_t i;

	for (i = 0; i < NITEMS(cases); i++) {
		err[0] = '\0';
		if (config_parse_permitopen(cases[i].in, &pe, err,
		    sizeof(err)) != 0)
			fail_msg("rejected %s: %s", cases[i].in, err);
		assert_string_equal(pe.pe_host, cases[i].host);
		assert_int_equal(pe.pe_port, cases[i].port);
		free(pe.pe_host);
	}
}

static void
test_permitopen_bad(void **state)
{
	static const struct {
		const char	*in;
		const char	*err;
	} cases[] = {
		{ "localhost", "bad port number" },
		{ "localhost:", "bad port number" },
		{ "localhost:0", "bad port number" },
		{ "localhost:65536", "bad port number" },
		{ "localhost:-1", "bad port number" },
		{ "localhost:+22", "bad port number" },
		{ "localhost:ssh", "bad port number" },
		{ "localhost:22:23", "bad port number" },
		{ "localhost:0x16", "bad port number" },
		{ "localhost:022222", "bad port number" },
		{ "[::1]", "bad port number" },
		{ "", "bad port number" },
		/* Only ':' separates here; authorized_keys also takes '/'. */
		{ "localhost/22", "missing host" },
		{ "[::1]/22", "missing host" },
		{ "[::1", "missing host" },
		{ "[::1]x:22", "missing host" },
		{ ":22", "missing host" },
		{ "[]:22", "missing host" },
		/* Unbracketed IPv6 splits at the first ':'. */
		{ "::1:22", "missing host" },
		{ "fe80::1:22", "bad port number" },
		/* The keywords are only keywords alone, and as written. */
		{ "any", "bad port number" },
		{ "ANY", "bad port number" },
	};
	struct permit_entry pe;
	char err[128];
	size_t i;

	for (i = 0; i < NITEMS(cases); i++) {
		err[0] = '\0';
		if (config_parse_permitopen(cases[i].in, &pe, err,
		    sizeof(err)) != -1)
			fail_msg("accepted %s", cases[i].in);
		if (strcmp(err, cases[i].err) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].in,
			    err, cases[i].err);
		assert_null(pe.pe_host);
	}
}

/* Expected parse of one rule. */
struct dest_case {
	const char	*in;
	enum dest_kind	 kind;
	const char	*host;	/* DEST_NAME */
	int		 family;	/* DEST_ADDR */
	const char	*addr;	/* DEST_ADDR, numeric */
	int		 prefix;
	int		 lo, hi;
};

static void
check_dest(const struct dest_case *c, int deny)
{
	struct dest_rule dr;
	unsigned char want[16];
	char err[128];

	err[0] = '\0';
	if (config_parse_dest(c->in, deny, &dr, err, sizeof(err)) != 0)
		fail_msg("rejected %s: %s", c->in, err);
	assert_int_equal(dr.dr_deny, deny);
	assert_string_equal(dr.dr_text, c->in);
	assert_int_equal(dr.dr_port_lo, c->lo);
	assert_int_equal(dr.dr_port_hi, c->hi);
	if (dr.dr_kind != c->kind)
		fail_msg("%s: kind %d, want %d", c->in, dr.dr_kind, c->kind);
	if (c->kind == DEST_NAME) {
		assert_non_null(dr.dr_host);
		if (strcmp(dr.dr_host, c->host) != 0)
			fail_msg("%s: host \"%s\", want \"%s\"", c->in,
			    dr.dr_host, c->host);
	} else {
		assert_null(dr.dr_host);
		if (dr.dr_family != c->family)
			fail_msg("%s: family %d, want %d", c->in,
			    dr.dr_family, c->family);
		memset(want, 0, sizeof(want));
		assert_int_equal(inet_pton(c->family, c->addr, want), 1);
		if (memcmp(dr.dr_addr, want, sizeof(want)) != 0)
			fail_msg("%s: address differs from %s", c->in,
			    c->addr);
		if (dr.dr_prefix != c->prefix)
			fail_msg("%s: prefix %d, want %d", c->in,
			    dr.dr_prefix, c->prefix);
	}
	config_dest_free(&dr);
	assert_null(dr.dr_text);
	config_dest_free(&dr);	/* twice is harmless */
}

static void
test_dest_good(void **state)
{
	static const struct dest_case cases[] = {
		{ "db.internal:5432", DEST_NAME, "db.internal", 0, NULL, 0,
		    5432, 5432 },
		{ "DB.Internal.:5432", DEST_NAME, "db.internal", 0, NULL, 0,
		    5432, 5432 },
		{ "*.corp.example:443", DEST_NAME, "*.corp.example", 0, NULL,
		    0, 443, 443 },
		{ "web-?.example:80-89", DEST_NAME, "web-?.example", 0, NULL,
		    0, 80, 89 },
		{ "*:*", DEST_NAME, "*", 0, NULL, 0, 0, 65535 },
		{ "a_b:0", DEST_NAME, "a_b", 0, NULL, 0, 0, 0 },
		{ "localhost:1-65535", DEST_NAME, "localhost", 0, NULL, 0, 1,
		    65535 },
		/* Only one trailing dot goes; "x.." keeps one. */
		{ "x..:1", DEST_NAME, "x.", 0, NULL, 0, 1, 1 },
		/* Not inet_pton: a name, never an address. */
		{ "127.1:22", DEST_NAME, "127.1", 0, NULL, 0, 22, 22 },
		{ "10.0.0.1:22", DEST_ADDR, NULL, AF_INET, "10.0.0.1", 32, 22,
		    22 },
		{ "10.0.0.0/8:*", DEST_ADDR, NULL, AF_INET, "10.0.0.0", 8, 0,
		    65535 },
		{ "0.0.0.0/0:22", DEST_ADDR, NULL, AF_INET, "0.0.0.0", 0, 22,
		    22 },
		{ "192.168.1.128/25:1000-2000", DEST_ADDR, NULL, AF_INET,
		    "192.168.1.128", 25, 1000, 2000 },
		{ "[::1]:22", DEST_ADDR, NULL, AF_INET6, "::1", 128, 22, 22 },
		{ "[2001:db8::/32]:443", DEST_ADDR, NULL, AF_INET6,
		    "2001:db8::", 32, 443, 443 },
		{ "[::/0]:*", DEST_ADDR, NULL, AF_INET6, "::", 0, 0, 65535 },
		{ "[FE80::/10]:22", DEST_ADDR, NULL, AF_INET6, "fe80::", 10,
		    22, 22 },
		/* IPv4-mapped: the IPv4 rule it stands for. */
		{ "[::ffff:10.1.2.3]:22", DEST_ADDR, NULL, AF_INET,
		    "10.1.2.3", 32, 22, 22 },
		{ "[::ffff:10.0.0.0/104]:22", DEST_ADDR, NULL, AF_INET,
		    "10.0.0.0", 8, 22, 22 },
		{ "[::ffff:0:0/96]:22", DEST_ADDR, NULL, AF_INET, "0.0.0.0",
		    0, 22, 22 },
	};
	size_t i;

	for (i = 0; i < NITEMS(cases); i++) {
		check_dest(&cases[i], 0);
		check_dest(&cases[i], 1);
	}
}

static void
test_dest_bad(void **state)
{
	static const struct {
		const char	*in;
		const char	*err;
	} cases[] = {
		{ "", "missing host" },
		{ ":22", "missing host" },
		{ "db", "missing port" },
		{ "db:", "bad port range" },
		{ "db:65536", "bad port range" },
		{ "db:-1", "bad port range" },
		{ "db:+1", "bad port range" },
		{ "db:10-", "bad port range" },
		{ "db:-10", "bad port range" },
		{ "db:20-10", "bad port range" },
		{ "db:1-2-3", "bad port range" },
		{ "db:ssh", "bad port range" },
		{ "db:22:23", "bad port range" },
		{ "db:000022", "bad port range" },
		{ "db:**", "bad port range" },
		{ "10.0.0.1/8:22", "host bits set beyond /8" },
		{ "10.0.0.0/33:22", "bad prefix length" },
		{ "10.0.0.0/:22", "bad prefix length" },
		{ "10.0.0.0/-1:22", "bad prefix length" },
		{ "10.0.0.0/08x:22", "bad prefix length" },
		{ "[::1/64]:22", "host bits set beyond /64" },
		{ "[::/129]:22", "bad prefix length" },
		{ "[::ffff:10.0.0.1/104]:22", "host bits set beyond /104" },
		/* Shorter than /96, the ffff is itself past the mask. */
		{ "[::ffff:0:0/80]:22", "host bits set beyond /80" },
		{ "[::1]", "missing port" },
		{ "[::1]22", "missing port" },
		{ "[::1", "missing \"]\"" },
		{ "[]:22", "missing host" },
		{ "[db]:22", "bad address" },
		{ "[10.0.0.1]:22", "brackets are for IPv6 addresses" },
		{ "::1:22", "missing host" },
		{ "db/24:22", "bad address" },
		{ "db host:22", "bad host name" },
		{ "db,other:22", "bad host name" },
		{ "!db:22", "bad host name" },
		{ "db\001:22", "bad host name" },
		{ "d\xc3\xa9j\xc3\xa0.example:22", "bad host name" },
		{ ".:22", "bad host name" },
	};
	struct dest_rule dr;
	char err[128], longname[400], huge[5000];
	size_t i;

	for (i = 0; i < NITEMS(cases); i++) {
		err[0] = '\0';
		if (config_parse_dest(cases[i].in, 0, &dr, err,
		    sizeof(err)) != -1) {
			config_dest_free(&dr);
			fail_msg("accepted \"%s\"", cases[i].in);
		}
		if (strcmp(err, cases[i].err) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].in,
			    err, cases[i].err);
		assert_null(dr.dr_host);
		assert_null(dr.dr_text);
	}

	/* Longer than any DNS name. */
	memset(longname, 'a', sizeof(longname));
	strcpy(longname + 300, ":22");
	assert_int_equal(config_parse_dest(longname, 0, &dr, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "bad host name");
	memset(huge, 'a', sizeof(huge));
	huge[sizeof(huge) - 1] = '\0';
	assert_int_equal(config_parse_dest(huge, 0, &dr, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "rule too long");
	/* Same for PermitOpen: refused, nothing kept. */
	assert_int_equal(config_parse_permitopen(huge, &(struct permit_entry)
	    { 0 }, err, sizeof(err)), -1);
	/* A NULL error buffer is allowed (the fuzzers pass none). */
	assert_int_equal(config_parse_dest("db", 0, &dr, NULL, 0), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_permitopen_good),
		cmocka_unit_test(test_permitopen_bad),
		cmocka_unit_test(test_dest_good),
		cmocka_unit_test(test_dest_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
