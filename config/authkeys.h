/*
 * authkeys.h: authorized_keys files and the options on their lines.
 *
 * AuthorizedKeysFile patterns take %u (user), %h (home, needs a system
 * account) and %%.  A relative path is relative to the user's home, as in
 * sshd; without a system account such a path is skipped.  A user is
 * "known" when at least one of its expanded files exists.
 *
 * Option syntax and semantics are sshd's (auth-options.c): names are
 * case-insensitive, values are double-quoted with \" as an escaped quote,
 * options apply left to right, and an unknown option or bad value makes
 * the whole line unusable ("bad key options:").
 */
#ifndef JG_AUTHKEYS_H
#define JG_AUTHKEYS_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <libssh/libssh.h>

struct cert;

#define AUTHKEYS_MAX_PERMITOPEN	4096
#define AUTHKEYS_PERMIT_ANY_PORT (-1)

struct permit_entry {
	char	*pe_host;	/* brackets stripped; "*" matches any host */
	int	 pe_port;	/* 1..65535 or AUTHKEYS_PERMIT_ANY_PORT */
};

struct authkey_opts {
	int			 ao_port_forwarding;	/* 1 unless restricted */
	struct permit_entry	*ao_permitopen;
	int			 ao_npermitopen;
	char			*ao_from;	/* from="..." pattern list */
	char			*ao_principals;	/* principals="a,b" */
	/* A certificate's principal that matched (Match Principal). */
	char			*ao_cert_principal;
	uint64_t		 ao_expiry;	/* expiry-time, UTC epoch; 0 none */
	int			 ao_cert_authority;
	char			*ao_text;	/* the options as written */
	unsigned int		 ao_flags;	/* AUTHKEYS_OPT_*, see below */
	int			 ao_tun;	/* tunnel="n"; -1 when absent */
};

/*
 * Options jumpgate has no use for but sshd reports in its "key options:"
 * line (and, for principals, checks), kept so the log reads the same.
 * The first four are on by default and cleared by "restrict".
 */
#define AUTHKEYS_OPT_AGENT	0x0001	/* agent-forwarding */
#define AUTHKEYS_OPT_X11	0x0002	/* x11-forwarding */
#define AUTHKEYS_OPT_PTY	0x0004	/* pty */
#define AUTHKEYS_OPT_USER_RC	0x0008	/* user-rc */
#define AUTHKEYS_OPT_NO_TOUCH	0x0010	/* no-touch-required */
#define AUTHKEYS_OPT_VERIFY	0x0020	/* verify-required */
#define AUTHKEYS_OPT_COMMAND	0x0040	/* command="..." */
#define AUTHKEYS_OPT_PRINCIPALS	0x0080	/* principals="..." */
#define AUTHKEYS_OPT_LISTEN	0x0100	/* permitlisten="..." */
#define AUTHKEYS_OPT_RESTRICT	0x0200	/* restrict */

/* Where a key was found and what its line says. */
struct authkey_match {
	char			 am_file[4096];
	int			 am_line;
	struct authkey_opts	 am_opts;
	int			 am_cert_refused;	/* by a CA line */
};

/*
 * Parses the options part of a line (everything before the key type) into
 * opts.  Returns 0, or -1 with err set to sshd's reason text (e.g.
 * "invalid permission port").  *consumed receives how many bytes of s the
 * options took, including the separating whitespace.
 */
int	authkeys_parse_options(const char *s, struct authkey_opts *opts,
	    size_t *consumed, char *err, size_t errlen);
void	authkeys_opts_free(struct authkey_opts *opts);

/* A permitopen entry as sshd writes it: "host:port", "[v6]:*". */
void	authkeys_permit_format(const struct permit_entry *pe, char *buf,
	    size_t len);
void	authkeys_permits_free(struct permit_entry *pe, int n);

/*
 * Expands one AuthorizedKeysFile pattern for user.  Returns 0, or -1 when
 * it needs a home directory the user does not have.
 */
int	authkeys_expand_path(const char *pattern, const char *user,
	    const char *home, char *out, size_t outlen);

/* 1 when at least one of the user's files exists, else 0. */
int	authkeys_user_known(char *const *patterns, int npatterns,
	    const char *user);

/*
 * Looks for key in the user's files, line by line, in order.  A line whose
 * options are bad is skipped with sshd's debug line; a line whose from=
 * does not match client_ip, or whose expiry-time has passed, is skipped
 * with sshd's INFO/debug line.  The first usable line wins.  Returns 1 and
 * fills out (free with authkeys_match_free) when found, 0 otherwise.
 */
int	authkeys_find(char *const *patterns, int npatterns, const char *user,
	    const ssh_key key, const char *client_ip, struct authkey_match *out);

