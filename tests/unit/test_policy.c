/*
 * test_policy.c: the forwarding decision for one direct-tcpip open,
 * table-driven from authorized_keys option strings, so each row reads
 * like a line an operator would write and the verdict sshd gives it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "authkeys.h"
#include "policy.h"

struct policy_case {
	const char		*options;	/* as on the line */
	const char		*host;		/* requested */
	int			 port;
	enum policy_verdict	 want;
};

static const struct policy_case policy_cases[] = {
	/* No options: everything goes. */
	{ "", "example.com", 22, POLICY_ALLOW },
	{ "", "::1", 65535, POLICY_ALLOW },
	/* The forwarding flag, applied left to right. */
	{ "no-port-forwarding", "example.com", 22, POLICY_FORWARDING_OFF },
	{ "restrict", "example.com", 22, POLICY_FORWARDING_OFF },
	{ "restrict,port-forwarding", "example.com", 22, POLICY_ALLOW },
	{ "port-forwarding,restrict", "example.com", 22,
	    POLICY_FORWARDING_OFF },
	{ "no-port-forwarding,port-forwarding", "h", 1, POLICY_ALLOW },
	{ "port-forwarding,no-port-forwarding", "h", 1,
	    POLICY_FORWARDING_OFF },
	{ "NO-PORT-FORWARDING", "h", 1, POLICY_FORWARDING_OFF },
	/* Unrelated restrictions leave forwarding alone. */
	{ "no-pty,no-agent-forwarding,no-X11-forwarding,no-user-rc", "h", 1,
	    POLICY_ALLOW },
	/* permitopen does not re-enable forwarding after restrict. */
	{ "restrict,permitopen=\"h:1\"", "h", 1, POLICY_FORWARDING_OFF },
	{ "restrict,port-forwarding,permitopen=\"h:1\"", "h", 1,
	    POLICY_ALLOW },
	{ "restrict,port-forwarding,permitopen=\"h:1\"", "h", 2,
	    POLICY_NOT_PERMITTED },
	{ "permitopen=\"h:1\",no-port-forwarding", "h", 1,
	    POLICY_FORWARDING_OFF },
	/* Host compare is literal and case-sensitive, no DNS, no globs. */
	{ "permitopen=\"localhost:22\"", "localhost", 22, POLICY_ALLOW },
	{ "permitopen=\"localhost:22\"", "LOCALHOST", 22,
	    POLICY_NOT_PERMITTED },
	{ "permitopen=\"localhost:22\"", "127.0.0.1", 22,
	    POLICY_NOT_PERMITTED },
	{ "permitopen=\"localhost:22\"", "localhost.", 22,
	    POLICY_NOT_PERMITTED },
	{ "permitopen=\"127.0.0.1:22\"", "127.1", 22, POLICY_NOT_PERMITTED },
	{ "permitopen=\"*.example.com:22\"", "a.example.com", 22,
	    POLICY_NOT_PERMITTED },
	{ "permitopen=\"*.example.com:22\"", "*.example.com", 22,
	    POLICY_ALLOW },
	/* "*" host and "*" port. */
	{ "permitopen=\"*:22\"", "anything.example", 22, POLICY_ALLOW },
	{ "permitopen=\"*:22\"", "anything.example", 23,
	    POLICY_NOT_PERMITTED },
	{ "permitopen=\"h:*\"", "h", 65535, POLICY_ALLOW },
	{ "permitopen=\"h:*\"", "h", 0, POLICY_ALLOW },
	{ "permitopen=\"h:*\"", "g", 1, POLICY_NOT_PERMITTED },
	{ "permitopen=\"*:*\"", "x", 7, POLICY_ALLOW },
	/* IPv6: brackets stripped from the entry, never from the request. */
	{ "permitopen=\"[::1]:2300\"", "::1", 2300, POLICY_ALLOW },
	{ "permitopen=\"[::1]:2300\"", "[::1]", 2300, POLICY_NOT_PERMITTED },
	{ "permitopen=\"[::1]:2300\"", "0:0:0:0:0:0:0:1", 2300,
	    POLICY_NOT_PERMITTED },
	/* '/' works as the separator too. */
	{ "permitopen=\"127.0.0.1/2300\"", "127.0.0.1", 2300, POLICY_ALLOW },
	/* Several entries: any one is enough. */
	{ "permitopen=\"a:1\",permitopen=\"b:2\"", "b", 2, POLICY_ALLOW },
	{ "permitopen=\"a:1\",permitopen=\"b:2\"", "a", 1, POLICY_ALLOW },
	{ "permitopen=\"a:1\",permitopen=\"b:2\"", "a", 2,
	    POLICY_NOT_PERMITTED },
	/* An empty host is a host that matches only an empty request. */
	{ "permitopen=\":22\"", "", 22, POLICY_ALLOW },
	{ "permitopen=\":22\"", "h", 22, POLICY_NOT_PERMITTED },
};

