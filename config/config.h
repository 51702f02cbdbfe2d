/*
 * config.h: jumpgate's configuration, read in sshd_config syntax.
 *
 * Semantics follow sshd: keywords are case-insensitive, "#" starts a
 * comment, arguments may be double-quoted, and for single-valued keywords
 * the first value obtained wins (so -o options, applied first, override the
 * file).  Port, ListenAddress and HostKey accumulate.  sshd keywords that
 * mean nothing to a forwarding-only daemon are accepted and noted at debug
 * level; anything else is an error naming file:line.
 */
#ifndef JG_CONFIG_H
#define JG_CONFIG_H

#include <stdarg.h>
#include <stddef.h>

#include "akcmd.h"
#include "algos.h"
#include "certcfg.h"
#include "policy.h"

#define CONFIG_MAX_PORTS	16
#define CONFIG_MAX_LISTEN	16
#define CONFIG_MAX_HOSTKEYS	8
#define CONFIG_MAX_AKFILES	8
#define CONFIG_ERR_MAX		512
/* sizeof(sun_path) on Linux: AdminSocket must fit. */
#define CONFIG_SUN_PATH_MAX	108

/* The account the daemon drops to (the Debian package creates it). */
#define CONFIG_DEFAULT_USER	"jumpgate"

/* Where the daemon looks when -f is not given. */
#define CONFIG_DEFAULT_PATH	JUMPGATE_SYSCONFDIR "/jumpgate.conf"
/* ResolvConf's default: the system's nameservers. */
#define CONFIG_DEFAULT_RESOLV_CONF	"/etc/resolv.conf"

struct config_listen {
	char	 cl_host[256];	/* numeric address or name, no brackets */
	int	 cl_port;	/* 0: every Port */
};

/* The connection a Match block is tested against (sshd -C). */
struct config_conninfo {
	const char	*ci_user;	/* NULL before authentication */
	const char	*ci_addr;	/* client address, numeric */
	const char	*ci_laddr;	/* our address, numeric */
	int		 ci_lport;
	/* The certificate's matched principal; NULL before authentication. */
	const char	*ci_principal;
};

enum config_match_kind {
	CONFIG_MATCH_ALL = 0,
	CONFIG_MATCH_USER,
	CONFIG_MATCH_ADDRESS,
	CONFIG_MATCH_LOCALADDRESS,
	CONFIG_MATCH_LOCALPORT,
	CONFIG_MATCH_PRINCIPAL,		/* jumpgate's own */
};

struct config_match_crit {
	enum config_match_kind	 mc_kind;
	char			*mc_patterns;	/* sshd pattern-list */
};

/*
 * Who may log in and what they are told before (login.c): sshd's
 * keywords that jumpgate enforces, or that are no wider than what it
 * does.  All may appear inside Match; unset values read as sshd's
 * defaults.
 */
enum config_root {
	CONFIG_ROOT_YES = 0,
	CONFIG_ROOT_NO_PASSWD,	/* prohibit-password, without-password */
	CONFIG_ROOT_FORCED_ONLY,	/* forced-commands-only: we run none */
	CONFIG_ROOT_NO,
};

/* AllowUsers and friends (access.c), in the order sshd checks them. */
enum config_acl_kind {
	CONFIG_ACL_DENY_USERS = 0,
	CONFIG_ACL_ALLOW_USERS,
	CONFIG_ACL_DENY_GROUPS,
	CONFIG_ACL_ALLOW_GROUPS,
	CONFIG_ACL_NKINDS
};

/* One keyword's patterns; every line adds to the list, as in sshd. */
struct config_acl {
	char	**al_pat;
	int	  al_n;
};

struct config_login {
	struct config_acl lg_acl[CONFIG_ACL_NKINDS];
	int	 lg_root;	/* enum config_root, -1 unset */
	char	*lg_banner;	/* Banner: a path or "none"; NULL unset */
	char	*lg_authmethods;	/* as -T prints it; NULL unset */
	char	*lg_permitlisten;	/* as -T prints it; NULL unset */
};

/* One Match block and the policy it sets. */
struct config_match {
	struct config_match_crit *cm_crit;
	int			 cm_ncrit;
	char			*cm_text;	/* the Match line's arguments */
	const char		*cm_file;
	int			 cm_line;
	struct policy_settings	 cm_policy;
	struct config_login	 cm_login;
};

