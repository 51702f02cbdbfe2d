/*
 * certrevoke.c: RevokedKeys files, as a plain key list or as an OpenSSH
 * KRL (PROTOCOL.krl), and the question sshd asks of them: is this key,
 * this certificate or its CA revoked?
 *
 * A KRL is walked whole at load to prove it readable, then kept as bytes
 * and walked again for each question: no index to get wrong, and the cost
 * is linear in a file that is small in practice.  Anything the walk does
 * not understand refuses the file at load (fail closed), where sshd would
 * also refuse it: unknown sections, critical extensions, serial 0, a
 * bitmap that wraps.  Signed KRLs (section 4) are refused too: ssh-keygen
 * writes none and sshd does not check the signature anyway.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cert.h"
#include "wire.h"

#define KRL_MAGIC		"SSHKRL\n\0"
#define KRL_MAGIC_LEN		8
#define KRL_FORMAT_VERSION	1
#define KRL_SECTION_CERTIFICATES	1
#define KRL_SECTION_EXPLICIT_KEY	2
#define KRL_SECTION_FINGERPRINT_SHA1	3
#define KRL_SECTION_FINGERPRINT_SHA256	5
#define KRL_SECTION_EXTENSION		255
#define KRL_CERT_SERIAL_LIST		0x20
#define KRL_CERT_SERIAL_RANGE		0x21
#define KRL_CERT_SERIAL_BITMAP		0x22
#define KRL_CERT_KEY_ID			0x23
#define KRL_CERT_EXTENSION		0x39

struct revoked_blob {
	uint8_t		*rb_blob;
	size_t		 rb_len;
};

struct cert_revoked {
	uint8_t			*rv_krl;	/* a KRL's bytes, or NULL */
	size_t			 rv_krllen;
	struct revoked_blob	*rv_keys;	/* the plain list */
	size_t			 rv_nkeys;
};

/* What one walk of a KRL looks for: up to two keys and a certificate. */
struct krl_query {
	const struct cert	*kq_cert;
	const uint8_t		*kq_key[2];
	size_t			 kq_len[2];
	unsigned char		 kq_sha1[2][20];
	unsigned char		 kq_sha256[2][32];
	size_t			 kq_nkeys;
	int			 kq_revoked;
};

static void
krl_err(char *err, size_t errlen, const char *what)
{
	if (errlen > 0)
		snprintf(err, errlen, "%s", what);
}

static void
krl_query_key(struct krl_query *q, const uint8_t *blob, size_t len)
{
	size_t i = q->kq_nkeys++;

	q->kq_key[i] = blob;
	q->kq_len[i] = len;
	EVP_Digest(blob, len, q->kq_sha1[i], NULL, EVP_sha1(), NULL);
	EVP_Digest(blob, len, q->kq_sha256[i], NULL, EVP_sha256(), NULL);
}

/* A section of strings: keys, or hashes of hlen bytes (0: any length). */
static int
krl_blobs(struct wire *w, size_t hlen, struct krl_query *q, int which)
{
	struct wire b;
	const uint8_t *want;
	size_t i, wlen;

	while (w->w_len > 0) {
		if (wire_string(w, &b) == -1 ||
		    (hlen != 0 && b.w_len != hlen))
			return -1;
		for (i = 0; i < q->kq_nkeys; i++) {
			want = which == 1 ? q->kq_sha1[i] : which == 2 ?
			    q->kq_sha256[i] : q->kq_key[i];
			wlen = which == 0 ? q->kq_len[i] : hlen;
			if (b.w_len == wlen && memcmp(b.w_p, want, wlen) == 0)
				q->kq_revoked = 1;
		}
	}
	return 0;
}

/* An extension (KRL or certificate section): only non-critical ones. */
static int
krl_extension(struct wire *w)
{
	struct wire name, value;
	uint8_t critical;

	if (wire_cstring(w, &name) == -1 || wire_u8(w, &critical) == -1 ||
	    wire_string(w, &value) == -1 || w->w_len != 0 || critical != 0)
		return -1;
	return 0;
}

