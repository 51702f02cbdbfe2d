/*
 * authcert.h: a certificate offered as a user key (authcert.c), for
 * auth.c: parsed once per request, described as sshd does in its log
 * lines, and checked against TrustedUserCAKeys.
 */
#ifndef JG_AUTHCERT_H
#define JG_AUTHCERT_H

#include <stddef.h>

#include <libssh/libssh.h>

#include "audit.h"
#include "cert.h"

struct authkey_match;
struct session;

struct authcert {
	struct cert	*ac_cert;	/* NULL: a plain key, or unparseable */
	int		 ac_bad;	/* a certificate that did not parse */
	/* sshd's "ED25519-CERT SHA256:..." (the certified key's hash). */
	char		 ac_keydesc[128];
	/* sshd's " ID keyid (serial N) CA ED25519 SHA256:...". */
	char		 ac_suffix[1024];
	struct audit_cert ac_audit;	/* views into ac_cert */
};

/* 1 when key is one of the *-cert-v01 types. */
int	authcert_is_cert(ssh_key key);
/*
 * Parses key's certificate, checking the CA's signature (libssh does
 * not).  0 for a plain key or a certificate that parsed; -1 when it did
 * not (logged; ac_bad set).  authcert_close() in both cases.
 */
int	authcert_open(ssh_key key, struct authcert *ac);
void	authcert_close(struct authcert *ac);
/*
 * sshd's user_cert_trusted_ca(): 1 when a TrustedUserCAKeys key signed
 * the certificate and it is valid for user from the session's client,
 * m then filled as an authorized_keys match would be (port forwarding
 * only with permit-port-forwarding; am_file:am_line the CA's line).
 * 0 otherwise, the refusal logged as sshd logs it; *refused set when a
 * trusted CA's certificate was refused.
 */
/*
 * RevokedKeys, for a plain key or a certificate (its key, serial, id or
 * CA): 1 when revoked, or when the file could not be read, with sshd's
 * line; keydesc is the key as the log names it.
 */
int	authcert_revoked(const struct session *s, ssh_key key,
	    const struct authcert *ac, const char *keydesc);
int	authcert_trusted(const struct session *s, const struct authcert *ac,
	    const char *user, struct authkey_match *m, int *refused);

#endif