/*
 * Where a line being read belongs (config.c, include.c): the Match block
 * it adds to, the block that was open where its file was included (a
 * Match in that file applies only within it, as in sshd), how deep the
 * Includes go, and where a relative Include path starts.
 */
struct config_pos {
	int		 cp_block;	/* index + 1 of the open block; 0 none */
	int		 cp_base;	/* the same at the Include line */
	int		 cp_depth;	/* 0 for the main file */
	const char	*cp_dir;
};

/* One ChannelTimeout "type=interval" pair. */
struct config_chan_timeout {
	char		*ct_type;	/* the pattern, NUL, the interval text */
	int		 ct_secs;	/* 0: never */
};

/* Compression: what libssh offers the client. */
enum config_compression {
	CONFIG_COMP_NO = 0,
	CONFIG_COMP_YES,	/* zlib@openssh.com, after auth (sshd's) */
};

struct config {
	int			 c_refs;	/* config_new: see config_unref */
	int			 c_ports[CONFIG_MAX_PORTS];
	int			 c_nports;
	struct config_listen	 c_listen[CONFIG_MAX_LISTEN];
	int			 c_nlisten;
	char			*c_hostkeys[CONFIG_MAX_HOSTKEYS];
	int			 c_nhostkeys;
	char			*c_akfiles[CONFIG_MAX_AKFILES];
	int			 c_nakfiles;
	int			 c_log_level;	/* enum log_level, -1 unset */
	int			 c_syslog_facility;	/* -1 unset */
	char			*c_pidfile;	/* "none" disables */
	char			*c_user;	/* runs as, once started as root */
	char			*c_state_dir;	/* generated host key lives here */
	int			 c_login_grace;	/* seconds, 0 = none */
	int			 c_max_auth_tries;
	int			 c_max_startups;	/* MaxStartups full */
	int			 c_max_startups_begin;	/* start */
	int			 c_max_startups_rate;	/* rate, percent */
	int			 c_persource_max;	/* INT_MAX: none */
	int			 c_persource_mask4;	/* PerSourceNetBlockSize */
	int			 c_persource_mask6;
	int			 c_max_chans_session;	/* MaxChannelsPerSession */
	int			 c_max_chans_user;	/* MaxChannelsPerUser */
	int			 c_max_chans_source;	/* MaxChannelsPerSource */
	int			 c_max_pending;	/* MaxPendingChannels */
	int			 c_workers;	/* 0 = one per core */
	int			 c_demo;	/* JumpgateDemo: make a demo key */
	int			 c_address_family;	/* AF_UNSPEC "any" */
	char			*c_resolv_conf;	/* nameservers for targets */
	char			*c_algos[ALGOS_NKINDS];	/* NULL: libssh's */
	int			 c_alive_interval;	/* seconds, 0 = off */
	int			 c_alive_count_max;	/* 0 = never drop */
	int			 c_tcp_keepalive;	/* SO_KEEPALIVE */
	int			 c_compression;	/* enum config_compression */
	long long		 c_rekey_limit;	/* bytes, 0 = cipher's */
	int			 c_rekey_interval;	/* seconds, 0 = none */
	struct config_chan_timeout *c_chan_timeouts;
	int			 c_nchan_timeouts;	/* -1 unset */
	int			 c_unused_timeout;	/* seconds, 0 = none */
	int			 c_connect_timeout;	/* seconds, 0 = kernel */
	int			 c_shutdown_grace;	/* seconds, 0 = none */
	int			 c_strict_modes;	/* StrictModes */
	int			 c_use_pam;	/* UsePAM: account checks */
	char			*c_audit_log;	/* "none", "stdout" or a path */
	struct config_listen	 c_admin_listen;	/* cl_port 0: none */
	int			 c_admin_set;
	char			*c_admin_socket;	/* "none" or a path */
	char			*c_proxy_from;	/* address list, or "none" */
	struct config_akcmd	 c_akcmd;	/* AuthorizedKeysCommand */
	struct config_certs	 c_certs;	/* TrustedUserCAKeys, ... */
	struct policy_settings	 c_policy;	/* the global section's */
	struct config_login	 c_login;	/* the global section's */
	struct config_match	*c_matches;
	int			 c_nmatches;
	char			**c_sources;	/* interned "file:line" strings */
	int			 c_nsources;
};

