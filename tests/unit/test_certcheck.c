/*
 * test_certcheck.c: sshd's policy for user certificates (config/
 * certcheck.c) and RevokedKeys in both formats (certrevoke.c), on
 * certificates and KRLs made by ssh-keygen.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cert.h"
#include "certtest.h"
#include "pattern.h"

/* ----- policy -------------------------------------------------------- */

static void
test_validity(void **state)
{
	struct cert_verdict v;
	struct cert *c;

	c = ct_make("ca_ed", "ed", "-n alice -V 20200101:20200102");
	ct_refused(c, "alice", "Certificate invalid: expired");
	cert_free(c);

	c = ct_make("ca_ed", "ed", "-n alice -V +1h -z 42");
	v = ct_check(c, "alice", NULL, NULL, (time_t)c->c_valid_after - 61);
	assert_string_equal(v.cv_reason, "Certificate invalid: not yet valid");
	v = ct_check(c, "alice", NULL, NULL, (time_t)c->c_valid_after - 60);
	assert_int_equal(v.cv_ok, 1);
	v = ct_check(c, "alice", NULL, NULL, (time_t)c->c_valid_before + 59);
	assert_int_equal(v.cv_ok, 1);
	v = ct_check(c, "alice", NULL, NULL, (time_t)c->c_valid_before + 60);
	assert_string_equal(v.cv_reason, "Certificate invalid: expired");
	v = ct_check(c, "alice", NULL, NULL, -1);
	assert_string_equal(v.cv_reason, "Certificate invalid: not yet valid");
	cert_free(c);
	/* ssh-keygen's -V with a future start. */
	c = ct_make("ca_ed", "ed", "-n alice -V +1d:+2d");
	ct_refused(c, "alice", "Certificate invalid: not yet valid");
	cert_free(c);
}

static void
test_principals(void **state)
{
	struct cert_verdict v;
	struct cert *c;

	c = ct_make("ca_ed", "ed", CT_STD);
	ct_refused(c, "carol",
	    "Certificate invalid: name is not a listed principal");
	v = ct_check(c, "carol", "carol,bob", NULL, time(NULL));
	assert_int_equal(v.cv_ok, 1);
	assert_string_equal(v.cv_principal, "bob");
	v = ct_check(c, "alice", "carol", NULL, time(NULL));
	assert_string_equal(v.cv_reason,
	    "Certificate does not contain an authorized principal");
	/* sshd's list ends at an empty entry. */
	v = ct_check(c, "alice", "carol,,bob", NULL, time(NULL));
	assert_int_equal(v.cv_ok, 0);
	v = ct_check(c, "alice", "", NULL, time(NULL));
	assert_int_equal(v.cv_ok, 0);
	cert_free(c);

	c = ct_make("ca_ed", "ed", "-V +1h");
	assert_int_equal(c->c_nprincipals, 0);
	ct_refused(c, "alice", "Certificate lacks principal list");
	cert_free(c);

	c = ct_make("ca_ed", "ed", "-h " CT_STD);
	assert_int_equal(c->c_type, CERT_TYPE_HOST);
	ct_refused(c, "alice",
	    "Certificate invalid: not a user certificate");
	cert_free(c);
}

