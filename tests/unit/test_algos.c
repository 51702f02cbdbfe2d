/*
 * test_algos.c: Ciphers, MACs, KexAlgorithms and HostKeyAlgorithms lists.
 *
 * Each form sshd accepts ("a,b", "+", "-" with wildcards, "^") must give
 * the list sshd would give from the same default, names libssh lacks must
 * be left out (and reported) rather than fail, and names nobody knows,
 * misplaced wildcards and empty results must be errors.  Every resolved
 * name is then checked against libssh itself, so a table entry libssh
 * would not accept fails here, not at a customer's first connection.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libssh/libssh.h>
#include <libssh/server.h>

#include "algos.h"
#include "config.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static void
test_resolve_forms(void **state)
{
	static const struct {
		enum algos_kind	 kind;
		const char	*spec;
		const char	*want;
		const char	*dropped;
	} cases[] = {
		{ ALGOS_CIPHERS, "aes128-gcm@openssh.com,aes256-gcm@openssh.com",
		    "aes128-gcm@openssh.com,aes256-gcm@openssh.com", NULL },
		{ ALGOS_CIPHERS, "+aes128-cbc",
		    "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,"
		    "aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr,"
		    "aes128-cbc", NULL },
		{ ALGOS_CIPHERS, "+aes128-ctr",	/* already there: no dup */
		    "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,"
		    "aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr",
		    NULL },
		{ ALGOS_CIPHERS, "-chacha*,aes*-ctr",
		    "aes256-gcm@openssh.com,aes128-gcm@openssh.com", NULL },
		{ ALGOS_CIPHERS, "^aes128-ctr",
		    "aes128-ctr,chacha20-poly1305@openssh.com,"
		    "aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,"
		    "aes192-ctr", NULL },
		{ ALGOS_CIPHERS, "aes128-ctr,aes128-ctr", "aes128-ctr", NULL },
		{ ALGOS_MACS, "hmac-sha2-256-etm@openssh.com,umac-64-etm@openssh.com",
		    "hmac-sha2-256-etm@openssh.com", "umac-64-etm@openssh.com" },
		{ ALGOS_MACS, "-hmac-sha2-256*",
		    "hmac-sha2-512-etm@openssh.com,hmac-sha2-512", NULL },
		{ ALGOS_KEX, "sntrup761x25519-sha512@openssh.com,curve25519-sha256",
		    "curve25519-sha256", "sntrup761x25519-sha512@openssh.com" },
		{ ALGOS_KEX, "-diffie-hellman-*",
		    "curve25519-sha256,curve25519-sha256@libssh.org,"
		    "ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521",
		    NULL },
		/* HostKeyAlgorithms takes wildcards in every form, as sshd. */
		{ ALGOS_HOSTKEY, "ssh-ed25519*,rsa-sha2-*",
		    "ssh-ed25519,rsa-sha2-512,rsa-sha2-256", NULL },
		{ ALGOS_HOSTKEY, "ssh-ed25519,ssh-ed25519-cert-v01@openssh.com",
		    "ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com" },
		/* SHA-1 RSA signatures stay out even when asked for. */
		{ ALGOS_PUBKEY, "+ssh-rsa",
		    "ssh-ed25519-cert-v01@openssh.com,"
		    "ecdsa-sha2-nistp256-cert-v01@openssh.com,"
		    "ecdsa-sha2-nistp384-cert-v01@openssh.com,"
		    "ecdsa-sha2-nistp521-cert-v01@openssh.com,"
		    "rsa-sha2-512-cert-v01@openssh.com,"
		    "rsa-sha2-256-cert-v01@openssh.com,"
		    "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,"
		    "ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256", "ssh-rsa" },
		{ ALGOS_PUBKEY, "-ecdsa*,rsa*",
		    "ssh-ed25519-cert-v01@openssh.com,ssh-ed25519", NULL },
		{ ALGOS_PUBKEY, "rsa-sha2-*",
		    "rsa-sha2-512-cert-v01@openssh.com,"
		    "rsa-sha2-256-cert-v01@openssh.com,"
		    "rsa-sha2-512,rsa-sha2-256", NULL },
		/* Certificates, which config/cert.c checks; not ssh-rsa's. */
		{ ALGOS_PUBKEY, "ssh-ed25519-cert-v01@openssh.com,"
		    "ssh-rsa-cert-v01@openssh.com",
		    "ssh-ed25519-cert-v01@openssh.com",
		    "ssh-rsa-cert-v01@openssh.com" },
	};
	char err[256], *got, *dropped;
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(cases); i++) {
		got = algos_resolve(cases[i].kind, cases[i].spec, &dropped,
		    err, sizeof(err));
		if (got == NULL)
			fail_msg("%s: %s", cases[i].spec, err);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("%s: got %s, want %s", cases[i].spec, got,
			    cases[i].want);
		if ((dropped == NULL) != (cases[i].dropped == NULL) ||
		    (dropped != NULL && strcmp(dropped, cases[i].dropped)))
			fail_msg("%s: dropped %s, want %s", cases[i].spec,
			    dropped ? dropped : "(none)",
			    cases[i].dropped ? cases[i].dropped : "(none)");
		free(got);
		free(dropped);
	}
}

