/*
 * policy.h: the forwarding decision, as pure functions with no I/O.
 *
 * Two phases, because a decision may need the addresses a name resolves
 * to and resolution is I/O that belongs to the channel:
 *
 *   policy_check_name  before DNS: the forwarding switches, sshd's two
 *                      permitopen lists (literal, case-sensitive, exactly
 *                      as sshd), jumpgate's name rules (deny first);
 *   policy_check_addr  for each resolved address: jumpgate's address rules
 *                      (deny first) and the special-destination guard.
 *
 * The channel connects only to addresses that phase 2 allowed, so no
 * second lookup can change what was checked.
 */
#ifndef JG_POLICY_H
#define JG_POLICY_H

#include <sys/socket.h>

#include "authkeys.h"

/* A PermitDestination / DenyDestination entry (jumpgate's own rules). */
enum dest_kind {
	DEST_NAME = 0,	/* a host name or glob: '*' and '?', no DNS */
	DEST_ADDR,	/* an IPv4/IPv6 address or CIDR, matched after DNS */
};

struct dest_rule {
	int		 dr_deny;	/* DenyDestination */
	enum dest_kind	 dr_kind;
	char		*dr_host;	/* DEST_NAME: lowercase, no trailing dot */
	int		 dr_family;	/* DEST_ADDR: AF_INET or AF_INET6 */
	unsigned char	 dr_addr[16];	/* DEST_ADDR: network, host bits zero */
	int		 dr_prefix;	/* DEST_ADDR: 0..32 or 0..128 */
	int		 dr_port_lo;	/* 0..65535; "*" is 0-65535 */
	int		 dr_port_hi;
	char		*dr_text;	/* as written, for logs */
	const char	*dr_file;	/* where it was written */
	int		 dr_line;
};

/* One of our own listening endpoints: never a forwarding target. */
struct policy_endpoint {
	int		 pe_family;
	unsigned char	 pe_addr[16];
	int		 pe_port;
};

/*
 * The forwarding policy in force for one connection (what Match can
 * override), after Match blocks were applied.  Unset values read as
 * sshd's defaults.
 */
enum policy_fwd {
	POLICY_FWD_ALL = 0,	/* AllowTcpForwarding yes|all */
	POLICY_FWD_LOCAL,
	POLICY_FWD_REMOTE,
	POLICY_FWD_NO,
};

struct policy_settings {
	int			 ps_allow_tcp;	/* enum policy_fwd, -1 unset */
	const char		*ps_allow_tcp_src;	/* "file:line", or NULL */
	int			 ps_disable;	/* DisableForwarding, -1 unset */
	const char		*ps_disable_src;
	int			 ps_permitopen_set;	/* PermitOpen seen */
	int			 ps_permitopen_none;	/* PermitOpen none */
	struct permit_entry	*ps_permitopen;	/* empty + set = any */
	int			 ps_npermitopen;
	const char		*ps_permitopen_src;
	struct dest_rule	*ps_permit;	/* PermitDestination */
	int			 ps_npermit;
	struct dest_rule	*ps_deny;	/* DenyDestination */
	int			 ps_ndeny;
	int			 ps_deny_special;	/* -1 unset = yes */
	const char		*ps_deny_special_src;
};

struct policy_ctx {
	const struct policy_settings	*pc_set;
	const struct authkey_opts	*pc_key;	/* the key's line */
	const char			*pc_key_src;	/* "file:line" */
	const struct policy_endpoint	*pc_self;
	int				 pc_nself;
};

enum policy_verdict {
	POLICY_ALLOW = 0,
	POLICY_FORWARDING_OFF,	/* sshd: "refused local port forward: ..." */
	POLICY_NOT_PERMITTED,	/* sshd: "... but the request was denied." */
	POLICY_DENIED,		/* a jumpgate rule or guard denied it */
};

struct policy_result {
	enum policy_verdict	 pr_verdict;
	/*
	 * What decided, for logs and --explain, e.g.
	 * "/etc/jumpgate/jumpgate.conf:12: PermitDestination db:5432".
	 */
	char			 pr_rule[512];
	int			 pr_by_name;	/* an admin entry named it */
	int			 pr_need_addr;	/* phase 2 must find a permit */
};

void	policy_check_name(const struct policy_ctx *pc, const char *host,
	    int port, struct policy_result *out);
void	policy_check_addr(const struct policy_ctx *pc,
	    const struct policy_result *byname, int port,
	    const struct sockaddr *sa, struct policy_result *out);

/* sshd's open_match: one permitopen entry against a request; 1 on match. */
int	policy_entry_match(const struct permit_entry *pe, const char *host,
	    int port);
/* jumpgate rules; 1 on match. */
int	policy_dest_match_name(const struct dest_rule *dr, const char *host,
	    int port);
int	policy_dest_match_addr(const struct dest_rule *dr,
	    const struct sockaddr *sa, int port);
/*
 * Link-local, cloud metadata, their IPv4-mapped forms and their NAT64
 * (64:ff9b::/96) forms; 1 if so.
 */
int	policy_addr_special(const struct sockaddr *sa);
/* sshd's pattern match: '*' and '?', case-insensitive when asked. */
int	policy_glob(const char *pattern, const char *s, int nocase);

#endif
