/*
 * certcheck.c: sshd's authorisation of a user certificate (sshkey.c
 * sshkey_cert_check_authority, auth-options.c cert_option_list, auth.c
 * auth_authorise_keyopts) as one pure function of a parsed certificate
 * and the facts of the login attempt.
 *
 * The checks run in sshd's order and each refusal carries sshd's reason
 * text, so that "Refusing certificate ID ..." lines read the same.  The
 * differences from sshd: the validity window is widened by
 * CERT_CLOCK_SKEW seconds at both ends; verify-required is refused since
 * jumpgate accepts no FIDO keys; an empty principals="" list authorises
 * nobody, as in sshd.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "pattern.h"
#include "wire.h"

#define CERT_INVALID_OPTS	"Invalid certificate options"

/* Returns cert_check()'s result for a refusal. */
static int
cert_refuse(struct cert_verdict *v, const char *reason)
{
	snprintf(v->cv_reason, sizeof(v->cv_reason), "%s", reason);
	v->cv_ok = 0;
	return 0;
}

/* A refusal by an option, with the line sshd logs first; returns -1. */
static int __attribute__((format(printf, 3, 4)))
cert_opt_refuse(struct cert_verdict *v, const char *reason,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->cv_detail, sizeof(v->cv_detail), fmt, ap);
	va_end(ap);
	cert_refuse(v, reason);
	return -1;
}

/* The certificate's principal named by the len bytes at name, or NULL. */
static const char *
cert_principal_find(const struct cert *c, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < c->c_nprincipals; i++)
		if (strlen(c->c_principals[i]) == len &&
		    memcmp(c->c_principals[i], name, len) == 0)
			return c->c_principals[i];
	return NULL;
}

/* sshd's match_principals_option: the list ends at an empty entry. */
static const char *
cert_principal_list(const struct cert *c, const char *list)
{
	const char *p, *end, *hit;

	for (p = list; *p != '\0' && *p != ','; p = end + 1) {
		end = p + strcspn(p, ",");
		if ((hit = cert_principal_find(c, p, (size_t)(end - p))) !=
		    NULL)
			return hit;
		if (*end == '\0')
			break;
	}
	return NULL;
}

/* One critical option; 0 to go on, -1 refused with v filled. */
static int
cert_critical(const struct cert *c, const struct wire *name,
    const struct wire *data, const struct cert_policy *pol,
    struct cert_verdict *v)
{
	struct wire d = *data, val;
	char *s;
	int r;

	if (wire_eq(name, "force-command") ||
	    wire_eq(name, "source-address")) {
		if (wire_cstring(&d, &val) == -1)
			return cert_opt_refuse(v, CERT_INVALID_OPTS,
			    "Unable to parse \"%.*s\" section",
			    (int)name->w_len, name->w_p);
		if (d.w_len != 0)
			return cert_opt_refuse(v, CERT_INVALID_OPTS,
			    "Certificate option \"%.*s\" corrupt (extra data)",
			    (int)name->w_len, name->w_p);
		if ((s = wire_strdup(&val)) == NULL)
			return cert_opt_refuse(v, "out of memory", "%s", "");
		if (wire_eq(name, "force-command")) {
			v->cv_force_command = s;
			return 0;
		}
		r = pattern_addr_cidr_list(NULL, s);
		if (r != -1)
			r = pattern_addr_cidr_list(pol->cpo_addr, s);
		free(s);
		if (r == 1)
			return 0;
		if (r == -1)
			return cert_opt_refuse(v, CERT_INVALID_OPTS, "%s",
			    "Certificate source-address contents invalid");
		return cert_opt_refuse(v, "Refused by certificate options",
		    "Authentication tried for %.100s with valid certificate "
		    "but not from a permitted source address (%.200s).",
		    pol->cpo_user != NULL ? pol->cpo_user : "",
		    pol->cpo_addr != NULL ? pol->cpo_addr : "");
	}
	/* verify-required included: no FIDO key can satisfy it here. */
	return cert_opt_refuse(v, CERT_INVALID_OPTS,
	    "Certificate critical option \"%.*s\" is not supported",
	    (int)name->w_len, name->w_p);
}

