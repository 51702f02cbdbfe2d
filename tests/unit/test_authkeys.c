/*
 * test_authkeys.c: authorized_keys options, from= matching, expiry times
 * and path expansion (test_authfind.c searches real files).
 *
 * The expected values come from reading sshd (auth-options.c,
 * auth2-pubkeyfile.c, match.c, addrmatch.c, misc.c); each test names the
 * sshd behaviour it pins down.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "authkeys.h"
#include "log.h"
#include "testutil.h"

/* ----- option parsing ---------------------------------------------- */

static void
parse_ok(const char *s, struct authkey_opts *o)
{
	char err[128];

	if (authkeys_parse_options(s, o, NULL, err, sizeof(err)) != 0)
		fail_msg("\"%s\" rejected: %s", s, err);
}

static void
parse_err(const char *s, const char *want)
{
	struct authkey_opts o;
	char err[128];

	memset(&o, 0xa5, sizeof(o));
	if (authkeys_parse_options(s, &o, NULL, err, sizeof(err)) != -1)
		fail_msg("\"%s\" accepted", s);
	assert_string_equal(err, want);
	/* On failure nothing is left allocated. */
	assert_null(o.ao_permitopen);
	assert_null(o.ao_from);
	assert_null(o.ao_text);
}

static void
test_opts_defaults(void **state)
{
	struct authkey_opts o;
	size_t used = 99;
	char err[64];

	assert_int_equal(authkeys_parse_options("", &o, &used, err,
	    sizeof(err)), 0);
	assert_int_equal(used, 0);
	assert_int_equal(o.ao_port_forwarding, 1);
	assert_int_equal(o.ao_npermitopen, 0);
	assert_null(o.ao_from);
	assert_int_equal(o.ao_expiry, 0);
	assert_int_equal(o.ao_cert_authority, 0);
	assert_int_equal(o.ao_tun, -1);
	assert_int_equal(o.ao_flags, AUTHKEYS_OPT_AGENT | AUTHKEYS_OPT_X11 |
	    AUTHKEYS_OPT_PTY | AUTHKEYS_OPT_USER_RC);
	assert_string_equal(o.ao_text, "");
	authkeys_opts_free(&o);
}

static void
test_opts_consumed(void **state)
{
	const char *line = "restrict,permitopen=\"a b:1\"  \tssh-ed25519 AAA";
	struct authkey_opts o;
	size_t used;
	char err[64];

	assert_int_equal(authkeys_parse_options(line, &o, &used, err,
	    sizeof(err)), 0);
	assert_string_equal(line + used, "ssh-ed25519 AAA");
	assert_string_equal(o.ao_text, "restrict,permitopen=\"a b:1\"");
	assert_int_equal(o.ao_npermitopen, 1);
	assert_string_equal(o.ao_permitopen[0].pe_host, "a b");
	authkeys_opts_free(&o);
}

static void
test_opts_order(void **state)
{
	static const struct {
		const char	*s;
		int		 fwd;
	} cases[] = {
		{ "restrict", 0 },
		{ "no-port-forwarding", 0 },
		{ "port-forwarding", 1 },
		{ "restrict,port-forwarding", 1 },
		{ "port-forwarding,restrict", 0 },
		{ "no-port-forwarding,port-forwarding", 1 },
		{ "port-forwarding,no-port-forwarding", 0 },
		{ "RESTRICT,Port-Forwarding", 1 },
		{ "No-Port-Forwarding", 0 },
		{ "restrict,permitopen=\"h:1\"", 0 },
	};
	struct authkey_opts o;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		parse_ok(cases[i].s, &o);
		if (o.ao_port_forwarding != cases[i].fwd)
			fail_msg("\"%s\": forwarding %d", cases[i].s,
			    o.ao_port_forwarding);
		authkeys_opts_free(&o);
	}
}

