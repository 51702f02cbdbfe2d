/*
 * authca.c: cert-authority lines of authorized_keys files and of
 * AuthorizedKeysCommand output, for a certificate, as sshd's
 * auth_check_authkey_line() reads them (auth2-pubkeyfile.c).
 *
 * Apart from authkeys.c, which reads plain keys through libssh: a CA's
 * key may be of any type whatever the certified key's, so the line's
 * key is decoded by config/cert.c and compared as a blob.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authkeys.h"
#include "cert.h"
#include "log.h"
#include "str.h"

void
authca_log_refusal(const struct cert_verdict *v, const char *src)
{
	/* sshd's auth_authorise_keyopts() names its caller "cert". */
	if (v->cv_detail[0] != '\0')
		log_error("%s%s", strcmp(v->cv_reason, "Refused by "
		    "certificate options") == 0 ? "cert: " : "", v->cv_detail);
	/* sshd names the authorized_keys line, not TrustedUserCAKeys. */
	log_error("Refusing certificate ID \"%s\" serial=%llu signed by %s CA "
	    "%s%s%s: %s", v->cv_keyid, v->cv_serial, v->cv_ca_type,
	    v->cv_ca_fp, src != NULL ? " via " : "", src != NULL ? src : "",
	    v->cv_reason);
}

int
authca_check_line(char *cp, const char *loc, const char *user,
    const struct cert *c, const char *ip, struct authkey_opts *opts)
{
	struct cert_policy pol;
	struct cert_verdict v;
	uint8_t *blob = NULL;
	size_t len, used = 0;
	char err[128];
	int ret = 0;

	memset(opts, 0, sizeof(*opts));
	/* A line that starts with its key has no options: no CA. */
	if (cert_key_decode(cp, &blob, &len) == 0)
		goto done;
	if (authkeys_parse_options(cp, opts, &used, err, sizeof(err)) == -1) {
		log_debug("%s: bad key options: %s", loc, err);
		goto done;
	}
	if (!opts->ao_cert_authority ||
	    cert_key_decode(cp + used, &blob, &len) == -1 ||
	    !cert_ca_equal(c, blob, len))
		goto done;
	log_debug("%s: matching CA found: %s %s", loc,
	    cert_key_type(&c->c_ca), c->c_ca_fp);
	memset(&pol, 0, sizeof(pol));
	pol.cpo_user = user;
	pol.cpo_principals = opts->ao_principals;
	pol.cpo_addr = ip;
	pol.cpo_now = time(NULL);
	ret = -1;
	if (!cert_check(c, &pol, &v))
		authca_log_refusal(&v, loc);
	else if (authkeys_authorise(opts, loc, user, ip) == -1)
		log_error("Refused by key options");
	else {
		log_verbose("Accepted certificate ID \"%s\" (serial %llu) "
		    "signed by %s CA %s via %s", v.cv_keyid, v.cv_serial,
		    v.cv_ca_type, v.cv_ca_fp, loc);
		/* sshd merges the two: both must allow forwarding. */
		opts->ao_port_forwarding = opts->ao_port_forwarding &&
		    v.cv_port_forwarding;
		opts->ao_cert_principal = xstrdup(v.cv_principal);
		ret = 1;
	}
	cert_verdict_free(&v);
done:
	free(blob);
	if (ret != 1)
		authkeys_opts_free(opts);
	return ret;
}
