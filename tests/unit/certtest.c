/*
 * certtest.c: what test_cert.c and test_certcheck.c share: a scratch
 * directory of ssh-keygen keys made once per run, and certificates signed
 * there on demand, so every blob under test is OpenSSH's own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "certtest.h"
#include "testutil.h"

char *ct_dir;

/* Runs a shell command in the scratch directory; it must succeed. */
void __attribute__((format(printf, 1, 2)))
ct_sh(const char *fmt, ...)
{
	char cmd[2048], full[2300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "cd '%s' && { %s; } >/dev/null 2>&1",
	    ct_dir, cmd);
	if (system(full) != 0)
		fail_msg("command failed: %s", cmd);
}

char *
ct_slurp(const char *name, size_t *len)
{
	char path[1024], *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", ct_dir, name);
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
uint8_t *
ct_pub_blob(const char *name, size_t *len)
{
	char *text, *b;
	uint8_t *blob;
	size_t tlen;

	text = ct_slurp(name, &tlen);
	b = strchr(text, ' ');
	assert_non_null(b);
	b++;
	assert_int_equal(cert_base64_decode(b, strcspn(b, " \n"), &blob,
	    len), 0);
	free(text);
	return blob;
}

/* ssh-keygen -s CA -I keyid [-n alice,bob] -V +1h -z 42 OPTS key.pub */
uint8_t *
ct_sign(const char *ca, const char *key, const char *opts, size_t *len)
{
	char name[256];

	ct_sh("rm -f %s-cert.pub && ssh-keygen -q -s %s -I keyid %s %s.pub",
	    key, ca, opts, key);
	snprintf(name, sizeof(name), "%s-cert.pub", key);
	return ct_pub_blob(name, len);
}

struct cert *
ct_parse_ok(const uint8_t *blob, size_t len)
{
	struct cert *c = NULL;
	char err[CERT_ERR_LEN];

	if (cert_parse(blob, len, &c, err, sizeof(err)) != 0)
		fail_msg("cert_parse: %s", err);
	return c;
}

struct cert *
ct_make(const char *ca, const char *key, const char *opts)
{
	struct cert *c;
	uint8_t *blob;
	size_t len;

	blob = ct_sign(ca, key, opts, &len);
	c = ct_parse_ok(blob, len);
	free(blob);
	return c;
}

int
ct_setup(void **state)
{
	static const char *keys[] = {
	    "ed -t ed25519", "ec256 -t ecdsa -b 256", "ec384 -t ecdsa -b 384",
	    "ec521 -t ecdsa -b 521", "rsa -t rsa -b 3072",
	    "ca_ed -t ed25519", "ca_ec256 -t ecdsa -b 256",
	    "ca_ec384 -t ecdsa -b 384", "ca_ec521 -t ecdsa -b 521",
	    "ca_rsa -t rsa -b 3072", "ca_rsa1024 -t rsa -b 1024",
	    "ca2 -t ed25519" };
	size_t i;

	ct_dir = tu_mkdtemp();
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		ct_sh("ssh-keygen -q -N '' -f %s", keys[i]);
	return 0;
}

int
ct_teardown(void **state)
{
	tu_rmtree(ct_dir);
	return 0;
}

struct cert_verdict
ct_check(const struct cert *c, const char *user, const char *principals,
    const char *addr, time_t now)
{
	struct cert_policy pol = { user, principals, addr, now };
	struct cert_verdict v;

	cert_check(c, &pol, &v);
	return v;
}

void
ct_refused(const struct cert *c, const char *user, const char *reason)
{
	struct cert_verdict v;

	v = ct_check(c, user, NULL, "127.0.0.1", time(NULL));

	assert_int_equal(v.cv_ok, 0);
	assert_string_equal(v.cv_reason, reason);
	cert_verdict_free(&v);
}

void
ct_parse_fails(const uint8_t *blob, size_t len, const char *want)
{
	struct cert *c = (struct cert *)1;
	char err[CERT_ERR_LEN];

	assert_int_equal(cert_parse(blob, len, &c, err, sizeof(err)), -1);
	assert_null(c);
	if (want != NULL)
		assert_string_equal(err, want);
}