static void
test_opts_flags(void **state)
{
	struct authkey_opts o;

	parse_ok("restrict", &o);
	assert_int_equal(o.ao_flags, AUTHKEYS_OPT_RESTRICT);
	authkeys_opts_free(&o);
	parse_ok("restrict,pty,agent-forwarding", &o);
	assert_int_equal(o.ao_flags, AUTHKEYS_OPT_RESTRICT |
	    AUTHKEYS_OPT_PTY | AUTHKEYS_OPT_AGENT);
	authkeys_opts_free(&o);
	parse_ok("no-pty,no-agent-forwarding,no-X11-forwarding,no-user-rc,"
	    "no-touch-required,verify-required", &o);
	assert_int_equal(o.ao_flags, AUTHKEYS_OPT_NO_TOUCH |
	    AUTHKEYS_OPT_VERIFY);
	assert_int_equal(o.ao_port_forwarding, 1);
	authkeys_opts_free(&o);
	parse_ok("no-touch-required,touch-required,cert-authority", &o);
	assert_int_equal(o.ao_flags & AUTHKEYS_OPT_NO_TOUCH, 0);
	assert_int_equal(o.ao_cert_authority, 1);
	authkeys_opts_free(&o);
}

static void
test_opts_quoting(void **state)
{
	struct authkey_opts o;

	/* \" is the only escape; other backslashes stay. */
	parse_ok("from=\"a\\\"b,c\\d\"", &o);
	assert_string_equal(o.ao_from, "a\"b,c\\d");
	authkeys_opts_free(&o);
	parse_ok("command=\"echo \\\"hi, there\\\"\",no-pty", &o);
	assert_int_equal(o.ao_flags & AUTHKEYS_OPT_COMMAND,
	    AUTHKEYS_OPT_COMMAND);
	assert_int_equal(o.ao_flags & AUTHKEYS_OPT_PTY, 0);
	authkeys_opts_free(&o);
	parse_ok("FROM=\"10.0.0.1\",PermitOpen=\"h:1\"", &o);
	assert_string_equal(o.ao_from, "10.0.0.1");
	assert_int_equal(o.ao_npermitopen, 1);
	authkeys_opts_free(&o);
}

static void
test_opts_other_sshd_options(void **state)
{
	struct authkey_opts o;

	parse_ok("environment=\"FOO=bar\",environment=\"_X1=\","
	    "principals=\"a,b\",tunnel=\"any\",permitlisten=\"8080\","
	    "permitlisten=\"[::1]:22\",permitlisten=\"localhost:*\","
	    "no-user-rc,user-rc,x11-forwarding", &o);
	assert_int_equal(o.ao_tun, 0x7fffffff);
	assert_int_equal(o.ao_flags & (AUTHKEYS_OPT_PRINCIPALS |
	    AUTHKEYS_OPT_LISTEN | AUTHKEYS_OPT_USER_RC),
	    AUTHKEYS_OPT_PRINCIPALS | AUTHKEYS_OPT_LISTEN |
	    AUTHKEYS_OPT_USER_RC);
	/* what a cert-authority line checks the certificate against */
	assert_string_equal(o.ao_principals, "a,b");
	/* permitlisten is remote forwarding: never a permitopen entry. */
	assert_int_equal(o.ao_npermitopen, 0);
	authkeys_opts_free(&o);
	parse_ok("tunnel=\"5\"", &o);
	assert_int_equal(o.ao_tun, 5);
	authkeys_opts_free(&o);
	/* sshd skips empty options and a comma before the key. */
	parse_ok("restrict,,pty", &o);
	authkeys_opts_free(&o);
	parse_ok("restrict, ssh-ed25519 AAAA", &o);
	assert_string_equal(o.ao_text, "restrict,");
	authkeys_opts_free(&o);
}