static void
test_source_address(void **state)
{
	struct cert_verdict v;
	struct cert *c;

	c = ct_make("ca_ed", "ed",
	    CT_STD " -O source-address=127.0.0.1/32,::1");
	v = ct_check(c, "alice", NULL, "127.0.0.1", time(NULL));
	assert_int_equal(v.cv_ok, 1);
	v = ct_check(c, "alice", NULL, "::1", time(NULL));
	assert_int_equal(v.cv_ok, 1);
	v = ct_check(c, "alice", NULL, "::ffff:127.0.0.1", time(NULL));
	assert_int_equal(v.cv_ok, 1);
	v = ct_check(c, "alice", NULL, "10.0.0.1", time(NULL));
	assert_int_equal(v.cv_ok, 0);
	assert_string_equal(v.cv_reason, "Refused by certificate options");
	assert_string_equal(v.cv_detail, "Authentication tried for alice "
	    "with valid certificate but not from a permitted source "
	    "address (10.0.0.1).");
	cert_free(c);

	c = ct_make("ca_ed", "ed", CT_STD " -O source-address=10.0.0.0/8");
	v = ct_check(c, "alice", NULL, "10.200.3.4", time(NULL));
	assert_int_equal(v.cv_ok, 1);
	v = ct_check(c, "alice", NULL, "11.0.0.1", time(NULL));
	assert_int_equal(v.cv_ok, 0);
	cert_free(c);

	/* addr_match_cidr_list: no globs, negations or bad masks. */
	assert_int_equal(pattern_addr_cidr_list("10.1.2.3", "10.0.0.0/8"), 1);
	assert_int_equal(pattern_addr_cidr_list("10.1.2.3", "192.0.2.0/24"),
	    0);
	assert_int_equal(pattern_addr_cidr_list("10.1.2.3",
	    "10.0.0.0/8,*"), -1);
	assert_int_equal(pattern_addr_cidr_list("10.1.2.3", "!10.1.2.3"), -1);
	assert_int_equal(pattern_addr_cidr_list("10.1.2.3", "10.1.2.3,"), -1);
	assert_int_equal(pattern_addr_cidr_list("10.1.2.3", ""), -1);
	assert_int_equal(pattern_addr_cidr_list("10.1.2.3", "10.1.2.3/33"),
	    -1);
	assert_int_equal(pattern_addr_cidr_list("10.1.2.3", "10.1.2.3/8"),
	    -1);
	assert_int_equal(pattern_addr_cidr_list(NULL, "::1,fe80::/10"), 0);
}

static void
test_options(void **state)
{
	struct cert_verdict v;
	struct cert *c;

	c = ct_make("ca_ed", "ed", CT_STD " -O no-port-forwarding");
	v = ct_check(c, "alice", NULL, NULL, time(NULL));
	assert_int_equal(v.cv_ok, 1);
	assert_int_equal(v.cv_port_forwarding, 0);
	cert_free(c);

	c = ct_make("ca_ed", "ed", CT_STD " -O clear -O permit-port-forwarding "
	    "-O extension:unknown@example.com=x");
	v = ct_check(c, "alice", NULL, NULL, time(NULL));
	assert_int_equal(v.cv_ok, 1);
	assert_int_equal(v.cv_port_forwarding, 1);
	cert_free(c);

	c = ct_make("ca_ed", "ed", CT_STD " -O force-command=/bin/true");
	v = ct_check(c, "alice", NULL, NULL, time(NULL));
	assert_int_equal(v.cv_ok, 1);
	assert_string_equal(v.cv_force_command, "/bin/true");
	assert_int_equal(v.cv_port_forwarding, 1);
	cert_verdict_free(&v);
	cert_free(c);

	c = ct_make("ca_ed", "ed", CT_STD " -O critical:foo=bar");
	v = ct_check(c, "alice", NULL, NULL, time(NULL));
	assert_int_equal(v.cv_ok, 0);
	assert_string_equal(v.cv_reason, "Invalid certificate options");
	assert_string_equal(v.cv_detail,
	    "Certificate critical option \"foo\" is not supported");
	cert_free(c);

	c = ct_make("ca_ed", "ed", CT_STD " -O verify-required");
	v = ct_check(c, "alice", NULL, NULL, time(NULL));
	assert_int_equal(v.cv_ok, 0);
	assert_string_equal(v.cv_detail, "Certificate critical option "
	    "\"verify-required\" is not supported");
	cert_free(c);
}

/* ----- revocation ---------------------------------------------------- */

static struct cert_revoked *
revoked_load(const char *name)
{
	struct cert_revoked *rv = NULL;
	char path[1024], err[CERT_ERR_LEN];

	snprintf(path, sizeof(path), "%s/%s", ct_dir, name);
	if (cert_revoked_load_file(path, &rv, err, sizeof(err)) != 0)
		fail_msg("%s: %s", name, err);
	return rv;
}

