/*
 * cert.c: parsing OpenSSH certificates (PROTOCOL.certkeys) and the plain
 * public keys inside them; fingerprints and base64 for log lines and key
 * files.
 *
 * The blob comes from the client before authentication, so nothing in it
 * is trusted: every read goes through wire.h, and anything PROTOCOL.certkeys
 * does not allow, or that has two encodings of one value, is refused.  The
 * CA signature is checked here too (certsig.c), so no caller can hold a
 * parsed certificate whose signature was not verified.  The policy checks
 * are in certcheck.c, revocation in certrevoke.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cert.h"
#include "certsig.h"
#include "wire.h"

#define CERT_ED25519_LEN	32
#define CERT_MPINT_MAX		2048	/* sshd's SSHBUF_MAX_BIGNUM */

struct cert_alginfo {
	enum cert_alg	 ai_alg;
	const char	*ai_name;	/* the plain key's type */
	const char	*ai_cert;	/* the certificate's type */
	const char	*ai_curve;
	size_t		 ai_len;	/* key or EC point bytes */
	const char	*ai_short;	/* sshkey_type() */
};

static const struct cert_alginfo cert_algs[] = {
	{ CERT_ALG_ED25519, "ssh-ed25519",
	    "ssh-ed25519-cert-v01@openssh.com", NULL, CERT_ED25519_LEN,
	    "ED25519" },
	{ CERT_ALG_P256, "ecdsa-sha2-nistp256",
	    "ecdsa-sha2-nistp256-cert-v01@openssh.com", "nistp256", 65,
	    "ECDSA" },
	{ CERT_ALG_P384, "ecdsa-sha2-nistp384",
	    "ecdsa-sha2-nistp384-cert-v01@openssh.com", "nistp384", 97,
	    "ECDSA" },
	{ CERT_ALG_P521, "ecdsa-sha2-nistp521",
	    "ecdsa-sha2-nistp521-cert-v01@openssh.com", "nistp521", 133,
	    "ECDSA" },
	{ CERT_ALG_RSA, "ssh-rsa", "ssh-rsa-cert-v01@openssh.com", NULL, 0,
	    "RSA" },
};
#define CERT_NALGS	(sizeof(cert_algs) / sizeof(cert_algs[0]))

static void
cert_err(char *err, size_t errlen, const char *what)
{
	if (errlen > 0)
		snprintf(err, errlen, "%s", what);
}

static const struct cert_alginfo *
cert_alg_by_name(const struct wire *name, int certtype)
{
	size_t i;

	for (i = 0; i < CERT_NALGS; i++)
		if (wire_eq(name, certtype ? cert_algs[i].ai_cert :
		    cert_algs[i].ai_name))
			return &cert_algs[i];
	return NULL;
}

static const struct cert_alginfo *
cert_alg_info(enum cert_alg alg)
{
	size_t i;

	for (i = 0; i < CERT_NALGS; i++)
		if (cert_algs[i].ai_alg == alg)
			return &cert_algs[i];
	return NULL;
}

/*
 * The key's parts after its type name, the same in a plain key and in a
 * certificate: ed25519 key; curve and uncompressed point (the one form
 * sshd writes, so equal keys have equal blobs); RSA e and n.
 */
static int
cert_key_fields(struct wire *w, const struct cert_alginfo *ai,
    struct wire *a, struct wire *b)
{
	struct wire curve;

	b->w_p = NULL;
	b->w_len = 0;
	switch (ai->ai_alg) {
	case CERT_ALG_ED25519:
		return wire_string(w, a) == 0 && a->w_len == ai->ai_len ?
		    0 : -1;
	case CERT_ALG_P256:
	case CERT_ALG_P384:
	case CERT_ALG_P521:
		if (wire_string(w, &curve) == -1 ||
		    !wire_eq(&curve, ai->ai_curve) ||
		    wire_string(w, a) == -1 || a->w_len != ai->ai_len ||
		    a->w_p[0] != 0x04)
			return -1;
		return 0;
	case CERT_ALG_RSA:
		return wire_mpint(w, CERT_MPINT_MAX, a) == 0 &&
		    wire_mpint(w, CERT_MPINT_MAX, b) == 0 ? 0 : -1;
	}
	return -1;
}

