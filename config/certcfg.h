/*
 * certcfg.h: the keywords of certificate logins as read from the
 * configuration (certcfg.c); config/cert.h checks the certificates and
 * server/authcert.c applies both.
 *
 * TrustedUserCAKeys names a file of CA public keys, one a line.  It is
 * read when the configuration is loaded (at start-up and at each
 * SIGHUP), not at each login as sshd reads it: a line that is not a key
 * jumpgate can verify fails the load with "FILE:LINE: message", and a
 * change to the file takes effect at the next reload.
 *
 * RevokedKeys (a plain key list or a KRL, config/cert.h) is read at load
 * too.  A file that cannot be read or parsed does not fail the load: as
 * in sshd, every key is then refused, each time with the reason.
 *
 * AuthorizedPrincipalsFile takes %u, %h and %% (checked at load) and is
 * read at each login, as sshd reads it; with it, a TrustedUserCAKeys
 * certificate needs a principal the file lists instead of the user name.
 */
#ifndef JG_CERTCFG_H
#define JG_CERTCFG_H

#include <stddef.h>
#include <stdint.h>

struct cert_revoked;

struct certcfg_ca {
	uint8_t		*ca_blob;	/* plain public key blob */
	size_t		 ca_len;
	int		 ca_line;	/* in the file */
};

struct config_certs {
	int		  cc_ca_set;	/* TrustedUserCAKeys seen */
	char		 *cc_ca_file;	/* NULL: none */
	struct certcfg_ca *cc_cas;
	int		  cc_ncas;
	int		  cc_revoked_set;
	char		 *cc_revoked_file;	/* RevokedKeys; NULL none */
	struct cert_revoked *cc_revoked;	/* NULL: see cc_revoked_err */
	char		 *cc_revoked_err;	/* why it could not be read */
	int		  cc_principals_set;
	char		 *cc_principals;	/* AuthorizedPrincipalsFile */
};

/* One keyword line (file:line for errors).  0, or -1 with err set. */
int	certcfg_parse(struct config_certs *cc, const char *keyword,
	    char **av, int ac, const char *file, int line, char *err,
	    size_t errlen);
void	certcfg_free(struct config_certs *cc);
void	certcfg_dump(const struct config_certs *cc, int fd);

#endif
