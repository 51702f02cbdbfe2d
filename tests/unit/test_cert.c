/*
 * test_cert.c: parsing OpenSSH certificates and checking their CA
 * signature (config/cert.c, certsig.c): every key and CA type as
 * ssh-keygen writes them, tampered and truncated blobs, and, built and
 * signed here, the malformed certificates ssh-keygen will not write.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <openssl/evp.h>

#include "cert.h"
#include "certtest.h"

/* ----- parsing and signatures --------------------------------------- */

static void
test_key_types(void **state)
{
	static const char *keys[] = { "ed", "ec256", "ec384", "ec521", "rsa" };
	static const char *names[] = { "ssh-ed25519-cert-v01@openssh.com",
	    "ecdsa-sha2-nistp256-cert-v01@openssh.com",
	    "ecdsa-sha2-nistp384-cert-v01@openssh.com",
	    "ecdsa-sha2-nistp521-cert-v01@openssh.com",
	    "ssh-rsa-cert-v01@openssh.com" };
	struct cert_verdict v;
	struct cert *c;
	uint8_t *pub;
	size_t i, len;
	char name[64];

	for (i = 0; i < 5; i++) {
		c = ct_make("ca_ed", keys[i], CT_STD);
		assert_string_equal(c->c_name, names[i]);
		assert_int_equal(c->c_serial, 42);
		assert_int_equal(c->c_type, CERT_TYPE_USER);
		assert_string_equal(c->c_keyid, "keyid");
		assert_int_equal(c->c_nprincipals, 2);
		assert_string_equal(c->c_principals[0], "alice");
		assert_string_equal(c->c_principals[1], "bob");
		assert_string_equal(c->c_sigalg, "ssh-ed25519");
		/* The certified key is the plain key ssh-keygen wrote. */
		snprintf(name, sizeof(name), "%s.pub", keys[i]);
		pub = ct_pub_blob(name, &len);
		assert_int_equal(c->c_key.ck_bloblen, len);
		assert_memory_equal(c->c_key.ck_blob, pub, len);
		free(pub);
		v = ct_check(c, "alice", NULL, "127.0.0.1", time(NULL));
		assert_int_equal(v.cv_ok, 1);
		assert_string_equal(v.cv_principal, "alice");
		assert_int_equal(v.cv_port_forwarding, 1);
		assert_int_equal(v.cv_serial, 42);
		assert_string_equal(v.cv_keyid, "keyid");
		assert_string_equal(v.cv_ca_type, "ED25519");
		cert_verdict_free(&v);
		cert_free(c);
	}
}

static void
test_ca_types(void **state)
{
	static const struct { const char *ca, *opts, *alg, *type; } t[] = {
	    { "ca_ed", "", "ssh-ed25519", "ED25519" },
	    { "ca_ec256", "", "ecdsa-sha2-nistp256", "ECDSA" },
	    { "ca_ec384", "", "ecdsa-sha2-nistp384", "ECDSA" },
	    { "ca_ec521", "", "ecdsa-sha2-nistp521", "ECDSA" },
	    { "ca_rsa", "-t rsa-sha2-256", "rsa-sha2-256", "RSA" },
	    { "ca_rsa", "-t rsa-sha2-512", "rsa-sha2-512", "RSA" },
	};
	char opts[128], fp[CERT_FP_LEN], want[128];
	struct cert *c;
	size_t i, n;
	char *out;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(opts, sizeof(opts), "%s %s", CT_STD, t[i].opts);
		c = ct_make(t[i].ca, "ec256", opts);
		assert_string_equal(c->c_sigalg, t[i].alg);
		assert_string_equal(cert_key_type(&c->c_ca), t[i].type);
		/* The fingerprint is ssh-keygen -l's. */
		cert_key_fingerprint(&c->c_ca, fp, sizeof(fp));
		assert_string_equal(fp, c->c_ca_fp);
		ct_sh("ssh-keygen -lf %s.pub | cut -d' ' -f2 > fp", t[i].ca);
		out = ct_slurp("fp", &n);
		out[strcspn(out, "\n")] = '\0';
		snprintf(want, sizeof(want), "%s", out);
		free(out);
		assert_string_equal(fp, want);
		cert_free(c);
	}
}

