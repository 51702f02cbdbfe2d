/*
 * safepath.c: the checks sshd makes on an authorized_keys file it opened,
 * and one it gets for free that jumpgate must make itself.
 *
 * StrictModes (sshd's safe_path_fd in misc.c): the file, after realpath,
 * must be a regular file owned by root or the user and not writable by
 * group or others, and so must every directory above it up to the
 * user's home (or "/" when the file is outside it).  A name without a
 * system account has no uid of its own: its files may be owned by root
 * or by the account the daemon runs as (a demo under ~/.local/state, a
 * key directory the jumpgate user keeps), which can read them anyway.
 *
 * sshd opens the file as the user, so a symlink from ~/.ssh/authorized_keys
 * to a file only root can read finds nothing.  jumpgate reads with its
 * own rights (root, or CAP_DAC_READ_SEARCH), so for a system account
 * other than root it checks what the user could read: the file's mode
 * bits for the user's uid or primary group, or others, and search
 * permission on each directory of the path as written and as resolved.
 * Supplementary groups are not consulted, which can only refuse more.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authkeys.h"
#include "str.h"

/* 1 when uid/gid could use st with the bit (S_IRUSR or S_IXUSR). */
static int
safepath_may(const struct stat *st, uid_t uid, gid_t gid, mode_t usr)
{
	if (st->st_uid == uid)
		return (st->st_mode & usr) != 0;
	if (st->st_gid == gid)
		return (st->st_mode & (usr >> 3)) != 0;
	return (st->st_mode & (usr >> 6)) != 0;
}

/* Every directory above path searchable by the account. */
static int
safepath_searchable(const char *path, const struct authkeys_acct *acct)
{
	char buf[PATH_MAX], *slash;
	struct stat st;

	if (str_lcpy(buf, path, sizeof(buf)) >= sizeof(buf))
		return 0;
	while ((slash = strrchr(buf, '/')) != NULL) {
		slash[slash == buf ? 1 : 0] = '\0';
		if (stat(buf, &st) == -1 ||
		    !safepath_may(&st, acct->aa_uid, acct->aa_gid, S_IXUSR))
			return 0;
		if (strcmp(buf, "/") == 0)
			break;
	}
	return 1;
}

int
safepath_check(int fd, const char *path, const struct authkeys_acct *acct,
    char *err, size_t errlen)
{
	char buf[PATH_MAX], home[PATH_MAX], *slash;
	struct stat st, dst;
	uid_t uid = acct->aa_account ? acct->aa_uid : geteuid();
	int comparehome = 0;

	if (fstat(fd, &st) == -1 || realpath(path, buf) == NULL) {
		snprintf(err, errlen, "realpath %s failed: %s", path,
		    strerror(errno));
		return SAFEPATH_BAD;
	}
	if (acct->aa_account && acct->aa_uid != 0 &&
	    (!safepath_may(&st, acct->aa_uid, acct->aa_gid, S_IRUSR) ||
	    !safepath_searchable(path, acct) ||
	    !safepath_searchable(buf, acct)))
		return SAFEPATH_UNREADABLE;
	if (!acct->aa_strict)
		return 0;
	if (acct->aa_home != NULL && realpath(acct->aa_home, home) != NULL)
		comparehome = 1;
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", buf);
		return SAFEPATH_BAD;
	}
	if ((st.st_uid != 0 && st.st_uid != uid) || (st.st_mode & 022) != 0) {
		snprintf(err, errlen, "bad ownership or modes for file %s",
		    buf);
		return SAFEPATH_BAD;
	}
	/* Each directory of the canonical path, walking upwards. */
	while ((slash = strrchr(buf, '/')) != NULL) {
		slash[slash == buf ? 1 : 0] = '\0';
		if (stat(buf, &dst) == -1 ||
		    (dst.st_uid != 0 && dst.st_uid != uid) ||
		    (dst.st_mode & 022) != 0) {
			snprintf(err, errlen, "bad ownership or modes for "
			    "directory %s", buf);
			return SAFEPATH_BAD;
		}
		if ((comparehome && strcmp(home, buf) == 0) ||
		    strcmp(buf, "/") == 0)
			break;
	}
	return 0;
}