/*
 * The same two with the account looked up once by the caller: the home
 * directory from authkeys_user_home, NULL when no pattern needs it (1 from
 * authkeys_need_home: %h, or a relative path) or there is no account.
 * getpwnam_r may block (NSS), so a session calls it once per user name.
 */
int	authkeys_need_home(char *const *patterns, int npatterns);
char	*authkeys_user_home(char *const *patterns, int npatterns,
	    const char *user);
int	authkeys_user_known_home(char *const *patterns, int npatterns,
	    const char *user, const char *home);
int	authkeys_find_home(char *const *patterns, int npatterns,
	    const char *user, const char *home, const ssh_key key,
	    const char *client_ip, struct authkey_match *out);
void	authkeys_match_free(struct authkey_match *m);

/*
 * authorized_keys lines held in memory (an AuthorizedKeysCommand's
 * output), checked as a file's are.  Log lines name loc_name:LINE; a
 * match's am_file is src.
 */
int	authkeys_find_text(const char *text, size_t len, const char *loc_name,
	    const char *src, const char *user, const ssh_key key,
	    const struct cert *cert, const char *client_ip,
	    struct authkey_match *out);

/*
 * The account a file is read for, and StrictModes (safepath.c).  With
 * authkeys_find_acct each file opened is checked as sshd does: a file
 * the account could not read itself is "Permission denied", a StrictModes
 * failure "Authentication refused: bad ownership or modes for ...".
 */
struct authkeys_acct {
	const char	*aa_home;	/* the account's home, or NULL */
	uid_t		 aa_uid;
	gid_t		 aa_gid;
	int		 aa_account;	/* 0: the name has no system account */
	int		 aa_strict;	/* StrictModes */
};

#define SAFEPATH_BAD		(-1)	/* StrictModes refuses; err set */
#define SAFEPATH_UNREADABLE	(-2)	/* the account could not read it */

int	safepath_check(int fd, const char *path,
	    const struct authkeys_acct *acct, char *err, size_t errlen);
/*
 * A user's keys or principals file ("keys", "principals" in the log
 * lines), as sshd opens it: a regular file, never blocking on a FIFO,
 * StrictModes checked for acct.  NULL, with sshd's line logged.
 */
FILE	*authkeys_open(const char *path, const char *user,
	    const struct authkeys_acct *acct, const char *what);
int	authkeys_find_acct(char *const *patterns, int npatterns,
	    const char *user, const struct authkeys_acct *acct,
	    const ssh_key key, const struct cert *cert, const char *client_ip,
	    struct authkey_match *out);

/*
 * Certificates (authca.c): with cert (key's parsed certificate, see
 * cert.h) given to authkeys_find_acct or authkeys_find_text, only
 * cert-authority lines are looked at, as sshd does: a line whose key is
 * the certificate's CA, whose principals= (or else the user name) the
 * certificate lists, and whose certificate cert_check() accepts, grants;
 * the line's other options apply, and port forwarding needs both the
 * line and the certificate to allow it.  A plain key never matches a
 * cert-authority line, a certificate never a plain line.
 */
/* authca_check_line: 1 grants, -1 the line's CA refused, 0 not a CA line. */
int	authca_check_line(char *cp, const char *loc, const char *user,
	    const struct cert *cert, const char *ip,
	    struct authkey_opts *opts);
/*
 * sshd's two lines for a refused certificate, src the "file:line" of a
 * cert-authority line, NULL for TrustedUserCAKeys; v from cert_check().
 */
struct cert_verdict;
void	authca_log_refusal(const struct cert_verdict *v, const char *src);
/*
 * AuthorizedPrincipalsFile (authprinc.c), the path expanded: the
 * certificate's principal that the first "[options] principal" line
 * names (a view into cert), out filled with that line's file, number and
 * options; NULL when no line does or the file cannot be read.
 */
const char *authprinc_find(const char *path, const char *user,
	    const struct authkeys_acct *acct, const struct cert *cert,
	    struct authkey_match *out);
/* For authca.c: sshd's auth_authorise_keyopts() (expiry, from=). */
int	authkeys_authorise(const struct authkey_opts *o, const char *loc,
	    const char *user, const char *ip);

/*
 * sshd's match_host_and_ip for from= (with UseDNS no, so the host name is
 * the address): "*", "?", "!" negation, and address/len CIDR entries.
 * Returns 1 match, 0 no match, -1 negated match, and -2 when the list is
 * invalid (an empty entry, a bad mask length, host bits set past the
 * mask), which sshd also treats as a refusal.
 */
int	authkeys_match_from(const char *patterns, const char *ip);

#endif
