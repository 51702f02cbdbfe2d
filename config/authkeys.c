/*
 * authkeys.c: finding a user's key in authorized_keys files, and what the
 * options on its line allow.
 *
 * This is the one place where jumpgate decides that a public key may log
 * in, so it follows sshd closely (auth-options.c, auth2-pubkeyfile.c,
 * match.c, addrmatch.c): the same option grammar, the same order of
 * checks, the same refusals and the same log lines, so that a file that
 * works with sshd means exactly the same here.  Where sshd would accept
 * something surprising and harmful, the difference is noted in place.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "authkeys.h"
#include "log.h"
#include "str.h"

/* Longest permitopen host sshd takes (NI_MAXHOST, brackets included). */
#define AUTHKEYS_MAX_HOST	1025
/* sshd's SSH_AUTHOPT_ENV_MAX and SSH_TUNID_MAX. */
#define AUTHKEYS_MAX_ENV	1024
#define AUTHKEYS_TUN_ANY	0x7fffffff
#define AUTHKEYS_TUN_MAX	(AUTHKEYS_TUN_ANY - 2)

/*
 * The key type names sshd accepts at the start of a key (sshkey.c), the
 * libssh type each one is, and sshd's short name for log lines.  libssh's
 * own ssh_key_type_from_name() is not used: it also takes "rsa", "dsa"
 * and "ecdsa", which sshd would read as (unknown) options.
 */
static const struct {
	const char		*kt_name;
	enum ssh_keytypes_e	 kt_type;
	const char		*kt_short;
} authkeys_types[] = {
	{ "ssh-ed25519", SSH_KEYTYPE_ED25519, "ED25519" },
	{ "ssh-rsa", SSH_KEYTYPE_RSA, "RSA" },
	{ "rsa-sha2-256", SSH_KEYTYPE_RSA, "RSA" },
	{ "rsa-sha2-512", SSH_KEYTYPE_RSA, "RSA" },
	{ "ecdsa-sha2-nistp256", SSH_KEYTYPE_ECDSA_P256, "ECDSA" },
	{ "ecdsa-sha2-nistp384", SSH_KEYTYPE_ECDSA_P384, "ECDSA" },
	{ "ecdsa-sha2-nistp521", SSH_KEYTYPE_ECDSA_P521, "ECDSA" },
	{ "ssh-dss", SSH_KEYTYPE_DSS, "DSA" },
	{ "sk-ecdsa-sha2-nistp256@openssh.com", SSH_KEYTYPE_SK_ECDSA,
	    "ECDSA-SK" },
	{ "sk-ssh-ed25519@openssh.com", SSH_KEYTYPE_SK_ED25519, "ED25519-SK" },
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static int
authkeys_type_lookup(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NITEMS(authkeys_types); i++)
		if (strlen(authkeys_types[i].kt_name) == len &&
		    memcmp(authkeys_types[i].kt_name, name, len) == 0)
			return (int)i;
	return -1;
}

static const char *
authkeys_type_short(enum ssh_keytypes_e type)
{
	size_t i;

	for (i = 0; i < NITEMS(authkeys_types); i++)
		if (authkeys_types[i].kt_type == type)
			return authkeys_types[i].kt_short;
	return NULL;
}

/* sshd has one ECDSA type for every curve; the curve is checked later. */
static enum ssh_keytypes_e
authkeys_type_family(enum ssh_keytypes_e type)
{
	if (type == SSH_KEYTYPE_ECDSA_P384 || type == SSH_KEYTYPE_ECDSA_P521 ||
	    type == SSH_KEYTYPE_ECDSA)
		return SSH_KEYTYPE_ECDSA_P256;
	return type;
}

/* ----- options ----------------------------------------------------- */

/* sshd's opt_flag(): a case-insensitive prefix, "no-" when negatable. */
static int
authkeys_flag(const char **sp, const char *name, int negatable)
{
	const char *s = *sp;
	size_t len = strlen(name);
	int negated = 0;

	if (negatable && strncasecmp(s, "no-", 3) == 0) {
		s += 3;
		negated = 1;
	}
	if (strncasecmp(s, name, len) != 0)
		return -1;
	*sp = s + len;
	return !negated;
}

/* sshd's opt_match(): "name=" with the name case-insensitive. */
static int
authkeys_valopt(const char **sp, const char *name)
{
	size_t len = strlen(name);

	if (strncasecmp(*sp, name, len) != 0 || (*sp)[len] != '=')
		return 0;
	*sp += len + 1;
	return 1;
}

