/*
 * privs.h: leaving root once the daemon holds what only root could get.
 */
#ifndef JG_PRIVS_H
#define JG_PRIVS_H

#include <sys/types.h>

struct config;

/*
 * Started as root with a User other than root: 0 when the account
 * exists, else -1 with the reason logged (for -t and start-up alike).
 * Not root, or User root: 0.
 */
int	privs_check(const struct config *cf);

/* 1 when privs_drop will switch accounts, with the ids it switches to. */
int	privs_target(const struct config *cf, uid_t *uid, gid_t *gid);

/*
 * After akrun_resolve: 0 when AuthorizedKeysCommand's children can
 * become AuthorizedKeysCommandUser: no switch needed, root, or the
 * capabilities kept (privs_drop).  started: User is already in force
 * (a reload).  -1 with the reason logged.
 */
int	privs_check_akcmd(const struct config *cf, int started);

/*
 * Before the switch: makes path's missing parent directory (one level,
 * mode 0755), given to User when the daemon will become User, so that
 * User can remove what is made in it at exit.  Returns what
 * privs_target returns, with the ids.
 */
int	privs_parent_dir(const struct config *cf, const char *path, uid_t *uid,
	    gid_t *gid);

/*
 * Becomes User (groups, gid, uid), keeping CAP_DAC_READ_SEARCH only when
 * an AuthorizedKeysFile pattern reaches into home directories, and
 * CAP_SETUID with CAP_SETGID only when AuthorizedKeysCommandUser is
 * another account.  Call
 * with one thread only, after binding and loading host keys.  Fatal on
 * any failure: a daemon that meant to drop root must not go on as root.
 */
void	privs_drop(const struct config *cf);

#endif
