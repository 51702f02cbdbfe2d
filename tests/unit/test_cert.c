/*
 * test_cert.c: OpenSSH certificates and RevokedKeys (config/cert.h),
 * against keys, certificates and KRLs that ssh-keygen makes at test time
 * in a scratch directory, so every blob is OpenSSH's own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>

#include "cert.h"
#include "pattern.h"
#include "testutil.h"

static char *dir;

/* Runs a shell command in the scratch directory; it must succeed. */
static void __attribute__((format(printf, 1, 2)))
sh(const char *fmt, ...)
{
	char cmd[2048], full[2300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "cd '%s' && { %s; } >/dev/null 2>&1", dir,
	    cmd);
	if (system(full) != 0)
		fail_msg("command failed: %s", cmd);
}

static char *
slurp(const char *name, size_t *len)
{
	char path[1024], *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "rb")) == NULL)
		fail_msg("%s: cannot open", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* The blob of a .pub file's first line: "type base64 comment". */
static uint8_t *
pub_blob(const char *name, size_t *len)
{
	char *text, *b;
	uint8_t *blob;
	size_t tlen;

	text = slurp(name, &tlen);
	b = strchr(text, ' ');
	assert_non_null(b);
	b++;
	assert_int_equal(cert_base64_decode(b, strcspn(b, " \n"), &blob,
	    len), 0);
	free(text);
	return blob;
}

/* ssh-keygen -s CA -I keyid [-n alice,bob] -V +1h -z 42 OPTS key.pub */
static uint8_t *
sign(const char *ca, const char *key, const char *opts, size_t *len)
{
	char name[256];

	sh("rm -f %s-cert.pub && ssh-keygen -q -s %s -I keyid %s %s.pub",
	    key, ca, opts, key);
	snprintf(name, sizeof(name), "%s-cert.pub", key);
	return pub_blob(name, len);
}

static struct cert *
parse_ok(const uint8_t *blob, size_t len)
{
	struct cert *c = NULL;
	char err[CERT_ERR_LEN];

	if (cert_parse(blob, len, &c, err, sizeof(err)) != 0)
		fail_msg("cert_parse: %s", err);
	return c;
}

static struct cert *
make(const char *ca, const char *key, const char *opts)
{
	struct cert *c;
	uint8_t *blob;
	size_t len;

	blob = sign(ca, key, opts, &len);
	c = parse_ok(blob, len);
	free(blob);
	return c;
}

#define STD	"-n alice,bob -V +1h -z 42"

static int
setup(void **state)
{
	static const char *keys[] = {
	    "ed -t ed25519", "ec256 -t ecdsa -b 256", "ec384 -t ecdsa -b 384",
	    "ec521 -t ecdsa -b 521", "rsa -t rsa -b 3072",
	    "ca_ed -t ed25519", "ca_ec256 -t ecdsa -b 256",
	    "ca_ec384 -t ecdsa -b 384", "ca_ec521 -t ecdsa -b 521",
	    "ca_rsa -t rsa -b 3072", "ca_rsa1024 -t rsa -b 1024",
	    "ca2 -t ed25519" };
	size_t i;

	dir = tu_mkdtemp();
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		sh("ssh-keygen -q -N '' -f %s", keys[i]);
	return 0;
}

static int
teardown(void **state)
{
	tu_rmtree(dir);
	return 0;
}

static struct cert_verdict
check(const struct cert *c, const char *user, const char *principals,
    const char *addr, time_t now)
{
	struct cert_policy pol = { user, principals, addr, now };
	struct cert_verdict v;

	cert_check(c, &pol, &v);
	return v;
}

static void
expect_refused(const struct cert *c, const char *user, const char *reason)
{
	struct cert_verdict v = check(c, user, NULL, "127.0.0.1", time(NULL));

	assert_int_equal(v.cv_ok, 0);
	assert_string_equal(v.cv_reason, reason);
	cert_verdict_free(&v);
}

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
		c = make("ca_ed", keys[i], STD);
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
		pub = pub_blob(name, &len);
		assert_int_equal(c->c_key.ck_bloblen, len);
		assert_memory_equal(c->c_key.ck_blob, pub, len);
		free(pub);
		v = check(c, "alice", NULL, "127.0.0.1", time(NULL));
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
		snprintf(opts, sizeof(opts), "%s %s", STD, t[i].opts);
		c = make(t[i].ca, "ec256", opts);
		assert_string_equal(c->c_sigalg, t[i].alg);
		assert_string_equal(cert_key_type(&c->c_ca), t[i].type);
		/* The fingerprint is ssh-keygen -l's. */
		cert_key_fingerprint(&c->c_ca, fp, sizeof(fp));
		assert_string_equal(fp, c->c_ca_fp);
		sh("ssh-keygen -lf %s.pub | cut -d' ' -f2 > fp", t[i].ca);
		out = slurp("fp", &n);
		out[strcspn(out, "\n")] = '\0';
		snprintf(want, sizeof(want), "%s", out);
		free(out);
		assert_string_equal(fp, want);
		cert_free(c);
	}
}