/*
 * The flags that only matter for sshd's log line, in sshd's order; the
 * "no-" form clears them (touch-required is recorded inverted, as sshd's
 * no_require_user_presence).  Returns 1 when one was consumed.
 */
static int
authkeys_simple_flag(const char **sp, unsigned int *flags)
{
	static const struct {
		const char	*name;
		unsigned int	 bit;
		int		 inverted;
	} tab[] = {
		{ "agent-forwarding", AUTHKEYS_OPT_AGENT, 0 },
		{ "x11-forwarding", AUTHKEYS_OPT_X11, 0 },
		{ "touch-required", AUTHKEYS_OPT_NO_TOUCH, 1 },
		{ "verify-required", AUTHKEYS_OPT_VERIFY, 0 },
		{ "pty", AUTHKEYS_OPT_PTY, 0 },
		{ "user-rc", AUTHKEYS_OPT_USER_RC, 0 },
	};
	size_t i;
	int r;

	for (i = 0; i < NITEMS(tab); i++) {
		if ((r = authkeys_flag(sp, tab[i].name, 1)) == -1)
			continue;
		if (r != tab[i].inverted)
			*flags |= tab[i].bit;
		else
			*flags &= ~tab[i].bit;
		return 1;
	}
	return 0;
}

/* sshd's opt_dequote(): "..." where only \" is an escape. */
static char *
authkeys_dequote(const char **sp, const char **errp)
{
	const char *s = *sp;
	char *out;
	size_t i = 0;

	if (*s != '"') {
		*errp = "missing start quote";
		return NULL;
	}
	out = xmalloc(strlen(++s) + 1);
	while (*s != '\0' && *s != '"') {
		if (s[0] == '\\' && s[1] == '"')
			s++;
		out[i++] = *s++;
	}
	if (*s == '\0') {
		free(out);
		*errp = "missing end quote";
		return NULL;
	}
	out[i] = '\0';
	*sp = s + 1;
	return out;
}

/*
 * sshd's parse_absolute_time(): YYYYMMDD[HHMM[SS]], local time unless
 * followed by "Z" or "UTC".  Like sshd the fields are handed to mktime()
 * with tm_isdst = 0, so a local time that falls in summer time comes out
 * one hour later than written.  Unlike sshd, a time before 1970 is refused
 * instead of wrapping around to "never expires".
 */
static int
authkeys_parse_time(const char *s, uint64_t *tp)
{
	static const int lens[] = { 4, 2, 2, 2, 2, 2 };
	int v[6] = { 0, 0, 0, 0, 0, 0 }, utc = 0, i, j;
	size_t len = strlen(s), pos = 0;
	struct tm tm;
	time_t t;

	if (len > 1 && strcasecmp(s + len - 1, "Z") == 0) {
		utc = 1;
		len--;
	} else if (len > 3 && strcasecmp(s + len - 3, "UTC") == 0) {
		utc = 1;
		len -= 3;
	}
	if (len != 8 && len != 12 && len != 14)
		return -1;
	for (i = 0; pos < len; i++) {
		for (j = 0; j < lens[i]; j++, pos++) {
			if (!isdigit((unsigned char)s[pos]))
				return -1;
			v[i] = v[i] * 10 + (s[pos] - '0');
		}
	}
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 ||
	    v[4] > 59 || v[5] > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	t = utc ? timegm(&tm) : mktime(&tm);
	if (t <= 0)
		return -1;
	*tp = (uint64_t)t;
	return 0;
}

/*
 * permitopen="host:port" and permitlisten="[host:]port", checked as sshd's
 * handle_permit(): split at the first ':' or '/' outside brackets, host
 * shorter than NI_MAXHOST, port "*" or 1..65535.  sshd also takes service
 * names ("ssh") here but then fails later in the session; they are
 * refused up front instead.
 */
