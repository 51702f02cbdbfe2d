/*
 * test_match.c: Match blocks, sshd's matching rules, the effective policy
 * for a connection, and the -C connection specification.
 *
 * The matching cases follow sshd's match_cfg_line and addr_match_list,
 * including the surprising ones ("User !root" alone matches nobody, an
 * unparsable client address matches no Address list even "*").
 */
#include <sys/socket.h>

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

static int
load(struct config *cf, const char *text, char *err)
{
	config_init(cf);
	err[0] = '\0';
	return config_load_string(cf, text, "m.conf", err, CONFIG_ERR_MAX);
}

/* One "Match ..." line against one connection. */
struct match_case {
	const char	*match;		/* the Match line's arguments */
	const char	*user, *addr, *laddr;
	int		 lport;
	int		 want;
};

static void
test_match_criteria(void **state)
{
	static const struct match_case cases[] = {
		{ "All", "alice", "10.0.0.1", "10.9.9.9", 22, 1 },
		{ "all", NULL, NULL, NULL, 0, 1 },
		{ "User alice", "alice", "10.0.0.1", NULL, 22, 1 },
		{ "User alice", "bob", "10.0.0.1", NULL, 22, 0 },
		/* Case-sensitive, as sshd's match_usergroup_pattern_list. */
		{ "User alice", "Alice", "10.0.0.1", NULL, 22, 0 },
		{ "user ALICE", "ALICE", "10.0.0.1", NULL, 22, 1 },
		{ "User al*", "alice", NULL, NULL, 0, 1 },
		{ "User al?ce", "alice", NULL, NULL, 0, 1 },
		{ "User a?", "alice", NULL, NULL, 0, 0 },
		{ "User bob,alice", "alice", NULL, NULL, 0, 1 },
		{ "User *,!root", "alice", NULL, NULL, 0, 1 },
		{ "User *,!root", "root", NULL, NULL, 0, 0 },
		{ "User !root,*", "root", NULL, NULL, 0, 0 },
		/* A negation alone never matches: there is no positive hit. */
		{ "User !root", "alice", NULL, NULL, 0, 0 },
		/* Before authentication there is no user. */
		{ "User *", NULL, "10.0.0.1", NULL, 22, 0 },
		{ "User=alice", "alice", NULL, NULL, 0, 1 },
		{ "Address 10.0.0.0/8", NULL, "10.1.2.3", NULL, 0, 1 },
		{ "Address 10.0.0.0/8", NULL, "11.1.2.3", NULL, 0, 0 },
		{ "Address 10.1.2.3", NULL, "10.1.2.3", NULL, 0, 1 },
		{ "Address 10.1.2.3/32", NULL, "10.1.2.4", NULL, 0, 0 },
		{ "Address 10.*", NULL, "10.1.2.3", NULL, 0, 1 },
		{ "Address 10.?.2.3", NULL, "10.1.2.3", NULL, 0, 1 },
		{ "Address 10.0.0.0/8,!10.1.0.0/16", NULL, "10.1.2.3", NULL,
		    0, 0 },
		{ "Address 10.0.0.0/8,!10.1.0.0/16", NULL, "10.2.2.3", NULL,
		    0, 1 },
		{ "Address !10.0.0.0/8,*", NULL, "10.2.2.3", NULL, 0, 0 },
		{ "Address !10.0.0.0/8,*", NULL, "192.0.2.1", NULL, 0, 1 },
		{ "Address !10.0.0.0/8", NULL, "192.0.2.1", NULL, 0, 0 },
		{ "Address 2001:db8::/32", NULL, "2001:db8::1", NULL, 0, 1 },
		{ "Address 2001:db8::/32", NULL, "2001:db9::1", NULL, 0, 0 },
		{ "Address 0.0.0.0/0", NULL, "::1", NULL, 0, 0 },
		/* sshd compares the IPv6 scope too (addr_cmp). */
		{ "Address fe80::/10", NULL, "fe80::1", NULL, 0, 1 },
		{ "Address fe80::/10", NULL, "fe80::1%1", NULL, 0, 0 },
		{ "Address fe80::%1/10", NULL, "fe80::1%1", NULL, 0, 1 },
		{ "Address ::/0", NULL, "::1", NULL, 0, 1 },
		/* A mapped client address is the IPv4 address it carries. */
		{ "Address 10.0.0.0/8", NULL, "::ffff:10.1.2.3", NULL, 0, 1 },
		{ "Address 10.1.*", NULL, "::ffff:10.1.2.3", NULL, 0, 1 },
		/* Not an address: no list matches, not even "*". */
		{ "Address *", NULL, "not-an-ip", NULL, 0, 0 },
		{ "Address *", NULL, NULL, NULL, 0, 0 },
		{ "LocalAddress 192.0.2.1", NULL, "10.0.0.1", "192.0.2.1", 0,
		    1 },
		{ "LocalAddress 192.0.2.0/24", NULL, "10.0.0.1", "192.0.3.1",
		    0, 0 },
		{ "LocalAddress *", NULL, "10.0.0.1", NULL, 22, 0 },
		{ "LocalPort 2222", NULL, NULL, NULL, 2222, 1 },
		{ "LocalPort 2222", NULL, NULL, NULL, 22, 0 },
		{ "LocalPort 22", NULL, NULL, NULL, 0, 0 },
		{ "localport=22", NULL, NULL, NULL, 22, 1 },
		/* Several criteria: all must hold. */
		{ "User alice Address 10.0.0.0/8", "alice", "10.0.0.1", NULL,
		    0, 1 },
		{ "User alice Address 10.0.0.0/8", "alice", "11.0.0.1", NULL,
		    0, 0 },
		{ "User alice Address 10.0.0.0/8", "bob", "10.0.0.1", NULL,
		    0, 0 },
		{ "Address 10.0.0.0/8 LocalPort 22 LocalAddress 10.9.9.9",
		    NULL, "10.0.0.1", "10.9.9.9", 22, 1 },
		{ "Address 10.0.0.0/8 LocalPort 22 LocalAddress 10.9.9.9",
		    NULL, "10.0.0.1", "10.9.9.9", 23, 0 },
	};
	struct config cf;
	struct config_conninfo ci;
	char text[256], err[CONFIG_ERR_MAX];
	size_t i;
	int got;

	for (i = 0; i < NITEMS(cases); i++) {
		snprintf(text, sizeof(text), "Match %s\n", cases[i].match);
		if (load(&cf, text, err) != 0)
			fail_msg("rejected \"%s\": %s", text, err);
		assert_int_equal(cf.c_nmatches, 1);
		assert_string_equal(cf.c_matches[0].cm_text, cases[i].match);
		ci.ci_user = cases[i].user;
		ci.ci_addr = cases[i].addr;
		ci.ci_laddr = cases[i].laddr;
		ci.ci_lport = cases[i].lport;
		got = config_match_applies(&cf.c_matches[0], &ci);
		if (got != cases[i].want)
			fail_msg("Match %s, user %s addr %s laddr %s lport %d:"
			    " got %d", cases[i].match, cases[i].user ?
			    cases[i].user : "(null)", cases[i].addr ?
			    cases[i].addr : "(null)", cases[i].laddr ?
			    cases[i].laddr : "(null)", cases[i].lport, got);
		config_free(&cf);
	}
}