/* Sets every field to "unset". */
void	config_init(struct config *cf);

/*
 * Parses one line.  name/lineno are used for the error text, which reads
 * "NAME:LINE: message".  Returns 0, or -1 with err filled.
 */
int	config_parse_line(struct config *cf, const char *line,
	    const char *name, int lineno, char *err, size_t errlen);

/* Parses a whole file; stops at the first bad line. */
int	config_load_file(struct config *cf, const char *path, char *err,
	    size_t errlen);

/* Parses a whole text (the embedded default); same errors as a file. */
int	config_load_string(struct config *cf, const char *text,
	    const char *name, char *err, size_t errlen);

/* Applies "Keyword=value" or "Keyword value" from -o. */
int	config_apply_option(struct config *cf, const char *opt, char *err,
	    size_t errlen);

/* Fills defaults for everything still unset (after all sources). */
void	config_finalize(struct config *cf);

/* An algorithm list in force: the configured one, else the default. */
const char *config_algos(const struct config *cf, enum algos_kind kind);

/*
 * The login settings in force for a connection (first applying Match
 * block that sets each, else the global value, else sshd's default).
 * Strings point into cf.
 */
void	config_effective_login(const struct config *cf,
	    const struct config_conninfo *ci, struct config_login *out);

/*
 * sshd's auth_root_allowed() for a key login (jumpgate runs no forced
 * commands): 1 unless user is root and root_login (enum config_root, -1
 * unset) refuses it.
 */
int	config_root_allowed(int root_login, const char *user);

/*
 * The Banner file's text for the session (read at each connection, as
 * sshd does), or NULL: none set, unreadable, empty or over 1 MiB.
 */
char	*config_banner_read(const char *path);
/* ChannelTimeout for a channel type: the first matching pair, else 0. */
int	config_channel_timeout(const struct config *cf, const char *type);

/*
 * sshd's allowed_user() for the lists (access.c): DenyUsers, AllowUsers,
 * DenyGroups, AllowGroups, in that order, with the Match blocks for ci
 * applied.  host is the client's address (UseDNS no); groups are the
 * account's group names, NULL when it has none (or no account).  1 when
 * allowed; 0 with why set to sshd's log line.
 */
int	config_access_allowed(const struct config *cf,
	    const struct config_conninfo *ci, const char *host,
	    char *const *groups, int ngroups, char *why, size_t whylen);
/* 1 when a group list is in force for ci: only then are groups needed. */
int	config_access_needs_groups(const struct config *cf,
	    const struct config_conninfo *ci);

/*
 * 1 when a connection from addr (numeric) must start with a PROXY
 * protocol header: ProxyProtocolFrom lists it.
 */
int	config_proxy_trusted(const struct config *cf, const char *addr);

/* Prints the effective configuration, lowercase keywords, like sshd -T. */
void	config_dump(const struct config *cf, int fd);

void	config_free(struct config *cf);

/*
 * A configuration shared by threads and outliving a reload: config_new
 * returns one initialised with a single reference; each holder (the
 * main thread, a worker, a session whose policy points into it) takes
 * its own with config_ref, and the last config_unref frees it.  Any
 * thread may take or drop a reference; the settings are never changed
 * once config_finalize ran.
 */
struct config *config_new(void);
struct config *config_ref(struct config *cf);
void	config_unref(struct config *cf);

/*
 * The policy in force for a connection, as sshd computes it: for each
 * setting, the first applying Match block that sets it wins, else the
 * global value.  DenyDestination rules accumulate from the global section
 * and every applying block (a Match can add denials, never lift them).
 * out points into cf; config_policy_release frees only what it allocated.
 */
void	config_effective_policy(const struct config *cf,
	    const struct config_conninfo *ci, struct policy_settings *out);
void	config_policy_release(struct policy_settings *ps);

/* 1 when the Match block applies to ci (sshd's match_cfg_line). */
int	config_match_applies(const struct config_match *cm,
	    const struct config_conninfo *ci);

/*
 * Parses "user=alice,addr=1.2.3.4,laddr=...,lport=22" (sshd -C syntax,
 * also used by --explain, which adds key=FILE).  Strings point into the
 * modified spec.  Returns 0, or -1 with err set.
 */
