/*
 * cert.h: OpenSSH certificates (PROTOCOL.certkeys, the *-cert-v01 formats)
 * and revoked-key lists (RevokedKeys: a plain key list or a KRL), checked
 * the way sshd checks them for user authentication.
 *
 * libssh imports a certificate and checks the user's signature against
 * the certified key, but nothing of the certificate itself.  This module
 * does the rest, in three steps:
 *
 *  1. cert_parse(): the whole blob, bounds-checked (every length against
 *     what is left, nested lists consumed exactly, nothing after the
 *     signature), at most CERT_MAX_BLOB bytes and CERT_MAX_PRINCIPALS
 *     principals; critical options and extensions each strictly ascending
 *     by name, hence unique; mpints and EC points in their one canonical
 *     encoding, so that comparing blobs compares keys; a CA key that is
 *     itself a certificate is refused.  It then verifies the CA signature
 *     over the signed part with OpenSSL (ed25519; ecdsa nistp256/384/521
 *     with SHA-256/384/512; RSA with rsa-sha2-256/512 only, never ssh-rsa
 *     SHA-1, and a CA modulus of at least CERT_RSA_MIN_CA bits).  A
 *     struct cert therefore only exists for a well-formed certificate
 *     that its own CA key signed.  Whether that CA is trusted is the
 *     caller's decision: cert_ca_equal() against TrustedUserCAKeys or a
 *     cert-authority line.
 *  2. cert_check(): sshd's policy for a user certificate as pure function
 *     of the certificate and a struct cert_policy: type user; validity
 *     window, widened by CERT_CLOCK_SKEW seconds on both ends (sshd has no
 *     allowance); a non-empty principal list naming the user, or one of
 *     the authorized principals; critical options (source-address
 *     enforced with sshd's addr_match_cidr_list, force-command reported,
 *     verify-required and anything else refused); extensions (only
 *     permit-port-forwarding matters; unknown ones are ignored, as sshd).
 *  3. cert_revoked_check(): the certified key or the CA key in a plain
 *     list, or, in a KRL, the certificate by serial or key id under its
 *     CA (or any CA), the keys themselves or their SHA1/SHA256 hashes.
 *
 * From auth.c, for a key whose ssh_key_type() is one of the *_CERT01
 * types, on the probe as on the signed request (sshd checks both):
 *	ssh_pki_export_pubkey_base64(key, &b64);   libssh: the whole cert
 *	cert_base64_decode(b64, strlen(b64), &blob, &len);
 *	cert_parse(blob, len, &c, err, sizeof(err));   refused: debug err
 *	cert_revoked_check(rv, c);                     1: revoked
 *	cert_ca_equal(c, ca, calen);   each TrustedUserCAKeys key (from
 *	    cert_key_decode()) or cert-authority line's key
 *	cert_check(c, &pol, &v);   0: log the refusal below
 *	cert_verdict_free(&v); cert_free(c);
 *
 * Refusals carry sshd's texts, so that the log reads as sshd's
 * (auth2-pubkey.c, auth2-pubkeyfile.c), source being the CA's file or
 * "file:line" of the cert-authority line:
 *	error("Refusing certificate ID \"%s\" serial=%llu signed by %s CA %s
 *	    via %s: %s", cv_keyid, cv_serial, cv_ca_type, cv_ca_fp, source,
 *	    cv_reason)
 *	verbose("Accepted certificate ID \"%s\" (serial %llu) signed by %s
 *	    CA %s via %s", cv_keyid, cv_serial, cv_ca_type, cv_ca_fp, source)
 * cv_detail, when not empty, is the line sshd logs before the refusal
 * (for source-address sshd puts "LOC: " in front of it).  The key id and
 * principals are the sender's text: log them through the log functions,
 * which escape.
 *
 * Differences from sshd, all in the direction of refusing: source-address
 * entries must be inet_pton(3) forms ("127.1" is not an address here);
 * EC points must be uncompressed; RSA CAs need 2048 bits; verify-required
 * is refused; an ssh-rsa (SHA-1) CA signature is refused; a KRL with a
 * signature section is refused.  What sshd does not have: the clock skew.
 */
#ifndef JG_CERT_H
#define JG_CERT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Bytes of one certificate; sshd's limit is 256 KiB of packet. */
#define CERT_MAX_BLOB		16384
/* sshd's SSHKEY_CERT_MAX_PRINCIPALS. */
#define CERT_MAX_PRINCIPALS	256
/* Seconds of clock difference allowed at both ends of the window. */
#define CERT_CLOCK_SKEW		60
/* Bits of an RSA CA modulus, and of a certified RSA key (sshd's). */
#define CERT_RSA_MIN_CA		2048
#define CERT_RSA_MIN_KEY	1024
/* Bytes of a RevokedKeys file. */
#define CERT_MAX_REVOKED	(64 * 1024 * 1024)
/* "SHA256:", 43 characters of base64 and a NUL, rounded up. */
#define CERT_FP_LEN		64
#define CERT_ERR_LEN		256

#define CERT_TYPE_USER		1
#define CERT_TYPE_HOST		2

enum cert_alg {
	CERT_ALG_ED25519 = 1,
	CERT_ALG_P256,
	CERT_ALG_P384,
	CERT_ALG_P521,
	CERT_ALG_RSA
};

