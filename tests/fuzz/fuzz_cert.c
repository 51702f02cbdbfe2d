/*
 * fuzz_cert.c: the certificate parser, its policy checks and the
 * RevokedKeys (KRL and plain list) parser, on hostile bytes.
 *
 * The first input byte picks what the rest is: 0, a certificate blob;
 * 1, a RevokedKeys file; 2, a big-endian 16-bit length, a certificate of
 * that many bytes, then a RevokedKeys file checked against it.  Seeds
 * are real ssh-keygen certificates and KRLs in each framing.
 */
#include <time.h>

#include "cert.h"
#include "fuzz.h"

static void
fuzz_check(const struct cert *c, const struct cert_revoked *rv)
{
	struct cert_policy pol = { "alice", NULL, "127.0.0.1", 0 };
	struct cert_verdict v;

	pol.cpo_now = (time_t)(c->c_valid_after + 1);
	(void)cert_check(c, &pol, &v);
	cert_verdict_free(&v);
	pol.cpo_principals = "bob,alice";
	pol.cpo_addr = "::ffff:10.1.2.3";
	(void)cert_check(c, &pol, &v);
	cert_verdict_free(&v);
	if (rv != NULL)
		(void)cert_revoked_check(rv, c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cert *c = NULL;
	struct cert_revoked *rv = NULL;
	char err[CERT_ERR_LEN];
	size_t clen;

	fuzz_quiet();
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		if (cert_parse(data + 1, size - 1, &c, err, sizeof(err)) == 0)
			fuzz_check(c, NULL);
		break;
	case 1:
		if (cert_revoked_load(data + 1, size - 1, &rv, err,
		    sizeof(err)) == 0)
			(void)cert_revoked_key(rv, data + 1, size - 1);
		break;
	case 2:
		if (size < 3)
			break;
		clen = (size_t)data[1] << 8 | data[2];
		if (clen > size - 3)
			break;
		if (cert_parse(data + 3, clen, &c, err, sizeof(err)) == 0 &&
		    cert_revoked_load(data + 3 + clen, size - 3 - clen, &rv,
		    err, sizeof(err)) == 0)
			fuzz_check(c, rv);
		break;
	}
	cert_free(c);
	cert_revoked_free(rv);
	return 0;
}