int	config_parse_conninfo(char *spec, struct config_conninfo *ci,
	    const char **keyfile, char *err, size_t errlen);

/* -T -C: the effective configuration for one connection. */
void	config_dump_conn(const struct config *cf,
	    const struct config_conninfo *ci, int fd);

/*
 * Entry parsers, shared with the fuzzers.  PermitOpen takes sshd's
 * syntax ("host:port", "[v6]:port", "*" for either part); errors use
 * sshd's words ("bad port number", "missing host").  A destination rule
 * takes "name-or-glob:ports", "addr[/len]:ports", "[v6[/len]]:ports",
 * with ports "N", "N-M" or "*".
 */
int	config_parse_permitopen(const char *s, struct permit_entry *out,
	    char *err, size_t errlen);
int	config_parse_dest(const char *s, int deny, struct dest_rule *out,
	    char *err, size_t errlen);
void	config_dest_free(struct dest_rule *dr);

/*
 * Internal to config/ (config.c, match.c, dest.c), which share one
 * settings structure but keep separate files to stay readable.  Not for
 * use outside config/.
 */
/* "FILE:LINE: message" into err; returns -1, for the callers' return. */
int	config_verrf(char *err, size_t errlen, const char *file, int line,
	    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
int	config_errf(char *err, size_t errlen, const char *file, int line,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/*
 * A path authkeys_expand_path() will expand: %u, %h and %% only, else
 * -1 with "FILE:LINE: KW: unknown token %x in ..." in err.
 */
int	config_path_tokens(const char *kw, const char *arg, const char *file,
	    int line, char *err, size_t errlen);
/* sshd's yes/no flag, case-insensitive: 1, 0, or -1 when neither. */
int	config_yesno(const char *s);
void	config_policy_init(struct policy_settings *ps);
void	config_policy_free(struct policy_settings *ps);
int	config_policy_parse(struct policy_settings *ps, const char *keyword,
	    char **av, int ac, const char *file, int line, const char *src,
	    char *err, size_t errlen);
void	config_policy_dump(const struct policy_settings *ps, int fd);
/* 1 when the block has a Principal criterion: policy keywords only. */
int	config_match_has_principal(const struct config_match *cm);
int	config_match_parse(struct config *cf, char **av, int ac,
	    const char *file, int line, char *err, size_t errlen);
void	config_match_free(struct config_match *cm);
char	*config_abspath(const char *path);
void	config_login_init(struct config_login *lg);
void	config_login_free(struct config_login *lg);
int	config_login_parse(struct config_login *lg, const char *keyword,
	    char **av, int ac, char *err, size_t errlen);
void	config_login_dump(const struct config_login *lg, int fd);
/* Reads one file at pos (the main file, or one an Include names). */
int	config_load_pos(struct config *cf, const char *path,
	    struct config_pos *pos, char *err, size_t errlen);
/* Include (include.c): every file the globs name, in lexical order. */
int	config_include(struct config *cf, char **av, int ac,
	    const char *file, int line, struct config_pos *pos, char *err,
	    size_t errlen);
/* Makes block child apply only where block parent does. */
void	config_match_inherit(struct config *cf, int child, int parent);
/* AllowUsers, DenyUsers, AllowGroups, DenyGroups (access.c). */
int	config_access_parse(struct config_login *lg, const char *keyword,
	    char **av, int ac, char *err, size_t errlen);
void	config_access_free(struct config_login *lg);
void	config_access_dump(const struct config *cf,
	    const struct config_conninfo *ci, int fd);
/* sshd's time format ("1h30m", bare seconds): seconds, or -1. */
int	config_convtime(const char *s);
/* AuditLog, AdminListen, AdminSocket, ProxyProtocolFrom (frontend.c). */
int	config_frontend_parse(struct config *cf, const char *keyword,
	    char **av, int ac, const char *file, int line, char *err,
	    size_t errlen);
void	config_frontend_finalize(struct config *cf);
void	config_frontend_free(struct config *cf);
void	config_frontend_dump(const struct config *cf, int fd);
/* ClientAlive*, TCPKeepAlive, Compression, RekeyLimit, the timeouts. */
int	config_liveness_parse(struct config *cf, const char *keyword,
	    char **av, int ac, const char *file, int line, char *err,
	    size_t errlen);

#endif