/* Known extensions carry no data; unknown ones are ignored, as sshd. */
static int
cert_extensions(const struct cert *c, struct cert_verdict *v)
{
	static const char *known[] = { "no-touch-required",
	    "permit-X11-forwarding", "permit-agent-forwarding",
	    "permit-port-forwarding", "permit-pty", "permit-user-rc" };
	struct wire w, name, data;
	size_t i;

	wire_init(&w, c->c_ext, c->c_extlen);
	while (w.w_len > 0) {
		if (wire_string(&w, &name) == -1 ||
		    wire_string(&w, &data) == -1)
			return cert_opt_refuse(v, CERT_INVALID_OPTS, "%s",
			    "Unable to parse certificate options");
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (wire_eq(&name, known[i]))
				break;
		if (i == sizeof(known) / sizeof(known[0]))
			continue;
		if (data.w_len != 0)
			return cert_opt_refuse(v, CERT_INVALID_OPTS,
			    "Certificate option \"%.*s\" corrupt (extra data)",
			    (int)name.w_len, name.w_p);
		if (wire_eq(&name, "permit-port-forwarding"))
			v->cv_port_forwarding = 1;
	}
	return 0;
}

int
cert_check(const struct cert *c, const struct cert_policy *pol,
    struct cert_verdict *v)
{
	struct wire w, name, data;
	uint64_t now;

	memset(v, 0, sizeof(*v));
	v->cv_keyid = c->c_keyid;
	v->cv_serial = (unsigned long long)c->c_serial;
	v->cv_ca_type = cert_key_type(&c->c_ca);
	v->cv_ca_fp = c->c_ca_fp;

	if (c->c_type != CERT_TYPE_USER)
		return cert_refuse(v,
		    "Certificate invalid: not a user certificate");
	/* sshd treats a clock before the epoch as "not yet valid". */
	if (pol->cpo_now < 0)
		return cert_refuse(v, "Certificate invalid: not yet valid");
	now = (uint64_t)pol->cpo_now;
	if (now + CERT_CLOCK_SKEW < c->c_valid_after)
		return cert_refuse(v, "Certificate invalid: not yet valid");
	if (now >= CERT_CLOCK_SKEW &&
	    now - CERT_CLOCK_SKEW >= c->c_valid_before)
		return cert_refuse(v, "Certificate invalid: expired");
	if (c->c_nprincipals == 0)
		return cert_refuse(v, "Certificate lacks principal list");
	if (pol->cpo_principals != NULL) {
		if ((v->cv_principal = cert_principal_list(c,
		    pol->cpo_principals)) == NULL)
			return cert_refuse(v, "Certificate does not contain "
			    "an authorized principal");
	} else if (pol->cpo_user == NULL || (v->cv_principal =
	    cert_principal_find(c, pol->cpo_user,
	    strlen(pol->cpo_user))) == NULL)
		return cert_refuse(v,
		    "Certificate invalid: name is not a listed principal");

	/* cert_parse() checked the lists' shape and order. */
	wire_init(&w, c->c_crit, c->c_critlen);
	while (w.w_len > 0) {
		if (wire_string(&w, &name) == -1 ||
		    wire_string(&w, &data) == -1)
			return cert_refuse(v, CERT_INVALID_OPTS);
		if (cert_critical(c, &name, &data, pol, v) == -1)
			return 0;
	}
	if (cert_extensions(c, v) == -1)
		return 0;
	v->cv_ok = 1;
	return 1;
}

void
cert_verdict_free(struct cert_verdict *v)
{
	free(v->cv_force_command);
	v->cv_force_command = NULL;
}
