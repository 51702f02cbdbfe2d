/*
 * algos.c: Ciphers, MACs, KexAlgorithms, HostKeyAlgorithms and
 * PubkeyAcceptedAlgorithms.
 *
 * These narrow what a client may negotiate, so an operator who copies
 * "Ciphers aes256-gcm@openssh.com" from a hardened sshd_config must get
 * exactly that, never libssh's defaults behind their back.  The lists
 * below are libssh 0.10.6's (kex.c, built with OpenSSL), each name checked
 * by ssh_bind_options_set; libssh has no call that returns them.  A name
 * OpenSSH knows but libssh lacks is left out with a note, which can only
 * narrow the offer; a name neither knows is an error, as in sshd.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "algos.h"
#include "pattern.h"
#include "str.h"

struct algos_table {
	const char		*at_keyword;	/* sshd -T spelling */
	const char		*at_what;	/* for errors */
	const char *const	*at_supported;	/* libssh's order */
	const char		*at_default;
	const char *const	*at_sshd_only;	/* OpenSSH has, libssh not */
	int			 at_wild;	/* wildcards in every form */
};

static const char *const algos_ciphers[] = {
	"chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com",
	"aes128-gcm@openssh.com", "aes256-ctr", "aes192-ctr", "aes128-ctr",
	"aes256-cbc", "aes192-cbc", "aes128-cbc", "3des-cbc", NULL,
};
static const char *const algos_ciphers_sshd[] = { NULL };

static const char *const algos_macs[] = {
	"hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com",
	"hmac-sha1-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512",
	"hmac-sha1", NULL,
};
static const char *const algos_macs_sshd[] = {
	"hmac-md5", "hmac-md5-96", "hmac-sha1-96", "umac-64@openssh.com",
	"umac-128@openssh.com", "hmac-md5-etm@openssh.com",
	"hmac-md5-96-etm@openssh.com", "hmac-sha1-96-etm@openssh.com",
	"umac-64-etm@openssh.com", "umac-128-etm@openssh.com", NULL,
};

static const char *const algos_kex[] = {
	"curve25519-sha256", "curve25519-sha256@libssh.org",
	"ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521",
	"diffie-hellman-group18-sha512", "diffie-hellman-group16-sha512",
	"diffie-hellman-group-exchange-sha256",
	"diffie-hellman-group14-sha256",
	"diffie-hellman-group-exchange-sha1", "diffie-hellman-group14-sha1",
	"diffie-hellman-group1-sha1", NULL,
};
static const char *const algos_kex_sshd[] = {
	"sntrup761x25519-sha512@openssh.com", "sntrup761x25519-sha512",
	"mlkem768x25519-sha256", NULL,
};

/* Host keys are files on this host: no security-key or DSA types. */
static const char *const algos_hostkey[] = {
	"ssh-ed25519", "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp256", "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa",
	NULL,
};

/*
 * Client keys: SHA-2 signatures only, as sshd since 8.8; "ssh-rsa" (SHA-1)
 * is left out even when asked for, as are security keys, which jumpgate
 * does not verify.  Certificates of the same types are checked by
 * config/cert.c (TrustedUserCAKeys).
 */
static const char *const algos_pubkey[] = {
	"ssh-ed25519-cert-v01@openssh.com",
	"ecdsa-sha2-nistp256-cert-v01@openssh.com",
	"ecdsa-sha2-nistp384-cert-v01@openssh.com",
	"ecdsa-sha2-nistp521-cert-v01@openssh.com",
	"rsa-sha2-512-cert-v01@openssh.com",
	"rsa-sha2-256-cert-v01@openssh.com",
	"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp521", "rsa-sha2-512", "rsa-sha2-256", NULL,
};
/*
 * Key types OpenSSH knows that jumpgate leaves out, for host keys and
 * users' keys alike ("ssh-rsa" is a supported host key algorithm: the
 * supported table is looked at first).
 */