static void
test_rsa_sha1_refused(void **state)
{
	uint8_t *blob;
	size_t len;

	blob = ct_sign("ca_rsa", "ed", CT_STD " -t ssh-rsa", &len);
	ct_parse_fails(blob, len, "ssh-rsa (SHA-1) signature refused");
	free(blob);
	blob = ct_sign("ca_rsa1024", "ed", CT_STD, &len);
	ct_parse_fails(blob, len, "RSA CA key shorter than 2048 bits");
	free(blob);
}

/* The CA key may not be a certificate: put one where the CA goes. */
static void
test_ca_is_cert(void **state)
{
	struct cert *c;
	uint8_t *blob, *cablob, *forged;
	size_t len, calen, off, flen;

	blob = ct_sign("ca_ed", "ed", CT_STD, &len);
	cablob = ct_sign("ca2", "ca_ed", CT_STD, &calen);
	c = ct_parse_ok(blob, len);
	/* Signed part, then the CA string, then the signature string. */
	off = c->c_signedlen - 4 - c->c_ca.ck_bloblen;
	flen = off + 4 + calen + (len - c->c_signedlen);
	forged = malloc(flen);
	assert_non_null(forged);
	memcpy(forged, blob, off);
	forged[off] = (uint8_t)(calen >> 24);
	forged[off + 1] = (uint8_t)(calen >> 16);
	forged[off + 2] = (uint8_t)(calen >> 8);
	forged[off + 3] = (uint8_t)calen;
	memcpy(forged + off + 4, cablob, calen);
	memcpy(forged + off + 4 + calen, blob + c->c_signedlen,
	    len - c->c_signedlen);
	ct_parse_fails(forged, flen, "invalid or unsupported CA key");
	cert_free(c);
	free(forged);
	free(cablob);
	free(blob);
}

static void
test_tampered(void **state)
{
	uint8_t *blob;
	size_t len, i;
	int hit = 0;

	blob = ct_sign("ca_ec384", "rsa", CT_STD, &len);
	/* The last byte is the signature's (s of ECDSA). */
	blob[len - 1] ^= 0x01;
	ct_parse_fails(blob, len, NULL);
	blob[len - 1] ^= 0x01;
	cert_free(ct_parse_ok(blob, len));
	/* A byte of the key id, inside the signed part. */
	for (i = 0; i + 5 <= len; i++)
		if (memcmp(blob + i, "keyid", 5) == 0) {
			blob[i] = 'K';
			hit = 1;
			break;
		}
	assert_true(hit);
	ct_parse_fails(blob, len, "CA signature does not verify");
	free(blob);

	blob = ct_sign("ca_ed", "ec521", CT_STD, &len);
	blob[len - 1] ^= 0x80;
	ct_parse_fails(blob, len, "CA signature does not verify");
	free(blob);
	blob = ct_sign("ca_rsa", "ec256", CT_STD, &len);
	blob[len - 10] ^= 0x80;
	ct_parse_fails(blob, len, "CA signature does not verify");
	free(blob);
}

/* Every prefix and one byte more refused: no length is trusted. */
static void
test_truncated(void **state)
{
	static const char *keys[] = { "ed", "ec521", "rsa" };
	uint8_t *blob, *big;
	size_t len, n, i;

	for (i = 0; i < 3; i++) {
		blob = ct_sign(i == 2 ? "ca_rsa" : "ca_ec256", keys[i],
		    CT_STD " -O source-address=10.0.0.0/8 -O force-command=x",
		    &len);
		for (n = 0; n < len; n++) {
			/* A copy of exactly n bytes, so ASan sees overreads. */
			big = malloc(n > 0 ? n : 1);
			memcpy(big, blob, n);
			ct_parse_fails(big, n, NULL);
			free(big);
		}
		big = malloc(len + 1);
		memcpy(big, blob, len);
		big[len] = 0;
		ct_parse_fails(big, len + 1, "malformed certificate");
		free(big);
		free(blob);
	}
}