static void
test_opts_errors(void **state)
{
	parse_err("foo", "unknown key option");
	parse_err("restrictx", "unknown key option");
	parse_err("restrict=yes", "unknown key option");
	parse_err("no-restrict", "unknown key option");
	parse_err("pty,bogus=\"1\"", "unknown key option");
	parse_err("restrict,", "unexpected end-of-options");
	parse_err("permitopen=h:1", "missing start quote");
	parse_err("permitopen=\"h:1", "missing end quote");
	parse_err("from=\"a\",from=\"b\"", "multiple \"from\" clauses");
	parse_err("command=\"a\",command=\"b\"", "multiple \"command\" clauses");
	parse_err("principals=\"a\",principals=\"b\"",
	    "multiple \"principals\" clauses");
	parse_err("environment=\"=bar\"", "invalid environment string");
	parse_err("environment=\"FOO\"", "invalid environment string");
	parse_err("environment=\"F-O=x\"", "invalid environment string");
	parse_err("tunnel=\"x\"", "invalid tun device");
	parse_err("tunnel=\"-1\"", "invalid tun device");
	parse_err("expiry-time=\"tomorrow\"", "invalid expires time");
	parse_err("permitlisten=\"[::1]x:22\"", "invalid permission hostname");
	parse_err("permitlisten=\"h:0\"", "invalid permission port");
	/* A good permitopen before the bad option is freed too. */
	parse_err("permitopen=\"h:1\",nope", "unknown key option");
}

/* permitopen="value" → host/port or error. */
static void
check_permit(const char *value, const char *host, int port, const char *err)
{
	char opt[2048];
	struct authkey_opts o;

	snprintf(opt, sizeof(opt), "permitopen=\"%s\"", value);
	if (err != NULL) {
		parse_err(opt, err);
		return;
	}
	parse_ok(opt, &o);
	assert_int_equal(o.ao_npermitopen, 1);
	assert_string_equal(o.ao_permitopen[0].pe_host, host);
	assert_int_equal(o.ao_permitopen[0].pe_port, port);
	authkeys_opts_free(&o);
}

static void
test_permitopen_forms(void **state)
{
	char host[1100], value[1200];

	check_permit("localhost:22", "localhost", 22, NULL);
	check_permit("127.0.0.1/2300", "127.0.0.1", 2300, NULL);
	check_permit("[::1]:22", "::1", 22, NULL);
	check_permit("[::1]/22", "::1", 22, NULL);
	check_permit("[2001:db8::1]:*", "2001:db8::1", AUTHKEYS_PERMIT_ANY_PORT,
	    NULL);
	check_permit("*:*", "*", AUTHKEYS_PERMIT_ANY_PORT, NULL);
	check_permit("h:65535", "h", 65535, NULL);
	check_permit("h:1", "h", 1, NULL);
	/* Split at the first separator: the rest must be a port. */
	check_permit("a:b:22", NULL, 0, "invalid permission port");
	check_permit("::1:22", NULL, 0, "invalid permission port");
	check_permit(":22", "", 22, NULL);
	check_permit("host:0", NULL, 0, "invalid permission port");
	check_permit("host:65536", NULL, 0, "invalid permission port");
	check_permit("host:ssh", NULL, 0, "invalid permission port");
	check_permit("host:", NULL, 0, "invalid permission port");
	check_permit("host", NULL, 0, "invalid permission port");
	check_permit("[::1]", NULL, 0, "invalid permission port");
	check_permit("[::1", NULL, 0, "invalid permission hostname");
	check_permit("[::1]x:22", NULL, 0, "invalid permission hostname");
	check_permit("", NULL, 0, "invalid permission port");
	/* Host below NI_MAXHOST (1025) bytes. */
	memset(host, 'h', 1024);
	host[1024] = '\0';
	snprintf(value, sizeof(value), "%s:1", host);
	check_permit(value, host, 1, NULL);
	memset(host, 'h', 1025);
	host[1025] = '\0';
	snprintf(value, sizeof(value), "%s:1", host);
	check_permit(value, NULL, 0, "invalid permission hostname");
}

static void
test_permitopen_many(void **state)
{
	const char *one = "permitopen=\"h:1\",";
	size_t len = strlen(one);
	char *s = malloc(len * (AUTHKEYS_MAX_PERMITOPEN + 1) + 1);
	struct authkey_opts o;
	int i;

	for (i = 0; i < AUTHKEYS_MAX_PERMITOPEN; i++)
		memcpy(s + i * len, one, len);
	s[AUTHKEYS_MAX_PERMITOPEN * len - 1] = '\0';	/* drop last comma */
	parse_ok(s, &o);
	assert_int_equal(o.ao_npermitopen, AUTHKEYS_MAX_PERMITOPEN);
	authkeys_opts_free(&o);
	for (i = 0; i <= AUTHKEYS_MAX_PERMITOPEN; i++)
		memcpy(s + i * len, one, len);
	s[(AUTHKEYS_MAX_PERMITOPEN + 1) * len - 1] = '\0';
	parse_err(s, "too many permission directives");
	free(s);
}