static void
parse_fails(const uint8_t *blob, size_t len, const char *want)
{
	struct cert *c = (struct cert *)1;
	char err[CERT_ERR_LEN];

	assert_int_equal(cert_parse(blob, len, &c, err, sizeof(err)), -1);
	assert_null(c);
	if (want != NULL)
		assert_string_equal(err, want);
}

static void
test_rsa_sha1_refused(void **state)
{
	uint8_t *blob;
	size_t len;

	blob = sign("ca_rsa", "ed", STD " -t ssh-rsa", &len);
	parse_fails(blob, len, "ssh-rsa (SHA-1) signature refused");
	free(blob);
	blob = sign("ca_rsa1024", "ed", STD, &len);
	parse_fails(blob, len, "RSA CA key shorter than 2048 bits");
	free(blob);
}

/* The CA key may not be a certificate: put one where the CA goes. */
static void
test_ca_is_cert(void **state)
{
	struct cert *c;
	uint8_t *blob, *cablob, *forged;
	size_t len, calen, off, flen;

	blob = sign("ca_ed", "ed", STD, &len);
	cablob = sign("ca2", "ca_ed", STD, &calen);
	c = parse_ok(blob, len);
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
	parse_fails(forged, flen, "invalid or unsupported CA key");
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

	blob = sign("ca_ec384", "rsa", STD, &len);
	/* The last byte is the signature's (s of ECDSA). */
	blob[len - 1] ^= 0x01;
	parse_fails(blob, len, NULL);
	blob[len - 1] ^= 0x01;
	cert_free(parse_ok(blob, len));
	/* A byte of the key id, inside the signed part. */
	for (i = 0; i + 5 <= len; i++)
		if (memcmp(blob + i, "keyid", 5) == 0) {
			blob[i] = 'K';
			hit = 1;
			break;
		}
	assert_true(hit);
	parse_fails(blob, len, "CA signature does not verify");
	free(blob);

	blob = sign("ca_ed", "ec521", STD, &len);
	blob[len - 1] ^= 0x80;
	parse_fails(blob, len, "CA signature does not verify");
	free(blob);
	blob = sign("ca_rsa", "ec256", STD, &len);
	blob[len - 10] ^= 0x80;
	parse_fails(blob, len, "CA signature does not verify");
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
		blob = sign(i == 2 ? "ca_rsa" : "ca_ec256", keys[i],
		    STD " -O source-address=10.0.0.0/8 -O force-command=x",
		    &len);
		for (n = 0; n < len; n++) {
			/* A copy of exactly n bytes, so ASan sees overreads. */
			big = malloc(n > 0 ? n : 1);
			memcpy(big, blob, n);
			parse_fails(big, n, NULL);
			free(big);
		}
		big = malloc(len + 1);
		memcpy(big, blob, len);
		big[len] = 0;
		parse_fails(big, len + 1, "malformed certificate");
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

	c = make("ca2", "ed", STD);
	line = slurp("ca_ed.pub", &calen);
	assert_int_equal(cert_key_decode(line, &ca, &calen), 0);
	free(line);
	line = slurp("ca2.pub", &ca2len);
	assert_int_equal(cert_key_decode(line, &ca2, &ca2len), 0);
	free(line);
	assert_false(cert_ca_equal(c, ca, calen));
	assert_true(cert_ca_equal(c, ca2, ca2len));
	free(ca);
	free(ca2);
	cert_free(c);
	c = make("ca_ed", "ed", STD);
	cert_key_fingerprint(&c->c_ca, fp, sizeof(fp));
	cert_free(c);
	c = make("ca2", "ed", STD);
	assert_string_not_equal(fp, c->c_ca_fp);
	cert_free(c);
	/* A certificate is not a CA key line. */
	line = slurp("ed-cert.pub", &calen);
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

/* craft() with alice, the given options, and parse_ok() or not. */
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
		parse_fails(blob, len, fails);
	else
		c = parse_ok(blob, len);
	free(blob);
	return c;
}

