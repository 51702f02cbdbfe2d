/*
 * certsig.h: SSH signatures checked with OpenSSL EVP, for cert.c.
 *
 * The signature formats of RFC 8709 (ssh-ed25519), RFC 5656 (ecdsa-sha2-*)
 * and RFC 8332 (rsa-sha2-256/512).  "ssh-rsa" (SHA-1) is refused.
 */
#ifndef JG_CERTSIG_H
#define JG_CERTSIG_H

#include <stddef.h>
#include <stdint.h>

#include "cert.h"

/*
 * Verifies sig (an SSH signature blob: string algorithm, string data)
 * by key over msg.  0, with *alg set to the signature's algorithm name
 * (a static string), or -1 with err set.
 */
int	certsig_verify(const struct cert_key *key, const uint8_t *msg,
	    size_t msglen, const uint8_t *sig, size_t siglen,
	    const char **alg, char *err, size_t errlen);
/* Bits of an RSA key's modulus, 0 for other keys. */
unsigned int certsig_rsa_bits(const struct cert_key *key);

#endif