/* sshd's bitmap_from_string: a positive mpint, leading zeros dropped. */
static int
krl_bitmap(struct wire *w, uint64_t serial, int applies)
{
	struct wire bits;
	uint64_t off, nbits, i;
	uint8_t top;

	if (wire_u64(w, &off) == -1 || wire_string(w, &bits) == -1 ||
	    (bits.w_len > 0 && (bits.w_p[0] & 0x80) != 0))
		return -1;
	while (bits.w_len > 0 && bits.w_p[0] == 0) {
		bits.w_p++;
		bits.w_len--;
	}
	if (bits.w_len == 0)
		return 0;
	nbits = (uint64_t)bits.w_len * 8;
	for (top = bits.w_p[0]; (top & 0x80) == 0; top <<= 1)
		nbits--;
	/* Serial 0 cannot be revoked, and the serials may not wrap. */
	if ((off == 0 && (bits.w_p[bits.w_len - 1] & 1) != 0) ||
	    (off != 0 && nbits - 1 >= (uint64_t)0 - off))
		return -1;
	if (!applies || serial < off || serial - off >= nbits)
		return 0;
	i = serial - off;
	return (bits.w_p[bits.w_len - 1 - i / 8] >> (i % 8)) & 1 ? 1 : 0;
}

/* A certificates section: a CA (or any, when empty) and subsections. */
static int
krl_certs(struct wire *w, struct krl_query *q)
{
	const struct cert *c = q->kq_cert;
	struct wire ca, resv, sub, id;
	uint64_t s, lo, hi;
	uint8_t type;
	int applies, r;

	if (wire_string(w, &ca) == -1 || wire_string(w, &resv) == -1)
		return -1;
	applies = c != NULL && (ca.w_len == 0 ||
	    cert_ca_equal(c, ca.w_p, ca.w_len));
	while (w->w_len > 0) {
		if (wire_u8(w, &type) == -1 || wire_string(w, &sub) == -1)
			return -1;
		switch (type) {
		case KRL_CERT_SERIAL_LIST:
			while (sub.w_len > 0) {
				if (wire_u64(&sub, &s) == -1 || s == 0)
					return -1;
				if (applies && s == c->c_serial)
					q->kq_revoked = 1;
			}
			break;
		case KRL_CERT_SERIAL_RANGE:
			if (wire_u64(&sub, &lo) == -1 ||
			    wire_u64(&sub, &hi) == -1 || lo == 0 || lo > hi)
				return -1;
			if (applies && c->c_serial >= lo && c->c_serial <= hi)
				q->kq_revoked = 1;
			break;
		case KRL_CERT_SERIAL_BITMAP:
			if ((r = krl_bitmap(&sub, applies ? c->c_serial : 0,
			    applies && c->c_serial != 0)) == -1)
				return -1;
			if (r == 1)
				q->kq_revoked = 1;
			break;
		case KRL_CERT_KEY_ID:
			while (sub.w_len > 0) {
				if (wire_cstring(&sub, &id) == -1)
					return -1;
				if (applies && wire_eq(&id, c->c_keyid))
					q->kq_revoked = 1;
			}
			break;
		case KRL_CERT_EXTENSION:
			if (krl_extension(&sub) == -1)
				return -1;
			break;
		default:
			return -1;
		}
		if (sub.w_len != 0)
			return -1;
	}
	return 0;
}

