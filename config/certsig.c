/*
 * certsig.c: checking an SSH signature by a plain public key with the
 * OpenSSL 3 EVP API, for the CA signature of certificates.
 *
 * Each key is rebuilt from its SSH encoding (raw ed25519 key, EC point on
 * a named curve, RSA n and e) and the signature converted to what EVP
 * takes: ECDSA's two mpints become a DER ECDSA-Sig-Value, a short RSA
 * signature is left-padded to the modulus length as OpenSSH does.  The
 * algorithm named in the signature must belong to the key; for RSA only
 * the SHA-2 algorithms are accepted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "certsig.h"
#include "wire.h"

#define CERTSIG_ED25519_LEN	64

unsigned int
certsig_rsa_bits(const struct cert_key *key)
{
	unsigned int bits;
	uint8_t top;

	if (key->ck_alg != CERT_ALG_RSA || key->ck_blen == 0)
		return 0;
	bits = (unsigned int)key->ck_blen * 8;
	for (top = key->ck_b[0]; (top & 0x80) == 0; top <<= 1)
		bits--;
	return bits;
}

static EVP_PKEY *
certsig_pkey_params(const char *type, OSSL_PARAM_BLD *bld)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM *params = NULL;

	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

static EVP_PKEY *
certsig_pkey(const struct cert_key *key)
{
	OSSL_PARAM_BLD *bld = NULL;
	BIGNUM *n = NULL, *e = NULL;
	EVP_PKEY *pkey = NULL;
	const char *group = NULL;

	switch (key->ck_alg) {
	case CERT_ALG_ED25519:
		return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
		    key->ck_a, key->ck_alen);
	case CERT_ALG_P256:
		group = "prime256v1";
		break;
	case CERT_ALG_P384:
		group = "secp384r1";
		break;
	case CERT_ALG_P521:
		group = "secp521r1";
		break;
	case CERT_ALG_RSA:
		break;
	}
	if ((bld = OSSL_PARAM_BLD_new()) == NULL)
		goto out;
	if (group != NULL) {
		if (OSSL_PARAM_BLD_push_utf8_string(bld,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
		    OSSL_PARAM_BLD_push_octet_string(bld,
		    OSSL_PKEY_PARAM_PUB_KEY, key->ck_a, key->ck_alen) != 1)
			goto out;
		pkey = certsig_pkey_params("EC", bld);
	} else {
		if ((e = BN_bin2bn(key->ck_a, (int)key->ck_alen, NULL)) ==
		    NULL ||
		    (n = BN_bin2bn(key->ck_b, (int)key->ck_blen, NULL)) ==
		    NULL ||
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N,
		    n) != 1 ||
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E,
		    e) != 1)
			goto out;
		pkey = certsig_pkey_params("RSA", bld);
	}
out:
	BN_free(n);
	BN_free(e);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

/* r and s as DER, malloc'ed; the inner blob must hold exactly them. */
static int
certsig_ecdsa_der(const struct wire *data, uint8_t **der, size_t *len)
{
	struct wire w = *data, r, s;
	ECDSA_SIG *es = NULL;
	BIGNUM *br = NULL, *bs = NULL;
	unsigned char *p = NULL;
	int n, ret = -1;

	*der = NULL;
	if (wire_mpint(&w, 67, &r) == -1 || wire_mpint(&w, 67, &s) == -1 ||
	    w.w_len != 0)
		return -1;
	if ((es = ECDSA_SIG_new()) == NULL ||
	    (br = BN_bin2bn(r.w_p, (int)r.w_len, NULL)) == NULL ||
	    (bs = BN_bin2bn(s.w_p, (int)s.w_len, NULL)) == NULL)
		goto out;
	if (ECDSA_SIG_set0(es, br, bs) != 1)
		goto out;
	br = bs = NULL;
	if ((n = i2d_ECDSA_SIG(es, &p)) <= 0)
		goto out;
	*der = p;
	*len = (size_t)n;
	ret = 0;
out:
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(es);
	return ret;
}

int
certsig_verify(const struct cert_key *key, const uint8_t *msg,
    size_t msglen, const uint8_t *sig, size_t siglen, const char **alg,
    char *err, size_t errlen)
{
	static const char *ecnames[] = { "ecdsa-sha2-nistp256",
	    "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521" };
	EVP_MD_CTX *md = NULL;
	EVP_PKEY *pkey = NULL;
	const EVP_MD *hash = NULL;
	struct wire w, name, data;
	uint8_t *buf = NULL;
	const uint8_t *s;
	size_t slen, modlen;
	const char *what = "malformed signature";
	int ret = -1;

	*alg = NULL;
	wire_init(&w, sig, siglen);
	if (wire_string(&w, &name) == -1 || wire_string(&w, &data) == -1 ||
	    w.w_len != 0)
		goto out;
	s = data.w_p;
	slen = data.w_len;
	what = "signature algorithm does not match the CA key";
	switch (key->ck_alg) {
	case CERT_ALG_ED25519:
		if (!wire_eq(&name, "ssh-ed25519"))
			goto out;
		*alg = "ssh-ed25519";
		if (slen != CERTSIG_ED25519_LEN) {
			what = "malformed signature";
			goto out;
		}
		break;
	case CERT_ALG_P256:
	case CERT_ALG_P384:
	case CERT_ALG_P521:
		*alg = ecnames[key->ck_alg - CERT_ALG_P256];
		if (!wire_eq(&name, *alg))
			goto out;
		hash = key->ck_alg == CERT_ALG_P256 ? EVP_sha256() :
		    key->ck_alg == CERT_ALG_P384 ? EVP_sha384() : EVP_sha512();
		what = "malformed signature";
		if (certsig_ecdsa_der(&data, &buf, &slen) == -1)
			goto out;
		s = buf;
		break;
	case CERT_ALG_RSA:
		if (wire_eq(&name, "rsa-sha2-256")) {
			*alg = "rsa-sha2-256";
			hash = EVP_sha256();
		} else if (wire_eq(&name, "rsa-sha2-512")) {
			*alg = "rsa-sha2-512";
			hash = EVP_sha512();
		} else {
			what = wire_eq(&name, "ssh-rsa") ?
			    "ssh-rsa (SHA-1) signature refused" :
			    "unsupported RSA signature algorithm";
			goto out;
		}
		modlen = key->ck_blen;
		what = "malformed signature";
		if (slen == 0 || slen > modlen)
			goto out;
		if (slen < modlen) {
			if ((buf = calloc(1, modlen)) == NULL)
				goto out;
			memcpy(buf + modlen - slen, s, slen);
			s = buf;
			slen = modlen;
		}
		break;
	}
	what = "unusable CA key";
	if ((pkey = certsig_pkey(key)) == NULL ||
	    (md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(md, NULL, hash, NULL, pkey) != 1)
		goto out;
	what = "CA signature does not verify";
	if (EVP_DigestVerify(md, s, slen, msg, msglen) != 1)
		goto out;
	ret = 0;
out:
	if (ret == -1) {
		*alg = NULL;
		/* Leave no stale errors for the next OpenSSL caller. */
		ERR_clear_error();
		if (errlen > 0)
			snprintf(err, errlen, "%s", what);
	}
	if (key->ck_alg >= CERT_ALG_P256 && key->ck_alg <= CERT_ALG_P521)
		OPENSSL_free(buf);
	else
		free(buf);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	return ret;
}