static void
test_match_long_entry(void **state)
{
	struct config cf;
	struct config_conninfo ci = { "alice", NULL, NULL, 0, NULL };
	char text[1200], err[CONFIG_ERR_MAX];

	/* As in sshd, an entry of 1023 bytes or more fails the whole list. */
	memset(text, 0, sizeof(text));
	strcpy(text, "Match User alice,");
	memset(text + strlen(text), 'x', 1023);
	strcat(text, "\n");
	assert_int_equal(load(&cf, text, err), 0);
	assert_int_equal(config_match_applies(&cf.c_matches[0], &ci), 0);
	config_free(&cf);
	/* One byte shorter, alice matches. */
	strcpy(text + strlen("Match User alice,") + 1022, "\n");
	assert_int_equal(load(&cf, text, err), 0);
	assert_int_equal(config_match_applies(&cf.c_matches[0], &ci), 1);
	config_free(&cf);
}

static void
test_match_no_conn(void **state)
{
	struct config cf;
	char err[CONFIG_ERR_MAX];

	/* Without a connection only "All" can hold (sshd's start-up pass). */
	assert_int_equal(load(&cf, "Match All\nMatch User *\n", err), 0);
	assert_int_equal(config_match_applies(&cf.c_matches[0], NULL), 1);
	assert_int_equal(config_match_applies(&cf.c_matches[1], NULL), 0);
	config_free(&cf);
}