static const char *const algos_keys_sshd[] = {
	"ssh-rsa", "ssh-dss", "sk-ssh-ed25519@openssh.com",
	"sk-ecdsa-sha2-nistp256@openssh.com",
	"ssh-ed25519-cert-v01@openssh.com",
	"sk-ssh-ed25519-cert-v01@openssh.com",
	"ecdsa-sha2-nistp256-cert-v01@openssh.com",
	"ecdsa-sha2-nistp384-cert-v01@openssh.com",
	"ecdsa-sha2-nistp521-cert-v01@openssh.com",
	"sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
	"rsa-sha2-512-cert-v01@openssh.com",
	"rsa-sha2-256-cert-v01@openssh.com", "ssh-rsa-cert-v01@openssh.com",
	"ssh-dss-cert-v01@openssh.com", NULL,
};

static const struct algos_table algos_tables[ALGOS_NKINDS] = {
	[ALGOS_CIPHERS] = { "ciphers", "cipher", algos_ciphers,
	    "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,"
	    "aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr",
	    algos_ciphers_sshd, 0 },
	[ALGOS_MACS] = { "macs", "MAC", algos_macs,
	    "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,"
	    "hmac-sha2-256,hmac-sha2-512",
	    algos_macs_sshd, 0 },
	[ALGOS_KEX] = { "kexalgorithms", "KexAlgorithms", algos_kex,
	    "curve25519-sha256,curve25519-sha256@libssh.org,"
	    "ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,"
	    "diffie-hellman-group18-sha512,diffie-hellman-group16-sha512,"
	    "diffie-hellman-group-exchange-sha256,"
	    "diffie-hellman-group14-sha256",
	    algos_kex_sshd, 0 },
	[ALGOS_HOSTKEY] = { "hostkeyalgorithms", "HostKeyAlgorithms",
	    algos_hostkey,
	    "ssh-ed25519,ecdsa-sha2-nistp521,ecdsa-sha2-nistp384,"
	    "ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256",
	    algos_keys_sshd, 1 },
	[ALGOS_PUBKEY] = { "pubkeyacceptedalgorithms",
	    "PubkeyAcceptedAlgorithms", algos_pubkey,
	    "ssh-ed25519-cert-v01@openssh.com,"
	    "ecdsa-sha2-nistp256-cert-v01@openssh.com,"
	    "ecdsa-sha2-nistp384-cert-v01@openssh.com,"
	    "ecdsa-sha2-nistp521-cert-v01@openssh.com,"
	    "rsa-sha2-512-cert-v01@openssh.com,"
	    "rsa-sha2-256-cert-v01@openssh.com,"
	    "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,"
	    "ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256",
	    algos_keys_sshd, 1 },
};

/* A growing list of names that point into the tables. */
struct algos_list {
	const char	**al_names;
	int		  al_n;
	int		  al_alloc;
};

int
algos_kind_by_keyword(const char *keyword)
{
	int k;

	for (k = 0; k < ALGOS_NKINDS; k++)
		if (strcasecmp(keyword, algos_tables[k].at_keyword) == 0)
			return k;
	/* sshd's name before 8.5. */
	if (strcasecmp(keyword, "PubkeyAcceptedKeyTypes") == 0)
		return ALGOS_PUBKEY;
	return -1;
}

int
algos_list_has(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *p;

	for (p = list; (p = strstr(p, name)) != NULL; p += len)
		if ((p == list || p[-1] == ',') &&
		    (p[len] == ',' || p[len] == '\0'))
			return 1;
	return 0;
}

const char *
algos_keyword(enum algos_kind kind)
{
	return algos_tables[kind].at_keyword;
}

const char *
algos_default(enum algos_kind kind)
{
	return algos_tables[kind].at_default;
}

static const char *
algos_lookup(const char *const *names, const char *name)
{
	for (; *names != NULL; names++)
		if (strcmp(*names, name) == 0)
			return *names;
	return NULL;
}

static void
algos_add(struct algos_list *al, const char *name)
{
	int i;

	for (i = 0; i < al->al_n; i++)
		if (al->al_names[i] == name)
			return;
	if (al->al_n == al->al_alloc) {
		al->al_alloc = al->al_alloc ? al->al_alloc * 2 : 16;
		al->al_names = xreallocarray(al->al_names,
		    (size_t)al->al_alloc, sizeof(*al->al_names));
	}
	al->al_names[al->al_n++] = name;
}