static void
craft_refused(const struct craft *crit, const struct craft *ext,
    const char *detail)
{
	struct cert_verdict v;
	struct cert *c = craft_parse(crit, ext, NULL);

	v = check(c, "alice", NULL, "10.1.1.1", time(NULL));
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
	v = check(c, "alice", NULL, "10.1.1.1", time(NULL));
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
	v = check(c, "alice", NULL, "10.1.1.1", time(NULL));
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
	parse_fails(blob, len, "unknown certificate type");
	free(blob);

	/* sshd's SSHKEY_CERT_MAX_PRINCIPALS. */
	princ.cr_n = 0;
	for (i = 0; i < CERT_MAX_PRINCIPALS; i++)
		put_cstr(&princ, "p");
	blob = craft(CERT_TYPE_USER, &princ, &none, &none, &len);
	c = parse_ok(blob, len);
	assert_int_equal(c->c_nprincipals, CERT_MAX_PRINCIPALS);
	cert_free(c);
	free(blob);
	put_cstr(&princ, "p");
	blob = craft(CERT_TYPE_USER, &princ, &none, &none, &len);
	parse_fails(blob, len, "malformed principal list");
	free(blob);

	/* A NUL inside a principal; a principal cut short. */
	princ.cr_n = 0;
	put_str(&princ, "al\0ce", 5);
	blob = craft(CERT_TYPE_USER, &princ, &none, &none, &len);
	parse_fails(blob, len, "malformed principal list");
	free(blob);
	princ.cr_n = 0;
	put_u32(&princ, 6);
	put(&princ, "alice", 5);
	blob = craft(CERT_TYPE_USER, &princ, &none, &none, &len);
	parse_fails(blob, len, "malformed principal list");
	free(blob);

	/* Longer than CERT_MAX_BLOB, however well signed. */
	princ.cr_n = 0;
	for (i = 0; i < 3000; i++)
		put_cstr(&princ, "pp");
	blob = craft(CERT_TYPE_USER, &princ, &none, &none, &len);
	assert_true(len > CERT_MAX_BLOB);
	parse_fails(blob, len, "certificate too long");
	free(blob);
}

/* ----- policy -------------------------------------------------------- */

static void
test_validity(void **state)
{
	struct cert_verdict v;
	struct cert *c;

	c = make("ca_ed", "ed", "-n alice -V 20200101:20200102");
	expect_refused(c, "alice", "Certificate invalid: expired");
	cert_free(c);

	c = make("ca_ed", "ed", "-n alice -V +1h -z 42");
	v = check(c, "alice", NULL, NULL, (time_t)c->c_valid_after - 61);
	assert_string_equal(v.cv_reason, "Certificate invalid: not yet valid");
	v = check(c, "alice", NULL, NULL, (time_t)c->c_valid_after - 60);
	assert_int_equal(v.cv_ok, 1);
	v = check(c, "alice", NULL, NULL, (time_t)c->c_valid_before + 59);
	assert_int_equal(v.cv_ok, 1);
	v = check(c, "alice", NULL, NULL, (time_t)c->c_valid_before + 60);
	assert_string_equal(v.cv_reason, "Certificate invalid: expired");
	v = check(c, "alice", NULL, NULL, -1);
	assert_string_equal(v.cv_reason, "Certificate invalid: not yet valid");
	cert_free(c);
	/* ssh-keygen's -V with a future start. */
	c = make("ca_ed", "ed", "-n alice -V +1d:+2d");
	expect_refused(c, "alice", "Certificate invalid: not yet valid");
	cert_free(c);
}