/* One walk: -1 when the KRL is unreadable, else 0 with q answered. */
static int
krl_walk(const uint8_t *data, size_t len, struct krl_query *q,
    const char **what)
{
	struct wire w, resv, comment, sect;
	uint64_t ver, date, flags;
	uint32_t format;
	uint8_t type;
	int r;

	*what = "not a KRL";
	if (len < KRL_MAGIC_LEN || memcmp(data, KRL_MAGIC, KRL_MAGIC_LEN) != 0)
		return -1;
	wire_init(&w, data + KRL_MAGIC_LEN, len - KRL_MAGIC_LEN);
	*what = "unsupported KRL format version";
	if (wire_u32(&w, &format) == -1 || format != KRL_FORMAT_VERSION)
		return -1;
	*what = "malformed KRL header";
	if (wire_u64(&w, &ver) == -1 || wire_u64(&w, &date) == -1 ||
	    wire_u64(&w, &flags) == -1 || wire_string(&w, &resv) == -1 ||
	    wire_cstring(&w, &comment) == -1)
		return -1;
	while (w.w_len > 0) {
		*what = "malformed KRL section";
		if (wire_u8(&w, &type) == -1 || wire_string(&w, &sect) == -1)
			return -1;
		switch (type) {
		case KRL_SECTION_CERTIFICATES:
			r = krl_certs(&sect, q);
			break;
		case KRL_SECTION_EXPLICIT_KEY:
			r = krl_blobs(&sect, 0, q, 0);
			break;
		case KRL_SECTION_FINGERPRINT_SHA1:
			r = krl_blobs(&sect, 20, q, 1);
			break;
		case KRL_SECTION_FINGERPRINT_SHA256:
			r = krl_blobs(&sect, 32, q, 2);
			break;
		case KRL_SECTION_EXTENSION:
			r = krl_extension(&sect);
			break;
		default:
			*what = "unsupported KRL section";
			return -1;
		}
		if (r == -1 || sect.w_len != 0)
			return -1;
	}
	return 0;
}

/*
 * One "type base64 [comment]" line as a key blob.  Any type is kept (a
 * key this module cannot verify simply never matches); a certificate
 * stands for its certified key, as in sshd's sshkey_in_file().
 */
static int
revoked_line(const char *line, uint8_t **blob, size_t *len)
{
	struct cert *c;
	struct wire w, name;
	const char *b;
	size_t tlen, blen, sfx = strlen("-cert-v01@openssh.com");

	tlen = strcspn(line, " \t\r");
	b = line + tlen + strspn(line + tlen, " \t");
	blen = strcspn(b, " \t\r");
	if (tlen == 0 || cert_base64_decode(b, blen, blob, len) == -1)
		return -1;
	wire_init(&w, *blob, *len);
	if (wire_string(&w, &name) == -1 || name.w_len != tlen ||
	    memcmp(name.w_p, line, tlen) != 0)
		goto fail;
	if (tlen <= sfx || memcmp(line + tlen - sfx, "-cert-v01@openssh.com",
	    sfx) != 0)
		return 0;
	if (cert_parse(*blob, *len, &c, NULL, 0) == -1)
		goto fail;
	free(*blob);
	*blob = c->c_key.ck_blob;
	*len = c->c_key.ck_bloblen;
	c->c_key.ck_blob = NULL;
	cert_free(c);
	return 0;
fail:
	free(*blob);
	*blob = NULL;
	return -1;
}

/* Plain list: blank lines and '#' comments skipped, nothing else. */
static int
revoked_plain(struct cert_revoked *rv, const uint8_t *data, size_t len,
    const char **what)
{
	struct revoked_blob *nk;
	char *text, *line, *next;
	uint8_t *blob;
	size_t blen;
	int ret = -1;

	*what = "out of memory";
	if ((text = malloc(len + 1)) == NULL)
		return -1;
	memcpy(text, data, len);
	text[len] = '\0';
	*what = "RevokedKeys holds a NUL byte";
	if (strlen(text) != len)
		goto out;
	for (line = text; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line += strspn(line, " \t\r");
		if (*line == '\0' || *line == '#')
			continue;
		*what = "RevokedKeys line is not a public key";
		if (revoked_line(line, &blob, &blen) == -1)
			goto out;
		nk = reallocarray(rv->rv_keys, rv->rv_nkeys + 1, sizeof(*nk));
		if (nk == NULL) {
			free(blob);
			*what = "out of memory";
			goto out;
		}
		rv->rv_keys = nk;
		nk[rv->rv_nkeys].rb_blob = blob;
		nk[rv->rv_nkeys].rb_len = blen;
		rv->rv_nkeys++;
	}
	ret = 0;
out:
	free(text);
	return ret;
}

