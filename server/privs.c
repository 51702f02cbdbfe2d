/*
 * privs.c: dropping root after start-up, as the User keyword says.
 *
 * A port below 1024 and a root-only host key need root; nothing after
 * that does, so once main has bound and loaded, the daemon becomes User
 * (default "jumpgate", which the Debian package creates).  Staying root
 * takes an explicit "User root".  One capability may survive the switch:
 * CAP_DAC_READ_SEARCH, when authorized_keys files live in users' homes
 * (%h or a relative pattern), so they can be read as sshd reads them
 * without the daemon being able to write anything it could not before.
 * Two more survive when AuthorizedKeysCommandUser is another account:
 * CAP_SETUID and CAP_SETGID, which each command's child needs to become
 * it.  With them the daemon could become any account again, as sshd's
 * privileged monitor, which runs the command there, always can.
 * The capability calls are the raw syscalls: libcap would be a
 * dependency for two of them.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <errno.h>
#include <stdint.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "authkeys.h"
#include "config.h"
#include "log.h"
#include "privs.h"
#include "str.h"

static int
privs_wanted(const struct config *cf)
{
	return geteuid() == 0 && strcmp(cf->c_user, "root") != 0;
}

int
privs_check(const struct config *cf)
{
	if (!privs_wanted(cf))
		return 0;
	errno = 0;
	if (getpwnam(cf->c_user) == NULL) {
		log_error("User %s: no such account (%s); create it (the "
		    "Debian package does) or set \"User root\" to keep "
		    "running as root", cf->c_user,
		    errno ? strerror(errno) : "not found");
		return -1;
	}
	return 0;
}

int
privs_target(const struct config *cf, uid_t *uid, gid_t *gid)
{
	const struct passwd *pw;

	if (!privs_wanted(cf) || (pw = getpwnam(cf->c_user)) == NULL)
		return 0;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 1;
}

int
privs_parent_dir(const struct config *cf, const char *path, uid_t *uid,
    gid_t *gid)
{
	char dir[4096], *slash;
	int drop = privs_target(cf, uid, gid);

	str_lcpy(dir, path, sizeof(dir));
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) == 0 && drop &&
		    chown(dir, *uid, *gid) == -1)
			log_error("%s: chown %s: %s", __func__, dir,
			    strerror(errno));
	}
	return drop;
}

/* CAP_SETUID and CAP_SETGID survive the switch to User (see below). */
static int privs_setid_kept;

/* Permitted and effective: the capabilities in mask alone. */
static int
privs_keep_caps(uint32_t mask)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3,
	    0 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	data[0].permitted = data[0].effective = mask;
	return (int)syscall(SYS_capset, &hdr, data);
}

/* 1 when the command's children must change identity from uid/gid. */
static int
privs_akcmd_switches(const struct config *cf, uid_t uid, gid_t gid)
{
	const struct akcmd_runas *ar = &cf->c_akcmd.ak_runas;

	return ar->ar_set && (ar->ar_uid != uid || ar->ar_gid != gid);
}

int
privs_check_akcmd(const struct config *cf, int started)
{
	const struct akcmd_runas *ar = &cf->c_akcmd.ak_runas;
	uid_t uid = geteuid();
	gid_t gid = getegid();

	/* At start-up the children will fork from User, once dropped. */
	if (!started)
		privs_target(cf, &uid, &gid);
	if (!privs_akcmd_switches(cf, uid, gid) || geteuid() == 0 ||
	    privs_setid_kept)
		return 0;
	log_error("AuthorizedKeysCommandUser %s (uid %d): jumpgate runs as "
	    "uid %d and cannot switch to it; start jumpgate as root, or name "
	    "the account it runs as", cf->c_akcmd.ak_user, (int)ar->ar_uid,
	    (int)uid);
	return -1;
}

void
privs_drop(const struct config *cf)
{
	const struct passwd *pw;
	uint32_t caps = 0;
	int keep;

	if (geteuid() != 0) {
		log_debug("%s: not started as root: User %s not applied",
		    __func__, cf->c_user);
		return;
	}
	if (!privs_wanted(cf)) {
		log_verbose("running as root, as \"User root\" asks");
		return;
	}
	if ((pw = getpwnam(cf->c_user)) == NULL)
		log_fatal("User %s: no such account", cf->c_user);
	if (authkeys_need_home(cf->c_akfiles, cf->c_nakfiles))
		caps |= 1U << CAP_DAC_READ_SEARCH;
	if (privs_akcmd_switches(cf, pw->pw_uid, pw->pw_gid))
		caps |= 1U << CAP_SETUID | 1U << CAP_SETGID;
	keep = caps != 0;
	if (keep && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1)
		log_fatal("%s: PR_SET_KEEPCAPS: %s", __func__, strerror(errno));
	if (initgroups(pw->pw_name, pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		log_fatal("%s: cannot become %s: %s", __func__, cf->c_user,
		    strerror(errno));
	/* A uid 0 User, or a kernel that let us keep root, is no drop. */
	if (pw->pw_uid == 0 || setuid(0) != -1)
		log_fatal("%s: still root after switching to %s", __func__,
		    cf->c_user);
	if (keep && privs_keep_caps(caps) == -1)
		log_fatal("%s: capset: %s", __func__, strerror(errno));
	if (keep)
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	privs_setid_kept = (caps & 1U << CAP_SETUID) != 0;
	log_verbose("running as %s (uid %d)%s%s", cf->c_user, (int)pw->pw_uid,
	    caps & 1U << CAP_DAC_READ_SEARCH ?
	    ", able to read users' authorized_keys" : "",
	    privs_setid_kept ? ", able to run AuthorizedKeysCommand as "
	    "AuthorizedKeysCommandUser" : "");
}
