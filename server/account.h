/*
 * account.h: the system account behind a user name, looked up once per
 * connection at its first authentication request (account.c).
 */
#ifndef JG_ACCOUNT_H
#define JG_ACCOUNT_H

#include <sys/types.h>

struct account {
	int	  ac_exists;	/* 0: no such system account */
	char	 *ac_home;
	uid_t	  ac_uid;
	gid_t	  ac_gid;
	char	 *ac_shell;
	char	 *ac_passwd;	/* from shadow when readable, else passwd */
	long	  ac_expire;	/* shadow sp_expire, days; -1 none */
	char	**ac_groups;	/* names, when asked for */
	int	  ac_ngroups;
};

/* Looks user up (NSS: may block); groups only when want_groups. */
void	account_lookup(const char *user, int want_groups, struct account *ac);
/*
 * sshd's allowed_user() account checks: locked (only with UsePAM no, as
 * sshd), expired, shell missing or not executable.  Logs sshd's line and
 * returns 0 when refused.
 */
int	account_usable(const struct account *ac, const char *user,
	    int use_pam);
void	account_free(struct account *ac);
/* user's group ids with gid first (getgrouplist), or NULL past 65536. */
gid_t	*account_gids(const char *user, gid_t gid, int *n);

#endif