static void
test_match_errors(void **state)
{
	static const struct {
		const char	*text;
		const char	*err;
	} cases[] = {
		{ "Match\n", "m.conf:1: Bad Match condition: One or more "
		    "attributes required for Match" },
		{ "Match # comment\n", "m.conf:1: Bad Match condition: One or "
		    "more attributes required for Match" },
		{ "Port 22\nMatch User\n", "m.conf:2: Bad Match condition: "
		    "Missing Match criteria for User" },
		{ "Match User=\n", "m.conf:1: Bad Match condition: Missing "
		    "Match criteria for User" },
		{ "Match Address 10.0.0.0/8 User\n", "m.conf:1: Bad Match "
		    "condition: Missing Match criteria for User" },
		{ "Match Group wheel\n", "m.conf:1: Bad Match condition: "
		    "Unsupported Match attribute Group" },
		{ "Match Host *.example\n", "m.conf:1: Bad Match condition: "
		    "Unsupported Match attribute Host" },
		{ "Match RDomain 1\n", "m.conf:1: Bad Match condition: "
		    "Unsupported Match attribute RDomain" },
		{ "Match Invalid-User\n", "m.conf:1: Bad Match condition: "
		    "Unsupported Match attribute Invalid-User" },
		{ "Match Frob x\n", "m.conf:1: Bad Match condition: "
		    "Unsupported Match attribute Frob" },
		/* sshd asks for the argument before it looks at the name. */
		{ "Match Frob\n", "m.conf:1: Bad Match condition: Missing "
		    "Match criteria for Frob" },
		{ "Match All User alice\n", "m.conf:1: Bad Match condition: "
		    "'all' cannot be combined with other Match attributes" },
		{ "Match User alice All\n", "m.conf:1: Bad Match condition: "
		    "'all' cannot be combined with other Match attributes" },
		{ "Match Address 10.0.0.1/8\n", "m.conf:1: Invalid Match "
		    "address argument '10.0.0.1/8'" },
		{ "Match Address 10.0.0.0/33\n", "m.conf:1: Invalid Match "
		    "address argument '10.0.0.0/33'" },
		{ "Match Address 10.0.0.0/8,,10.1.0.0/16\n", "m.conf:1: "
		    "Invalid Match address argument '10.0.0.0/8,,10.1.0.0/16'" },
		{ "Match Address !\n", "m.conf:1: Invalid Match address "
		    "argument '!'" },
		{ "Match LocalAddress ::1/129\n", "m.conf:1: Invalid Match "
		    "localaddress argument '::1/129'" },
		{ "Match LocalPort ssh\n", "m.conf:1: Bad Match condition: "
		    "Invalid LocalPort 'ssh' on Match line" },
		{ "Match LocalPort 65536\n", "m.conf:1: Bad Match condition: "
		    "Invalid LocalPort '65536' on Match line" },
		{ "Match LocalPort 22,23\n", "m.conf:1: Bad Match condition: "
		    "Invalid LocalPort '22,23' on Match line" },
	};
	struct config cf;
	char err[CONFIG_ERR_MAX];
	size_t i;

	for (i = 0; i < NITEMS(cases); i++) {
		if (load(&cf, cases[i].text, err) != -1)
			fail_msg("accepted: %s", cases[i].text);
		if (strcmp(err, cases[i].err) != 0)
			fail_msg("%s: got \"%s\"\nwant \"%s\"", cases[i].text,
			    err, cases[i].err);
		assert_int_equal(cf.c_nmatches, 0);
		config_free(&cf);
	}
	/* A glob over addresses is valid even if it looks odd. */
	assert_int_equal(load(&cf, "Match Address 10.0.0.0/abc\n", err), 0);
	config_free(&cf);
}

