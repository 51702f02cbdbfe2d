/*
 * config.c: reading jumpgate's configuration in sshd_config syntax.
 *
 * Operators are expected to start from an sshd_config they already have,
 * so every sshd keyword is known here and falls in one of three groups:
 * the few that jumpgate implements, those that mean nothing to a daemon
 * that only forwards TCP (accepted, noted once at debug level), and those
 * that restrict who may log in or where they may connect.  The last group
 * is refused outright until jumpgate enforces it: silently dropping a
 * restriction would leave an operator believing it is in force.
 *
 * This file reads lines and keeps the settings that are not per
 * connection.  The forwarding policy directives are parsed in dest.c,
 * Match lines and what they select in match.c, keepalives, timeouts and
 * transport settings in liveness.c.
 */
#include <sys/socket.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "addr.h"
#include "algos.h"
#include "config.h"
#include "log.h"
#include "str.h"
#include "version.h"

enum config_kind {
	CK_PORT,
	CK_LISTEN,
	CK_HOSTKEY,
	CK_AKFILE,
	CK_LOGLEVEL,
	CK_FACILITY,
	CK_PIDFILE,
	CK_USER,
	CK_GRACE,
	CK_MAXAUTH,
	CK_MAXSTARTUPS,
	CK_PERSOURCE,	/* PerSourceMaxStartups */
	CK_NETBLOCK,	/* PerSourceNetBlockSize */
	CK_CHANCAP,	/* jumpgate's channel caps: a number or none */
	CK_STATEDIR,
	CK_WORKERS,
	CK_DEMO,
	CK_STRICTMODES,
	CK_USEPAM,	/* which account checks apply: see README */
	CK_ADDRFAMILY,
	CK_RESOLVCONF,
	CK_ALGOS,	/* Ciphers, MACs, KexAlgorithms, HostKeyAlgorithms */
	CK_LIVENESS,	/* keepalives, timeouts, transport: liveness.c */
	CK_LIVENESS_M,	/* the same, and sshd allows it inside Match */
	CK_FRONTEND,	/* audit, admin listener, PROXY: frontend.c */
	CK_AKCMD,	/* AuthorizedKeysCommand and its kin: akcmd.c */
	CK_CERTS,	/* certificate logins: certcfg.c */
	CK_POLICY,	/* forwarding policy: dest.c, also inside Match */
	CK_LOGIN,	/* who may log in: login.c, also inside Match */
	CK_MATCH,
	CK_INCLUDE,	/* include.c, also inside Match */
	CK_IGNORE,	/* harmless whatever its value */
	CK_IGNORE_M,	/* the same, and sshd allows it inside Match */
	CK_REFUSE,	/* a restriction jumpgate does not enforce */
	CK_REFUSE_UNLESS,	/* refused unless its value restricts nothing */
};

struct config_keyword {
	const char		*ck_name;
	enum config_kind	 ck_kind;
	/* CK_REFUSE_UNLESS: the values (space-separated) that are no-ops. */
	const char		*ck_harmless;
};

#define IGN(name)	{ name, CK_IGNORE, NULL }
#define IGNM(name)	{ name, CK_IGNORE_M, NULL }

