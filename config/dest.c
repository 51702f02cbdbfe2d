/*
 * dest.c: the forwarding-policy directives, from text to settings.
 *
 * Two grammars live here.  PermitOpen entries are sshd's, checked the way
 * servconf.c does (hpdelim, cleanhostname, permitopen_port) so that a
 * line sshd accepts means the same here.  PermitDestination and
 * DenyDestination rules are jumpgate's own, for what sshd cannot say:
 * globs over names and CIDR blocks over the addresses a name resolves to.
 *
 * The entry parsers are fuzz targets, so they take any bytes: lengths
 * are bounded before anything is copied, nothing recurses, and on error
 * nothing stays allocated.  The directive code around them (first value
 * wins for PermitOpen, accumulation for the rule lists) is here too so
 * that config.c stays a reader of lines.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "str.h"

/* Longest entry or rule taken; sshd's NI_MAXHOST plus room for a port. */
#define DEST_TEXT_MAX	1100
/* Longest DNS name, without the trailing dot; globs are held to it too. */
#define DEST_NAME_MAX	253
/* Entries per PermitOpen line, as authorized_keys allows per key. */
#define DEST_MAX_OPEN	AUTHKEYS_MAX_PERMITOPEN
/* Rules per section: far beyond any sane config, bounds the arrays. */
#define DEST_MAX_RULES	4096