static void
test_wrong_ca(void **state)
{
	struct cert *c;
	uint8_t *ca, *ca2;
	size_t calen, ca2len;
	char *line, fp[CERT_FP_LEN];

	c = ct_make("ca2", "ed", CT_STD);
	line = ct_slurp("ca_ed.pub", &calen);
	assert_int_equal(cert_key_decode(line, &ca, &calen), 0);
	free(line);
	line = ct_slurp("ca2.pub", &ca2len);
	assert_int_equal(cert_key_decode(line, &ca2, &ca2len), 0);
	free(line);
	assert_false(cert_ca_equal(c, ca, calen));
	assert_true(cert_ca_equal(c, ca2, ca2len));
	free(ca);
	free(ca2);
	cert_free(c);
	c = ct_make("ca_ed", "ed", CT_STD);
	cert_key_fingerprint(&c->c_ca, fp, sizeof(fp));
	cert_free(c);
	c = ct_make("ca2", "ed", CT_STD);
	assert_string_not_equal(fp, c->c_ca_fp);
	cert_free(c);
	/* A certificate is not a CA key line. */
	line = ct_slurp("ed-cert.pub", &calen);
	assert_int_equal(cert_key_decode(line, &ca, &calen), -1);
	free(line);
}

/* ----- certificates built here, for what ssh-keygen will not write -- */

struct craft {
	uint8_t		 cr_d[CERT_MAX_BLOB * 2];
	size_t		 cr_n;
};

static void
put(struct craft *b, const void *p, size_t len)
{
	assert_true(b->cr_n + len <= sizeof(b->cr_d));
	memcpy(b->cr_d + b->cr_n, p, len);
	b->cr_n += len;
}

static void
put_u32(struct craft *b, uint32_t v)
{
	uint8_t d[4] = { v >> 24, v >> 16, v >> 8, v };

	put(b, d, 4);
}

static void
put_u64(struct craft *b, uint64_t v)
{
	put_u32(b, (uint32_t)(v >> 32));
	put_u32(b, (uint32_t)v);
}

static void
put_str(struct craft *b, const void *p, size_t len)
{
	put_u32(b, (uint32_t)len);
	put(b, p, len);
}

static void
put_cstr(struct craft *b, const char *s)
{
	put_str(b, s, strlen(s));
}

/* An option: name, then its data (a string holding value, or nothing). */
static void
put_opt(struct craft *b, const char *name, const char *value)
{
	struct craft d = { .cr_n = 0 };

	put_cstr(b, name);
	if (value != NULL)
		put_cstr(&d, value);
	put_str(b, d.cr_d, d.cr_n);
}

/*
 * An ed25519 user certificate with the given principals, critical
 * options and extensions (each already a string list), signed by a
 * fresh ed25519 CA.
 */