/* Takes ownership of blob: a plain key, parsed whole. */
static int
cert_key_set(struct cert_key *k, uint8_t *blob, size_t len)
{
	const struct cert_alginfo *ai;
	struct wire w, name, a, b;

	memset(k, 0, sizeof(*k));
	k->ck_blob = blob;
	k->ck_bloblen = len;
	wire_init(&w, blob, len);
	if (wire_string(&w, &name) == -1 ||
	    (ai = cert_alg_by_name(&name, 0)) == NULL ||
	    cert_key_fields(&w, ai, &a, &b) == -1 || w.w_len != 0)
		return -1;
	k->ck_alg = ai->ai_alg;
	k->ck_a = a.w_p;
	k->ck_alen = a.w_len;
	k->ck_b = b.w_p;
	k->ck_blen = b.w_len;
	return 0;
}

static void
cert_put_string(uint8_t **p, const void *s, size_t len, int mpint)
{
	int pad = mpint && len > 0 && (((const uint8_t *)s)[0] & 0x80);
	size_t n = len + (size_t)pad;

	(*p)[0] = (uint8_t)(n >> 24);
	(*p)[1] = (uint8_t)(n >> 16);
	(*p)[2] = (uint8_t)(n >> 8);
	(*p)[3] = (uint8_t)n;
	*p += 4;
	if (pad)
		*(*p)++ = 0;
	memcpy(*p, s, len);
	*p += len;
}

/* The certified key as the plain blob sshd would write for it. */
static int
cert_key_plain(struct cert_key *k, const struct cert_alginfo *ai,
    const struct wire *a, const struct wire *b)
{
	uint8_t *blob, *p;
	size_t len;

	len = 4 + strlen(ai->ai_name) + 4 + 1 + a->w_len + 4 + 1 + b->w_len;
	if (ai->ai_curve != NULL)
		len += 4 + strlen(ai->ai_curve);
	if ((blob = p = malloc(len)) == NULL)
		return -1;
	cert_put_string(&p, ai->ai_name, strlen(ai->ai_name), 0);
	if (ai->ai_curve != NULL)
		cert_put_string(&p, ai->ai_curve, strlen(ai->ai_curve), 0);
	cert_put_string(&p, a->w_p, a->w_len, ai->ai_alg == CERT_ALG_RSA);
	if (ai->ai_alg == CERT_ALG_RSA)
		cert_put_string(&p, b->w_p, b->w_len, 1);
	if (cert_key_set(k, blob, (size_t)(p - blob)) == -1) {
		free(blob);
		memset(k, 0, sizeof(*k));
		return -1;
	}
	return 0;
}

static int
cert_key_copy(struct cert_key *k, const struct wire *w)
{
	uint8_t *blob;

	if (w->w_len == 0 || (blob = malloc(w->w_len)) == NULL)
		return -1;
	memcpy(blob, w->w_p, w->w_len);
	if (cert_key_set(k, blob, w->w_len) == -1) {
		free(blob);
		memset(k, 0, sizeof(*k));
		return -1;
	}
	return 0;
}

/*
 * A critical option or extension list: (string name, string data) pairs,
 * names strictly ascending (PROTOCOL.certkeys: lexically ordered, each
 * once), data one string list that must itself be whole.
 */
static int
cert_options_valid(const struct wire *list)
{
	struct wire w = *list, name, data, prev = { NULL, 0 };
	size_t n;
	int cmp;

	while (w.w_len > 0) {
		if (wire_cstring(&w, &name) == -1 ||
		    wire_string(&w, &data) == -1)
			return -1;
		if (prev.w_p != NULL) {
			n = prev.w_len < name.w_len ? prev.w_len : name.w_len;
			cmp = n > 0 ? memcmp(prev.w_p, name.w_p, n) : 0;
			if (cmp > 0 || (cmp == 0 && prev.w_len >= name.w_len))
				return -1;
		}
		prev = name;
	}
	return 0;
}