int
cert_revoked_load(const uint8_t *data, size_t len, struct cert_revoked **out,
    char *err, size_t errlen)
{
	struct cert_revoked *rv;
	struct krl_query q;
	const char *what = "out of memory";

	*out = NULL;
	if ((rv = calloc(1, sizeof(*rv))) == NULL)
		goto fail;
	if (len >= KRL_MAGIC_LEN && memcmp(data, KRL_MAGIC, KRL_MAGIC_LEN) ==
	    0) {
		memset(&q, 0, sizeof(q));
		if (krl_walk(data, len, &q, &what) == -1)
			goto fail;
		what = "out of memory";
		if ((rv->rv_krl = malloc(len)) == NULL)
			goto fail;
		memcpy(rv->rv_krl, data, len);
		rv->rv_krllen = len;
	} else if (revoked_plain(rv, data, len, &what) == -1)
		goto fail;
	*out = rv;
	return 0;
fail:
	krl_err(err, errlen, what);
	cert_revoked_free(rv);
	return -1;
}

int
cert_revoked_load_file(const char *path, struct cert_revoked **out,
    char *err, size_t errlen)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t off = 0;
	ssize_t n;
	int fd, ret = -1;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CERT_MAX_REVOKED) {
		snprintf(err, errlen, "%s: not a regular file of at most "
		    "%d bytes", path, CERT_MAX_REVOKED);
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (off < (size_t)st.st_size) {
		if ((n = read(fd, buf + off, (size_t)st.st_size - off)) <= 0) {
			snprintf(err, errlen, "%s: %s", path, n == 0 ?
			    "short read" : strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	ret = cert_revoked_load(buf, off, out, err, errlen);
out:
	if (fd != -1)
		close(fd);
	free(buf);
	return ret;
}

void
cert_revoked_free(struct cert_revoked *rv)
{
	size_t i;

	if (rv == NULL)
		return;
	for (i = 0; i < rv->rv_nkeys; i++)
		free(rv->rv_keys[i].rb_blob);
	free(rv->rv_keys);
	free(rv->rv_krl);
	free(rv);
}

static int
revoked_ask(const struct cert_revoked *rv, struct krl_query *q)
{
	const char *what;
	size_t i, k;

	if (rv->rv_krl != NULL)
		/* Proven readable at load: a failure now means revoked. */
		return krl_walk(rv->rv_krl, rv->rv_krllen, q, &what) == -1 ||
		    q->kq_revoked;
	for (i = 0; i < rv->rv_nkeys; i++)
		for (k = 0; k < q->kq_nkeys; k++)
			if (rv->rv_keys[i].rb_len == q->kq_len[k] &&
			    memcmp(rv->rv_keys[i].rb_blob, q->kq_key[k],
			    q->kq_len[k]) == 0)
				return 1;
	return 0;
}

int
cert_revoked_check(const struct cert_revoked *rv, const struct cert *c)
{
	struct krl_query q;

	memset(&q, 0, sizeof(q));
	q.kq_cert = c;
	krl_query_key(&q, c->c_key.ck_blob, c->c_key.ck_bloblen);
	krl_query_key(&q, c->c_ca.ck_blob, c->c_ca.ck_bloblen);
	return revoked_ask(rv, &q);
}

int
cert_revoked_key(const struct cert_revoked *rv, const uint8_t *blob,
    size_t len)
{
	struct krl_query q;

	memset(&q, 0, sizeof(q));
	krl_query_key(&q, blob, len);
	return revoked_ask(rv, &q);
}
