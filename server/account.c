/*
 * account.c: what sshd learns about a user name's system account before
 * letting it try to log in (getpwnamallow, allowed_user in auth.c).
 *
 * jumpgate serves names that have no system account (keys in
 * /etc/jumpgate/keys/%u), so a missing account is no refusal here; but
 * when the name is a system account, the account's state counts as in
 * sshd: expired (shadow's expiry date passed) is refused, and so is a
 * locked password ("!" prefix, passwd -l) when UsePAM is no, sshd's
 * default (with UsePAM yes sshd leaves locking to PAM, whose account
 * stack ignores it for key logins), and a shell that does not exist or
 * is not executable.
 *
 * The lookups are NSS calls and may block (LDAP, sssd); they run on the
 * worker thread once per connection, at the first request, as the home
 * directory lookup already did.  Reading shadow needs root or
 * CAP_DAC_READ_SEARCH; without it the expiry and lock checks are skipped
 * (debug line), since the passwd entry says nothing about either.
 */
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <shadow.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "log.h"
#include "str.h"

/* Groups a user may be in before getgrouplist is asked again. */
#define ACCOUNT_NGROUPS_START	64
#define ACCOUNT_NGROUPS_MAX	65536
#define ACCOUNT_BUF_MAX		(1024 * 1024)

/* sshd's default shell for an empty pw_shell. */
#define ACCOUNT_BSHELL		"/bin/sh"

gid_t *
account_gids(const char *user, gid_t gid, int *np)
{
	gid_t *gids = NULL;
	int n = ACCOUNT_NGROUPS_START;

	for (;;) {
		gids = xreallocarray(gids, (size_t)n, sizeof(*gids));
		if (getgrouplist(user, gid, gids, &n) != -1)
			break;
		if (n > ACCOUNT_NGROUPS_MAX) {
			free(gids);
			return NULL;
		}
	}
	*np = n;
	return gids;
}

static void
account_groups(const char *user, gid_t gid, struct account *ac)
{
	struct group gr, *res;
	gid_t *gids;
	char *buf = NULL;
	size_t len = 4096;
	int n, i, r;

	if ((gids = account_gids(user, gid, &n)) == NULL)
		return;
	ac->ac_groups = xcalloc((size_t)n, sizeof(*ac->ac_groups));
	for (i = 0; i < n; i++) {
		for (;;) {
			buf = xreallocarray(buf, len, 1);
			r = getgrgid_r(gids[i], &gr, buf, len, &res);
			if (r != ERANGE || len >= ACCOUNT_BUF_MAX)
				break;
			len *= 2;
		}
		/* sshd's ga_init skips a gid without a name too. */
		if (r == 0 && res != NULL)
			ac->ac_groups[ac->ac_ngroups++] = xstrdup(gr.gr_name);
	}
	free(buf);
	free(gids);
}

static void
account_shadow(const char *user, struct account *ac)
{
	struct spwd sp, *res = NULL;
	char *buf = NULL;
	size_t len = 4096;
	int r;

	for (;;) {
		buf = xreallocarray(buf, len, 1);
		errno = 0;
		r = getspnam_r(user, &sp, buf, len, &res);
		if (r != ERANGE || len >= ACCOUNT_BUF_MAX)
			break;
		len *= 2;
	}
	if (r == 0 && res != NULL) {
		free(ac->ac_passwd);
		ac->ac_passwd = xstrdup(sp.sp_pwdp != NULL ? sp.sp_pwdp : "");
		ac->ac_expire = sp.sp_expire;
	} else
		log_debug3("%s: no shadow entry for %.100s: %s", __func__,
		    user, r != 0 ? strerror(r) : "none");
	free(buf);
}

void
account_lookup(const char *user, int want_groups, struct account *ac)
{
	struct passwd pw, *res = NULL;
	struct timespec t0, t1;
	char *buf = NULL;
	size_t len = 4096;
	int r;

	memset(ac, 0, sizeof(*ac));
	ac->ac_expire = -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		buf = xreallocarray(buf, len, 1);
		r = getpwnam_r(user, &pw, buf, len, &res);
		if (r != ERANGE || len >= ACCOUNT_BUF_MAX)
			break;
		len *= 2;
	}
	if (r == 0 && res != NULL) {
		ac->ac_exists = 1;
		ac->ac_uid = pw.pw_uid;
		ac->ac_gid = pw.pw_gid;
		if (pw.pw_dir != NULL && *pw.pw_dir != '\0')
			ac->ac_home = xstrdup(pw.pw_dir);
		ac->ac_shell = xstrdup(pw.pw_shell != NULL &&
		    *pw.pw_shell != '\0' ? pw.pw_shell : ACCOUNT_BSHELL);
		ac->ac_passwd = xstrdup(pw.pw_passwd != NULL ?
		    pw.pw_passwd : "");
		account_shadow(user, ac);
		if (want_groups)
			account_groups(user, pw.pw_gid, ac);
	}
	free(buf);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_debug3("%s: %.100s: %s, %d groups, %ld us", __func__, user,
	    ac->ac_exists ? "account" : "no account", ac->ac_ngroups,
	    (long)((t1.tv_sec - t0.tv_sec) * 1000000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000));
}

int
account_usable(const struct account *ac, const char *user, int use_pam)
{
	struct stat st;
	long today = (long)(time(NULL) / (24 * 60 * 60));

	if (!ac->ac_exists)
		return 1;
	/* sshd's auth_shadow_acctexpired(), reached from both paths. */
	if (ac->ac_expire != -1 && ac->ac_expire - today < 0) {
		log_info("Account %.100s has expired", user);
		return 0;
	}
	if (!use_pam && ac->ac_passwd != NULL && ac->ac_passwd[0] == '!') {
		log_info("User %.100s not allowed because account is locked",
		    user);
		return 0;
	}
	if (stat(ac->ac_shell, &st) == -1) {
		log_info("User %.100s not allowed because shell %.100s does "
		    "not exist", user, ac->ac_shell);
		return 0;
	}
	if (!S_ISREG(st.st_mode) ||
	    (st.st_mode & (S_IXOTH | S_IXUSR | S_IXGRP)) == 0) {
		log_info("User %.100s not allowed because shell %.100s is not "
		    "executable", user, ac->ac_shell);
		return 0;
	}
	return 1;
}

void
account_free(struct account *ac)
{
	int i;

	free(ac->ac_home);
	free(ac->ac_shell);
	free(ac->ac_passwd);
	for (i = 0; i < ac->ac_ngroups; i++)
		free(ac->ac_groups[i]);
	free(ac->ac_groups);
	memset(ac, 0, sizeof(*ac));
}