static void
test_resolve_errors(void **state)
{
	static const struct {
		enum algos_kind	 kind;
		const char	*spec;
		const char	*want;	/* in the message */
	} cases[] = {
		{ ALGOS_CIPHERS, "foo", "bad SSH2 cipher spec \"foo\"" },
		{ ALGOS_CIPHERS, "aes*", "wildcards only in a \"-\" list" },
		{ ALGOS_CIPHERS, "+aes1*", "wildcards only" },
		{ ALGOS_CIPHERS, "aes128-ctr,,aes256-ctr", "empty name" },
		{ ALGOS_CIPHERS, "+", "empty name" },
		{ ALGOS_CIPHERS, "-*", "no cipher left" },
		{ ALGOS_CIPHERS, "AES128-CTR", "bad SSH2 cipher spec" },
		{ ALGOS_MACS, "umac-64@openssh.com", "no MAC left" },
		{ ALGOS_MACS, "hmac-sha3", "bad SSH2 MAC spec" },
		{ ALGOS_KEX, "curve448-sha512", "bad SSH2 KexAlgorithms" },
		{ ALGOS_HOSTKEY, "ssh-dss", "no HostKeyAlgorithms left" },
		{ ALGOS_HOSTKEY, "nope*", "no HostKeyAlgorithms left" },
		{ ALGOS_PUBKEY, "ssh-rsa", "no PubkeyAcceptedAlgorithms left" },
	};
	char err[256], *got, *dropped;
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(cases); i++) {
		err[0] = '\0';
		got = algos_resolve(cases[i].kind, cases[i].spec, &dropped,
		    err, sizeof(err));
		if (got != NULL)
			fail_msg("%s: accepted as %s", cases[i].spec, got);
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("%s: error \"%s\", want \"%s\"", cases[i].spec,
			    err, cases[i].want);
		assert_null(dropped);
	}
}