static void
test_revoked_plain(void **state)
{
	struct cert_revoked *rv;
	struct cert *c;
	char err[CERT_ERR_LEN];

	c = ct_make("ca_ed", "ec256", CT_STD);
	ct_sh("printf '# revoked\\n\\n' > rk && cat ed.pub >> rk");
	rv = revoked_load("rk");
	assert_int_equal(cert_revoked_check(rv, c), 0);
	cert_revoked_free(rv);
	ct_sh("printf '# revoked\\n\\n' > rk && cat ed.pub ec256.pub >> rk");
	rv = revoked_load("rk");
	assert_int_equal(cert_revoked_check(rv, c), 1);
	assert_int_equal(cert_revoked_key(rv, c->c_key.ck_blob,
	    c->c_key.ck_bloblen), 1);
	assert_int_equal(cert_revoked_key(rv, c->c_ca.ck_blob,
	    c->c_ca.ck_bloblen), 0);
	cert_revoked_free(rv);
	ct_sh("cat ca_ed.pub > rk");
	rv = revoked_load("rk");
	assert_int_equal(cert_revoked_check(rv, c), 1);
	cert_revoked_free(rv);
	/* A certificate line revokes its key. */
	ct_sh("cat ec256-cert.pub > rk");
	rv = revoked_load("rk");
	assert_int_equal(cert_revoked_check(rv, c), 1);
	cert_revoked_free(rv);
	cert_free(c);
	/* A line that is no key refuses the file. */
	assert_int_equal(cert_revoked_load((const uint8_t *)"ssh-ed25519 !!\n",
	    15, &rv, err, sizeof(err)), -1);
	assert_null(rv);
}

static void
test_revoked_krl(void **state)
{
	struct cert_revoked *rv;
	struct cert *c42, *c43, *other;
	char err[CERT_ERR_LEN];
	uint8_t *krl;
	size_t len, n;

	c42 = ct_make("ca_ed", "ed", CT_STD);
	c43 = ct_make("ca_ed", "ed", "-I other -n alice -V +1h -z 43");
	other = ct_make("ca2", "ec256", CT_STD);

	ct_sh("echo 'serial: 42' > spec && "
	    "ssh-keygen -k -f krl -s ca_ed.pub spec");
	rv = revoked_load("krl");
	assert_int_equal(cert_revoked_check(rv, c42), 1);
	assert_int_equal(cert_revoked_check(rv, c43), 0);
	/* The serial is revoked under that CA only. */
	assert_int_equal(cert_revoked_check(rv, other), 0);
	cert_revoked_free(rv);

	/* ssh-keygen 9.2 writes these as a bitmap and as a range. */
	ct_sh("printf 'serial: 40\\nserial: 42\\nserial: 44\\n' > spec && "
	    "ssh-keygen -k -f krl -s ca_ed.pub spec");
	rv = revoked_load("krl");
	assert_int_equal(cert_revoked_check(rv, c42), 1);
	assert_int_equal(cert_revoked_check(rv, c43), 0);
	cert_revoked_free(rv);
	ct_sh("echo 'serial: 43-100000' > spec && "
	    "ssh-keygen -k -f krl -s ca_ed.pub spec");
	rv = revoked_load("krl");
	assert_int_equal(cert_revoked_check(rv, c42), 0);
	assert_int_equal(cert_revoked_check(rv, c43), 1);
	cert_revoked_free(rv);

	ct_sh("echo 'id: other' > spec && "
	    "ssh-keygen -k -f krl -s ca_ed.pub spec");
	rv = revoked_load("krl");
	assert_int_equal(cert_revoked_check(rv, c42), 0);
	assert_int_equal(cert_revoked_check(rv, c43), 1);
	cert_revoked_free(rv);

	ct_sh("ssh-keygen -k -f krl2 ec256.pub");
	rv = revoked_load("krl2");
	assert_int_equal(cert_revoked_check(rv, c42), 0);
	assert_int_equal(cert_revoked_check(rv, other), 1);
	cert_revoked_free(rv);

	/* A KRL revoking the CA key itself. */
	ct_sh("ssh-keygen -k -f krl2 ca2.pub");
	rv = revoked_load("krl2");
	assert_int_equal(cert_revoked_check(rv, other), 1);
	assert_int_equal(cert_revoked_check(rv, c42), 0);
	cert_revoked_free(rv);

	ct_sh("echo \"hash: $(ssh-keygen -lf ed.pub | cut -d' ' -f2)\" > spec "
	    "&& ssh-keygen -k -f krl3 spec");
	rv = revoked_load("krl3");
	assert_int_equal(cert_revoked_check(rv, c42), 1);
	assert_int_equal(cert_revoked_check(rv, other), 0);
	cert_revoked_free(rv);

	/* Every truncation of a KRL refuses it, except at section ends. */
	ct_sh("echo 'serial: 42' > spec && echo 'id: x' >> spec && "
	    "ssh-keygen -k -f krl -s ca_ed.pub spec && "
	    "ssh-keygen -k -u -f krl ec256.pub");
	krl = (uint8_t *)ct_slurp("krl", &len);
	for (n = 8; n < len; n++) {
		if (cert_revoked_load(krl, n, &rv, err, sizeof(err)) == 0) {
			/* A shorter KRL is a valid KRL with fewer sections. */
			assert_int_equal(cert_revoked_check(rv, other), 0);
			cert_revoked_free(rv);
		}
	}
	rv = revoked_load("krl");
	assert_int_equal(cert_revoked_check(rv, c42), 1);
	assert_int_equal(cert_revoked_check(rv, other), 1);
	cert_revoked_free(rv);
	free(krl);

	cert_free(c42);
	cert_free(c43);
	cert_free(other);
}

