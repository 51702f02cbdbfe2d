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

#include <stddef.h>

#define CONFIG_MAX_PORTS	16
#define CONFIG_MAX_LISTEN	16
#define CONFIG_MAX_HOSTKEYS	8
#define CONFIG_MAX_AKFILES	8
#define CONFIG_ERR_MAX		512

/* Where the daemon looks when -f is not given. */
#define CONFIG_DEFAULT_PATH	JUMPGATE_SYSCONFDIR "/jumpgate.conf"

struct config_listen {
	char	 cl_host[256];	/* numeric address or name, no brackets */
	int	 cl_port;	/* 0: every Port */
};

struct config {
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
	char			*c_state_dir;	/* generated host key lives here */
	int			 c_login_grace;	/* seconds, 0 = none */
	int			 c_max_auth_tries;
	int			 c_max_startups;	/* unauthenticated conns */
	int			 c_workers;	/* 0 = one per core */
	int			 c_demo;	/* JumpgateDemo: make a demo key */
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

/* Prints the effective configuration, lowercase keywords, like sshd -T. */
void	config_dump(const struct config *cf, int fd);

void	config_free(struct config *cf);

#endif