static int
cert_principals_parse(struct cert *c, const struct wire *list)
{
	struct wire w = *list, p;
	char **np;

	while (w.w_len > 0) {
		if (c->c_nprincipals >= CERT_MAX_PRINCIPALS ||
		    wire_cstring(&w, &p) == -1)
			return -1;
		np = reallocarray(c->c_principals, c->c_nprincipals + 1,
		    sizeof(*np));
		if (np == NULL)
			return -1;
		c->c_principals = np;
		if ((np[c->c_nprincipals] = wire_strdup(&p)) == NULL)
			return -1;
		c->c_nprincipals++;
	}
	return 0;
}

int
cert_parse(const uint8_t *blob, size_t len, struct cert **out, char *err,
    size_t errlen)
{
	const struct cert_alginfo *ai;
	struct cert *c = NULL;
	struct wire w, name, nonce, a, b, keyid, princ, crit, ext, resv, ca;
	struct wire sig;
	const char *what = "out of memory";

	*out = NULL;
	if (len > CERT_MAX_BLOB) {
		cert_err(err, errlen, "certificate too long");
		return -1;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->c_blob = malloc(len > 0 ? len : 1)) == NULL)
		goto fail;
	if (len > 0)
		memcpy(c->c_blob, blob, len);
	c->c_bloblen = len;

	what = "malformed certificate";
	wire_init(&w, c->c_blob, len);
	if (wire_string(&w, &name) == -1)
		goto fail;
	if ((ai = cert_alg_by_name(&name, 1)) == NULL) {
		what = "unsupported certificate type";
		goto fail;
	}
	c->c_name = ai->ai_cert;
	if (wire_string(&w, &nonce) == -1 ||
	    cert_key_fields(&w, ai, &a, &b) == -1 ||
	    wire_u64(&w, &c->c_serial) == -1 ||
	    wire_u32(&w, &c->c_type) == -1 ||
	    wire_cstring(&w, &keyid) == -1 ||
	    wire_string(&w, &princ) == -1 ||
	    wire_u64(&w, &c->c_valid_after) == -1 ||
	    wire_u64(&w, &c->c_valid_before) == -1 ||
	    wire_string(&w, &crit) == -1 ||
	    wire_string(&w, &ext) == -1 ||
	    wire_string(&w, &resv) == -1 ||
	    wire_string(&w, &ca) == -1)
		goto fail;
	c->c_signedlen = len - w.w_len;
	if (wire_string(&w, &sig) == -1 || w.w_len != 0)
		goto fail;
	if (c->c_type != CERT_TYPE_USER && c->c_type != CERT_TYPE_HOST) {
		what = "unknown certificate type";
		goto fail;
	}
	if (cert_key_plain(&c->c_key, ai, &a, &b) == -1)
		goto fail;
	if (ai->ai_alg == CERT_ALG_RSA &&
	    certsig_rsa_bits(&c->c_key) < CERT_RSA_MIN_KEY) {
		what = "certified RSA key too small";
		goto fail;
	}
	if ((c->c_keyid = wire_strdup(&keyid)) == NULL)
		goto fail;
	if (cert_principals_parse(c, &princ) == -1) {
		what = "malformed principal list";
		goto fail;
	}
	if (cert_options_valid(&crit) == -1 ||
	    cert_options_valid(&ext) == -1) {
		what = "malformed or unordered certificate options";
		goto fail;
	}
	c->c_crit = crit.w_p;
	c->c_critlen = crit.w_len;
	c->c_ext = ext.w_p;
	c->c_extlen = ext.w_len;
	/* A certificate as CA has no type cert_key_set() knows: refused. */
	if (cert_key_copy(&c->c_ca, &ca) == -1) {
		what = "invalid or unsupported CA key";
		goto fail;
	}
	if (c->c_ca.ck_alg == CERT_ALG_RSA &&
	    certsig_rsa_bits(&c->c_ca) < CERT_RSA_MIN_CA) {
		what = "RSA CA key shorter than 2048 bits";
		goto fail;
	}
	cert_key_fingerprint(&c->c_ca, c->c_ca_fp, sizeof(c->c_ca_fp));
	if (certsig_verify(&c->c_ca, c->c_blob, c->c_signedlen, sig.w_p,
	    sig.w_len, &c->c_sigalg, err, errlen) == -1) {
		cert_free(c);
		return -1;
	}
	*out = c;
	return 0;