/* Every name we would hand to libssh, one by one, accepted by libssh. */
static void
test_libssh_accepts_everything(void **state)
{
	static const enum ssh_bind_options_e opt[ALGOS_NKINDS] = {
		[ALGOS_CIPHERS] = SSH_BIND_OPTIONS_CIPHERS_C_S,
		[ALGOS_MACS] = SSH_BIND_OPTIONS_HMAC_C_S,
		[ALGOS_KEX] = SSH_BIND_OPTIONS_KEY_EXCHANGE,
		[ALGOS_HOSTKEY] = SSH_BIND_OPTIONS_HOSTKEY_ALGORITHMS,
		[ALGOS_PUBKEY] = SSH_BIND_OPTIONS_PUBKEY_ACCEPTED_KEY_TYPES,
	};
	/* "Everything" per kind: the widest list each form can produce. */
	static const char *const all[ALGOS_NKINDS] = {
		[ALGOS_CIPHERS] = "+aes256-cbc,aes192-cbc,aes128-cbc,3des-cbc",
		[ALGOS_MACS] = "+hmac-sha1-etm@openssh.com,hmac-sha1",
		[ALGOS_KEX] = ("+diffie-hellman-group-exchange-sha1,"
		    "diffie-hellman-group14-sha1,diffie-hellman-group1-sha1"),
		[ALGOS_HOSTKEY] = "*",
		[ALGOS_PUBKEY] = "*",
	};
	char err[256], *list, *dropped, *name, *p;
	ssh_bind b;
	int k;

	(void)state;
	assert_non_null(b = ssh_bind_new());
	for (k = 0; k < ALGOS_NKINDS; k++) {
		list = algos_resolve(k, all[k], &dropped, err, sizeof(err));
		assert_non_null(list);
		for (p = list; (name = strsep(&p, ",")) != NULL; )
			if (ssh_bind_options_set(b, opt[k], name) != SSH_OK)
				fail_msg("libssh refuses %s %s",
				    algos_keyword(k), name);
		free(list);
		/* The defaults, whole, as the worker passes them. */
		if (ssh_bind_options_set(b, opt[k], algos_default(k)) !=
		    SSH_OK)
			fail_msg("libssh refuses default %s", algos_keyword(k));
	}
	ssh_bind_free(b);
}

/* The config keywords: first value wins, global only, -T prints them. */
static void
test_config_keywords(void **state)
{
	struct config cf;
	char err[CONFIG_ERR_MAX];

	(void)state;
	config_init(&cf);
	assert_int_equal(config_parse_line(&cf, "Ciphers aes128-gcm@openssh.com",
	    "f", 1, err, sizeof(err)), 0);
	assert_int_equal(config_parse_line(&cf, "ciphers aes256-ctr", "f", 2,
	    err, sizeof(err)), 0);
	assert_string_equal(cf.c_algos[ALGOS_CIPHERS],
	    "aes128-gcm@openssh.com");
	assert_int_equal(config_parse_line(&cf, "MACs hmac-foo", "f", 3, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "f:3: MACs: bad SSH2 MAC spec"));
	assert_int_equal(config_parse_line(&cf, "Match User alice", "f", 4,
	    err, sizeof(err)), 0);
	assert_int_equal(config_parse_line(&cf, "KexAlgorithms "
	    "curve25519-sha256", "f", 5, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "f:5:"));
	config_free(&cf);

	/* sshd's old name for PubkeyAcceptedAlgorithms. */
	config_init(&cf);
	assert_int_equal(config_parse_line(&cf, "PubkeyAcceptedKeyTypes "
	    "ssh-ed25519", "f", 1, err, sizeof(err)), 0);
	assert_string_equal(cf.c_algos[ALGOS_PUBKEY], "ssh-ed25519");
	config_free(&cf);
}

static void
test_list_has(void **state)
{
	(void)state;
	assert_true(algos_list_has("a,rsa-sha2-256", "rsa-sha2-256"));
	assert_true(algos_list_has("rsa-sha2-256,b", "rsa-sha2-256"));
	assert_false(algos_list_has("rsa-sha2-2560", "rsa-sha2-256"));
	assert_false(algos_list_has("xrsa-sha2-256,b", "rsa-sha2-256"));
	assert_false(algos_list_has("", "ssh-ed25519"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve_forms),
		cmocka_unit_test(test_resolve_errors),
		cmocka_unit_test(test_libssh_accepts_everything),
		cmocka_unit_test(test_config_keywords),
		cmocka_unit_test(test_list_has),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