/* ----- expiry-time ------------------------------------------------- */

static uint64_t
expiry(const char *value)
{
	char opt[128];
	struct authkey_opts o;
	uint64_t t;

	snprintf(opt, sizeof(opt), "expiry-time=\"%s\"", value);
	parse_ok(opt, &o);
	t = o.ao_expiry;
	authkeys_opts_free(&o);
	return t;
}

static void
use_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static void
test_expiry_utc(void **state)
{
	assert_int_equal(expiry("20250101Z"), 1735689600);
	assert_int_equal(expiry("20250101z"), 1735689600);
	assert_int_equal(expiry("20250101UTC"), 1735689600);
	assert_int_equal(expiry("202501011230Z"), 1735734600);
	assert_int_equal(expiry("20250101123045utc"), 1735734645);
	/* mktime normalises an impossible day, as strptime+mktime do. */
	assert_int_equal(expiry("20250230Z"), expiry("20250302Z"));
}

static void
test_expiry_local(void **state)
{
	/* Without a suffix sshd reads local time. */
	use_tz("UTC");
	assert_int_equal(expiry("20250101"), 1735689600);
	use_tz("America/New_York");
	assert_int_equal(expiry("20250101"), 1735689600 + 5 * 3600);
	assert_int_equal(expiry("20250101Z"), 1735689600);
	/*
	 * sshd zeroes struct tm, so tm_isdst is 0 and a summer date is
	 * taken as standard time: 00:00 EST = 05:00 UTC, not 04:00.
	 */
	assert_int_equal(expiry("20250701"), 1751328000 + 5 * 3600);
	use_tz("UTC");
}

static void
test_expiry_errors(void **state)
{
	parse_err("expiry-time=\"2025010\"", "invalid expires time");
	parse_err("expiry-time=\"202501011\"", "invalid expires time");
	parse_err("expiry-time=\"20251301\"", "invalid expires time");
	parse_err("expiry-time=\"20250001\"", "invalid expires time");
	parse_err("expiry-time=\"20250132\"", "invalid expires time");
	parse_err("expiry-time=\"202501012400\"", "invalid expires time");
	parse_err("expiry-time=\"2025-1-01\"", "invalid expires time");
	parse_err("expiry-time=\"Z\"", "invalid expires time");
	parse_err("expiry-time=\"\"", "invalid expires time");
	/* 0 is "no expiry" to sshd, so the epoch itself is refused... */
	parse_err("expiry-time=\"19700101Z\"", "invalid expires time");
	/* ...and, unlike sshd, so is anything earlier. */
	parse_err("expiry-time=\"19691231Z\"", "invalid expires time");
}

static void
test_expiry_earliest(void **state)
{
	struct authkey_opts o;

	parse_ok("expiry-time=\"20300101Z\",expiry-time=\"20250101Z\","
	    "expiry-time=\"20280101Z\"", &o);
	assert_int_equal(o.ao_expiry, 1735689600);
	authkeys_opts_free(&o);
}

/* ----- from= ------------------------------------------------------- */