/* Adds a spec's names (or what its patterns match) in their order. */
static void
algos_add_spec(const struct algos_table *at, struct algos_list *out,
    struct algos_list *dropped, char **names, int n)
{
	const char *const *s;
	const char *known;
	int i;

	for (i = 0; i < n; i++) {
		if (strpbrk(names[i], "*?") != NULL) {
			for (s = at->at_supported; *s != NULL; s++)
				if (pattern_match(names[i], *s, 0))
					algos_add(out, *s);
		} else if ((known = algos_lookup(at->at_supported,
		    names[i])) != NULL)
			algos_add(out, known);
		else
			algos_add(dropped, algos_lookup(at->at_sshd_only,
			    names[i]));
	}
}

/* The default list, as pointers into the supported table. */
static void
algos_add_default(const struct algos_table *at, struct algos_list *out)
{
	const char *const *s;

	/* The default string lists them in the table's order. */
	for (s = at->at_supported; *s != NULL; s++)
		if (pattern_match_list(*s, at->at_default, 0) == 1)
			algos_add(out, *s);
}

static char *
algos_join(const struct algos_list *al)
{
	size_t len = 1;
	char *s;
	int i;

	for (i = 0; i < al->al_n; i++)
		len += strlen(al->al_names[i]) + 1;
	s = xcalloc(1, len);
	for (i = 0; i < al->al_n; i++) {
		if (i > 0)
			strcat(s, ",");
		strcat(s, al->al_names[i]);
	}
	return s;
}

char *
algos_resolve(enum algos_kind kind, const char *spec, char **dropped,
    char *err, size_t errlen)
{
	const struct algos_table *at = &algos_tables[kind];
	struct algos_list out = { NULL, 0, 0 }, drop = { NULL, 0, 0 };
	struct algos_list def = { NULL, 0, 0 };
	const char *list = spec;
	char mode = 0, *copy = NULL, *p, *tok, **names = NULL;
	char *result = NULL;
	int n = 0, i, j, wild;

	*dropped = NULL;
	if (spec[0] == '+' || spec[0] == '-' || spec[0] == '^')
		mode = *list++;
	copy = xstrdup(list);
	names = xcalloc(strlen(copy) + 1, sizeof(*names));
	for (p = copy; (tok = strsep(&p, ",")) != NULL; )
		names[n++] = tok;
	for (i = 0; i < n; i++) {
		wild = strpbrk(names[i], "*?") != NULL;
		if (names[i][0] == '\0') {
			snprintf(err, errlen, "empty name in \"%s\"", spec);
			goto out;
		}
		if (wild && mode != '-' && !at->at_wild) {
			snprintf(err, errlen, "bad SSH2 %s spec \"%s\": "
			    "wildcards only in a \"-\" list", at->at_what,
			    names[i]);
			goto out;
		}
		if (!wild && algos_lookup(at->at_supported, names[i]) == NULL &&
		    algos_lookup(at->at_sshd_only, names[i]) == NULL) {
			snprintf(err, errlen, "bad SSH2 %s spec \"%s\"",
			    at->at_what, names[i]);
			goto out;
		}
	}
	switch (mode) {
	case '-':
		algos_add_default(at, &def);
		for (i = 0; i < def.al_n; i++) {
			for (j = 0; j < n; j++)
				if (pattern_match(names[j], def.al_names[i],
				    0))
					break;
			if (j == n)
				algos_add(&out, def.al_names[i]);
		}
		break;
	case '+':
		algos_add_default(at, &out);
		algos_add_spec(at, &out, &drop, names, n);
		break;
	case '^':
		algos_add_spec(at, &out, &drop, names, n);
		algos_add_default(at, &out);
		break;
	default:
		algos_add_spec(at, &out, &drop, names, n);
		break;
	}
	if (out.al_n == 0) {
		snprintf(err, errlen, "no %s left that jumpgate supports in "
		    "\"%s\"", at->at_what, spec);
		goto out;
	}
	result = algos_join(&out);
	if (drop.al_n > 0)
		*dropped = algos_join(&drop);
out:
	free(out.al_names);
	free(drop.al_names);
	free(def.al_names);
	free(names);
	free(copy);
	return result;
}
