/*
 * authcert.c: user certificates in authentication, as sshd's
 * user_cert_trusted_ca() (auth2-pubkey.c) treats them.
 *
 * libssh hands over the certificate as the key and checks the user's
 * signature against the certified key only; config/cert.c parses the
 * blob, verifies the CA's signature and applies sshd's policy.  This
 * file joins the two and writes sshd's log lines.  Kept apart from
 * auth.c, which only asks "is this key authorized", for files and
 * command alike.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libssh/libssh.h>

#include "authcert.h"
#include "authkeys.h"
#include "config.h"
#include "log.h"
#include "session.h"
#include "str.h"
#include "worker.h"

int
authcert_is_cert(ssh_key key)
{
	switch (ssh_key_type(key)) {
	case SSH_KEYTYPE_ED25519_CERT01:
	case SSH_KEYTYPE_ECDSA_P256_CERT01:
	case SSH_KEYTYPE_ECDSA_P384_CERT01:
	case SSH_KEYTYPE_ECDSA_P521_CERT01:
	case SSH_KEYTYPE_RSA_CERT01:
		return 1;
	default:
		return 0;
	}
}

/*
 * The key's wire blob, exactly as the client sent it (libssh 0.10
 * exports no blob, only its base64): 0, or -1 with nothing to free.
 */
static int
authcert_key_blob(ssh_key key, uint8_t **blob, size_t *len)
{
	char *b64 = NULL;
	int rc;

	*blob = NULL;
	rc = ssh_pki_export_pubkey_base64(key, &b64) == SSH_OK &&
	    cert_base64_decode(b64, strlen(b64), blob, len) == 0 ? 0 : -1;
	ssh_string_free_char(b64);
	return rc;
}

int
authcert_open(ssh_key key, struct authcert *ac)
{
	struct cert *c;
	char fp[CERT_FP_LEN], err[CERT_ERR_LEN];
	uint8_t *blob = NULL;
	size_t len = 0;
	int rc = -1;

	memset(ac, 0, sizeof(*ac));
	if (!authcert_is_cert(key))
		return 0;
	ac->ac_bad = 1;
	str_lcpy(err, "cannot export the key", sizeof(err));
	if (authcert_key_blob(key, &blob, &len) == -1 ||
	    cert_parse(blob, len, &ac->ac_cert, err, sizeof(err)) == -1) {
		/* sshd refuses such a blob when it parses the request. */
		log_error("userauth_pubkey: parse key: %s", err);
		goto done;
	}
	c = ac->ac_cert;
	ac->ac_bad = 0;
	cert_key_fingerprint(&c->c_key, fp, sizeof(fp));
	snprintf(ac->ac_keydesc, sizeof(ac->ac_keydesc), "%s-CERT %s",
	    cert_key_type(&c->c_key), fp);
	snprintf(ac->ac_suffix, sizeof(ac->ac_suffix), " ID %s (serial %llu) "
	    "CA %s %s", c->c_keyid, (unsigned long long)c->c_serial,
	    cert_key_type(&c->c_ca), c->c_ca_fp);
	ac->ac_audit.ad_id = c->c_keyid;
	ac->ac_audit.ad_serial = c->c_serial;
	str_lcpy(ac->ac_audit.ad_ca_fp, c->c_ca_fp,
	    sizeof(ac->ac_audit.ad_ca_fp));
	rc = 0;
done:
	free(blob);
	return rc;
}

void
authcert_close(struct authcert *ac)
{
	cert_free(ac->ac_cert);
	memset(ac, 0, sizeof(*ac));
}

int
authcert_revoked(const struct session *s, ssh_key key,
    const struct authcert *ac, const char *keydesc)
{
	const struct config_certs *cc = &s->s_worker->w_config->c_certs;
	uint8_t *blob = NULL;
	size_t len = 0;
	int revoked;

	if (cc->cc_revoked_file == NULL)
		return 0;
	if (cc->cc_revoked == NULL) {
		log_error("Error checking authentication key %s in revoked "
		    "keys file %s: %s", keydesc, cc->cc_revoked_file,
		    cc->cc_revoked_err);
		return 1;
	}
	if (ac->ac_cert != NULL)
		revoked = cert_revoked_check(cc->cc_revoked, ac->ac_cert);
	else if (authcert_key_blob(key, &blob, &len) == -1) {
		log_error("Error checking authentication key %s in revoked "
		    "keys file %s: cannot export the key", keydesc,
		    cc->cc_revoked_file);
		revoked = 1;
		goto done;
	} else
		revoked = cert_revoked_key(cc->cc_revoked, blob, len);
	if (revoked)
		log_error("Authentication key %s revoked by file %s", keydesc,
		    cc->cc_revoked_file);
done:
	free(blob);
	return revoked;
}