fail:
	cert_err(err, errlen, what);
	cert_free(c);
	return -1;
}

void
cert_free(struct cert *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->c_nprincipals; i++)
		free(c->c_principals[i]);
	free(c->c_principals);
	free(c->c_keyid);
	free(c->c_key.ck_blob);
	free(c->c_ca.ck_blob);
	free(c->c_blob);
	free(c);
}

int
cert_ca_equal(const struct cert *c, const uint8_t *blob, size_t len)
{
	return len == c->c_ca.ck_bloblen &&
	    memcmp(blob, c->c_ca.ck_blob, len) == 0;
}

void
cert_key_fingerprint(const struct cert_key *k, char *buf, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE], b64[64];
	unsigned int mdlen = 0;
	int n;

	if (len > 0)
		buf[0] = '\0';
	if (EVP_Digest(k->ck_blob, k->ck_bloblen, md, &mdlen, EVP_sha256(),
	    NULL) != 1)
		return;
	n = EVP_EncodeBlock(b64, md, (int)mdlen);
	while (n > 0 && b64[n - 1] == '=')
		n--;
	snprintf(buf, len, "SHA256:%.*s", n, b64);
}

const char *
cert_key_type(const struct cert_key *k)
{
	const struct cert_alginfo *ai = cert_alg_info(k->ck_alg);

	return ai != NULL ? ai->ai_short : "unknown";
}

int
cert_base64_decode(const char *s, size_t slen, uint8_t **out,
    size_t *outlen)
{
	unsigned char *buf;
	size_t i, pad = 0;
	int n;

	*out = NULL;
	*outlen = 0;
	/* Whole quanta only, '=' only as the last one or two characters. */
	if (slen == 0 || slen % 4 != 0 || slen > CERT_MAX_REVOKED)
		return -1;
	while (pad < 2 && s[slen - 1 - pad] == '=')
		pad++;
	for (i = 0; i < slen - pad; i++)
		if (s[i] == '=')
			return -1;
	if ((buf = malloc(slen / 4 * 3)) == NULL)
		return -1;
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	if ((n = EVP_DecodeBlock(buf, (const unsigned char *)s,
	    (int)slen)) < 0 || (size_t)n != slen / 4 * 3) {
		free(buf);
		return -1;
	}
	*out = buf;
	*outlen = (size_t)n - pad;
	return 0;
}

int
cert_key_decode(const char *line, uint8_t **blob, size_t *len)
{
	const struct cert_alginfo *ai;
	struct cert_key k;
	struct wire name, w;
	const char *p = line, *t, *b;
	size_t tlen, blen;

	*blob = NULL;
	*len = 0;
	p += strspn(p, " \t");
	t = p;
	tlen = strcspn(p, " \t\r\n");
	p += tlen;
	p += strspn(p, " \t");
	b = p;
	blen = strcspn(p, " \t\r\n");
	if (tlen == 0 || blen == 0 ||
	    cert_base64_decode(b, blen, blob, len) == -1)
		return -1;
	/* The type word must agree with the blob's own. */
	wire_init(&w, *blob, *len);
	if (wire_string(&w, &name) == -1 ||
	    (ai = cert_alg_by_name(&name, 0)) == NULL ||
	    strlen(ai->ai_name) != tlen ||
	    memcmp(ai->ai_name, t, tlen) != 0)
		goto fail;
	if (cert_key_set(&k, *blob, *len) == -1)
		goto fail;
	return 0;
fail:
	free(*blob);
	*blob = NULL;
	*len = 0;
	return -1;
}