static int	dest_fail(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	dest_number(const char *, size_t, long, long *);
static int	dest_ports(const char *, int *, int *);
static int	dest_name_ok(const char *);
static void	dest_unmap(struct dest_rule *);

static int
dest_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Digits only (no sign, no blanks), at most maxdigits, up to max. */
static int
dest_number(const char *s, size_t maxdigits, long max, long *out)
{
	size_t i;
	long v = 0;

	for (i = 0; s[i] != '\0'; i++) {
		if (i >= maxdigits || s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (i == 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

/* "N", "N-M" with N <= M, or "*" for every port; 0 is a port here. */
static int
dest_ports(const char *s, int *lo, int *hi)
{
	char buf[16], *dash;
	long a, b;

	if (strcmp(s, "*") == 0) {
		*lo = 0;
		*hi = 65535;
		return 0;
	}
	if (str_lcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		return -1;
	if ((dash = strchr(buf, '-')) != NULL)
		*dash++ = '\0';
	if (dest_number(buf, 5, 65535, &a) == -1)
		return -1;
	b = a;
	if (dash != NULL && (dest_number(dash, 5, 65535, &b) == -1 || b < a))
		return -1;
	*lo = (int)a;
	*hi = (int)b;
	return 0;
}

/*
 * A host name or a glob over one: letters, digits, '-', '_', '.', and
 * the wildcards.  Anything else (blanks, brackets, '/', ',', '!') can
 * only be a typo, and would otherwise be a rule that never matches.
 */
static int
dest_name_ok(const char *s)
{
	const char *p;

	if (*s == '\0' || strlen(s) > DEST_NAME_MAX)
		return 0;
	for (p = s; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("-_.*?", *p) == NULL)
			return 0;
	return 1;
}

/* ::ffff:a.b.c.d/len (len >= 96) is the IPv4 rule a.b.c.d/(len - 96). */
static void
dest_unmap(struct dest_rule *dr)
{
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	if (dr->dr_family != AF_INET6 || dr->dr_prefix < 96 ||
	    memcmp(dr->dr_addr, mapped, sizeof(mapped)) != 0)
		return;
	memmove(dr->dr_addr, dr->dr_addr + 12, 4);
	memset(dr->dr_addr + 4, 0, 12);
	dr->dr_family = AF_INET;
	dr->dr_prefix -= 96;
}

int
config_parse_permitopen(const char *s, struct permit_entry *out, char *err,
    size_t errlen)
{
	char buf[DEST_TEXT_MAX + 1], *host, *port = NULL, *p;
	long v;

	memset(out, 0, sizeof(*out));
	if (s == NULL || strlen(s) > DEST_TEXT_MAX)
		return dest_fail(err, errlen, "missing host");
	memcpy(buf, s, strlen(s) + 1);

	/*
	 * sshd's hpdelim(): a bracketed host runs to the ']', anything else
	 * to the first ':'.  A '/' (which authorized_keys would take) or
	 * junk after the ']' leaves no host.
	 */
	host = buf;
	if (*buf == '[') {
		if ((p = strchr(buf, ']')) == NULL)
			return dest_fail(err, errlen, "missing host");
		p++;
	} else
		p = buf + strcspn(buf, ":/");
	if (*p == ':') {
		*p = '\0';
		port = p + 1;
	} else if (*p != '\0')
		return dest_fail(err, errlen, "missing host");
	if (port == NULL)
		return dest_fail(err, errlen, "bad port number");
	/* cleanhostname(): strip the brackets. */
	if (*host == '[' && host[strlen(host) - 1] == ']') {
		host[strlen(host) - 1] = '\0';
		host++;
	}
	/* sshd would keep an empty host, which no request can name. */
	if (*host == '\0')
		return dest_fail(err, errlen, "missing host");
	/*
	 * permitopen_port(): "*" or 1-65535.  sshd also looks service names
	 * up, then fails on them in its sandboxed child (spec 3.3); refusing
	 * them here says so at load time.
	 */
	if (strcmp(port, "*") == 0)
		out->pe_port = AUTHKEYS_PERMIT_ANY_PORT;
	else if (dest_number(port, 5, 65535, &v) == -1 || v == 0)
		return dest_fail(err, errlen, "bad port number");
	else
		out->pe_port = (int)v;
	out->pe_host = xstrdup(host);
	return 0;
}

int
config_parse_dest(const char *s, int deny, struct dest_rule *out, char *err,
    size_t errlen)
{
	char buf[DEST_TEXT_MAX + 1], *host, *ports, *p, *slash;
	int bracket = 0, max, i;
	long len;

	memset(out, 0, sizeof(*out));
	out->dr_deny = deny;
	if (s == NULL || *s == '\0')
		return dest_fail(err, errlen, "missing host");
	if (strlen(s) > DEST_TEXT_MAX)
		return dest_fail(err, errlen, "rule too long");
	memcpy(buf, s, strlen(s) + 1);

	/* "[v6[/len]]:ports", else "host:ports" split at the first ':'. */
	if (*buf == '[') {
		if ((p = strchr(buf, ']')) == NULL)
			return dest_fail(err, errlen, "missing \"]\"");
		*p++ = '\0';
		if (*p != ':')
			return dest_fail(err, errlen, "missing port");
		host = buf + 1;
		ports = p + 1;
		bracket = 1;
	} else {
		if ((ports = strchr(buf, ':')) == NULL)
			return dest_fail(err, errlen, "missing port");
		*ports++ = '\0';
		host = buf;
	}
	if (*host == '\0')
		return dest_fail(err, errlen, "missing host");
	if (dest_ports(ports, &out->dr_port_lo, &out->dr_port_hi) == -1)
		return dest_fail(err, errlen, "bad port range");

	if ((slash = strchr(host, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, host, out->dr_addr) == 1)
		out->dr_family = AF_INET;
	else if (inet_pton(AF_INET6, host, out->dr_addr) == 1)
		out->dr_family = AF_INET6;

	if (out->dr_family == 0) {
		/* Brackets and masks belong to addresses only. */
		if (bracket || slash != NULL)
			return dest_fail(err, errlen, "bad address");
		for (p = host; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		/* "db.example." and "db.example" name the same host. */
		if (p > host && p[-1] == '.')
			p[-1] = '\0';
		if (!dest_name_ok(host))
			return dest_fail(err, errlen, "bad host name");
		out->dr_kind = DEST_NAME;
		out->dr_host = xstrdup(host);
		out->dr_text = xstrdup(s);
		return 0;
	}

	if (out->dr_family == AF_INET && bracket)
		return dest_fail(err, errlen, "brackets are for IPv6 "
		    "addresses");
	max = out->dr_family == AF_INET ? 32 : 128;
	len = max;
	if (slash != NULL && dest_number(slash, 3, max, &len) == -1)
		return dest_fail(err, errlen, "bad prefix length");
	out->dr_prefix = (int)len;
	/* 10.1.2.3/8 is almost surely a typo for 10.0.0.0/8 or a /32. */
	for (i = out->dr_prefix; i < max; i++)
		if (out->dr_addr[i / 8] & (0x80 >> (i % 8)))
			return dest_fail(err, errlen, "host bits set beyond "
			    "/%d", out->dr_prefix);
	dest_unmap(out);
	out->dr_kind = DEST_ADDR;
	out->dr_text = xstrdup(s);
	return 0;
}

void
config_dest_free(struct dest_rule *dr)
{
	if (dr == NULL)
		return;
	free(dr->dr_host);
	free(dr->dr_text);
	dr->dr_host = dr->dr_text = NULL;
}

/* ----- the settings a section holds --------------------------------- */

void
config_policy_init(struct policy_settings *ps)
{
	memset(ps, 0, sizeof(*ps));
	ps->ps_allow_tcp = -1;
	ps->ps_disable = -1;
	ps->ps_deny_special = -1;
}

static void
config_rules_free(struct dest_rule *dr, int n)
{
	int i;

	for (i = 0; i < n; i++)
		config_dest_free(&dr[i]);
	free(dr);
}

void
config_policy_free(struct policy_settings *ps)
{
	authkeys_permits_free(ps->ps_permitopen, ps->ps_npermitopen);
	config_rules_free(ps->ps_permit, ps->ps_npermit);
	config_rules_free(ps->ps_deny, ps->ps_ndeny);
	config_policy_init(ps);
}

static const struct {
	const char	*fw_name;
	int		 fw_value;
} config_fwd_values[] = {
	{ "yes", POLICY_FWD_ALL }, { "all", POLICY_FWD_ALL },
	{ "local", POLICY_FWD_LOCAL }, { "remote", POLICY_FWD_REMOTE },
	{ "no", POLICY_FWD_NO },
};

/* PermitOpen: the whole line is checked, then kept only if first. */
static int
config_permitopen_line(struct policy_settings *ps, char **av, int ac,
    const char *where, const char *kw, const char *src, char *err,
    size_t errlen)
{
	struct permit_entry *pe;
	char why[128];
	int i, none = 0;

	if (ac > DEST_MAX_OPEN)
		return dest_fail(err, errlen, "%s: %s: too many entries "
		    "(max %d)", where, kw, DEST_MAX_OPEN);
	/* "any" and "none" are keywords only as written, and alone. */
	for (i = 0; i < ac; i++)
		if ((strcmp(av[i], "any") == 0 || strcmp(av[i], "none") == 0)
		    && ac > 1)
			return dest_fail(err, errlen, "%s: %s: \"%s\" argument "
			    "must appear alone", where, kw, av[i]);
	if (strcmp(av[0], "any") == 0 || (none = strcmp(av[0], "none") == 0))
		ac = 0;
	pe = xcalloc((size_t)ac + 1, sizeof(*pe));
	for (i = 0; i < ac; i++) {
		if (config_parse_permitopen(av[i], &pe[i], why,
		    sizeof(why)) == -1) {
			authkeys_permits_free(pe, i);
			return dest_fail(err, errlen, "%s: %s: %s", where, kw,
			    why);
		}
	}
	if (ps->ps_permitopen_set) {
		authkeys_permits_free(pe, ac);
		return 0;
	}
	ps->ps_permitopen_set = 1;
	ps->ps_permitopen_none = none;
	ps->ps_permitopen = pe;
	ps->ps_npermitopen = ac;
	ps->ps_permitopen_src = src;
	return 0;
}

/* PermitDestination, DenyDestination: every line adds its rules. */
static int
config_rules_line(struct policy_settings *ps, int deny, char **av, int ac,
    const char *file, int line, const char *where, const char *kw,
    char *err, size_t errlen)
{
	struct dest_rule **list = deny ? &ps->ps_deny : &ps->ps_permit;
	int *n = deny ? &ps->ps_ndeny : &ps->ps_npermit;
	struct dest_rule dr;
	char why[128];
	int i;

	if (ac > DEST_MAX_RULES - *n)
		return dest_fail(err, errlen, "%s: %s: too many rules (max %d)",
		    where, kw, DEST_MAX_RULES);
	/* All or nothing: a bad rule leaves the section as it was. */
	for (i = 0; i < ac; i++) {
		if (config_parse_dest(av[i], deny, &dr, why,
		    sizeof(why)) == -1)
			return dest_fail(err, errlen, "%s: %s: %s \"%s\"",
			    where, kw, why, av[i]);
		config_dest_free(&dr);
	}
	*list = xreallocarray(*list, (size_t)(*n + ac), sizeof(**list));
	for (i = 0; i < ac; i++) {
		config_parse_dest(av[i], deny, &(*list)[*n], NULL, 0);
		(*list)[*n].dr_file = file;
		(*list)[*n].dr_line = line;
		(*n)++;
	}
	return 0;
}

int
config_policy_parse(struct policy_settings *ps, const char *kw, char **av,
    int ac, const char *file, int line, const char *src, char *err,
    size_t errlen)
{
	char where[CONFIG_ERR_MAX];
	size_t i;
	int v = -1, *dst = NULL;
	const char **dsrc = NULL;

	/* The same "NAME:LINE: Keyword: ..." shape as config.c's errors. */
	snprintf(where, sizeof(where), "%s:%d", file, line);
	if (ac == 0 || av[0][0] == '\0')
		return dest_fail(err, errlen, "%s: %s: missing argument",
		    where, kw);
	if (strcasecmp(kw, "PermitOpen") == 0)
		return config_permitopen_line(ps, av, ac, where, kw, src, err,
		    errlen);
	if (strcasecmp(kw, "PermitDestination") == 0 ||
	    strcasecmp(kw, "DenyDestination") == 0)
		return config_rules_line(ps, strcasecmp(kw,
		    "DenyDestination") == 0, av, ac, file, line, where, kw, err,
		    errlen);

	if (ac > 1)
		return dest_fail(err, errlen, "%s: %s: extra arguments at end "
		    "of line", where, kw);
	if (strcasecmp(kw, "AllowTcpForwarding") == 0) {
		for (i = 0; i < sizeof(config_fwd_values) /
		    sizeof(config_fwd_values[0]); i++)
			if (strcasecmp(av[0], config_fwd_values[i].fw_name) == 0)
				v = config_fwd_values[i].fw_value;
		dst = &ps->ps_allow_tcp;
		dsrc = &ps->ps_allow_tcp_src;
	} else {
		v = config_yesno(av[0]);
		if (strcasecmp(kw, "DisableForwarding") == 0) {
			dst = &ps->ps_disable;
			dsrc = &ps->ps_disable_src;
		} else {
			dst = &ps->ps_deny_special;
			dsrc = &ps->ps_deny_special_src;
		}
	}
	if (v == -1)
		return dest_fail(err, errlen, "%s: %s: unsupported option "
		    "\"%s\"", where, kw, av[0]);
	if (*dst == -1) {
		*dst = v;
		*dsrc = src;
	}
	return 0;
}

/* The policy lines of -T and -T -C, defaults filled in. */
void
config_policy_dump(const struct policy_settings *ps, int fd)
{
	static const char *const fwd[] = { "yes", "local", "remote", "no" };
	char entry[DEST_TEXT_MAX + 16];
	int i;

	dprintf(fd, "allowtcpforwarding %s\n", ps->ps_allow_tcp >= 0 &&
	    ps->ps_allow_tcp <= POLICY_FWD_NO ? fwd[ps->ps_allow_tcp] : "yes");
	dprintf(fd, "disableforwarding %s\n", ps->ps_disable == 1 ? "yes" :
	    "no");
	dprintf(fd, "permitopen");
	if (ps->ps_permitopen_set && ps->ps_permitopen_none)
		dprintf(fd, " none");
	else if (ps->ps_npermitopen == 0)
		dprintf(fd, " any");
	for (i = 0; i < ps->ps_npermitopen; i++) {
		authkeys_permit_format(&ps->ps_permitopen[i], entry,
		    sizeof(entry));
		dprintf(fd, " %s", entry);
	}
	dprintf(fd, "\n");
	/* As sshd's list options: no line at all when the list is empty. */
	if (ps->ps_npermit > 0) {
		dprintf(fd, "permitdestination");
		for (i = 0; i < ps->ps_npermit; i++)
			dprintf(fd, " %s", ps->ps_permit[i].dr_text);
		dprintf(fd, "\n");
	}
	if (ps->ps_ndeny > 0) {
		dprintf(fd, "denydestination");
		for (i = 0; i < ps->ps_ndeny; i++)
			dprintf(fd, " %s", ps->ps_deny[i].dr_text);
		dprintf(fd, "\n");
	}
	dprintf(fd, "denyspecialdestinations %s\n", ps->ps_deny_special == 0 ?
	    "no" : "yes");
}