static int
authkeys_permit(struct authkey_opts *o, const char **sp, int listen,
    int *nlisten, const char **errp)
{
	struct permit_entry *pe;
	char *val, *tmp, *host, *port, *p;
	long pnum;
	int ret = -1, n = listen ? *nlisten : o->ao_npermitopen;
	size_t hlen;

	if (n >= AUTHKEYS_MAX_PERMITOPEN) {
		*errp = "too many permission directives";
		return -1;
	}
	if ((val = authkeys_dequote(sp, errp)) == NULL)
		return -1;
	if (listen && strchr(val, ':') == NULL) {
		/* A bare port listens on every address. */
		tmp = xmalloc(strlen(val) + 3);
		snprintf(tmp, strlen(val) + 3, "*:%s", val);
		free(val);
		val = tmp;
	}
	host = val;
	if (*host == '[') {
		if ((p = strchr(host, ']')) == NULL) {
			*errp = "invalid permission hostname";
			goto done;
		}
		p++;
	} else
		p = host + strcspn(host, ":/");
	if (*p == '\0')
		port = NULL;
	else if (*p == ':' || *p == '/') {
		*p = '\0';
		port = p + 1;
	} else {
		*errp = "invalid permission hostname";
		goto done;
	}
	if ((hlen = strlen(host)) >= AUTHKEYS_MAX_HOST) {
		*errp = "invalid permission hostname";
		goto done;
	}
	if (port == NULL || (strcmp(port, "*") != 0 &&
	    str_to_long(port, 1, 65535, &pnum) == -1)) {
		*errp = "invalid permission port";
		goto done;
	}
	if (listen) {
		(*nlisten)++;
		ret = 0;
		goto done;
	}
	if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
		host[hlen - 1] = '\0';
		host++;
	}
	o->ao_permitopen = xreallocarray(o->ao_permitopen,
	    (size_t)o->ao_npermitopen + 1, sizeof(*o->ao_permitopen));
	pe = &o->ao_permitopen[o->ao_npermitopen++];
	pe->pe_host = xstrdup(host);
	pe->pe_port = strcmp(port, "*") == 0 ? AUTHKEYS_PERMIT_ANY_PORT :
	    (int)pnum;
	ret = 0;
done:
	free(val);
	return ret;
}