/* A KRL built by hand: unknown sections and bad serials fail closed. */
static void
test_krl_refused(void **state)
{
	static const uint8_t head[] = { 'S', 'S', 'H', 'K', 'R', 'L', '\n', 0,
	    0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t unknown[] = { 9, 0, 0, 0, 0 };
	static const uint8_t sig[] = { 4, 0, 0, 0, 0 };
	/* Certificates for any CA, a serial list holding serial 0. */
	static const uint8_t zero[] = { 1, 0, 0, 0, 21, 0, 0, 0, 0, 0, 0, 0,
	    0, 0x20, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t crit[] = { 255, 0, 0, 0, 10, 0, 0, 0, 1, 'x', 1,
	    0, 0, 0, 0 };
	/* A bitmap from serial 0 with bit 0 set revokes serial 0. */
	static const uint8_t bit0[] = { 1, 0, 0, 0, 26, 0, 0, 0, 0, 0, 0, 0,
	    0, 0x22, 0, 0, 0, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1 };
	static const uint8_t noncrit[] = { 255, 0, 0, 0, 10, 0, 0, 0, 1, 'x',
	    0, 0, 0, 0, 0 };
	struct cert_revoked *rv;
	uint8_t buf[256];
	char err[CERT_ERR_LEN];

	memcpy(buf, head, sizeof(head));
	assert_int_equal(cert_revoked_load(buf, sizeof(head), &rv, err,
	    sizeof(err)), 0);
	cert_revoked_free(rv);
	memcpy(buf + sizeof(head), unknown, sizeof(unknown));
	assert_int_equal(cert_revoked_load(buf, sizeof(head) +
	    sizeof(unknown), &rv, err, sizeof(err)), -1);
	assert_string_equal(err, "unsupported KRL section");
	memcpy(buf + sizeof(head), sig, sizeof(sig));
	assert_int_equal(cert_revoked_load(buf, sizeof(head) + sizeof(sig),
	    &rv, err, sizeof(err)), -1);
	memcpy(buf + sizeof(head), zero, sizeof(zero));
	assert_int_equal(cert_revoked_load(buf, sizeof(head) + sizeof(zero),
	    &rv, err, sizeof(err)), -1);
	memcpy(buf + sizeof(head), bit0, sizeof(bit0));
	assert_int_equal(cert_revoked_load(buf, sizeof(head) + sizeof(bit0),
	    &rv, err, sizeof(err)), -1);
	buf[sizeof(head) + 25] = 1;
	assert_int_equal(cert_revoked_load(buf, sizeof(head) + sizeof(bit0),
	    &rv, err, sizeof(err)), 0);
	cert_revoked_free(rv);
	memcpy(buf + sizeof(head), crit, sizeof(crit));
	assert_int_equal(cert_revoked_load(buf, sizeof(head) + sizeof(crit),
	    &rv, err, sizeof(err)), -1);
	memcpy(buf + sizeof(head), noncrit, sizeof(noncrit));
	assert_int_equal(cert_revoked_load(buf, sizeof(head) +
	    sizeof(noncrit), &rv, err, sizeof(err)), 0);
	cert_revoked_free(rv);
	/* Format version 2. */
	memcpy(buf, head, sizeof(head));
	buf[11] = 2;
	assert_int_equal(cert_revoked_load(buf, sizeof(head), &rv, err,
	    sizeof(err)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validity),
		cmocka_unit_test(test_principals),
		cmocka_unit_test(test_source_address),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_revoked_plain),
		cmocka_unit_test(test_revoked_krl),
		cmocka_unit_test(test_krl_refused),
	};

	return cmocka_run_group_tests(tests, ct_setup, ct_teardown);
}