static const struct config_keyword config_keywords[] = {
	{ "Port", CK_PORT, NULL },
	{ "ListenAddress", CK_LISTEN, NULL },
	{ "HostKey", CK_HOSTKEY, NULL },
	{ "HostDSAKey", CK_HOSTKEY, NULL },	/* sshd's old alias */
	{ "AuthorizedKeysFile", CK_AKFILE, NULL },
	{ "AuthorizedKeysCommand", CK_AKCMD, NULL },
	{ "AuthorizedKeysCommandUser", CK_AKCMD, NULL },
	/* jumpgate's own: */
	{ "AuthorizedKeysCommandTimeout", CK_AKCMD, NULL },
	{ "AuthorizedKeysCommandCache", CK_AKCMD, NULL },
	{ "TrustedUserCAKeys", CK_CERTS, NULL },
	{ "AuthorizedPrincipalsFile", CK_CERTS, NULL },
	{ "RevokedKeys", CK_CERTS, NULL },
	{ "LogLevel", CK_LOGLEVEL, NULL },
	{ "SyslogFacility", CK_FACILITY, NULL },
	{ "PidFile", CK_PIDFILE, NULL },
	{ "User", CK_USER, NULL },		/* jumpgate's own */
	{ "LoginGraceTime", CK_GRACE, NULL },
	{ "MaxAuthTries", CK_MAXAUTH, NULL },
	{ "MaxStartups", CK_MAXSTARTUPS, NULL },
	{ "PerSourceMaxStartups", CK_PERSOURCE, NULL },
	{ "PerSourceNetBlockSize", CK_NETBLOCK, NULL },
	{ "MaxChannelsPerSession", CK_CHANCAP, NULL },	/* jumpgate's own */
	{ "MaxChannelsPerUser", CK_CHANCAP, NULL },	/* jumpgate's own */
	{ "MaxChannelsPerSource", CK_CHANCAP, NULL },	/* jumpgate's own */
	{ "MaxPendingChannels", CK_CHANCAP, NULL },	/* jumpgate's own */
	{ "StateDirectory", CK_STATEDIR, NULL },
	{ "Workers", CK_WORKERS, NULL },
	{ "JumpgateDemo", CK_DEMO, NULL },
	{ "AddressFamily", CK_ADDRFAMILY, NULL },
	{ "ResolvConf", CK_RESOLVCONF, NULL },		/* jumpgate's own */
	{ "Ciphers", CK_ALGOS, NULL },
	{ "MACs", CK_ALGOS, NULL },
	{ "KexAlgorithms", CK_ALGOS, NULL },
	{ "HostKeyAlgorithms", CK_ALGOS, NULL },
	{ "PubkeyAcceptedAlgorithms", CK_ALGOS, NULL },
	{ "PubkeyAcceptedKeyTypes", CK_ALGOS, NULL },
	{ "AllowTcpForwarding", CK_POLICY, NULL },
	{ "DisableForwarding", CK_POLICY, NULL },
	{ "PermitOpen", CK_POLICY, NULL },
	{ "PermitDestination", CK_POLICY, NULL },	/* jumpgate's own */
	{ "DenyDestination", CK_POLICY, NULL },		/* jumpgate's own */
	{ "DenySpecialDestinations", CK_POLICY, NULL },	/* jumpgate's own */
	{ "ClientAliveInterval", CK_LIVENESS_M, NULL },
	{ "ClientAliveCountMax", CK_LIVENESS_M, NULL },
	{ "TCPKeepAlive", CK_LIVENESS, NULL },
	{ "KeepAlive", CK_LIVENESS, NULL },	/* sshd's old alias */
	{ "Compression", CK_LIVENESS, NULL },
	{ "RekeyLimit", CK_LIVENESS_M, NULL },
	{ "ChannelTimeout", CK_LIVENESS_M, NULL },
	{ "UnusedConnectionTimeout", CK_LIVENESS_M, NULL },
	{ "ConnectTimeout", CK_LIVENESS, NULL },	/* jumpgate's own */
	{ "ShutdownGraceTime", CK_LIVENESS, NULL },	/* jumpgate's own */
	{ "AuditLog", CK_FRONTEND, NULL },		/* jumpgate's own */
	{ "AdminListen", CK_FRONTEND, NULL },		/* jumpgate's own */
	{ "AdminSocket", CK_FRONTEND, NULL },		/* jumpgate's own */
	{ "ProxyProtocolFrom", CK_FRONTEND, NULL },	/* jumpgate's own */
	{ "Match", CK_MATCH, NULL },
	{ "Include", CK_INCLUDE, NULL },
	{ "Banner", CK_LOGIN, NULL },
	{ "PermitRootLogin", CK_LOGIN, NULL },
	{ "AuthenticationMethods", CK_LOGIN, NULL },
	{ "PermitListen", CK_LOGIN, NULL },
	{ "AllowUsers", CK_LOGIN, NULL },
	{ "DenyUsers", CK_LOGIN, NULL },
	{ "AllowGroups", CK_LOGIN, NULL },
	{ "DenyGroups", CK_LOGIN, NULL },
	{ "StrictModes", CK_STRICTMODES, NULL },
	{ "UsePAM", CK_USEPAM, NULL },

	/*
	 * Restrictions.  Each one narrows who may log in or where a
	 * forwarded connection may go; until the policy code enforces
	 * them, a config that uses them must not load.
	 */
	/* libssh 0.10 has no way to offer a host certificate. */
	{ "HostCertificate", CK_REFUSE, NULL },
	{ "RequiredRSASize", CK_REFUSE, NULL },
	/* Ignored, it would let the user name stand in for its answer. */
	{ "AuthorizedPrincipalsCommand", CK_REFUSE_UNLESS, "none" },
	{ "PubkeyAuthentication", CK_REFUSE_UNLESS, "yes" },
	{ "DSAAuthentication", CK_REFUSE_UNLESS, "yes" },
	{ "PubkeyAuthOptions", CK_REFUSE_UNLESS, "none" },
	{ "RefuseConnection", CK_REFUSE_UNLESS, "no" },
	{ "PerSourcePenalties", CK_REFUSE_UNLESS, "no" },

	/*
	 * Harmless, and allowed inside Match as sshd allows them there, so
	 * that the Match blocks of an existing sshd_config still load.
	 * Sessions, shells, terminals, X11, agents:
	 */
	IGNM("AcceptEnv"), IGNM("AllowAgentForwarding"),
	IGNM("AllowStreamLocalForwarding"),
	IGNM("ChrootDirectory"), IGNM("ExposeAuthInfo"), IGNM("ForceCommand"),
	IGNM("GatewayPorts"), IGNM("MaxSessions"), IGNM("PermitTTY"),
	IGNM("PermitTunnel"), IGNM("PermitUserRC"), IGNM("SetEnv"),
	IGNM("StreamLocalBindMask"), IGNM("StreamLocalBindUnlink"),
	IGNM("Subsystem"), IGNM("X11DisplayOffset"), IGNM("X11Forwarding"),
	IGNM("X11UseLocalhost"),
	/* authentication methods jumpgate never offers: */
	IGNM("AuthorizedPrincipalsCommandUser"),
	IGNM("ChallengeResponseAuthentication"), IGNM("GSSAPIAuthentication"),
	IGNM("HostbasedAcceptedAlgorithms"), IGNM("HostbasedAcceptedKeyTypes"),
	IGNM("HostbasedAuthentication"),
	IGNM("HostbasedUsesNameFromPacketOnly"), IGNM("IgnoreRhosts"),
	IGNM("KbdInteractiveAuthentication"), IGNM("KerberosAuthentication"),
	IGNM("PAMServiceName"), IGNM("PasswordAuthentication"),
	IGNM("PermitEmptyPasswords"), IGNM("SKeyAuthentication"),
	/* transport tuning and liveness: */
	IGNM("CASignatureAlgorithms"), IGNM("IPQoS"), IGNM("LogVerbose"),
	IGNM("RDomain"),
	/* deprecated in sshd: */
	IGNM("AuthorizedKeysFile2"), IGNM("RhostsRSAAuthentication"),
	IGNM("RSAAuthentication"),

	/* Harmless, and global only (as in sshd). */
	IGN("DebianBanner"), IGN("PermitUserEnvironment"), IGN("PrintLastLog"),
	IGN("PrintMotd"), IGN("XAuthLocation"),
	IGN("GSSAPICleanupCredentials"), IGN("GSSAPIDelegateCredentials"),
	IGN("GSSAPIKexAlgorithms"), IGN("GSSAPIKeyExchange"),
	IGN("GSSAPIStoreCredentialsOnRekey"), IGN("GSSAPIStrictAcceptorCheck"),
	IGN("IgnoreUserKnownHosts"), IGN("KerberosGetAFSToken"),
	IGN("KerberosOrLocalPasswd"), IGN("KerberosTicketCleanup"),
	IGN("FingerprintHash"),
	IGN("HostKeyAgent"), IGN("ModuliFile"),
	IGN("SecurityKeyProvider"), IGN("VersionAddendum"),
	/* It only exempts from PerSourcePenalties, which must be "no". */
	IGN("PerSourcePenaltyExemptList"), IGN("SshdAuthPath"),
	IGN("SshdSessionPath"), IGN("UseDNS"),
	IGN("AFSTokenPassing"), IGN("CheckMail"), IGN("KerberosTgtPassing"),
	IGN("KeyRegenerationInterval"), IGN("PAMAuthenticationViaKbdInt"),
	IGN("Protocol"), IGN("ReverseMappingCheck"),
	IGN("RhostsAuthentication"), IGN("ServerKeyBits"), IGN("UseLogin"),
	IGN("UsePrivilegeSeparation"), IGN("VerifyReverseMapping"),
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* Which ignored keywords were already noted during this load. */
static unsigned char config_noted[NITEMS(config_keywords)];

/* Where we are, for error text. */
struct config_ctx {
	const char	*cx_name;
	int		 cx_line;
	const char	*cx_keyword;	/* as written */
	char		*cx_err;
	size_t		 cx_errlen;
};

static int	config_fail(struct config_ctx *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	config_split(const char *, char ***, int *);
static void	config_argv_free(char **, int);
static const struct config_keyword *config_lookup(const char *);
static int	config_harmless(const struct config_keyword *, char **, int);
static int	config_one_arg(struct config_ctx *, char **, int);
static int	config_maxstartups(const char *, int *, int *, int *);
static int	config_netblock(const char *, int *, int *);
static int	config_check_akfile(struct config_ctx *, const char *);
static int	config_apply(struct config *, struct config_ctx *,
		    const struct config_keyword *, char **, int);
static const char *config_intern(struct config *, const char *, int);
static int	config_parse(struct config *, const char *, const char *,
		    int, struct config_pos *, int, char *, size_t);

const char *
config_algos(const struct config *cf, enum algos_kind kind)
{
	return cf->c_algos[kind] != NULL ? cf->c_algos[kind] :
	    algos_default(kind);
}

int
config_yesno(const char *s)
{
	if (strcasecmp(s, "yes") == 0)
		return 1;
	if (strcasecmp(s, "no") == 0)
		return 0;
	return -1;
}

void
config_init(struct config *cf)
{
	memset(cf, 0, sizeof(*cf));
	cf->c_log_level = -1;
	cf->c_syslog_facility = -1;
	cf->c_login_grace = -1;
	cf->c_max_auth_tries = -1;
	cf->c_max_startups = -1;
	cf->c_persource_max = -1;
	cf->c_persource_mask4 = -1;
	cf->c_max_chans_session = -1;
	cf->c_max_chans_user = -1;
	cf->c_max_chans_source = -1;
	cf->c_max_pending = -1;
	cf->c_workers = -1;
	cf->c_demo = -1;
	cf->c_address_family = -1;
	cf->c_alive_interval = -1;
	cf->c_alive_count_max = -1;
	cf->c_tcp_keepalive = -1;
	cf->c_compression = -1;
	cf->c_rekey_limit = -1;
	cf->c_rekey_interval = -1;
	cf->c_nchan_timeouts = -1;
	cf->c_unused_timeout = -1;
	cf->c_connect_timeout = -1;
	cf->c_shutdown_grace = -1;
	cf->c_strict_modes = -1;
	cf->c_use_pam = -1;
	cf->c_akcmd.ak_timeout = -1;
	cf->c_akcmd.ak_cache = -1;
	config_policy_init(&cf->c_policy);
	config_login_init(&cf->c_login);
	memset(config_noted, 0, sizeof(config_noted));
}

/*
 * "file:line", or the file name alone when line is -1, kept until
 * config_free: the policy records where each setting came from, and
 * the decision log names it long after the line was read.
 */
static const char *
config_intern(struct config *cf, const char *file, int line)
{
	size_t len = strlen(file) + 16;
	char *s = xmalloc(len);
	int i;

	if (line >= 0)
		snprintf(s, len, "%s:%d", file, line);
	else
		str_lcpy(s, file, len);
	for (i = cf->c_nsources - 1; i >= 0; i--)
		if (strcmp(cf->c_sources[i], s) == 0) {
			free(s);
			return cf->c_sources[i];
		}
	cf->c_sources = xreallocarray(cf->c_sources,
	    (size_t)cf->c_nsources + 1, sizeof(*cf->c_sources));
	cf->c_sources[cf->c_nsources++] = s;
	return s;
}

int
config_verrf(char *err, size_t errlen, const char *file, int line,
    const char *fmt, va_list ap)
{
	char msg[CONFIG_ERR_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	snprintf(err, errlen, "%s:%d: %s", file, line, msg);
	return -1;
}

int
config_errf(char *err, size_t errlen, const char *file, int line,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_verrf(err, errlen, file, line, fmt, ap);
	va_end(ap);
	return -1;
}

/* Writes "NAME:LINE: message" into the caller's buffer; returns -1. */
static int
config_fail(struct config_ctx *cx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_verrf(cx->cx_err, cx->cx_errlen, cx->cx_name, cx->cx_line, fmt,
	    ap);
	va_end(ap);
	return -1;
}

/*
 * Splits the arguments the way sshd does (argv_split): blanks separate,
 * single or double quotes group, a backslash escapes a quote, a backslash
 * or (outside quotes) a space, and a '#' starting a word ends the line.
 * Returns -1 on an unterminated quote.
 */
static int
config_split(const char *s, char ***avp, int *acp)
{
	char **av = NULL, *arg;
	int ac = 0, quote;
	size_t i = 0, j;

	for (;;) {
		while (s[i] == ' ' || s[i] == '\t')
			i++;
		if (s[i] == '\0' || s[i] == '#')
			break;
		av = xreallocarray(av, (size_t)ac + 1, sizeof(*av));
		arg = av[ac++] = xmalloc(strlen(s + i) + 1);
		quote = 0;
		for (j = 0; s[i] != '\0'; i++) {
			if (s[i] == '\\' && (s[i + 1] == '\'' ||
			    s[i + 1] == '"' || s[i + 1] == '\\' ||
			    (quote == 0 && s[i + 1] == ' ')))
				arg[j++] = s[++i];
			else if (quote == 0 && (s[i] == ' ' || s[i] == '\t'))
				break;
			else if (quote == 0 && (s[i] == '"' || s[i] == '\''))
				quote = s[i];
			else if (quote != 0 && s[i] == quote)
				quote = 0;
			else
				arg[j++] = s[i];
		}
		arg[j] = '\0';
		if (quote != 0) {
			config_argv_free(av, ac);
			return -1;
		}
	}
	*avp = av;
	*acp = ac;
	return 0;
}

static void
config_argv_free(char **av, int ac)
{
	int i;

	for (i = 0; i < ac; i++)
		free(av[i]);
	free(av);
}

static const struct config_keyword *
config_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < NITEMS(config_keywords); i++)
		if (strcasecmp(name, config_keywords[i].ck_name) == 0)
			return &config_keywords[i];
	return NULL;
}

/* 1 when a CK_REFUSE_UNLESS keyword has exactly one harmless value. */
static int
config_harmless(const struct config_keyword *ck, char **av, int ac)
{
	const char *p = ck->ck_harmless;
	size_t n, len;

	if (ac != 1)
		return 0;
	len = strlen(av[0]);
	while (*p != '\0') {
		n = strcspn(p, " ");
		if (n == len && strncasecmp(p, av[0], n) == 0)
			return 1;
		p += n;
		p += strspn(p, " ");
	}
	return 0;
}

/* Most keywords take exactly one non-empty argument. */
static int
config_one_arg(struct config_ctx *cx, char **av, int ac)
{
	if (ac == 0 || av[0][0] == '\0')
		return config_fail(cx, "%s: missing argument", cx->cx_keyword);
	if (ac > 1)
		return config_fail(cx, "%s: extra arguments at end of line",
		    cx->cx_keyword);
	return 0;
}

/*
 * Like sshd, anchor a relative path at the directory the daemon was
 * started from: it will chdir("/") later and the meaning must not change.
 */
char *
config_abspath(const char *path)
{
	char cwd[PATH_MAX], *out;
	size_t len;

	if (path[0] == '/' || strcasecmp(path, "none") == 0 ||
	    getcwd(cwd, sizeof(cwd)) == NULL)
		return xstrdup(path);
	len = strlen(cwd) + strlen(path) + 2;
	out = xmalloc(len);
	snprintf(out, len, "%s/%s", cwd, path);
	return out;
}

/*
 * sshd's time format: a sequence of numbers each followed by s, m, h, d
 * or w (none means seconds, and seconds may appear only once).  Returns
 * the total in seconds, or -1.
 */
int
config_convtime(const char *s)
{
	long long total = 0, val, mult;
	int seen_seconds = 0;
	const char *p = s;

	if (*p == '\0')
		return -1;
	while (*p != '\0') {
		if (*p < '0' || *p > '9')
			return -1;
		for (val = 0; *p >= '0' && *p <= '9'; p++) {
			val = val * 10 + (*p - '0');
			if (val > INT_MAX)
				return -1;
		}
		switch (*p) {
		case '\0':
		case 's': case 'S':
			if (seen_seconds++)
				return -1;
			mult = 1;
			break;
		case 'm': case 'M': mult = 60; break;
		case 'h': case 'H': mult = 60 * 60; break;
		case 'd': case 'D': mult = 24 * 60 * 60; break;
		case 'w': case 'W': mult = 7 * 24 * 60 * 60; break;
		default:
			return -1;
		}
		total += val * mult;
		if (total > INT_MAX)
			return -1;
		if (*p != '\0')
			p++;
	}
	return (int)total;
}

/*
 * MaxStartups is "full" or sshd's "start:rate:full" (random early drop
 * from start on, at rate percent rising to 100 at full).  A lone number
 * is both start and full, as in sshd.
 */
static int
config_maxstartups(const char *s, int *begin, int *rate, int *full)
{
	char buf[64], *r, *last;
	long start, pct = 30, f;

	if (str_lcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		return -1;
	if ((r = strchr(buf, ':')) == NULL) {
		if (str_to_long(buf, 1, INT_MAX, &f) == -1)
			return -1;
		start = f;
	} else {
		*r++ = '\0';
		if ((last = strchr(r, ':')) == NULL)
			return -1;
		*last++ = '\0';
		if (str_to_long(buf, 1, INT_MAX, &start) == -1 ||
		    str_to_long(r, 1, 100, &pct) == -1 ||
		    str_to_long(last, 1, INT_MAX, &f) == -1 || start > f)
			return -1;
	}
	*begin = (int)start;
	*rate = (int)pct;
	*full = (int)f;
	return 0;
}

/* PerSourceNetBlockSize "v4[:v6]", prefix lengths as in sshd. */
static int
config_netblock(const char *s, int *v4, int *v6)
{
	char buf[32], *colon;
	long a, b = 128;

	if (str_lcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		return -1;
	if ((colon = strchr(buf, ':')) != NULL) {
		*colon++ = '\0';
		if (str_to_long(colon, 0, 128, &b) == -1)
			return -1;
	}
	if (str_to_long(buf, 0, 32, &a) == -1)
		return -1;
	*v4 = (int)a;
	*v6 = (int)b;
	return 0;
}

/* Checks an AuthorizedKeysFile pattern for what authkeys can expand. */
int
config_path_tokens(const char *kw, const char *arg, const char *file,
    int line, char *err, size_t errlen)
{
	const char *p;

	for (p = arg; (p = strchr(p, '%')) != NULL; p += 2)
		if (p[1] != '%' && p[1] != 'h' && p[1] != 'u')
			return config_errf(err, errlen, file, line, "%s: "
			    "unknown token %%%c in \"%s\"", kw,
			    p[1] ? p[1] : ' ', arg);
	return 0;
}

static int
config_check_akfile(struct config_ctx *cx, const char *arg)
{
	if (arg[0] == '~')
		return config_fail(cx, "%s: \"~\" is not supported, use %%h",
		    cx->cx_keyword);
	return config_path_tokens(cx->cx_keyword, arg, cx->cx_name,
	    cx->cx_line, cx->cx_err, cx->cx_errlen);
}

static int
config_apply(struct config *cf, struct config_ctx *cx,
    const struct config_keyword *ck, char **av, int ac)
{
	struct config_listen *cl;
	const char *kw = cx->cx_keyword;
	char msg[CONFIG_ERR_MAX], *list, *dropped;
	long v;
	int i, n, n2, n3, *capp;

	/* Every keyword handled here needs a value, most exactly one. */
	if (ac == 0)
		return config_fail(cx, "%s: missing argument", kw);
	if (ck->ck_kind != CK_AKFILE && config_one_arg(cx, av, ac) == -1)
		return -1;

	switch (ck->ck_kind) {
	case CK_PORT:
		if (str_to_long(av[0], 1, 65535, &v) == -1)
			return config_fail(cx, "%s: bad port number \"%s\"",
			    kw, av[0]);
		if (cf->c_nports >= CONFIG_MAX_PORTS)
			return config_fail(cx, "%s: too many ports (max %d)",
			    kw, CONFIG_MAX_PORTS);
		cf->c_ports[cf->c_nports++] = (int)v;
		break;
	case CK_LISTEN:
		if (cf->c_nlisten >= CONFIG_MAX_LISTEN)
			return config_fail(cx, "%s: too many addresses (max %d)",
			    kw, CONFIG_MAX_LISTEN);
		cl = &cf->c_listen[cf->c_nlisten];
		if (addr_split_hostport(av[0], cl->cl_host,
		    sizeof(cl->cl_host), &cl->cl_port) == -1)
			return config_fail(cx, "%s: bad address \"%s\"", kw,
			    av[0]);
		cf->c_nlisten++;
		break;
	case CK_HOSTKEY:
		if (cf->c_nhostkeys >= CONFIG_MAX_HOSTKEYS)
			return config_fail(cx, "%s: too many host keys (max %d)",
			    kw, CONFIG_MAX_HOSTKEYS);
		cf->c_hostkeys[cf->c_nhostkeys++] = config_abspath(av[0]);
		break;
	case CK_AKFILE:
		if (ac > CONFIG_MAX_AKFILES)
			return config_fail(cx, "%s: too many files (max %d)",
			    kw, CONFIG_MAX_AKFILES);
		for (i = 0; i < ac; i++) {
			if (av[i][0] == '\0')
				return config_fail(cx, "%s: empty argument", kw);
			if (strcasecmp(av[i], "none") == 0 && ac > 1)
				return config_fail(cx, "%s: \"none\" argument "
				    "must appear alone", kw);
			if (config_check_akfile(cx, av[i]) == -1)
				return -1;
		}
		/* Checked above even when unused, as sshd does. */
		if (cf->c_nakfiles > 0)
			break;
		for (i = 0; i < ac; i++)
			cf->c_akfiles[i] = xstrdup(av[i]);
		cf->c_nakfiles = ac;
		break;
	case CK_LOGLEVEL:
		if ((n = log_level_parse(av[0])) == -1)
			return config_fail(cx, "%s: unsupported log level "
			    "\"%s\"", kw, av[0]);
		if (cf->c_log_level == -1)
			cf->c_log_level = n;
		break;
	case CK_FACILITY:
		if ((n = log_facility_parse(av[0])) == -1)
			return config_fail(cx, "%s: unsupported log facility "
			    "\"%s\"", kw, av[0]);
		if (cf->c_syslog_facility == -1)
			cf->c_syslog_facility = n;
		break;
	case CK_PIDFILE:
		if (cf->c_pidfile == NULL)
			cf->c_pidfile = config_abspath(av[0]);
		break;
	case CK_USER:
		if (av[0][0] == '\0' || strchr(av[0], '/') != NULL)
			return config_fail(cx, "%s: bad user name \"%s\"", kw,
			    av[0]);
		if (cf->c_user == NULL)
			cf->c_user = xstrdup(av[0]);
		break;
	case CK_STATEDIR:
		if (cf->c_state_dir == NULL)
			cf->c_state_dir = config_abspath(av[0]);
		break;
	case CK_GRACE:
		if ((n = config_convtime(av[0])) == -1)
			return config_fail(cx, "%s: invalid time value \"%s\"",
			    kw, av[0]);
		if (cf->c_login_grace == -1)
			cf->c_login_grace = n;
		break;
	case CK_MAXAUTH:
		if (str_to_long(av[0], 0, INT_MAX, &v) == -1)
			return config_fail(cx, "%s: bad number \"%s\"", kw,
			    av[0]);
		if (cf->c_max_auth_tries == -1)
			cf->c_max_auth_tries = (int)v;
		break;
	case CK_MAXSTARTUPS:
		if (config_maxstartups(av[0], &n, &n2, &n3) == -1)
			return config_fail(cx, "%s: invalid spec \"%s\"", kw,
			    av[0]);
		if (cf->c_max_startups == -1) {
			cf->c_max_startups_begin = n;
			cf->c_max_startups_rate = n2;
			cf->c_max_startups = n3;
		}
		break;
	case CK_PERSOURCE:
		if (strcasecmp(av[0], "none") == 0)
			v = INT_MAX;
		else if (str_to_long(av[0], 1, INT_MAX, &v) == -1)
			return config_fail(cx, "%s: bad number \"%s\" (or none)",
			    kw, av[0]);
		if (cf->c_persource_max == -1)
			cf->c_persource_max = (int)v;
		break;
	case CK_NETBLOCK:
		if (config_netblock(av[0], &n, &n2) == -1)
			return config_fail(cx, "%s: invalid spec \"%s\"", kw,
			    av[0]);
		if (cf->c_persource_mask4 == -1) {
			cf->c_persource_mask4 = n;
			cf->c_persource_mask6 = n2;
		}
		break;
	case CK_CHANCAP:
		if (strcasecmp(kw, "MaxChannelsPerSession") == 0)
			capp = &cf->c_max_chans_session;
		else if (strcasecmp(kw, "MaxChannelsPerUser") == 0)
			capp = &cf->c_max_chans_user;
		else if (strcasecmp(kw, "MaxChannelsPerSource") == 0)
			capp = &cf->c_max_chans_source;
		else
			capp = &cf->c_max_pending;
		/* "none" is INT_MAX: no cap, and no count kept. */
		if (strcasecmp(av[0], "none") == 0)
			v = INT_MAX;
		else if (str_to_long(av[0], 1, INT_MAX, &v) == -1)
			return config_fail(cx, "%s: bad number \"%s\" (or none)",
			    kw, av[0]);
		if (*capp == -1)
			*capp = (int)v;
		break;
	case CK_WORKERS:
		if (str_to_long(av[0], 0, 256, &v) == -1)
			return config_fail(cx, "%s: bad number \"%s\" "
			    "(0 to 256, 0 = one per core)", kw, av[0]);
		if (cf->c_workers == -1)
			cf->c_workers = (int)v;
		break;
	case CK_DEMO:
		if ((n = config_yesno(av[0])) == -1)
			return config_fail(cx, "%s: unsupported option \"%s\" "
			    "(yes or no)", kw, av[0]);
		if (cf->c_demo == -1)
			cf->c_demo = n;
		break;
	case CK_STRICTMODES:
	case CK_USEPAM:
		if ((n = config_yesno(av[0])) == -1)
			return config_fail(cx, "%s: unsupported option \"%s\" "
			    "(yes or no)", kw, av[0]);
		capp = ck->ck_kind == CK_USEPAM ? &cf->c_use_pam :
		    &cf->c_strict_modes;
		if (*capp == -1)
			*capp = n;
		break;
	case CK_ALGOS:
		n = algos_kind_by_keyword(kw);
		if ((list = algos_resolve(n, av[0], &dropped, msg,
		    sizeof(msg))) == NULL)
			return config_fail(cx, "%s: %s", kw, msg);
		/* Leaving a name out only narrows the offer: say so, go on. */
		if (dropped != NULL)
			log_info("%s:%d: %s: leaving out %s: not in libssh",
			    cx->cx_name, cx->cx_line, kw, dropped);
		free(dropped);
		if (cf->c_algos[n] == NULL)
			cf->c_algos[n] = list;
		else
			free(list);
		break;
	case CK_ADDRFAMILY:
		/* sshd's words and values. */
		if (strcasecmp(av[0], "any") == 0)
			n = AF_UNSPEC;
		else if (strcasecmp(av[0], "inet") == 0)
			n = AF_INET;
		else if (strcasecmp(av[0], "inet6") == 0)
			n = AF_INET6;
		else
			return config_fail(cx, "%s: unsupported option \"%s\"",
			    kw, av[0]);
		if (cf->c_address_family == -1)
			cf->c_address_family = n;
		break;
	case CK_RESOLVCONF:
		if (cf->c_resolv_conf == NULL)
			cf->c_resolv_conf = config_abspath(av[0]);
		break;
	default:
		break;	/* dealt with by the caller */
	}
	return 0;
}

/*
 * One line.  pos says which Match block is open (a block lasts to the
 * next Match or the end of its file); cmdline marks -o, which is always
 * global, as in sshd.
 */
static int
config_parse(struct config *cf, const char *line, const char *name,
    int lineno, struct config_pos *pos, int cmdline, char *err,
    size_t errlen)
{
	const struct config_keyword *ck;
	struct policy_settings *ps;
	struct config_ctx cx;
	char *copy, *p, *kw, **av = NULL, msg[CONFIG_ERR_MAX];
	size_t len, idx;
	int ac = 0, ret = -1, inmatch = pos->cp_block != 0;
	char term;

	copy = xstrdup(line);
	len = strlen(copy);
	while (len > 0 && strchr(" \t\r\n\f", copy[len - 1]) != NULL)
		copy[--len] = '\0';
	p = copy + strspn(copy, " \t");
	if (*p == '\0' || *p == '#') {
		ret = 0;
		goto done;
	}

	/* The keyword ends at a blank or at '=' ("Port=22", "Port = 22"). */
	kw = p;
	p += strcspn(p, " \t=");
	if ((term = *p) != '\0') {
		*p++ = '\0';
		p += strspn(p, " \t");
		/* Only one '=' may separate, as in sshd's strdelim(). */
		if (*p == '=' && term != '=')
			p++;
	}
	cx.cx_name = name;
	cx.cx_line = lineno;
	cx.cx_keyword = kw;
	cx.cx_err = err;
	cx.cx_errlen = errlen;

	if ((ck = config_lookup(kw)) == NULL) {
		config_fail(&cx, "Bad configuration option: %s", kw);
		goto done;
	}
	/*
	 * sshd allows these in Match too; jumpgate applies them to the
	 * whole daemon only, and a per-user value it ignored would be a
	 * limit the operator believes in.
	 */
	if (inmatch && (ck->ck_kind == CK_LIVENESS_M ||
	    ck->ck_kind == CK_AKCMD || ck->ck_kind == CK_CERTS)) {
		config_fail(&cx, "Unsupported option %s inside Match: jumpgate "
		    "applies it to every connection only", kw);
		goto done;
	}
	/* sshd's words; checked before anything else about the line. */
	if (inmatch && ck->ck_kind != CK_POLICY && ck->ck_kind != CK_MATCH &&
	    ck->ck_kind != CK_IGNORE_M && ck->ck_kind != CK_LOGIN &&
	    ck->ck_kind != CK_INCLUDE) {
		config_fail(&cx, "Directive '%s' is not allowed within a Match "
		    "block", kw);
		goto done;
	}
	if (config_split(p, &av, &ac) == -1) {
		config_fail(&cx, "%s: invalid quotes", kw);
		goto done;
	}

	switch (ck->ck_kind) {
	case CK_MATCH:
		if (cmdline) {
			config_fail(&cx, "Match directive not supported as a "
			    "command-line option");
			goto done;
		}
		if (config_match_parse(cf, av, ac, config_intern(cf, name, -1),
		    lineno, err, errlen) == -1)
			goto done;
		pos->cp_block = cf->c_nmatches;
		if (pos->cp_base != 0)
			config_match_inherit(cf, pos->cp_block - 1,
			    pos->cp_base - 1);
		break;
	case CK_INCLUDE:
		if (cmdline) {
			config_fail(&cx, "Include directive not supported as a "
			    "command-line option");
			goto done;
		}
		if (config_include(cf, av, ac, name, lineno, pos, err,
		    errlen) == -1)
			goto done;
		break;
	case CK_POLICY:
		ps = inmatch ? &cf->c_matches[pos->cp_block - 1].cm_policy :
		    &cf->c_policy;
		if (config_policy_parse(ps, kw, av, ac, config_intern(cf, name,
		    -1), lineno, config_intern(cf, name, lineno), err,
		    errlen) == -1)
			goto done;
		break;
	case CK_LOGIN:
		/* Decided at the first request, before any key is known. */
		if (inmatch && config_match_has_principal(
		    &cf->c_matches[pos->cp_block - 1])) {
			config_fail(&cx, "%s is not allowed in a Match block "
			    "with Principal: who may log in is decided before "
			    "the key is known", kw);
			goto done;
		}
		if (config_login_parse(inmatch ?
		    &cf->c_matches[pos->cp_block - 1].cm_login : &cf->c_login,
		    kw, av, ac, msg, sizeof(msg)) == -1) {
			config_fail(&cx, "%s", msg);
			goto done;
		}
		break;
	case CK_LIVENESS:
	case CK_LIVENESS_M:
		if (config_liveness_parse(cf, kw, av, ac, name, lineno, err,
		    errlen) == -1)
			goto done;
		break;
	case CK_FRONTEND:
		if (config_frontend_parse(cf, kw, av, ac, name, lineno, err,
		    errlen) == -1)
			goto done;
		break;
	case CK_AKCMD:
		if (akcmd_parse(&cf->c_akcmd, kw, av, ac, config_intern(cf,
		    name, lineno), name, lineno, err, errlen) == -1)
			goto done;
		break;
	case CK_CERTS:
		if (certcfg_parse(&cf->c_certs, kw, av, ac, name, lineno, err,
		    errlen) == -1)
			goto done;
		break;
	case CK_REFUSE:
		config_fail(&cx, "Unsupported option %s: jumpgate does not "
		    "enforce it yet", kw);
		goto done;
	case CK_REFUSE_UNLESS:
		if (ac == 0) {
			config_fail(&cx, "%s: missing argument", kw);
			goto done;
		}
		if (!config_harmless(ck, av, ac)) {
			config_fail(&cx, "Unsupported option %s %s: jumpgate "
			    "does not enforce it yet", kw, av[0]);
			goto done;
		}
		/* FALLTHROUGH */
	case CK_IGNORE:
	case CK_IGNORE_M:
		if (ac == 0) {
			config_fail(&cx, "%s: missing argument", kw);
			goto done;
		}
		idx = (size_t)(ck - config_keywords);
		if (!config_noted[idx]) {
			config_noted[idx] = 1;
			log_debug("%s:%d: ignoring %s: no meaning for a "
			    "forwarding-only daemon", name, lineno,
			    ck->ck_name);
		}
		break;
	default:
		if (config_apply(cf, &cx, ck, av, ac) == -1)
			goto done;
		break;
	}
	ret = 0;
done:
	config_argv_free(av, ac);
	free(copy);
	return ret;
}

/* A line on its own continues the last Match block, if there is one. */
int
config_parse_line(struct config *cf, const char *line, const char *name,
    int lineno, char *err, size_t errlen)
{
	struct config_pos pos = { cf->c_nmatches, 0, 0, JUMPGATE_SYSCONFDIR };

	return config_parse(cf, line, name, lineno, &pos, 0, err, errlen);
}

/*
 * A relative Include path starts at the main file's directory, as sshd's
 * start at /etc/ssh where its sshd_config lives.
 */
int
config_load_file(struct config *cf, const char *path, char *err,
    size_t errlen)
{
	struct config_pos pos = { 0, 0, 0, NULL };
	char *abs = config_abspath(path), *slash;
	int ret;

	if ((slash = strrchr(abs, '/')) != NULL)
		*(slash == abs ? slash + 1 : slash) = '\0';
	pos.cp_dir = abs;
	ret = config_load_pos(cf, path, &pos, err, errlen);
	free(abs);
	return ret;
}

int
config_load_pos(struct config *cf, const char *path, struct config_pos *pos,
    char *err, size_t errlen)
{
	FILE *fp;
	char *line = NULL;
	size_t linesize = 0;
	int lineno = 0, ret = 0;

	if ((fp = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &linesize, fp) != -1) {
		lineno++;
		if (config_parse(cf, line, path, lineno, pos, 0, err,
		    errlen) == -1) {
			ret = -1;
			goto done;
		}
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		ret = -1;
	}
done:
	free(line);
	fclose(fp);
	return ret;
}

int
config_load_string(struct config *cf, const char *text, const char *name,
    char *err, size_t errlen)
{
	const char *p = text, *nl;
	char *line;
	size_t len;
	int lineno = 0, r;
	struct config_pos pos = { 0, 0, 0, JUMPGATE_SYSCONFDIR };

	while (*p != '\0') {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		line = xmalloc(len + 1);
		memcpy(line, p, len);
		line[len] = '\0';
		r = config_parse(cf, line, name, ++lineno, &pos, 0, err,
		    errlen);
		free(line);
		if (r == -1)
			return -1;
		p += len;
		if (*p == '\n')
			p++;
	}
	return 0;
}

int
config_apply_option(struct config *cf, const char *opt, char *err,
    size_t errlen)
{
	struct config_pos pos = { 0, 0, 0, JUMPGATE_SYSCONFDIR };

	/* sshd reports -o problems as "command-line line 0". */
	return config_parse(cf, opt, "command-line", 0, &pos, 1, err,
	    errlen);
}

void
config_finalize(struct config *cf)
{
	if (cf->c_nports == 0)
		cf->c_ports[cf->c_nports++] = 22;
	if (cf->c_address_family == -1)
		cf->c_address_family = AF_UNSPEC;
	/* As sshd: the wildcard of each family AddressFamily allows. */
	if (cf->c_nlisten == 0) {
		if (cf->c_address_family != AF_INET6)
			str_lcpy(cf->c_listen[cf->c_nlisten++].cl_host,
			    "0.0.0.0", sizeof(cf->c_listen[0].cl_host));
		if (cf->c_address_family != AF_INET)
			str_lcpy(cf->c_listen[cf->c_nlisten++].cl_host, "::",
			    sizeof(cf->c_listen[0].cl_host));
	}
	if (cf->c_nakfiles == 0) {
		cf->c_akfiles[0] = xstrdup(".ssh/authorized_keys");
		cf->c_akfiles[1] = xstrdup(".ssh/authorized_keys2");
		cf->c_nakfiles = 2;
	}
	if (cf->c_log_level == -1)
		cf->c_log_level = LOG_LVL_INFO;
	if (cf->c_syslog_facility == -1)
		cf->c_syslog_facility = LOG_AUTH;
	if (cf->c_pidfile == NULL)
		cf->c_pidfile = xstrdup("/run/jumpgate/jumpgate.pid");
	if (cf->c_user == NULL)
		cf->c_user = xstrdup(CONFIG_DEFAULT_USER);
	if (cf->c_state_dir == NULL)
		cf->c_state_dir = xstrdup("/var/lib/jumpgate");
	if (cf->c_login_grace == -1)
		cf->c_login_grace = 120;
	if (cf->c_max_auth_tries == -1)
		cf->c_max_auth_tries = 6;
	if (cf->c_max_startups == -1) {
		cf->c_max_startups_begin = 10;
		cf->c_max_startups_rate = 30;
		cf->c_max_startups = 100;
	}
	if (cf->c_persource_max == -1)
		cf->c_persource_max = INT_MAX;
	if (cf->c_persource_mask4 == -1) {
		cf->c_persource_mask4 = 32;
		cf->c_persource_mask6 = 128;
	}
	if (cf->c_max_chans_session == -1)
		cf->c_max_chans_session = 1024;
	if (cf->c_max_chans_user == -1)
		cf->c_max_chans_user = INT_MAX;
	if (cf->c_max_chans_source == -1)
		cf->c_max_chans_source = INT_MAX;
	if (cf->c_max_pending == -1)
		cf->c_max_pending = 256;
	if (cf->c_workers == -1)
		cf->c_workers = 0;
	if (cf->c_demo == -1)
		cf->c_demo = 0;
	if (cf->c_strict_modes == -1)
		cf->c_strict_modes = 1;
	if (cf->c_use_pam == -1)
		cf->c_use_pam = 0;
	if (cf->c_resolv_conf == NULL)
		cf->c_resolv_conf = xstrdup(CONFIG_DEFAULT_RESOLV_CONF);
	if (cf->c_alive_interval == -1)
		cf->c_alive_interval = 0;
	if (cf->c_alive_count_max == -1)
		cf->c_alive_count_max = 3;
	if (cf->c_tcp_keepalive == -1)
		cf->c_tcp_keepalive = 1;
	if (cf->c_compression == -1)
		cf->c_compression = CONFIG_COMP_YES;
	if (cf->c_rekey_limit == -1) {
		cf->c_rekey_limit = 0;
		cf->c_rekey_interval = 0;
	}
	if (cf->c_nchan_timeouts == -1)
		cf->c_nchan_timeouts = 0;
	if (cf->c_unused_timeout == -1)
		cf->c_unused_timeout = 0;
	/* Three SYN retransmissions (1, 3, 7 s): see README. */
	if (cf->c_connect_timeout == -1)
		cf->c_connect_timeout = 10;
	if (cf->c_shutdown_grace == -1)
		cf->c_shutdown_grace = 30;
	config_frontend_finalize(cf);
	akcmd_finalize(&cf->c_akcmd);
}

void
config_free(struct config *cf)
{
	int i;

	for (i = 0; i < cf->c_nhostkeys; i++)
		free(cf->c_hostkeys[i]);
	for (i = 0; i < cf->c_nakfiles; i++)
		free(cf->c_akfiles[i]);
	free(cf->c_pidfile);
	free(cf->c_user);
	free(cf->c_state_dir);
	free(cf->c_resolv_conf);
	cf->c_resolv_conf = NULL;
	for (i = 0; i < ALGOS_NKINDS; i++) {
		free(cf->c_algos[i]);
		cf->c_algos[i] = NULL;
	}
	for (i = 0; i < cf->c_nchan_timeouts; i++)
		free(cf->c_chan_timeouts[i].ct_type);
	free(cf->c_chan_timeouts);
	cf->c_chan_timeouts = NULL;
	cf->c_nchan_timeouts = -1;
	cf->c_nhostkeys = cf->c_nakfiles = 0;
	cf->c_pidfile = cf->c_state_dir = cf->c_user = NULL;
	config_frontend_free(cf);
	akcmd_free(&cf->c_akcmd);
	certcfg_free(&cf->c_certs);
	config_policy_free(&cf->c_policy);
	config_login_free(&cf->c_login);
	for (i = 0; i < cf->c_nmatches; i++)
		config_match_free(&cf->c_matches[i]);
	free(cf->c_matches);
	cf->c_matches = NULL;
	cf->c_nmatches = 0;
	/* Last: the settings above point into these. */
	for (i = 0; i < cf->c_nsources; i++)
		free(cf->c_sources[i]);
	free(cf->c_sources);
	cf->c_sources = NULL;
	cf->c_nsources = 0;
}

struct config *
config_new(void)
{
	struct config *cf = xmalloc(sizeof(*cf));

	config_init(cf);
	cf->c_refs = 1;
	return cf;
}

struct config *
config_ref(struct config *cf)
{
	__atomic_add_fetch(&cf->c_refs, 1, __ATOMIC_RELAXED);
	return cf;
}

void
config_unref(struct config *cf)
{
	/* Release, so the last holder's reads finish before the free. */
	if (cf == NULL || __atomic_sub_fetch(&cf->c_refs, 1,
	    __ATOMIC_ACQ_REL) != 0)
		return;
	config_free(cf);
	free(cf);
}