/* Effective settings for one connection, against a fixed config. */
static const char *const layered =
    "AllowTcpForwarding local\n"			/* 1 */
    "PermitOpen db:5432\n"				/* 2 */
    "PermitDestination db:5432 cache:6379\n"		/* 3 */
    "DenyDestination 169.254.0.0/16:*\n"		/* 4 */
    "Match User alice\n"				/* 5 */
    "\tAllowTcpForwarding no\n"				/* 6 */
    "\tDenyDestination 10.0.0.0/8:*\n"			/* 7 */
    "Match Address 10.0.0.0/8\n"			/* 8 */
    "\tAllowTcpForwarding yes\n"			/* 9 */
    "\tDisableForwarding yes\n"				/* 10 */
    "\tPermitOpen none\n"				/* 11 */
    "\tPermitDestination *.corp:443\n"			/* 12 */
    "\tDenyDestination [::1]:*\n"			/* 13 */
    "Match All\n"					/* 14 */
    "\tDisableForwarding no\n"				/* 15 */
    "\tPermitOpen any\n"				/* 16 */
    "\tPermitDestination never:1\n"			/* 17 */
    "\tDenySpecialDestinations no\n";			/* 18 */

static void
test_effective_policy(void **state)
{
	struct config cf;
	struct config_conninfo ci = { "alice", "10.1.2.3", "10.9.9.9", 22,
	    NULL };
	struct policy_settings ps;
	char err[CONFIG_ERR_MAX];

	assert_int_equal(load(&cf, layered, err), 0);
	assert_int_equal(cf.c_nmatches, 3);

	/* alice from 10/8: every block applies; the first setter wins. */
	config_effective_policy(&cf, &ci, &ps);
	assert_int_equal(ps.ps_allow_tcp, POLICY_FWD_NO);
	assert_string_equal(ps.ps_allow_tcp_src, "m.conf:6");
	assert_int_equal(ps.ps_disable, 1);
	assert_string_equal(ps.ps_disable_src, "m.conf:10");
	assert_int_equal(ps.ps_permitopen_set, 1);
	assert_int_equal(ps.ps_permitopen_none, 1);
	assert_int_equal(ps.ps_npermitopen, 0);
	assert_string_equal(ps.ps_permitopen_src, "m.conf:11");
	/* PermitDestination: the first block that has one replaces. */
	assert_int_equal(ps.ps_npermit, 1);
	assert_string_equal(ps.ps_permit[0].dr_text, "*.corp:443");
	assert_int_equal(ps.ps_permit[0].dr_line, 12);
	/* DenyDestination: global and every applying block, in order. */
	assert_int_equal(ps.ps_ndeny, 3);
	assert_string_equal(ps.ps_deny[0].dr_text, "169.254.0.0/16:*");
	assert_string_equal(ps.ps_deny[0].dr_file, "m.conf");
	assert_int_equal(ps.ps_deny[0].dr_line, 4);
	assert_string_equal(ps.ps_deny[1].dr_text, "10.0.0.0/8:*");
	assert_int_equal(ps.ps_deny[1].dr_line, 7);
	assert_string_equal(ps.ps_deny[2].dr_text, "[::1]:*");
	assert_int_equal(ps.ps_deny[2].dr_line, 13);
	assert_int_equal(ps.ps_deny_special, 0);
	assert_string_equal(ps.ps_deny_special_src, "m.conf:18");
	config_policy_release(&ps);
	assert_null(ps.ps_deny);

	/* Pre-auth (no user), outside 10/8: only "Match All" applies. */
	ci.ci_user = NULL;
	ci.ci_addr = "192.0.2.7";
	config_effective_policy(&cf, &ci, &ps);
	assert_int_equal(ps.ps_allow_tcp, POLICY_FWD_LOCAL);
	assert_string_equal(ps.ps_allow_tcp_src, "m.conf:1");
	assert_int_equal(ps.ps_disable, 0);
	assert_string_equal(ps.ps_disable_src, "m.conf:15");
	assert_int_equal(ps.ps_permitopen_set, 1);
	assert_int_equal(ps.ps_permitopen_none, 0);
	assert_int_equal(ps.ps_npermitopen, 0);
	assert_string_equal(ps.ps_permitopen_src, "m.conf:16");
	assert_int_equal(ps.ps_npermit, 1);
	assert_string_equal(ps.ps_permit[0].dr_text, "never:1");
	assert_int_equal(ps.ps_ndeny, 1);
	config_policy_release(&ps);

	/* Nothing applies: the global section as written. */
	config_free(&cf);
	assert_int_equal(load(&cf, "AllowTcpForwarding local\n"
	    "PermitOpen db:5432\nPermitDestination db:5432 cache:6379\n"
	    "Match User nobody\nPermitOpen none\n", err), 0);
	ci.ci_user = "alice";
	config_effective_policy(&cf, &ci, &ps);
	assert_int_equal(ps.ps_allow_tcp, POLICY_FWD_LOCAL);
	assert_int_equal(ps.ps_disable, -1);
	assert_null(ps.ps_disable_src);
	assert_int_equal(ps.ps_npermitopen, 1);
	assert_string_equal(ps.ps_permitopen[0].pe_host, "db");
	assert_int_equal(ps.ps_permitopen[0].pe_port, 5432);
	assert_string_equal(ps.ps_permitopen_src, "m.conf:2");
	assert_int_equal(ps.ps_npermit, 2);
	assert_int_equal(ps.ps_ndeny, 0);
	assert_null(ps.ps_deny);
	assert_int_equal(ps.ps_deny_special, -1);
	config_policy_release(&ps);
	config_policy_release(&ps);	/* twice is harmless */
	config_free(&cf);
}