static void
test_principals(void **state)
{
	struct cert_verdict v;
	struct cert *c;

	c = make("ca_ed", "ed", STD);
	expect_refused(c, "carol",
	    "Certificate invalid: name is not a listed principal");
	v = check(c, "carol", "carol,bob", NULL, time(NULL));
	assert_int_equal(v.cv_ok, 1);
	assert_string_equal(v.cv_principal, "bob");
	v = check(c, "alice", "carol", NULL, time(NULL));
	assert_string_equal(v.cv_reason,
	    "Certificate does not contain an authorized principal");
	/* sshd's list ends at an empty entry. */
	v = check(c, "alice", "carol,,bob", NULL, time(NULL));
	assert_int_equal(v.cv_ok, 0);
	v = check(c, "alice", "", NULL, time(NULL));
	assert_int_equal(v.cv_ok, 0);
	cert_free(c);

	c = make("ca_ed", "ed", "-V +1h");
	assert_int_equal(c->c_nprincipals, 0);
	expect_refused(c, "alice", "Certificate lacks principal list");
	cert_free(c);

	c = make("ca_ed", "ed", "-h " STD);
	assert_int_equal(c->c_type, CERT_TYPE_HOST);
	expect_refused(c, "alice",
	    "Certificate invalid: not a user certificate");
	cert_free(c);
}