/*
 * AuthorizedPrincipalsFile for the user: the principal its first line
 * naming one of the certificate's gives, m that line's.
 */
static const char *
authcert_principals(const struct session *s, const struct cert *c,
    const char *user, struct authkey_match *m)
{
	const char *pattern = s->s_worker->w_config->c_certs.cc_principals;
	char path[PATH_MAX];

	if (authkeys_expand_path(pattern, user, s->s_home, path,
	    sizeof(path)) == -1) {
		log_debug("%s: session %lu: %s: nothing to expand for user "
		    "%.100s", __func__, s->s_id, pattern, user);
		return NULL;
	}
	return authprinc_find(path, user, &s->s_acct, c, m);
}

int
authcert_trusted(const struct session *s, const struct authcert *ac,
    const char *user, struct authkey_match *m, int *refused)
{
	const struct config_certs *cc = &s->s_worker->w_config->c_certs;
	const struct certcfg_ca *ca = NULL;
	const struct cert *c = ac->ac_cert;
	struct cert_policy pol;
	struct cert_verdict v;
	char loc[sizeof(m->am_file) + 16];
	int i, ok;

	if (c == NULL || cc->cc_ca_file == NULL)
		return 0;
	for (i = 0; i < cc->cc_ncas && ca == NULL; i++)
		if (cert_ca_equal(c, cc->cc_cas[i].ca_blob,
		    cc->cc_cas[i].ca_len))
			ca = &cc->cc_cas[i];
	if (ca == NULL) {
		log_debug("%s: session %lu: CA %s %s is not listed in %s",
		    __func__, s->s_id, cert_key_type(&c->c_ca), c->c_ca_fp,
		    cc->cc_ca_file);
		return 0;
	}
	memset(&pol, 0, sizeof(pol));
	pol.cpo_user = user;
	pol.cpo_addr = s->s_peer;
	pol.cpo_now = time(NULL);
	memset(m, 0, sizeof(*m));
	if (cc->cc_principals != NULL &&
	    (pol.cpo_principals = authcert_principals(s, c, user, m)) ==
	    NULL) {
		log_error("Refusing certificate ID \"%s\" serial=%llu signed "
		    "by %s CA %s: Certificate does not contain an authorized "
		    "principal", c->c_keyid, (unsigned long long)c->c_serial,
		    cert_key_type(&c->c_ca), c->c_ca_fp);
		*refused = 1;
		return 0;
	}
	snprintf(loc, sizeof(loc), "%s:%d", m->am_file, m->am_line);
	if ((ok = cert_check(c, &pol, &v)) == 0)
		authca_log_refusal(&v, NULL);
	else if (pol.cpo_principals != NULL && authkeys_authorise(&m->am_opts,
	    loc, user, s->s_peer) == -1) {
		log_error("Refused by key options");
		ok = 0;
	}
	if (ok) {
		log_verbose("Accepted certificate ID \"%s\" (serial %llu) "
		    "signed by %s CA %s via %s", v.cv_keyid, v.cv_serial,
		    v.cv_ca_type, v.cv_ca_fp, cc->cc_ca_file);
		if (pol.cpo_principals == NULL) {
			str_lcpy(m->am_file, cc->cc_ca_file,
			    sizeof(m->am_file));
			m->am_line = ca->ca_line;
			m->am_opts.ao_port_forwarding = 1;
		}
		/* sshd: no permit-port-forwarding, no forwarding at all. */
		m->am_opts.ao_port_forwarding =
		    m->am_opts.ao_port_forwarding && v.cv_port_forwarding;
		m->am_opts.ao_cert_principal = xstrdup(v.cv_principal);
	} else {
		authkeys_match_free(m);
		*refused = 1;
	}
	cert_verdict_free(&v);
	return ok;
}
