/*
 * akcmd.h: AuthorizedKeysCommand and the keywords around it, as read
 * from the configuration (akcmd.c); server/akrun.c runs the command.
 *
 * AuthorizedKeysCommand takes sshd's tokens in its arguments (never in
 * the program's path, which must be absolute): %% %u %U %f %t %k %h.
 * AuthorizedKeysCommandUser must be set with it.  All four keywords are
 * global only: jumpgate decides who runs the command once per daemon.
 */
#ifndef JG_AKCMD_H
#define JG_AKCMD_H

#include <stddef.h>
#include <sys/types.h>

/* AuthorizedKeysCommandTimeout's default, seconds. */
#define AKCMD_DEFAULT_TIMEOUT	10

/*
 * The run-as account, looked up by the server (akrun_resolve) before a
 * configuration is used, so that no worker ever asks NSS.
 */
struct akcmd_runas {
	int	 ar_set;
	uid_t	 ar_uid;
	gid_t	 ar_gid;
	gid_t	*ar_groups;	/* supplementary, getgrouplist's */
	int	 ar_ngroups;
	char	*ar_home;
};

struct config_akcmd {
	char		**ak_argv;	/* NULL: none */
	int		  ak_argc;
	const char	 *ak_where;	/* "file:line" of the keyword */
	char		 *ak_user;	/* AuthorizedKeysCommandUser */
	int		  ak_timeout;	/* seconds; -1 unset */
	int		  ak_cache;	/* seconds, 0 = off; -1 unset */
	struct akcmd_runas ak_runas;
};

/* What the tokens stand for in one run; NULL: not known. */
struct akcmd_tokens {
	const char	*at_user;	/* %u */
	const char	*at_uid;	/* %U, decimal */
	const char	*at_home;	/* %h */
	const char	*at_fp;		/* %f, "SHA256:..." */
	const char	*at_type;	/* %t, "ssh-ed25519" */
	const char	*at_key;	/* %k, base64 */
};

/* One line's arguments; where is the interned "file:line". */
int	akcmd_parse(struct config_akcmd *ak, const char *keyword, char **av,
	    int ac, const char *where, const char *file, int line, char *err,
	    size_t errlen);
void	akcmd_finalize(struct config_akcmd *ak);
/* After every source: the command needs its user.  -1 with err set. */
int	akcmd_check(const struct config_akcmd *ak, char *err, size_t errlen);
void	akcmd_free(struct config_akcmd *ak);
void	akcmd_dump(const struct config_akcmd *ak, int fd);

/*
 * The argv for one run (NULL-terminated, free with akcmd_argv_free), or
 * NULL when an argument needs a token the run has no value for (%h or
 * %U for a name without an account): *missing is then that token.  A
 * command given without arguments gets the user name, as in sshd.
 */
char	**akcmd_expand(const struct config_akcmd *ak,
	    const struct akcmd_tokens *t, char *missing);
void	akcmd_argv_free(char **av);
/* The argv as one printable line, for the log ("cmd arg arg"). */
char	*akcmd_argv_join(char *const *av);

#endif