static void
test_from(void **state)
{
	static const struct {
		const char	*pat;
		const char	*ip;
		int		 want;
	} cases[] = {
		{ "10.0.0.0/8", "10.1.2.3", 1 },
		{ "10.0.0.0/8", "11.0.0.1", 0 },
		{ "10.1.2.3", "10.1.2.3", 1 },
		{ "10.1.2.3/32", "10.1.2.3", 1 },
		{ "10.1.2.3", "10.1.2.4", 0 },
		{ "0.0.0.0/0", "203.0.113.9", 1 },
		{ "0.0.0.0/0", "2001:db8::1", 0 },
		{ "192.168.0.0/23", "192.168.1.200", 1 },
		{ "192.168.0.0/23", "192.168.2.1", 0 },
		/* Negation wins wherever it is in the list. */
		{ "10.0.0.0/8,!10.1.2.3", "10.1.2.3", -1 },
		{ "!10.1.2.3,10.0.0.0/8", "10.1.2.3", -1 },
		{ "!10.1.2.3,10.0.0.0/8", "10.1.2.4", 1 },
		{ "!10.1.2.3", "10.9.9.9", 0 },
		{ "!*", "10.9.9.9", -1 },
		{ "!192.168.*,*", "192.168.1.1", -1 },
		/* Wildcards. */
		{ "*", "203.0.113.9", 1 },
		{ "192.168.1.*", "192.168.1.77", 1 },
		{ "192.168.?.1", "192.168.5.1", 1 },
		{ "192.168.?.1", "192.168.55.1", 0 },
		{ "*.1", "10.0.0.1", 1 },
		{ "FE80::*", "fe80::1", 1 },
		/* IPv6 CIDR. */
		{ "2001:db8::/32", "2001:db8::1", 1 },
		{ "2001:db8::/32", "2001:db9::1", 0 },
		{ "::1", "::1", 1 },
		{ "::1/128", "::1", 1 },
		{ "2001:db8::/33", "2001:db8:8000::1", 0 },
		{ "10.0.0.0/8", "::1", 0 },
		/* A v4 client seen on a dual-stack socket. */
		{ "10.0.0.0/8", "::ffff:10.0.0.1", 1 },
		/* Names never match: UseDNS is off. */
		{ "localhost", "127.0.0.1", 0 },
		/* An invalid list is an error (sshd refuses the key). */
		{ "10.0.0.1/8", "10.0.0.1", -2 },
		{ "10.0.0.0/33", "10.0.0.1", -2 },
		{ "::/129", "::1", -2 },
		{ "", "10.0.0.1", -2 },
		{ "10.0.0.1,", "10.0.0.1", -2 },
		{ "10.0.0.1,,10.0.0.2", "10.0.0.1", -2 },
		{ "!", "10.0.0.1", -2 },
		/* ...unless a negation was met first, as in sshd. */
		{ "!10.0.0.1,10.0.0.1/8", "10.0.0.1", -1 },
		{ "!10.0.0.2,10.0.0.1/8", "10.0.0.1", -2 },
		/* A mask that is not a number: the entry is a glob. */
		{ "10.0.0.0/abc", "10.0.0.0", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = authkeys_match_from(cases[i].pat, cases[i].ip);

		if (got != cases[i].want)
			fail_msg("from=\"%s\" ip %s: got %d want %d",
			    cases[i].pat, cases[i].ip, got, cases[i].want);
	}
	assert_int_equal(authkeys_match_from("*", NULL), 0);
	assert_int_equal(authkeys_match_from(NULL, "10.0.0.1"), 0);
}

/* ----- paths ------------------------------------------------------- */

static void
check_expand(const char *pat, const char *user, const char *home,
    const char *want)
{
	char out[4096];
	int r = authkeys_expand_path(pat, user, home, out, sizeof(out));

	if (want == NULL) {
		if (r != -1)
			fail_msg("%s for %s: got %s", pat, user, out);
		return;
	}
	if (r != 0)
		fail_msg("%s for %s: failed", pat, user);
	assert_string_equal(out, want);
}

static void
test_expand(void **state)
{
	check_expand("/etc/jumpgate/keys/%u", "alice", NULL,
	    "/etc/jumpgate/keys/alice");
	check_expand("%h/.ssh/authorized_keys", "alice", "/home/alice",
	    "/home/alice/.ssh/authorized_keys");
	check_expand(".ssh/authorized_keys", "alice", "/home/alice",
	    "/home/alice/.ssh/authorized_keys");
	check_expand("/k/%u%%%u.pub", "bob", NULL, "/k/bob%bob.pub");
	check_expand("/k/100%%", "bob", NULL, "/k/100%");
	/* Needs a home the user does not have. */
	check_expand("%h/.ssh/authorized_keys", "alice", NULL, NULL);
	check_expand(".ssh/authorized_keys", "alice", NULL, NULL);
	/* Unknown or dangling tokens. */
	check_expand("/k/%U", "alice", NULL, NULL);
	check_expand("/k/%", "alice", NULL, NULL);
	/* A user name must not walk out of the directory. */
	check_expand("/k/%u", "../etc/passwd", NULL, NULL);
	check_expand("/k/%u/keys", "..", NULL, NULL);
	check_expand("/k/%u/keys", ".", NULL, NULL);
	check_expand("/k/%u", "", NULL, NULL);
	check_expand("/k/%u", NULL, NULL, NULL);
	/* ...but dots inside a name are fine, and %u-less paths ignore it. */
	check_expand("/k/%u", "a.b..c", NULL, "/k/a.b..c");
	check_expand("/k/shared", "../x", NULL, "/k/shared");
}

static void
test_expand_too_long(void **state)
{
	char small[16], home[5000];

	assert_int_equal(authkeys_expand_path("/keys/%u", "someone", NULL,
	    small, sizeof(small)), 0);
	assert_string_equal(small, "/keys/someone");
	assert_int_equal(authkeys_expand_path("/keys/%u", "someone-else", NULL,
	    small, sizeof(small)), -1);
	memset(home, 'h', sizeof(home) - 1);
	home[0] = '/';
	home[sizeof(home) - 1] = '\0';
	assert_int_equal(authkeys_expand_path("%h/x", "u", home, small,
	    sizeof(small)), -1);
}

static void
test_user_known(void **state)
{
	char *dir = tu_mkdtemp(), pat[4096], missing[4096], *f;
	char *pats[3];

	f = tu_write(dir, "alice", "");
	snprintf(pat, sizeof(pat), "%s/%%u", dir);
	snprintf(missing, sizeof(missing), "%s/nope/%%u", dir);
	pats[0] = "none";
	pats[1] = missing;
	pats[2] = pat;
	assert_int_equal(authkeys_user_known(pats, 3, "alice"), 1);
	assert_int_equal(authkeys_user_known(pats, 3, "bob"), 0);
	assert_int_equal(authkeys_user_known(pats, 2, "alice"), 0);
	assert_int_equal(authkeys_user_known(pats, 3, "../alice"), 0);
	/* A directory is not a key file. */
	assert_int_equal(authkeys_user_known(pats, 3, "."), 0);
	free(f);
	tu_rmtree(dir);
}

/* Which patterns need the account (and so a blocking getpwnam_r). */
static void
test_need_home(void **state)
{
	char *abs[] = { "/etc/jumpgate/keys/%u", "none" };
	char *home[] = { "/etc/jumpgate/keys/%u", "%h/.ssh/authorized_keys" };
	char *rel[] = { ".ssh/authorized_keys" };
	char *none[] = { "none" };
	char *mid[] = { "/srv/%u/%h" };
	char *h;

	assert_int_equal(authkeys_need_home(abs, 2), 0);
	assert_int_equal(authkeys_need_home(home, 2), 1);
	assert_int_equal(authkeys_need_home(rel, 1), 1);
	assert_int_equal(authkeys_need_home(none, 1), 0);
	assert_int_equal(authkeys_need_home(mid, 1), 1);
	/* No pattern needs it: no lookup, even for an existing account. */
	assert_null(authkeys_user_home(abs, 2, "root"));
	assert_non_null(h = authkeys_user_home(home, 2, "root"));
	free(h);
	assert_null(authkeys_user_home(home, 2, "no-such-user-jgtest"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opts_defaults),
		cmocka_unit_test(test_opts_consumed),
		cmocka_unit_test(test_opts_order),
		cmocka_unit_test(test_opts_flags),
		cmocka_unit_test(test_opts_quoting),
		cmocka_unit_test(test_opts_other_sshd_options),
		cmocka_unit_test(test_opts_errors),
		cmocka_unit_test(test_permitopen_forms),
		cmocka_unit_test(test_permitopen_many),
		cmocka_unit_test(test_expiry_utc),
		cmocka_unit_test(test_expiry_local),
		cmocka_unit_test(test_expiry_errors),
		cmocka_unit_test(test_expiry_earliest),
		cmocka_unit_test(test_from),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_expand_too_long),
		cmocka_unit_test(test_user_known),
		cmocka_unit_test(test_need_home),
	};

	use_tz("UTC");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