static uint8_t *
craft(uint32_t type, const struct craft *princ, const struct craft *crit,
    const struct craft *ext, size_t *len)
{
	static const uint8_t zero[32];
	struct craft *b = calloc(1, sizeof(*b)), ca = { .cr_n = 0 };
	EVP_PKEY *key;
	EVP_MD_CTX *md;
	uint8_t pub[32], sig[64], *out;
	size_t publen = sizeof(pub), siglen = sizeof(sig);

	assert_non_null(b);
	assert_non_null(key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));
	assert_int_equal(EVP_PKEY_get_raw_public_key(key, pub, &publen), 1);
	put_cstr(b, "ssh-ed25519-cert-v01@openssh.com");
	put_str(b, zero, sizeof(zero));
	put_str(b, pub, sizeof(pub));
	put_u64(b, 7);
	put_u32(b, type);
	put_cstr(b, "crafted");
	put_str(b, princ->cr_d, princ->cr_n);
	put_u64(b, 0);
	put_u64(b, UINT64_MAX);
	put_str(b, crit->cr_d, crit->cr_n);
	put_str(b, ext->cr_d, ext->cr_n);
	put_str(b, "", 0);
	put_cstr(&ca, "ssh-ed25519");
	put_str(&ca, pub, sizeof(pub));
	put_str(b, ca.cr_d, ca.cr_n);
	assert_non_null(md = EVP_MD_CTX_new());
	assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, key), 1);
	assert_int_equal(EVP_DigestSign(md, sig, &siglen, b->cr_d, b->cr_n),
	    1);
	ca.cr_n = 0;
	put_cstr(&ca, "ssh-ed25519");
	put_str(&ca, sig, siglen);
	put_str(b, ca.cr_d, ca.cr_n);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	out = malloc(b->cr_n);
	memcpy(out, b->cr_d, b->cr_n);
	*len = b->cr_n;
	free(b);
	return out;
}

/* craft() with alice, the given options, and ct_parse_ok() or not. */
static struct cert *
craft_parse(const struct craft *crit, const struct craft *ext,
    const char *fails)
{
	struct craft princ = { .cr_n = 0 };
	struct cert *c = NULL;
	uint8_t *blob;
	size_t len;

	put_cstr(&princ, "alice");
	blob = craft(CERT_TYPE_USER, &princ, crit, ext, &len);
	if (fails != NULL)
		ct_parse_fails(blob, len, fails);
	else
		c = ct_parse_ok(blob, len);
	free(blob);
	return c;
}

static void
craft_refused(const struct craft *crit, const struct craft *ext,
    const char *detail)
{
	struct cert_verdict v;
	struct cert *c = craft_parse(crit, ext, NULL);

	v = ct_check(c, "alice", NULL, "10.1.1.1", time(NULL));
	assert_int_equal(v.cv_ok, 0);
	assert_string_equal(v.cv_reason, "Invalid certificate options");
	assert_string_equal(v.cv_detail, detail);
	cert_verdict_free(&v);
	cert_free(c);
}

static void
test_crafted_options(void **state)
{
	struct craft crit = { .cr_n = 0 }, ext = { .cr_n = 0 };
	struct cert_verdict v;
	struct cert *c;
	static const char *bad = "malformed or unordered certificate options";

	/* The builder itself makes certificates that pass. */
	put_opt(&crit, "source-address", "10.0.0.0/8");
	put_opt(&ext, "permit-port-forwarding", NULL);
	c = craft_parse(&crit, &ext, NULL);
	v = ct_check(c, "alice", NULL, "10.1.1.1", time(NULL));
	assert_int_equal(v.cv_ok, 1);
	assert_int_equal(v.cv_port_forwarding, 1);
	cert_free(c);

	/* Names strictly ascending: out of order, or twice, is refused. */
	put_opt(&ext, "permit-X11-forwarding", NULL);
	craft_parse(&crit, &ext, bad);
	ext.cr_n = 0;
	put_opt(&ext, "permit-port-forwarding", NULL);
	put_opt(&ext, "permit-port-forwarding", NULL);
	craft_parse(&crit, &ext, bad);
	ext.cr_n = 0;
	put_opt(&crit, "source-address", "10.0.0.0/8");
	craft_parse(&crit, &ext, bad);
	/* A prefix sorts first. */
	crit.cr_n = 0;
	put_opt(&crit, "source", "x");
	put_opt(&crit, "source-address", "10.0.0.0/8");
	cert_free(craft_parse(&crit, &ext, NULL));
	crit.cr_n = 0;
	put_opt(&crit, "source-address", "10.0.0.0/8");
	put_opt(&crit, "source", "x");
	craft_parse(&crit, &ext, bad);
	/* Data that is not one string list. */
	crit.cr_n = 0;
	put_cstr(&crit, "force-command");
	craft_parse(&crit, &ext, bad);

	crit.cr_n = 0;
	put_opt(&crit, "source-address", "10.0.0.0/8,*");
	craft_refused(&crit, &ext,
	    "Certificate source-address contents invalid");
	crit.cr_n = 0;
	put_opt(&crit, "source-address", "10.0.0.0/8,10.1.1.1/8");
	craft_refused(&crit, &ext,
	    "Certificate source-address contents invalid");
	crit.cr_n = 0;
	put_opt(&crit, "force-command", NULL);
	craft_refused(&crit, &ext, "Unable to parse \"force-command\" section");
	crit.cr_n = 0;
	put_cstr(&crit, "force-command");
	put_u32(&crit, 8);
	put_cstr(&crit, "ls");
	put(&crit, "xx", 2);
	craft_refused(&crit, &ext,
	    "Certificate option \"force-command\" corrupt (extra data)");
	crit.cr_n = 0;
	put_opt(&ext, "permit-port-forwarding", "x");
	craft_refused(&crit, &ext,
	    "Certificate option \"permit-port-forwarding\" corrupt "
	    "(extra data)");
	/* Unknown extensions are ignored, data or not. */
	ext.cr_n = 0;
	put_opt(&ext, "unknown@example.com", "x");
	c = craft_parse(&crit, &ext, NULL);
	v = ct_check(c, "alice", NULL, "10.1.1.1", time(NULL));
	assert_int_equal(v.cv_ok, 1);
	assert_int_equal(v.cv_port_forwarding, 0);
	cert_free(c);
}

