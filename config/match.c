/*
 * match.c: Match blocks, and the policy they leave for one connection.
 *
 * sshd reads its file twice: once at start-up, checking Match lines for
 * syntax only, and once per connection, applying the blocks whose
 * criteria hold to a fresh set of options that then overrides the global
 * ones (match_cfg_line, parse_server_match_config,
 * copy_set_server_options).  jumpgate parses once and keeps each block
 * with the settings it made, so the per-connection pass is a walk over
 * the blocks in file order.  The outcome is the same: for each setting
 * the first applying block that sets it wins, else the global value.
 *
 * Criteria are matched as sshd does: User with its case-sensitive
 * pattern lists, Address and LocalAddress with addr_match_list (CIDR
 * first, glob otherwise, a negated hit vetoes), LocalPort as one number.
 * The lists are pattern.c's, the same ones authorized_keys from= uses.
 * Criteria jumpgate cannot evaluate (Group, Host, RDomain, ...) are an
 * error, never a silent "no match".
 *
 * The -T output is here too, because -T -C is the same listing with the
 * Match blocks applied for one connection.
 */
#include <sys/socket.h>

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "log.h"
#include "pattern.h"
#include "str.h"

static const struct {
	const char		*mk_name;
	enum config_match_kind	 mk_kind;
} match_kinds[] = {
	{ "User", CONFIG_MATCH_USER },
	{ "Address", CONFIG_MATCH_ADDRESS },
	{ "LocalAddress", CONFIG_MATCH_LOCALADDRESS },
	{ "LocalPort", CONFIG_MATCH_LOCALPORT },
	/* jumpgate's own: the certificate's principal that logged in. */
	{ "Principal", CONFIG_MATCH_PRINCIPAL },
};