static void
test_policy_table(void **state)
{
	struct authkey_opts o;
	char err[128];
	size_t i;

	for (i = 0; i < sizeof(policy_cases) / sizeof(policy_cases[0]); i++) {
		const struct policy_case *c = &policy_cases[i];

		if (authkeys_parse_options(c->options, &o, NULL, err,
		    sizeof(err)) != 0)
			fail_msg("row %zu: \"%s\": %s", i, c->options, err);
		if (policy_check_open(&o, c->host, c->port) != c->want)
			fail_msg("row %zu: \"%s\" for %s:%d: got %d want %d", i,
			    c->options, c->host, c->port,
			    policy_check_open(&o, c->host, c->port), c->want);
		authkeys_opts_free(&o);
	}
}

static void
test_policy_null_key(void **state)
{
	assert_int_equal(policy_check_open(NULL, "h", 1),
	    POLICY_FORWARDING_OFF);
}

static void
test_policy_hand_built(void **state)
{
	struct permit_entry pe[2] = {
		{ "db.internal", 5432 },
		{ "*", AUTHKEYS_PERMIT_ANY_PORT },
	};
	struct authkey_opts o;

	memset(&o, 0, sizeof(o));
	o.ao_port_forwarding = 1;
	o.ao_permitopen = pe;
	o.ao_npermitopen = 1;
	assert_int_equal(policy_check_open(&o, "db.internal", 5432),
	    POLICY_ALLOW);
	assert_int_equal(policy_check_open(&o, "db.internal", 5433),
	    POLICY_NOT_PERMITTED);
	o.ao_npermitopen = 2;
	assert_int_equal(policy_check_open(&o, "other", 1), POLICY_ALLOW);
	o.ao_port_forwarding = 0;
	assert_int_equal(policy_check_open(&o, "db.internal", 5432),
	    POLICY_FORWARDING_OFF);
}

static void
test_policy_entry_match(void **state)
{
	struct permit_entry exact = { "host", 80 };
	struct permit_entry anyport = { "host", AUTHKEYS_PERMIT_ANY_PORT };
	struct permit_entry anyhost = { "*", 80 };

	assert_int_equal(policy_entry_match(&exact, "host", 80), 1);
	assert_int_equal(policy_entry_match(&exact, "host", 81), 0);
	assert_int_equal(policy_entry_match(&exact, "Host", 80), 0);
	assert_int_equal(policy_entry_match(&exact, "host ", 80), 0);
	assert_int_equal(policy_entry_match(&anyport, "host", 0), 1);
	assert_int_equal(policy_entry_match(&anyport, "host", 443), 1);
	assert_int_equal(policy_entry_match(&anyhost, "whatever", 80), 1);
	assert_int_equal(policy_entry_match(&anyhost, "whatever", 81), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_table),
		cmocka_unit_test(test_policy_null_key),
		cmocka_unit_test(test_policy_hand_built),
		cmocka_unit_test(test_policy_entry_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