/* One option that takes a value; 1 if it was one, -1 on a bad value. */
static int
authkeys_value_option(struct authkey_opts *o, const char **sp, int *nenv,
    int *nlisten, const char **errp)
{
	unsigned int bit;
	uint64_t t;
	long n;
	char *v;
	int r;

	if (authkeys_valopt(sp, "command") ||
	    authkeys_valopt(sp, "principals")) {
		/* Only their presence matters here; sshd allows one each. */
		bit = tolower((unsigned char)(*sp)[-2]) == 'd' ?
		    AUTHKEYS_OPT_COMMAND : AUTHKEYS_OPT_PRINCIPALS;
		if (o->ao_flags & bit) {
			*errp = bit == AUTHKEYS_OPT_COMMAND ?
			    "multiple \"command\" clauses" :
			    "multiple \"principals\" clauses";
			return -1;
		}
		if ((v = authkeys_dequote(sp, errp)) == NULL)
			return -1;
		/* principals= is what a cert-authority line checks. */
		if (bit == AUTHKEYS_OPT_PRINCIPALS)
			o->ao_principals = v;
		else
			free(v);
		o->ao_flags |= bit;
	} else if (authkeys_valopt(sp, "from")) {
		if (o->ao_from != NULL) {
			*errp = "multiple \"from\" clauses";
			return -1;
		}
		if ((o->ao_from = authkeys_dequote(sp, errp)) == NULL)
			return -1;
	} else if (authkeys_valopt(sp, "expiry-time")) {
		if ((v = authkeys_dequote(sp, errp)) == NULL)
			return -1;
		if (authkeys_parse_time(v, &t) == -1) {
			free(v);
			*errp = "invalid expires time";
			return -1;
		}
		free(v);
		/* Several may be given; the earliest one counts. */
		if (o->ao_expiry == 0 || t < o->ao_expiry)
			o->ao_expiry = t;
	} else if (authkeys_valopt(sp, "environment")) {
		if (*nenv > AUTHKEYS_MAX_ENV) {
			*errp = "too many environment strings";
			return -1;
		}
		if ((v = authkeys_dequote(sp, errp)) == NULL)
			return -1;
		/* NAME=value, NAME made of letters, digits and '_'. */
		n = (long)strcspn(v, "=");
		r = v[n] == '=' && n > 0 && strspn(v, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == (size_t)n;
		free(v);
		if (!r) {
			*errp = "invalid environment string";
			return -1;
		}
		(*nenv)++;
	} else if (authkeys_valopt(sp, "permitopen")) {
		return authkeys_permit(o, sp, 0, nlisten, errp) == -1 ? -1 : 1;
	} else if (authkeys_valopt(sp, "permitlisten")) {
		if (authkeys_permit(o, sp, 1, nlisten, errp) == -1)
			return -1;
		o->ao_flags |= AUTHKEYS_OPT_LISTEN;
	} else if (authkeys_valopt(sp, "tunnel")) {
		if ((v = authkeys_dequote(sp, errp)) == NULL)
			return -1;
		if (strcasecmp(v, "any") == 0)
			o->ao_tun = AUTHKEYS_TUN_ANY;
		else if (str_to_long(v, 0, AUTHKEYS_TUN_MAX, &n) == 0)
			o->ao_tun = (int)n;
		else {
			free(v);
			*errp = "invalid tun device";
			return -1;
		}
		free(v);
	} else
		return 0;
	return 1;
}

int
authkeys_parse_options(const char *s, struct authkey_opts *opts,
    size_t *consumed, char *err, size_t errlen)
{
	const char *p = s, *errstr = "unknown key option";
	int r, nenv = 0, nlisten = 0;
	size_t len;

	memset(opts, 0, sizeof(*opts));
	opts->ao_port_forwarding = 1;
	opts->ao_flags = AUTHKEYS_OPT_AGENT | AUTHKEYS_OPT_X11 |
	    AUTHKEYS_OPT_PTY | AUTHKEYS_OPT_USER_RC;
	opts->ao_tun = -1;

	/*
	 * sshd's loop: options are applied left to right (so "restrict,
	 * port-forwarding" allows forwarding but "port-forwarding,restrict"
	 * does not).  Like sshd, empty options between commas are skipped
	 * and a trailing comma is fine when the key follows.
	 */
	while (*p != '\0' && *p != ' ' && *p != '\t') {
		if (authkeys_flag(&p, "restrict", 0) != -1) {
			opts->ao_port_forwarding = 0;
			opts->ao_flags &= ~(AUTHKEYS_OPT_AGENT |
			    AUTHKEYS_OPT_X11 | AUTHKEYS_OPT_PTY |
			    AUTHKEYS_OPT_USER_RC);
			opts->ao_flags |= AUTHKEYS_OPT_RESTRICT;
		} else if (authkeys_flag(&p, "cert-authority", 0) != -1)
			opts->ao_cert_authority = 1;
		else if ((r = authkeys_flag(&p, "port-forwarding", 1)) != -1)
			opts->ao_port_forwarding = r;
		else if (authkeys_simple_flag(&p, &opts->ao_flags))
			;
		else if (authkeys_value_option(opts, &p, &nenv, &nlisten,
		    &errstr) == -1)
			goto fail;

		if (*p == '\0' || *p == ' ' || *p == '\t')
			break;
		/* Anything but a comma here is a name sshd does not know. */
		if (*p != ',') {
			errstr = "unknown key option";
			goto fail;
		}
		if (*++p == '\0') {
			errstr = "unexpected end-of-options";
			goto fail;
		}
	}
	len = (size_t)(p - s);
	opts->ao_text = xmalloc(len + 1);
	memcpy(opts->ao_text, s, len);
	opts->ao_text[len] = '\0';
	if (consumed != NULL)
		*consumed = len + strspn(p, " \t");
	return 0;
fail:
	authkeys_opts_free(opts);
	str_lcpy(err, errstr, errlen);
	return -1;
}

void
authkeys_permit_format(const struct permit_entry *pe, char *buf, size_t len)
{
	const char *h = pe->pe_host != NULL ? pe->pe_host : "none";
	int v6 = strchr(h, ':') != NULL;

	if (pe->pe_port == AUTHKEYS_PERMIT_ANY_PORT)
		snprintf(buf, len, "%s%s%s:*", v6 ? "[" : "", h, v6 ? "]" : "");
	else
		snprintf(buf, len, "%s%s%s:%d", v6 ? "[" : "", h,
		    v6 ? "]" : "", pe->pe_port);
}

void
authkeys_permits_free(struct permit_entry *pe, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(pe[i].pe_host);
	free(pe);
}

void
authkeys_opts_free(struct authkey_opts *opts)
{
	authkeys_permits_free(opts->ao_permitopen, opts->ao_npermitopen);
	free(opts->ao_from);
	free(opts->ao_principals);
	free(opts->ao_cert_principal);
	free(opts->ao_text);
	memset(opts, 0, sizeof(*opts));
}


/* ----- files ------------------------------------------------------- */

/*
 * A name that is safe inside a path.  sshd only ever expands %u for
 * system accounts; jumpgate also serves names that exist only as a file
 * (/etc/jumpgate/keys/%u), so a client-chosen "../x" must not walk out.
 */
static int
authkeys_safe_user(const char *user)
{
	return user != NULL && *user != '\0' && strchr(user, '/') == NULL &&
	    strcmp(user, ".") != 0 && strcmp(user, "..") != 0;
}

int
authkeys_expand_path(const char *pattern, const char *user,
    const char *home, char *out, size_t outlen)
{
	char buf[PATH_MAX];
	const char *p, *ins;
	size_t n = 0, len;
	char one[2] = { 0, 0 };
	int r;

	for (p = pattern; *p != '\0'; p++) {
		if (*p != '%') {
			one[0] = *p;
			ins = one;
		} else if (*++p == '%')
			ins = "%";
		else if (*p == 'h' && home != NULL)
			ins = home;
		else if (*p == 'u' && authkeys_safe_user(user))
			ins = user;
		else
			return -1;
		len = strlen(ins);
		if (n + len >= sizeof(buf))
			return -1;
		memcpy(buf + n, ins, len);
		n += len;
	}
	buf[n] = '\0';
	/* As sshd: a relative path is relative to the home directory. */
	if (buf[0] == '/')
		r = snprintf(out, outlen, "%s", buf);
	else if (home != NULL)
		r = snprintf(out, outlen, "%s/%s", home, buf);
	else
		return -1;
	return r < 0 || (size_t)r >= outlen ? -1 : 0;
}

/* The user's home directory, or NULL when there is no such account. */
static char *
authkeys_home(const char *user)
{
	struct passwd pw, *res = NULL;
	char *buf = NULL, *home = NULL;
	size_t len = 4096;
	int r;

	if (!authkeys_safe_user(user))
		return NULL;
	for (;;) {
		buf = xreallocarray(buf, len, 1);
		r = getpwnam_r(user, &pw, buf, len, &res);
		if (r != ERANGE || len >= 1024 * 1024)
			break;
		len *= 2;
	}
	if (r == 0 && res != NULL && pw.pw_dir != NULL && *pw.pw_dir != '\0')
		home = xstrdup(pw.pw_dir);
	free(buf);
	return home;
}

/*
 * Only %h and a relative path need the account: for every other pattern
 * the name alone says where the file is, and the lookup (NSS, perhaps
 * LDAP, blocking the event loop) is skipped.
 */
int
authkeys_need_home(char *const *patterns, int npatterns)
{
	int i;

	for (i = 0; i < npatterns; i++) {
		if (strcasecmp(patterns[i], "none") == 0)
			continue;
		if (patterns[i][0] != '/' || strstr(patterns[i], "%h") != NULL)
			return 1;
	}
	return 0;
}

char *
authkeys_user_home(char *const *patterns, int npatterns, const char *user)
{
	if (!authkeys_need_home(patterns, npatterns))
		return NULL;
	return authkeys_home(user);
}

int
authkeys_user_known_home(char *const *patterns, int npatterns,
    const char *user, const char *home)
{
	char path[PATH_MAX];
	struct stat st;
	int i, known = 0;

	for (i = 0; i < npatterns && !known; i++) {
		if (strcasecmp(patterns[i], "none") == 0 ||
		    authkeys_expand_path(patterns[i], user, home, path,
		    sizeof(path)) == -1)
			continue;
		known = stat(path, &st) == 0 && S_ISREG(st.st_mode);
	}
	return known;
}

int
authkeys_user_known(char *const *patterns, int npatterns, const char *user)
{
	char *home = authkeys_user_home(patterns, npatterns, user);
	int known;

	known = authkeys_user_known_home(patterns, npatterns, user, home);
	free(home);
	return known;
}

/* sshd's sshkey_advance_past_options(): -1 on an unterminated quote. */
static int
authkeys_skip_options(char **cpp)
{
	char *cp = *cpp;
	int quoted = 0;

	for (; *cp != '\0' && (quoted || (*cp != ' ' && *cp != '\t')); cp++) {
		if (cp[0] == '\\' && cp[1] == '"')
			cp++;
		else if (*cp == '"')
			quoted = !quoted;
	}
	*cpp = cp;
	return *cp == '\0' && quoted ? -1 : 0;
}

/*
 * sshd's sshkey_read() for a key of family want: "type base64".  (A blob
 * whose inner type differs from the line's cannot compare equal to the
 * client's key later, so that sshd check is left to ssh_key_cmp.)
 */
static int
authkeys_read_key(const char *cp, enum ssh_keytypes_e want, ssh_key *out,
    int *typeidx)
{
	char *blob;
	size_t n;
	int t, ret = -1;

	n = strcspn(cp, " \t");
	if (cp[n] == '\0' || (t = authkeys_type_lookup(cp, n)) == -1 ||
	    authkeys_type_family(authkeys_types[t].kt_type) != want)
		return -1;
	cp += n + strspn(cp + n, " \t");
	if (*cp == '\0')
		return -1;
	n = strcspn(cp, " \t");
	blob = xmalloc(n + 1);
	memcpy(blob, cp, n);
	blob[n] = '\0';
	if (ssh_pki_import_pubkey_base64(blob, authkeys_types[t].kt_type,
	    out) == SSH_OK) {
		*typeidx = t;
		ret = 0;
	}
	free(blob);
	return ret;
}

/* sshd's format_absolute_time(), for the log. */
static void
authkeys_fmt_time(uint64_t t, char *buf, size_t len)
{
	time_t tt = t > (uint64_t)LONG_MAX ? LONG_MAX : (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL)
		str_lcpy(buf, "UNKNOWN-TIME", len);
	else
		strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
}

/* sshd's auth_log_authopts(), wording and all. */
static void
authkeys_log_opts(const char *loc, const struct authkey_opts *o)
{
	unsigned int f = o->ao_flags;
	char tun[32] = "", when[64], entry[AUTHKEYS_MAX_HOST + 16];
	int i;

	if (o->ao_tun != -1)
		snprintf(tun, sizeof(tun), " tun=%d", o->ao_tun);
	/* sshd really prints "expires" without a leading blank. */
	log_debug("%s: key options:%s%s%s%s%s%s%s%s%s%s%s%s%s", loc,
	    f & AUTHKEYS_OPT_AGENT ? " agent-forwarding" : "",
	    f & AUTHKEYS_OPT_COMMAND ? " command" : "",
	    o->ao_expiry != 0 ? "expires" : "",
	    f & AUTHKEYS_OPT_NO_TOUCH ? " no-touch-required" : "",
	    o->ao_npermitopen > 0 ? " permitopen" : "",
	    f & AUTHKEYS_OPT_LISTEN ? " permitlisten" : "",
	    o->ao_port_forwarding ? " port-forwarding" : "",
	    f & AUTHKEYS_OPT_PRINCIPALS ? " principals" : "",
	    f & AUTHKEYS_OPT_PTY ? " pty" : "",
	    f & AUTHKEYS_OPT_VERIFY ? " uv" : "", tun,
	    f & AUTHKEYS_OPT_USER_RC ? " user-rc" : "",
	    f & AUTHKEYS_OPT_X11 ? " x11-forwarding" : "");
	if (o->ao_expiry != 0) {
		authkeys_fmt_time(o->ao_expiry, when, sizeof(when));
		log_debug("%s: expires at %s", loc, when);
	}
	for (i = 0; i < o->ao_npermitopen; i++) {
		authkeys_permit_format(&o->ao_permitopen[i], entry,
		    sizeof(entry));
		log_debug("%s: permitted open: %s", loc, entry);
	}
}

/*
 * sshd's auth_authorise_keyopts() for a plain key: expiry, principals
 * without cert-authority, then from=.  0 when the line may be used.
 */
int
authkeys_authorise(const struct authkey_opts *o, const char *loc,
    const char *user, const char *ip)
{
	time_t now = time(NULL);
	char when[64];

	if (o->ao_expiry != 0 && now > 0 && o->ao_expiry < (uint64_t)now) {
		authkeys_fmt_time(o->ao_expiry, when, sizeof(when));
		log_debug("%s: entry expired at %s", loc, when);
		return -1;
	}
	if ((o->ao_flags & AUTHKEYS_OPT_PRINCIPALS) && !o->ao_cert_authority) {
		log_debug("%s: principals on non-CA key", loc);
		return -1;
	}
	if (o->ao_from != NULL) {
		switch (authkeys_match_from(o->ao_from, ip)) {
		case 1:
			break;
		case -2:
			log_debug("%s: invalid from criteria", loc);
			/* FALLTHROUGH */
		default:
			/* UseDNS no: sshd's host name is the address. */
			log_info("%s: Authentication tried for %.100s with "
			    "correct key but not from a permitted host "
			    "(host=%.200s, ip=%.200s, required=%.200s).", loc,
			    user, ip ? ip : "UNKNOWN", ip ? ip : "UNKNOWN",
			    o->ao_from);
			return -1;
		}
	}
	authkeys_log_opts(loc, o);
	return 0;
}

/*
 * One non-blank line, leading blanks gone, in sshd's order: read the key
 * (after options if the line does not start with one), parse the options,
 * compare the key, authorise.  1 with *opts filled when the line grants,
 * -1 when it is a CA line that refused the certificate, else 0.
 */
static int
authkeys_check_line(char *cp, const char *loc, const char *user,
    const ssh_key key, const struct cert *cert, const char *ip,
    struct authkey_opts *opts)
{
	enum ssh_keytypes_e want = authkeys_type_family(ssh_key_type(key));
	char *optstr = NULL, err[128], *fp = NULL;
	unsigned char *hash = NULL;
	ssh_key found = NULL;
	size_t hlen;
	int t, ret = 0;

	memset(opts, 0, sizeof(*opts));
	/* sshd: a certificate is for cert-authority lines only. */
	if (cert != NULL)
		return authca_check_line(cp, loc, user, cert, ip, opts);
	if (authkeys_read_key(cp, want, &found, &t) == -1) {
		log_debug2("%s: check options: '%s'", loc, cp);
		optstr = cp;
		if (authkeys_skip_options(&cp) == -1) {
			log_error("invalid key option string");
			goto done;
		}
		cp += strspn(cp, " \t");
		if (authkeys_read_key(cp, want, &found, &t) == -1) {
			log_debug2("%s: advance: '%s'", loc, cp);
			goto done;
		}
	}
	if (optstr != NULL) {
		if (authkeys_parse_options(optstr, opts, NULL, err,
		    sizeof(err)) == -1) {
			log_debug("%s: bad key options: %s", loc, err);
			goto done;
		}
	} else
		authkeys_parse_options("", opts, NULL, err, sizeof(err));
	/* A CA line vouches for certificates, never for itself. */
	if (ssh_key_cmp(found, key, SSH_KEY_CMP_PUBLIC) != 0 ||
	    opts->ao_cert_authority)
		goto done;

	if (ssh_get_publickey_hash(found, SSH_PUBLICKEY_HASH_SHA256, &hash,
	    &hlen) != 0 || (fp = ssh_get_fingerprint_hash(
	    SSH_PUBLICKEY_HASH_SHA256, hash, hlen)) == NULL) {
		log_error("%s: fingerprint failed", __func__);
		goto done;
	}
	log_debug("%s: matching key found: %s %s", loc,
	    authkeys_types[t].kt_short, fp);
	if (authkeys_authorise(opts, loc, user, ip) == -1) {
		log_error("Refused by key options");
		goto done;
	}
	log_verbose("Accepted key %s %s found at %s",
	    authkeys_types[t].kt_short, fp, loc);
	ret = 1;
done:
	if (ret == 0)
		authkeys_opts_free(opts);
	if (fp != NULL)
		ssh_string_free_char(fp);
	if (hash != NULL)
		ssh_clean_pubkey_hash(&hash);
	ssh_key_free(found);
	return ret;
}

/*
 * sshd's auth_openfile(): regular files only, never blocking on a FIFO;
 * what is "keys" or "principals", as in sshd's lines.
 */
FILE *
authkeys_open(const char *path, const char *user,
    const struct authkeys_acct *acct, const char *what)
{
	char why[PATH_MAX + 64];
	struct stat st;
	FILE *fp;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			log_debug("Could not open user '%s' authorized %s "
			    "'%s': %s", user, what, path, strerror(errno));
		else
			log_info("Could not open user '%s' authorized %s "
			    "'%s': %s", user, what, path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		log_info("User '%s' authorized %s '%s' is not a regular "
		    "file", user, what, path);
		close(fd);
		return NULL;
	}
	switch (acct->aa_strict || acct->aa_account ? safepath_check(fd,
	    path, acct, why, sizeof(why)) : 0) {
	case SAFEPATH_UNREADABLE:
		/* What sshd's open as the user would have said. */
		log_info("Could not open user '%s' authorized %s '%s': %s",
		    user, what, path, strerror(EACCES));
		close(fd);
		return NULL;
	case SAFEPATH_BAD:
		log_info("Authentication refused: %s", why);
		close(fd);
		return NULL;
	default:
		break;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1 ||
	    (fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return NULL;
	}
	return fp;
}

/* One file; 1 when found, with out filled. */
static int
authkeys_scan(const char *path, const char *user,
    const struct authkeys_acct *acct, const ssh_key key,
    const struct cert *cert, const char *ip, struct authkey_match *out)
{
	char *line = NULL, *cp, loc[256];
	size_t linesize = 0;
	unsigned long lineno = 0, nonblank = 0;
	int found = 0, r;
	FILE *fp;

	log_debug("trying public key file %s", path);
	if ((fp = authkeys_open(path, user, acct, "keys")) == NULL)
		return 0;
	/* As sshd, read to the end even after a match. */
	while (getline(&line, &linesize, fp) != -1) {
		lineno++;
		if (found)
			continue;
		line[strcspn(line, "\r\n")] = '\0';
		cp = line + strspn(line, " \t");
		if (*cp == '\0' || *cp == '#')
			continue;
		nonblank++;
		snprintf(loc, sizeof(loc), "%.200s:%lu", path, lineno);
		if ((r = authkeys_check_line(cp, loc, user, key, cert, ip,
		    &out->am_opts)) == 1) {
			found = 1;
			str_lcpy(out->am_file, path, sizeof(out->am_file));
			out->am_line = (int)lineno;
		} else if (r == -1)
			out->am_cert_refused = 1;
	}
	log_debug2("auth_check_authkeys_file: %s: processed %lu/%lu lines",
	    path, nonblank, lineno);
	free(line);
	fclose(fp);
	return found;
}

int
authkeys_find_home(char *const *patterns, int npatterns, const char *user,
    const char *home, const ssh_key key, const char *client_ip,
    struct authkey_match *out)
{
	struct authkeys_acct acct;

	memset(&acct, 0, sizeof(acct));
	acct.aa_home = home;
	return authkeys_find_acct(patterns, npatterns, user, &acct, key,
	    NULL, client_ip, out);
}

int
authkeys_find_acct(char *const *patterns, int npatterns, const char *user,
    const struct authkeys_acct *acct, const ssh_key key,
    const struct cert *cert, const char *client_ip,
    struct authkey_match *out)
{
	const char *home = acct->aa_home;
	char path[PATH_MAX];
	int i, found = 0;

	memset(out, 0, sizeof(*out));
	if (key == NULL || ssh_key_is_public(key) == 0)
		return 0;
	/* A certificate's key is not a plain key of the table. */
	if (cert == NULL && authkeys_type_short(ssh_key_type(key)) == NULL)
		return 0;
	for (i = 0; i < npatterns && !found; i++) {
		if (strcasecmp(patterns[i], "none") == 0)
			continue;
		if (authkeys_expand_path(patterns[i], user, home, path,
		    sizeof(path)) == -1) {
			log_debug2("%s: %s: nothing to expand for user %.100s",
			    __func__, patterns[i], user);
			continue;
		}
		found = authkeys_scan(path, user, acct, key, cert, client_ip,
		    out);
	}
	return found;
}

int
authkeys_find(char *const *patterns, int npatterns, const char *user,
    const ssh_key key, const char *client_ip, struct authkey_match *out)
{
	char *home = authkeys_user_home(patterns, npatterns, user);
	int found;

	found = authkeys_find_home(patterns, npatterns, user, home, key,
	    client_ip, out);
	free(home);
	return found;
}

int
authkeys_find_text(const char *text, size_t len, const char *loc_name,
    const char *src, const char *user, const ssh_key key,
    const struct cert *cert, const char *client_ip,
    struct authkey_match *out)
{
	char *copy, *line, *next, *cp, loc[256];
	unsigned long lineno = 0, nonblank = 0;
	int found = 0, r;

	memset(out, 0, sizeof(*out));
	if (key == NULL || ssh_key_is_public(key) == 0 ||
	    (cert == NULL && authkeys_type_short(ssh_key_type(key)) == NULL))
		return 0;
	/* A NUL in the output ends its line, as fgets would see it. */
	copy = xmalloc(len + 1);
	memcpy(copy, text, len);
	copy[len] = '\0';
	for (line = copy; !found && line < copy + len; line = next) {
		next = line + strcspn(line, "\n");
		if (next < copy + len)
			*next++ = '\0';
		else
			next = copy + len;
		lineno++;
		line[strcspn(line, "\r")] = '\0';
		cp = line + strspn(line, " \t");
		if (*cp == '\0' || *cp == '#')
			continue;
		nonblank++;
		snprintf(loc, sizeof(loc), "%.200s:%lu", loc_name, lineno);
		if ((r = authkeys_check_line(cp, loc, user, key, cert,
		    client_ip, &out->am_opts)) == 1) {
			found = 1;
			str_lcpy(out->am_file, src, sizeof(out->am_file));
			out->am_line = (int)lineno;
		} else if (r == -1)
			out->am_cert_refused = 1;
	}
	log_debug2("auth_check_authkeys_file: %s: processed %lu/%lu lines",
	    loc_name, nonblank, lineno);
	free(copy);
	return found;
}

void
authkeys_match_free(struct authkey_match *m)
{
	authkeys_opts_free(&m->am_opts);
	memset(m, 0, sizeof(*m));
}