static void
test_effective_first_block_wins(void **state)
{
	struct config cf;
	struct config_conninfo ci = { "alice", "10.1.2.3", NULL, 22, NULL };
	struct policy_settings ps;
	char err[CONFIG_ERR_MAX];

	/* Within a block too, the first PermitOpen line is the one. */
	assert_int_equal(load(&cf,
	    "PermitOpen global:1\n"
	    "Match Address 10.0.0.0/8\n"
	    "PermitOpen first:1 first:2\n"
	    "PermitOpen second:1\n"
	    "Match User alice\n"
	    "PermitOpen third:1\n", err), 0);
	config_effective_policy(&cf, &ci, &ps);
	assert_int_equal(ps.ps_npermitopen, 2);
	assert_string_equal(ps.ps_permitopen[0].pe_host, "first");
	assert_int_equal(ps.ps_permitopen[1].pe_port, 2);
	assert_string_equal(ps.ps_permitopen_src, "m.conf:3");
	config_policy_release(&ps);

	/* The first block does not apply: the second one's value. */
	ci.ci_addr = "192.0.2.1";
	config_effective_policy(&cf, &ci, &ps);
	assert_int_equal(ps.ps_npermitopen, 1);
	assert_string_equal(ps.ps_permitopen[0].pe_host, "third");
	config_policy_release(&ps);
	config_free(&cf);
}