static void
test_source_address(void **state)
{
	struct cert_verdict v;
	struct cert *c;

	c = make("ca_ed", "ed", STD " -O source-address=127.0.0.1/32,::1");
	v = check(c, "alice", NULL, "127.0.0.1", time(NULL));
	assert_int_equal(v.cv_ok, 1);
	v = check(c, "alice", NULL, "::1", time(NULL));
	assert_int_equal(v.cv_ok, 1);
	v = check(c, "alice", NULL, "::ffff:127.0.0.1", time(NULL));
	assert_int_equal(v.cv_ok, 1);
	v = check(c, "alice", NULL, "10.0.0.1", time(NULL));
	assert_int_equal(v.cv_ok, 0);
	assert_string_equal(v.cv_reason, "Refused by certificate options");
	assert_string_equal(v.cv_detail, "Authentication tried for alice "
	    "with valid certificate but not from a permitted source "
	    "address (10.0.0.1).");
	cert_free(c);

	c = make("ca_ed", "ed", STD " -O source-address=10.0.0.0/8");
	v = check(c, "alice", NULL, "10.200.3.4", time(NULL));
	assert_int_equal(v.cv_ok, 1);
	v = check(c, "alice", NULL, "11.0.0.1", time(NULL));
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

	c = make("ca_ed", "ed", STD " -O no-port-forwarding");
	v = check(c, "alice", NULL, NULL, time(NULL));
	assert_int_equal(v.cv_ok, 1);
	assert_int_equal(v.cv_port_forwarding, 0);
	cert_free(c);

	c = make("ca_ed", "ed", STD " -O clear -O permit-port-forwarding "
	    "-O extension:unknown@example.com=x");
	v = check(c, "alice", NULL, NULL, time(NULL));
	assert_int_equal(v.cv_ok, 1);
	assert_int_equal(v.cv_port_forwarding, 1);
	cert_free(c);

	c = make("ca_ed", "ed", STD " -O force-command=/bin/true");
	v = check(c, "alice", NULL, NULL, time(NULL));
	assert_int_equal(v.cv_ok, 1);
	assert_string_equal(v.cv_force_command, "/bin/true");
	assert_int_equal(v.cv_port_forwarding, 1);
	cert_verdict_free(&v);
	cert_free(c);

	c = make("ca_ed", "ed", STD " -O critical:foo=bar");
	v = check(c, "alice", NULL, NULL, time(NULL));
	assert_int_equal(v.cv_ok, 0);
	assert_string_equal(v.cv_reason, "Invalid certificate options");
	assert_string_equal(v.cv_detail,
	    "Certificate critical option \"foo\" is not supported");
	cert_free(c);

	c = make("ca_ed", "ed", STD " -O verify-required");
	v = check(c, "alice", NULL, NULL, time(NULL));
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

	snprintf(path, sizeof(path), "%s/%s", dir, name);
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

	c = make("ca_ed", "ec256", STD);
	sh("printf '# revoked\\n\\n' > rk && cat ed.pub >> rk");
	rv = revoked_load("rk");
	assert_int_equal(cert_revoked_check(rv, c), 0);
	cert_revoked_free(rv);
	sh("printf '# revoked\\n\\n' > rk && cat ed.pub ec256.pub >> rk");
	rv = revoked_load("rk");
	assert_int_equal(cert_revoked_check(rv, c), 1);
	assert_int_equal(cert_revoked_key(rv, c->c_key.ck_blob,
	    c->c_key.ck_bloblen), 1);
	assert_int_equal(cert_revoked_key(rv, c->c_ca.ck_blob,
	    c->c_ca.ck_bloblen), 0);
	cert_revoked_free(rv);
	sh("cat ca_ed.pub > rk");
	rv = revoked_load("rk");
	assert_int_equal(cert_revoked_check(rv, c), 1);
	cert_revoked_free(rv);
	/* A certificate line revokes its key. */
	sh("cat ec256-cert.pub > rk");
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

	c42 = make("ca_ed", "ed", STD);
	c43 = make("ca_ed", "ed", "-I other -n alice -V +1h -z 43");
	other = make("ca2", "ec256", STD);

	sh("echo 'serial: 42' > spec && "
	    "ssh-keygen -k -f krl -s ca_ed.pub spec");
	rv = revoked_load("krl");
	assert_int_equal(cert_revoked_check(rv, c42), 1);
	assert_int_equal(cert_revoked_check(rv, c43), 0);
	/* The serial is revoked under that CA only. */
	assert_int_equal(cert_revoked_check(rv, other), 0);
	cert_revoked_free(rv);

	/* ssh-keygen 9.2 writes these as a bitmap and as a range. */
	sh("printf 'serial: 40\\nserial: 42\\nserial: 44\\n' > spec && "
	    "ssh-keygen -k -f krl -s ca_ed.pub spec");
	rv = revoked_load("krl");
	assert_int_equal(cert_revoked_check(rv, c42), 1);
	assert_int_equal(cert_revoked_check(rv, c43), 0);
	cert_revoked_free(rv);
	sh("echo 'serial: 43-100000' > spec && "
	    "ssh-keygen -k -f krl -s ca_ed.pub spec");
	rv = revoked_load("krl");
	assert_int_equal(cert_revoked_check(rv, c42), 0);
	assert_int_equal(cert_revoked_check(rv, c43), 1);
	cert_revoked_free(rv);

	sh("echo 'id: other' > spec && ssh-keygen -k -f krl -s ca_ed.pub spec");
	rv = revoked_load("krl");
	assert_int_equal(cert_revoked_check(rv, c42), 0);
	assert_int_equal(cert_revoked_check(rv, c43), 1);
	cert_revoked_free(rv);

	sh("ssh-keygen -k -f krl2 ec256.pub");
	rv = revoked_load("krl2");
	assert_int_equal(cert_revoked_check(rv, c42), 0);
	assert_int_equal(cert_revoked_check(rv, other), 1);
	cert_revoked_free(rv);

	/* A KRL revoking the CA key itself. */
	sh("ssh-keygen -k -f krl2 ca2.pub");
	rv = revoked_load("krl2");
	assert_int_equal(cert_revoked_check(rv, other), 1);
	assert_int_equal(cert_revoked_check(rv, c42), 0);
	cert_revoked_free(rv);

	sh("echo \"hash: $(ssh-keygen -lf ed.pub | cut -d' ' -f2)\" > spec "
	    "&& ssh-keygen -k -f krl3 spec");
	rv = revoked_load("krl3");
	assert_int_equal(cert_revoked_check(rv, c42), 1);
	assert_int_equal(cert_revoked_check(rv, other), 0);
	cert_revoked_free(rv);

	/* Every truncation of a KRL refuses it, except at section ends. */
	sh("echo 'serial: 42' > spec && echo 'id: x' >> spec && "
	    "ssh-keygen -k -f krl -s ca_ed.pub spec && "
	    "ssh-keygen -k -u -f krl ec256.pub");
	krl = (uint8_t *)slurp("krl", &len);
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
		cmocka_unit_test(test_key_types),
		cmocka_unit_test(test_ca_types),
		cmocka_unit_test(test_rsa_sha1_refused),
		cmocka_unit_test(test_ca_is_cert),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_wrong_ca),
		cmocka_unit_test(test_crafted_options),
		cmocka_unit_test(test_crafted_fields),
		cmocka_unit_test(test_validity),
		cmocka_unit_test(test_principals),
		cmocka_unit_test(test_source_address),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_revoked_plain),
		cmocka_unit_test(test_revoked_krl),
		cmocka_unit_test(test_krl_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
