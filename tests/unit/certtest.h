/*
 * certtest.h: helpers of the certificate unit tests (certtest.c).
 *
 * ct_setup() makes, with ssh-keygen, user keys ed, ec256, ec384, ec521,
 * rsa (3072 bits) and CA keys ca_ed, ca_ec256, ca_ec384, ca_ec521,
 * ca_rsa (3072), ca_rsa1024 and ca2 (ed25519) in ct_dir.
 */
#ifndef JG_CERTTEST_H
#define JG_CERTTEST_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cert.h"

/* What most certificates here are signed with. */
#define CT_STD	"-n alice,bob -V +1h -z 42"

extern char *ct_dir;

int	 ct_setup(void **state);
int	 ct_teardown(void **state);
/* Runs a shell command in ct_dir, quietly; it must succeed. */
void	 ct_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char	*ct_slurp(const char *name, size_t *len);
/* The blob of a .pub file: "type base64 comment". */
uint8_t	*ct_pub_blob(const char *name, size_t *len);
/* ssh-keygen -s ca -I keyid OPTS key.pub; the blob of key-cert.pub. */
uint8_t	*ct_sign(const char *ca, const char *key, const char *opts,
	    size_t *len);
struct cert *ct_parse_ok(const uint8_t *blob, size_t len);
/* cert_parse() fails, with the error want unless want is NULL. */
void	 ct_parse_fails(const uint8_t *blob, size_t len, const char *want);
/* ct_sign() then ct_parse_ok(). */
struct cert *ct_make(const char *ca, const char *key, const char *opts);
struct cert_verdict ct_check(const struct cert *c, const char *user,
	    const char *principals, const char *addr, time_t now);
/* cert_check() for user from 127.0.0.1 now refuses with reason. */
void	 ct_refused(const struct cert *c, const char *user,
	    const char *reason);

#endif