static void
test_conninfo(void **state)
{
	struct config_conninfo ci;
	const char *key;
	char spec[256], err[256];

	strcpy(spec, "user=alice,addr=10.0.0.1,laddr=::1,lport=2222");
	assert_int_equal(config_parse_conninfo(spec, &ci, &key, err,
	    sizeof(err)), 0);
	assert_string_equal(ci.ci_user, "alice");
	assert_string_equal(ci.ci_addr, "10.0.0.1");
	assert_string_equal(ci.ci_laddr, "::1");
	assert_int_equal(ci.ci_lport, 2222);
	assert_null(key);

	/* Anything may be left out; later values replace earlier ones. */
	strcpy(spec, "addr=192.0.2.1,addr=192.0.2.2,host=x,rdomain=1");
	assert_int_equal(config_parse_conninfo(spec, &ci, NULL, err,
	    sizeof(err)), 0);
	assert_null(ci.ci_user);
	assert_string_equal(ci.ci_addr, "192.0.2.2");
	assert_null(ci.ci_laddr);
	assert_int_equal(ci.ci_lport, 0);

	/* --explain adds key=FILE. */
	strcpy(spec, "user=bob,key=/tmp/id.pub");
	assert_int_equal(config_parse_conninfo(spec, &ci, &key, err,
	    sizeof(err)), 0);
	assert_string_equal(key, "/tmp/id.pub");
}

static void
test_conninfo_errors(void **state)
{
	static const struct {
		const char	*spec;
		const char	*err;
	} cases[] = {
		{ "", "empty connection test specification" },
		{ "user=alice,,addr=10.0.0.1", "Invalid test mode "
		    "specification " },
		{ "user=alice,", "Invalid test mode specification " },
		{ "USER=alice", "Invalid test mode specification USER=alice" },
		{ "user", "Invalid test mode specification user" },
		{ "group=wheel", "Invalid test mode specification group=wheel" },
		{ "invalid-user", "Invalid test mode specification "
		    "invalid-user" },
		{ "addr=10.0.0.300", "Invalid address '10.0.0.300' in test "
		    "mode specification addr=10.0.0.300" },
		{ "laddr=localhost", "Invalid address 'localhost' in test "
		    "mode specification laddr=localhost" },
		{ "addr=", "Invalid address '' in test mode specification "
		    "addr=" },
		{ "lport=ssh", "Invalid port 'ssh' in test mode specification "
		    "lport=ssh" },
		{ "lport=65536", "Invalid port '65536' in test mode "
		    "specification lport=65536" },
		{ "lport=-1", "Invalid port '-1' in test mode specification "
		    "lport=-1" },
		/* key= only where the caller takes one (--explain). */
		{ "key=/tmp/id.pub", "Invalid test mode specification "
		    "key=/tmp/id.pub" },
	};
	struct config_conninfo ci;
	char spec[256], err[256];
	size_t i;

	for (i = 0; i < NITEMS(cases); i++) {
		strcpy(spec, cases[i].spec);
		err[0] = '\0';
		if (config_parse_conninfo(spec, &ci, NULL, err,
		    sizeof(err)) != -1)
			fail_msg("accepted \"%s\"", cases[i].spec);
		if (strcmp(err, cases[i].err) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].spec,
			    err, cases[i].err);
	}
}

static void
test_match_logged(void **state)
{
	struct config cf;
	struct config_conninfo ci = { "alice", "10.0.0.1", NULL, 22, NULL };
	char err[CONFIG_ERR_MAX];

	assert_int_equal(load(&cf, "Port 22\nMatch User alice Address "
	    "10.0.0.0/8\n", err), 0);
	tu_log_clear();
	assert_int_equal(config_match_applies(&cf.c_matches[0], &ci), 1);
	/* sshd's debug lines, so operators can follow a decision. */
	assert_int_equal(tu_log_count("debug1: user alice matched 'User "
	    "alice' at line 2\n"), 1);
	assert_int_equal(tu_log_count("debug1: connection from 10.0.0.1 "
	    "matched 'Address 10.0.0.0/8' at line 2\n"), 1);
	config_free(&cf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_criteria),
		cmocka_unit_test(test_match_long_entry),
		cmocka_unit_test(test_match_no_conn),
		cmocka_unit_test(test_match_errors),
		cmocka_unit_test(test_effective_policy),
		cmocka_unit_test(test_effective_first_block_wins),
		cmocka_unit_test(test_conninfo),
		cmocka_unit_test(test_conninfo_errors),
		cmocka_unit_test(test_match_logged),
	};

	tu_log_capture();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