/* sshd takes these as "name=value" too (match_cfg_line). */
static const char *const match_eq_forms[] = {
	"user=", "group=", "host=", "address=", "localaddress=",
	"localport=", "rdomain=", "version=",
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static int	match_fail(char *, size_t, const char *, int, const char *,
		    ...) __attribute__((format(printf, 5, 6)));
static int	match_port(const char *, int *);
static void	config_dump_with(const struct config *,
		    const struct config_conninfo *,
		    const struct policy_settings *, const struct config_login *,
		    int);

static int
match_fail(char *err, size_t errlen, const char *file, int line,
    const char *fmt, ...)
{
	char msg[CONFIG_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s:%d: %s", file, line, msg);
	return -1;
}

/* sshd's a2port() without service names: 0 to 65535. */
static int
match_port(const char *s, int *port)
{
	size_t n = strspn(s, "0123456789");
	long v;

	if (n == 0 || n > 5 || s[n] != '\0')
		return -1;
	if ((v = strtol(s, NULL, 10)) > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

void
config_match_free(struct config_match *cm)
{
	int i;

	for (i = 0; i < cm->cm_ncrit; i++)
		free(cm->cm_crit[i].mc_patterns);
	free(cm->cm_crit);
	free(cm->cm_text);
	config_policy_free(&cm->cm_policy);
	config_login_free(&cm->cm_login);
	memset(cm, 0, sizeof(*cm));
}

/* The criterion named by attr, -1 if jumpgate has none by that name. */
static int
match_kind(const char *attr)
{
	size_t i;

	for (i = 0; i < NITEMS(match_kinds); i++)
		if (strcasecmp(attr, match_kinds[i].mk_name) == 0)
			return (int)match_kinds[i].mk_kind;
	return -1;
}

/*
 * Checks one criterion's argument as sshd does at start-up, where every
 * Match line is read without a connection.
 */
static int
match_check(enum config_match_kind kind, const char *arg, const char *file,
    int line, char *err, size_t errlen)
{
	int port;

	switch (kind) {
	case CONFIG_MATCH_ADDRESS:
	case CONFIG_MATCH_LOCALADDRESS:
		if (pattern_addr_list(NULL, arg, 0) != 0)
			return match_fail(err, errlen, file, line, "Invalid "
			    "Match %s argument '%s'", kind ==
			    CONFIG_MATCH_ADDRESS ? "address" : "localaddress",
			    arg);
		break;
	case CONFIG_MATCH_LOCALPORT:
		if (match_port(arg, &port) == -1)
			return match_fail(err, errlen, file, line, "Bad Match "
			    "condition: Invalid LocalPort '%s' on Match line",
			    arg);
		break;
	default:
		break;
	}
	return 0;
}

int
config_match_parse(struct config *cf, char **av, int ac, const char *file,
    int line, char *err, size_t errlen)
{
	struct config_match cm;
	char *attr = NULL, *arg, *eq;
	size_t i, textlen = 1;
	int n, kind;

	memset(&cm, 0, sizeof(cm));
	config_policy_init(&cm.cm_policy);
	config_login_init(&cm.cm_login);
	cm.cm_file = file;
	cm.cm_line = line;
	cm.cm_crit = xcalloc((size_t)ac + 1, sizeof(*cm.cm_crit));
	for (n = 0; n < ac; n++) {
		free(attr);
		attr = xstrdup(av[n]);
		/* "All" takes no argument and must stand alone. */
		if (strcasecmp(attr, "all") == 0) {
			if (cm.cm_ncrit > 0 || n + 1 < ac) {
				match_fail(err, errlen, file, line, "Bad Match "
				    "condition: 'all' cannot be combined with "
				    "other Match attributes");
				goto fail;
			}
			cm.cm_crit[cm.cm_ncrit].mc_kind = CONFIG_MATCH_ALL;
			cm.cm_crit[cm.cm_ncrit++].mc_patterns = xstrdup("");
			continue;
		}
		if (strcasecmp(attr, "invalid-user") == 0) {
			match_fail(err, errlen, file, line, "Bad Match "
			    "condition: Unsupported Match attribute %s", attr);
			goto fail;
		}
		arg = NULL;
		for (i = 0; i < NITEMS(match_eq_forms); i++)
			if (strncasecmp(attr, match_eq_forms[i],
			    strlen(match_eq_forms[i])) == 0) {
				eq = strchr(attr, '=');
				*eq = '\0';
				arg = eq + 1;
				break;
			}
		if (i == NITEMS(match_eq_forms) && n + 1 < ac)
			arg = av[++n];
		/* sshd asks for the argument before it knows the name. */
		if (arg == NULL || *arg == '\0') {
			match_fail(err, errlen, file, line, "Bad Match "
			    "condition: Missing Match criteria for %s", attr);
			goto fail;
		}
		if ((kind = match_kind(attr)) == -1) {
			match_fail(err, errlen, file, line, "Bad Match "
			    "condition: Unsupported Match attribute %s", attr);
			goto fail;
		}
		if (match_check(kind, arg, file, line, err, errlen) == -1)
			goto fail;
		cm.cm_crit[cm.cm_ncrit].mc_kind = kind;
		cm.cm_crit[cm.cm_ncrit++].mc_patterns = xstrdup(arg);
	}
	if (cm.cm_ncrit == 0) {
		match_fail(err, errlen, file, line, "Bad Match condition: One "
		    "or more attributes required for Match");
		goto fail;
	}
	free(attr);
	for (n = 0; n < ac; n++)
		textlen += strlen(av[n]) + 1;
	cm.cm_text = xcalloc(1, textlen);
	for (n = 0; n < ac; n++) {
		if (n > 0)
			strcat(cm.cm_text, " ");
		strcat(cm.cm_text, av[n]);
	}
	cf->c_matches = xreallocarray(cf->c_matches,
	    (size_t)cf->c_nmatches + 1, sizeof(*cf->c_matches));
	cf->c_matches[cf->c_nmatches++] = cm;
	return 0;
fail:
	free(attr);
	config_match_free(&cm);
	return -1;
}

int
config_match_has_principal(const struct config_match *cm)
{
	int i;

	for (i = 0; i < cm->cm_ncrit; i++)
		if (cm->cm_crit[i].mc_kind == CONFIG_MATCH_PRINCIPAL)
			return 1;
	return 0;
}

int
config_match_applies(const struct config_match *cm,
    const struct config_conninfo *ci)
{
	const struct config_match_crit *mc;
	int i, port;

	for (i = 0; i < cm->cm_ncrit; i++) {
		mc = &cm->cm_crit[i];
		switch (mc->mc_kind) {
		case CONFIG_MATCH_ALL:
			break;
		case CONFIG_MATCH_USER:
			/* Before authentication there is no user to match. */
			if (ci == NULL || ci->ci_user == NULL ||
			    pattern_match_list(ci->ci_user,
			    mc->mc_patterns, 0) != 1)
				return 0;
			log_debug("user %.100s matched 'User %.100s' at line "
			    "%d", ci->ci_user, mc->mc_patterns, cm->cm_line);
			break;
		case CONFIG_MATCH_ADDRESS:
			if (ci == NULL || ci->ci_addr == NULL ||
			    pattern_addr_list(ci->ci_addr, mc->mc_patterns,
			    0) != 1)
				return 0;
			log_debug("connection from %.100s matched 'Address "
			    "%.100s' at line %d", ci->ci_addr,
			    mc->mc_patterns, cm->cm_line);
			break;
		case CONFIG_MATCH_LOCALADDRESS:
			if (ci == NULL || ci->ci_laddr == NULL ||
			    pattern_addr_list(ci->ci_laddr,
			    mc->mc_patterns, 0) != 1)
				return 0;
			log_debug("connection from %.100s matched "
			    "'LocalAddress %.100s' at line %d", ci->ci_laddr,
			    mc->mc_patterns, cm->cm_line);
			break;
		case CONFIG_MATCH_PRINCIPAL:
			/*
			 * Known once a certificate authenticated: never
			 * before, never for a plain key.
			 */
			if (ci == NULL || ci->ci_principal == NULL ||
			    pattern_match_list(ci->ci_principal,
			    mc->mc_patterns, 0) != 1)
				return 0;
			log_debug("principal %.100s matched 'Principal %.100s' "
			    "at line %d", ci->ci_principal, mc->mc_patterns,
			    cm->cm_line);
			break;
		case CONFIG_MATCH_LOCALPORT:
			if (ci == NULL || ci->ci_lport <= 0 ||
			    match_port(mc->mc_patterns, &port) == -1 ||
			    port != ci->ci_lport)
				return 0;
			log_debug("connection from %.100s matched 'LocalPort "
			    "%d' at line %d", ci->ci_laddr != NULL ?
			    ci->ci_laddr : "(null)", port, cm->cm_line);
			break;
		default:
			return 0;
		}
	}
	return cm->cm_ncrit > 0;
}

void
config_effective_policy(const struct config *cf,
    const struct config_conninfo *ci, struct policy_settings *out)
{
	const struct policy_settings *g = &cf->c_policy, *m;
	int i, got_allow = 0, got_disable = 0, got_special = 0;
	int got_open = 0, got_permit = 0;

	*out = *g;
	/* Denials only add up, so the list is always a fresh copy. */
	out->ps_deny = NULL;
	out->ps_ndeny = 0;
	if (g->ps_ndeny > 0) {
		out->ps_deny = xreallocarray(NULL, (size_t)g->ps_ndeny,
		    sizeof(*out->ps_deny));
		memcpy(out->ps_deny, g->ps_deny, (size_t)g->ps_ndeny *
		    sizeof(*out->ps_deny));
		out->ps_ndeny = g->ps_ndeny;
	}
	for (i = 0; i < cf->c_nmatches; i++) {
		if (!config_match_applies(&cf->c_matches[i], ci))
			continue;
		m = &cf->c_matches[i].cm_policy;
		if (!got_allow && m->ps_allow_tcp != -1) {
			out->ps_allow_tcp = m->ps_allow_tcp;
			out->ps_allow_tcp_src = m->ps_allow_tcp_src;
			got_allow = 1;
		}
		if (!got_disable && m->ps_disable != -1) {
			out->ps_disable = m->ps_disable;
			out->ps_disable_src = m->ps_disable_src;
			got_disable = 1;
		}
		if (!got_special && m->ps_deny_special != -1) {
			out->ps_deny_special = m->ps_deny_special;
			out->ps_deny_special_src = m->ps_deny_special_src;
			got_special = 1;
		}
		if (!got_open && m->ps_permitopen_set) {
			out->ps_permitopen_set = 1;
			out->ps_permitopen_none = m->ps_permitopen_none;
			out->ps_permitopen = m->ps_permitopen;
			out->ps_npermitopen = m->ps_npermitopen;
			out->ps_permitopen_src = m->ps_permitopen_src;
			got_open = 1;
		}
		/* A block's PermitDestination list replaces, not extends. */
		if (!got_permit && m->ps_npermit > 0) {
			out->ps_permit = m->ps_permit;
			out->ps_npermit = m->ps_npermit;
			got_permit = 1;
		}
		if (m->ps_ndeny > 0) {
			out->ps_deny = xreallocarray(out->ps_deny,
			    (size_t)out->ps_ndeny + (size_t)m->ps_ndeny,
			    sizeof(*out->ps_deny));
			memcpy(out->ps_deny + out->ps_ndeny, m->ps_deny,
			    (size_t)m->ps_ndeny * sizeof(*out->ps_deny));
			out->ps_ndeny += m->ps_ndeny;
		}
	}
}

void
config_policy_release(struct policy_settings *ps)
{
	if (ps == NULL)
		return;
	free(ps->ps_deny);
	ps->ps_deny = NULL;
	ps->ps_ndeny = 0;
}

/* "key=" when s starts with it: the value, else NULL. */
static char *
match_spec_value(char *s, const char *key)
{
	size_t len = strlen(key);

	return strncmp(s, key, len) == 0 ? s + len : NULL;
}

int
config_parse_conninfo(char *spec, struct config_conninfo *ci,
    const char **keyfile, char *err, size_t errlen)
{
	struct pattern_addr a;
	char *p, *next, *v;

	memset(ci, 0, sizeof(*ci));
	if (keyfile != NULL)
		*keyfile = NULL;
	if (spec == NULL || *spec == '\0') {
		snprintf(err, errlen, "empty connection test specification");
		return -1;
	}
	/* sshd's parse_server_match_testspec(): keys are case-sensitive. */
	for (next = spec; (p = next) != NULL; ) {
		if ((next = strchr(p, ',')) != NULL)
			*next++ = '\0';
		if ((v = match_spec_value(p, "user=")) != NULL)
			ci->ci_user = v;
		else if ((v = match_spec_value(p, "principal=")) != NULL)
			ci->ci_principal = v;
		else if ((v = match_spec_value(p, "addr=")) != NULL ||
		    (v = match_spec_value(p, "laddr=")) != NULL) {
			/* A typo here would silently match nothing. */
			if (pattern_addr_pton(v, &a, 0) == -1) {
				snprintf(err, errlen, "Invalid address '%s' in "
				    "test mode specification %s", v, p);
				return -1;
			}
			if (*p == 'a')
				ci->ci_addr = v;
			else
				ci->ci_laddr = v;
		} else if ((v = match_spec_value(p, "lport=")) != NULL) {
			if (match_port(v, &ci->ci_lport) == -1) {
				snprintf(err, errlen, "Invalid port '%s' in "
				    "test mode specification %s", v, p);
				return -1;
			}
		} else if ((v = match_spec_value(p, "key=")) != NULL &&
		    keyfile != NULL && *v != '\0')
			*keyfile = v;
		else if (match_spec_value(p, "host=") == NULL &&
		    match_spec_value(p, "rdomain=") == NULL) {
			/* host= and rdomain= are sshd's; no criterion uses them. */
			snprintf(err, errlen, "Invalid test mode specification "
			    "%s", p);
			return -1;
		}
	}
	return 0;
}

/* ----- -T and -T -C ------------------------------------------------- */

static void
config_dump_listen(const struct config_listen *cl, int port, int fd)
{
	if (strchr(cl->cl_host, ':') != NULL)
		dprintf(fd, "listenaddress [%s]:%d\n", cl->cl_host, port);
	else
		dprintf(fd, "listenaddress %s:%d\n", cl->cl_host, port);
}

/* A cap that may be "none" (INT_MAX). */
static void
config_dump_cap(int fd, const char *kw, int v)
{
	if (v == INT_MAX)
		dprintf(fd, "%s none\n", kw);
	else
		dprintf(fd, "%s %d\n", kw, v);
}

void
config_dump(const struct config *cf, int fd)
{
	config_dump_with(cf, NULL, &cf->c_policy, &cf->c_login, fd);
}

/* sshd -T -C: Match blocks applied for one connection. */
void
config_dump_conn(const struct config *cf, const struct config_conninfo *ci,
    int fd)
{
	struct policy_settings ps;
	struct config_login lg;

	config_effective_policy(cf, ci, &ps);
	config_effective_login(cf, ci, &lg);
	config_dump_with(cf, ci, &ps, &lg, fd);
	config_policy_release(&ps);
}

static void
config_dump_with(const struct config *cf, const struct config_conninfo *ci,
    const struct policy_settings *ps, const struct config_login *lg, int fd)
{
	int i, j;

	for (i = 0; i < cf->c_nports; i++)
		dprintf(fd, "port %d\n", cf->c_ports[i]);
	/* As sshd -T: an address without its own port is listed per Port. */
	for (i = 0; i < cf->c_nlisten; i++) {
		if (cf->c_listen[i].cl_port != 0)
			config_dump_listen(&cf->c_listen[i],
			    cf->c_listen[i].cl_port, fd);
		else
			for (j = 0; j < cf->c_nports; j++)
				config_dump_listen(&cf->c_listen[i],
				    cf->c_ports[j], fd);
	}
	dprintf(fd, "addressfamily %s\n", cf->c_address_family == AF_INET ?
	    "inet" : cf->c_address_family == AF_INET6 ? "inet6" : "any");
	dprintf(fd, "resolvconf %s\n", cf->c_resolv_conf);
	for (i = 0; i < cf->c_nhostkeys; i++)
		dprintf(fd, "hostkey %s\n", cf->c_hostkeys[i]);
	dprintf(fd, "authorizedkeysfile");
	for (i = 0; i < cf->c_nakfiles; i++)
		dprintf(fd, " %s", cf->c_akfiles[i]);
	dprintf(fd, "\n");
	akcmd_dump(&cf->c_akcmd, fd);
	certcfg_dump(&cf->c_certs, fd);
	dprintf(fd, "loglevel %s\n", log_level_name(cf->c_log_level));
	dprintf(fd, "syslogfacility %s\n",
	    log_facility_name(cf->c_syslog_facility));
	dprintf(fd, "pidfile %s\n", cf->c_pidfile ? cf->c_pidfile : "none");
	dprintf(fd, "user %s\n", cf->c_user ? cf->c_user : CONFIG_DEFAULT_USER);
	dprintf(fd, "logingracetime %d\n", cf->c_login_grace);
	dprintf(fd, "maxauthtries %d\n", cf->c_max_auth_tries);
	config_login_dump(lg, fd);
	config_access_dump(cf, ci, fd);
	dprintf(fd, "strictmodes %s\n", cf->c_strict_modes ? "yes" : "no");
	dprintf(fd, "usepam %s\n", cf->c_use_pam ? "yes" : "no");
	dprintf(fd, "maxstartups %d:%d:%d\n", cf->c_max_startups_begin,
	    cf->c_max_startups_rate, cf->c_max_startups);
	config_dump_cap(fd, "persourcemaxstartups", cf->c_persource_max);
	dprintf(fd, "persourcenetblocksize %d:%d\n", cf->c_persource_mask4,
	    cf->c_persource_mask6);
	config_dump_cap(fd, "maxchannelspersession", cf->c_max_chans_session);
	config_dump_cap(fd, "maxchannelsperuser", cf->c_max_chans_user);
	config_dump_cap(fd, "maxchannelspersource", cf->c_max_chans_source);
	config_dump_cap(fd, "maxpendingchannels", cf->c_max_pending);
	dprintf(fd, "statedirectory %s\n",
	    cf->c_state_dir ? cf->c_state_dir : "none");
	dprintf(fd, "workers %d\n", cf->c_workers);
	dprintf(fd, "jumpgatedemo %s\n", cf->c_demo == 1 ? "yes" : "no");
	dprintf(fd, "clientaliveinterval %d\n", cf->c_alive_interval);
	dprintf(fd, "clientalivecountmax %d\n", cf->c_alive_count_max);
	dprintf(fd, "tcpkeepalive %s\n", cf->c_tcp_keepalive ? "yes" : "no");
	dprintf(fd, "compression %s\n",
	    cf->c_compression == CONFIG_COMP_YES ? "yes" : "no");
	dprintf(fd, "rekeylimit %lld %d\n", cf->c_rekey_limit,
	    cf->c_rekey_interval);
	dprintf(fd, "channeltimeout");
	for (i = 0; i < cf->c_nchan_timeouts; i++)
		/* As written, like sshd -T. */
		dprintf(fd, " %s=%s", cf->c_chan_timeouts[i].ct_type,
		    cf->c_chan_timeouts[i].ct_type +
		    strlen(cf->c_chan_timeouts[i].ct_type) + 1);
	dprintf(fd, "%s\n", cf->c_nchan_timeouts > 0 ? "" : " none");
	if (cf->c_unused_timeout == 0)
		dprintf(fd, "unusedconnectiontimeout none\n");
	else
		dprintf(fd, "unusedconnectiontimeout %d\n",
		    cf->c_unused_timeout);
	dprintf(fd, "connecttimeout %d\n", cf->c_connect_timeout);
	dprintf(fd, "shutdowngracetime %d\n", cf->c_shutdown_grace);
	config_frontend_dump(cf, fd);
	for (i = 0; i < ALGOS_NKINDS; i++)
		dprintf(fd, "%s %s\n", algos_keyword(i),
		    config_algos(cf, i));
	config_policy_dump(ps, fd);
}