static void
test_crafted_fields(void **state)
{
	struct craft none = { .cr_n = 0 }, princ = { .cr_n = 0 };
	struct cert *c;
	uint8_t *blob;
	size_t len, i;

	put_cstr(&princ, "alice");
	blob = craft(3, &princ, &none, &none, &len);
	ct_parse_fails(blob, len, "unknown certificate type");
	free(blob);

	/* sshd's SSHKEY_CERT_MAX_PRINCIPALS. */
	princ.cr_n = 0;
	for (i = 0; i < CERT_MAX_PRINCIPALS; i++)
		put_cstr(&princ, "p");
	blob = craft(CERT_TYPE_USER, &princ, &none, &none, &len);
	c = ct_parse_ok(blob, len);
	assert_int_equal(c->c_nprincipals, CERT_MAX_PRINCIPALS);
	cert_free(c);
	free(blob);
	put_cstr(&princ, "p");
	blob = craft(CERT_TYPE_USER, &princ, &none, &none, &len);
	ct_parse_fails(blob, len, "malformed principal list");
	free(blob);

	/* A NUL inside a principal; a principal cut short. */
	princ.cr_n = 0;
	put_str(&princ, "al\0ce", 5);
	blob = craft(CERT_TYPE_USER, &princ, &none, &none, &len);
	ct_parse_fails(blob, len, "malformed principal list");
	free(blob);
	princ.cr_n = 0;
	put_u32(&princ, 6);
	put(&princ, "alice", 5);
	blob = craft(CERT_TYPE_USER, &princ, &none, &none, &len);
	ct_parse_fails(blob, len, "malformed principal list");
	free(blob);

	/* Longer than CERT_MAX_BLOB, however well signed. */
	princ.cr_n = 0;
	for (i = 0; i < 3000; i++)
		put_cstr(&princ, "pp");
	blob = craft(CERT_TYPE_USER, &princ, &none, &none, &len);
	assert_true(len > CERT_MAX_BLOB);
	ct_parse_fails(blob, len, "certificate too long");
	free(blob);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_types),
		cmocka_unit_test(test_ca_types),
		cmocka_unit_test(test_rsa_sha1_refused),
		cmocka_unit_test(test_ca_is_cert),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_wrong_ca),
		cmocka_unit_test(test_crafted_options),
		cmocka_unit_test(test_crafted_fields),
	};

	return cmocka_run_group_tests(tests, ct_setup, ct_teardown);
}
