/*
 * certcfg.c: TrustedUserCAKeys, RevokedKeys and AuthorizedPrincipalsFile
 * as read from the configuration.
 *
 * Apart from config.c because the keyword reads a file of its own, whose
 * lines are checked when the configuration loads: a CA that would never
 * verify (a certificate, an unknown type, a typo) is an error naming its
 * file and line, where sshd would only fail to match it at a login.  As
 * everywhere in config/, the first value obtained wins.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cert.h"
#include "certcfg.h"
#include "config.h"
#include "str.h"

static int
certcfg_read_cas(struct config_certs *cc, const char *path,
    const char *file, int line, char *err, size_t errlen)
{
	struct certcfg_ca *ca;
	char *buf = NULL, *p;
	size_t cap = 0, n;
	ssize_t len;
	int lineno = 0, rc = -1;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL)
		return config_errf(err, errlen, file, line,
		    "TrustedUserCAKeys %s: %s", path, strerror(errno));
	while ((len = getline(&buf, &cap, fp)) != -1) {
		lineno++;
		n = (size_t)len;
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			buf[--n] = '\0';
		for (p = buf; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '\0' || *p == '#')
			continue;
		cc->cc_cas = xreallocarray(cc->cc_cas, (size_t)cc->cc_ncas + 1,
		    sizeof(*cc->cc_cas));
		ca = &cc->cc_cas[cc->cc_ncas];
		if (cert_key_decode(p, &ca->ca_blob, &ca->ca_len) == -1) {
			config_errf(err, errlen, path, lineno,
			    "TrustedUserCAKeys: not a CA key jumpgate can "
			    "verify (ssh-ed25519, ecdsa-sha2-nistp256/384/521, "
			    "ssh-rsa)");
			goto done;
		}
		ca->ca_line = lineno;
		cc->cc_ncas++;
	}
	if (ferror(fp)) {
		config_errf(err, errlen, file, line, "TrustedUserCAKeys %s: "
		    "read error", path);
		goto done;
	}
	rc = 0;
done:
	free(buf);
	fclose(fp);
	return rc;
}

static int
certcfg_principals(struct config_certs *cc, const char *kw, const char *arg,
    const char *file, int line, char *err, size_t errlen)
{
	if (config_path_tokens(kw, arg, file, line, err, errlen) == -1)
		return -1;
	if (cc->cc_principals_set)
		return 0;
	cc->cc_principals_set = 1;
	if (strcasecmp(arg, "none") != 0)
		cc->cc_principals = xstrdup(arg);
	return 0;
}

static int
certcfg_revoked(struct config_certs *cc, const char *arg)
{
	char err[CERT_ERR_LEN];

	if (cc->cc_revoked_set)
		return 0;
	cc->cc_revoked_set = 1;
	if (strcasecmp(arg, "none") == 0)
		return 0;
	cc->cc_revoked_file = xstrdup(arg);
	if (cert_revoked_load_file(arg, &cc->cc_revoked, err,
	    sizeof(err)) == -1)
		cc->cc_revoked_err = xstrdup(err);
	return 0;
}

int
certcfg_parse(struct config_certs *cc, const char *kw, char **av, int ac,
    const char *file, int line, char *err, size_t errlen)
{
	if (ac != 1)
		return config_errf(err, errlen, file, line, "%s: expected one "
		    "argument", kw);
	if (strcasecmp(kw, "RevokedKeys") == 0)
		return certcfg_revoked(cc, av[0]);
	if (strcasecmp(kw, "AuthorizedPrincipalsFile") == 0)
		return certcfg_principals(cc, kw, av[0], file, line, err,
		    errlen);
	if (cc->cc_ca_set)
		return 0;
	cc->cc_ca_set = 1;
	if (strcasecmp(av[0], "none") == 0)
		return 0;
	cc->cc_ca_file = xstrdup(av[0]);
	return certcfg_read_cas(cc, av[0], file, line, err, errlen);
}

void
certcfg_free(struct config_certs *cc)
{
	int i;

	for (i = 0; i < cc->cc_ncas; i++)
		free(cc->cc_cas[i].ca_blob);
	free(cc->cc_cas);
	free(cc->cc_ca_file);
	free(cc->cc_principals);
	free(cc->cc_revoked_file);
	free(cc->cc_revoked_err);
	cert_revoked_free(cc->cc_revoked);
	memset(cc, 0, sizeof(*cc));
}

void
certcfg_dump(const struct config_certs *cc, int fd)
{
	dprintf(fd, "trustedusercakeys %s\n", cc->cc_ca_file != NULL ?
	    cc->cc_ca_file : "none");
	dprintf(fd, "revokedkeys %s\n", cc->cc_revoked_file != NULL ?
	    cc->cc_revoked_file : "none");
	dprintf(fd, "authorizedprincipalsfile %s\n", cc->cc_principals !=
	    NULL ? cc->cc_principals : "none");
}