/* A plain public key: its blob as sshd serialises it, and its parts. */
struct cert_key {
	enum cert_alg	 ck_alg;
	uint8_t		*ck_blob;	/* "ssh-ed25519", ... : owned */
	size_t		 ck_bloblen;
	/* Views into ck_blob: ed25519 key, EC point, or RSA e and n. */
	const uint8_t	*ck_a;
	size_t		 ck_alen;
	const uint8_t	*ck_b;
	size_t		 ck_blen;
};

struct cert {
	uint8_t		*c_blob;	/* the whole certificate, owned */
	size_t		 c_bloblen;
	size_t		 c_signedlen;	/* bytes the CA signed */
	const char	*c_name;	/* "ssh-ed25519-cert-v01@..." */
	struct cert_key	 c_key;		/* the certified key */
	uint64_t	 c_serial;
	uint32_t	 c_type;	/* CERT_TYPE_* */
	char		*c_keyid;
	char		**c_principals;
	size_t		 c_nprincipals;
	uint64_t	 c_valid_after;
	uint64_t	 c_valid_before;
	/* Views into c_blob: the options' string lists as signed. */
	const uint8_t	*c_crit;
	size_t		 c_critlen;
	const uint8_t	*c_ext;
	size_t		 c_extlen;
	struct cert_key	 c_ca;		/* the signature key */
	char		 c_ca_fp[CERT_FP_LEN];
	const char	*c_sigalg;	/* "rsa-sha2-512", ... */
};

/*
 * Parses and verifies blob (the certificate's binary form, as after the
 * base64 of a -cert.pub line).  0 with *out set, or -1 with err saying
 * why (for a debug line: the sender controls the blob).
 */
int	 cert_parse(const uint8_t *blob, size_t len, struct cert **out,
	    char *err, size_t errlen);
void	 cert_free(struct cert *c);

/* 1 when the certificate's CA is the plain public key blob/len. */
int	 cert_ca_equal(const struct cert *c, const uint8_t *blob,
	    size_t len);
/* ssh-keygen -l's "SHA256:base64-without-padding" of a key. */
void	 cert_key_fingerprint(const struct cert_key *k, char *buf,
	    size_t len);
/* sshd's short type name for log lines: "ED25519", "ECDSA", "RSA". */
const char *cert_key_type(const struct cert_key *k);
/*
 * Decodes an authorized_keys-like "type base64 [comment]" line into a
 * plain key blob (malloc'ed), refusing certificates and types this
 * module cannot verify.  0 or -1.
 */
int	 cert_key_decode(const char *line, uint8_t **blob, size_t *len);
/* Standard base64 (padding optional) to a malloc'ed blob; 0 or -1. */
int	 cert_base64_decode(const char *s, size_t slen, uint8_t **out,
	    size_t *outlen);

struct cert_policy {
	const char	*cpo_user;	/* the user name asked for */
	/*
	 * The authorized principals when the caller has them (the names of
	 * an AuthorizedPrincipalsFile or of a principals="a,b" option, as a
	 * comma-separated list, sshd's match_principals_option), or NULL
	 * to require cpo_user among the certificate's principals.
	 */
	const char	*cpo_principals;
	const char	*cpo_addr;	/* client address, numeric */
	time_t		 cpo_now;
};

struct cert_verdict {
	int		 cv_ok;		/* 1 accepted, 0 refused */
	/* Views of the certificate's: valid while it lives. */
	const char	*cv_keyid;
	unsigned long long cv_serial;
	const char	*cv_ca_type;
	const char	*cv_ca_fp;
	const char	*cv_principal;	/* the principal that matched */
	/* permit-port-forwarding: without it sshd refuses every forward. */
	int		 cv_port_forwarding;
	/*
	 * force-command is accepted: sshd still allows port forwarding
	 * under it, and jumpgate runs no commands, so it changes nothing.
	 */
	char		*cv_force_command;	/* owned; NULL if absent */
	char		 cv_reason[CERT_ERR_LEN];	/* sshd's reason */
	char		 cv_detail[512];	/* sshd's line before, or "" */
};

/* Fills v; returns v->cv_ok.  cert_verdict_free() afterwards. */
int	 cert_check(const struct cert *c, const struct cert_policy *pol,
	    struct cert_verdict *v);
void	 cert_verdict_free(struct cert_verdict *v);

/*
 * A RevokedKeys file, in either format: a KRL (starting "SSHKRL\n\0"),
 * validated whole on load and refused whole on anything unknown, or a
 * plain list of "type base64 [comment]" lines, blank lines and '#'
 * comments skipped, where any other unusable line refuses the file.
 */
struct cert_revoked;

int	 cert_revoked_load(const uint8_t *data, size_t len,
	    struct cert_revoked **out, char *err, size_t errlen);
int	 cert_revoked_load_file(const char *path, struct cert_revoked **out,
	    char *err, size_t errlen);
void	 cert_revoked_free(struct cert_revoked *rv);
/*
 * 1 when the certificate, its key or its CA is revoked.  sshd then logs
 * error("Authentication key %s %s revoked by file %s") with the type and
 * fingerprint of whichever key it was checking.
 */
int	 cert_revoked_check(const struct cert_revoked *rv,
	    const struct cert *c);
/* 1 when the plain key blob is revoked: for a login without certificate. */
int	 cert_revoked_key(const struct cert_revoked *rv, const uint8_t *blob,
	    size_t len);

#endif
