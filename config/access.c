/*
 * access.c: AllowUsers, DenyUsers, AllowGroups and DenyGroups, as sshd
 * parses (servconf.c) and checks them (auth.c allowed_user()).
 *
 * Every line adds its patterns to the list, in or out of Match.  For a
 * connection, each list is the one the applying Match blocks built
 * together, if they set it at all, else the global one (sshd's
 * copy_set_server_options replaces a list only when the Match pass
 * filled it).  The order of the checks is sshd's: DenyUsers, AllowUsers,
 * then the groups, DenyGroups before AllowGroups; the first refusal is
 * the one logged.  A user pattern is one glob ("alice", "adm*", no
 * commas), optionally "@host" where host is a from=-style list of
 * addresses and CIDR blocks (UseDNS no: the client's host name is its
 * address).  A group pattern is one glob on the group's name.
 *
 * The decision is pure: the caller supplies the group names (server
 * side, from NSS), so it can be tested and fuzzed without accounts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authkeys.h"
#include "config.h"
#include "pattern.h"
#include "str.h"

static const char *const access_names[CONFIG_ACL_NKINDS] = {
	"DenyUsers", "AllowUsers", "DenyGroups", "AllowGroups",
};

/* -T's spelling. */
static const char *const access_dump_names[CONFIG_ACL_NKINDS] = {
	"denyusers", "allowusers", "denygroups", "allowgroups",
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* sshd's match_user(): 1 match, 0 none. */
static int
access_match_user(const char *user, const char *ip, const char *pattern)
{
	const char *at = strrchr(pattern, '@');
	int r;

	if (at == NULL)
		return pattern_match(pattern, user, 0);
	if (!pattern_match_len(pattern, (size_t)(at - pattern), user,
	    strlen(user), 0))
		return 0;
	/* A negated or invalid address entry is no match. */
	r = authkeys_match_from(at + 1, ip);
	return r == 1;
}

int
config_access_parse(struct config_login *lg, const char *kw, char **av,
    int ac, char *err, size_t errlen)
{
	struct config_acl *al;
	const char *at;
	size_t k;
	int i, users;

	for (k = 0; k < NITEMS(access_names); k++)
		if (strcasecmp(kw, access_names[k]) == 0)
			break;
	if (k == NITEMS(access_names)) {
		snprintf(err, errlen, "%s: not an access list", kw);
		return -1;
	}
	users = k == CONFIG_ACL_DENY_USERS || k == CONFIG_ACL_ALLOW_USERS;
	if (ac == 0) {
		snprintf(err, errlen, "no %s specified", kw);
		return -1;
	}
	/* sshd checks the whole line before keeping any of it. */
	for (i = 0; i < ac; i++) {
		if (av[i][0] == '\0') {
			snprintf(err, errlen, users ? "invalid %s pattern: "
			    "\"%s\"" : "empty %s pattern", kw, av[i]);
			return -1;
		}
		if (users && (at = strrchr(av[i], '@')) != NULL &&
		    pattern_addr_list(NULL, at + 1, 0) == -2) {
			snprintf(err, errlen, "invalid %s pattern: \"%s\"", kw,
			    av[i]);
			return -1;
		}
	}
	al = &lg->lg_acl[k];
	al->al_pat = xreallocarray(al->al_pat, (size_t)(al->al_n + ac),
	    sizeof(*al->al_pat));
	for (i = 0; i < ac; i++)
		al->al_pat[al->al_n++] = xstrdup(av[i]);
	return 0;
}

void
config_access_free(struct config_login *lg)
{
	int k, i;

	for (k = 0; k < CONFIG_ACL_NKINDS; k++) {
		for (i = 0; i < lg->lg_acl[k].al_n; i++)
			free(lg->lg_acl[k].al_pat[i]);
		free(lg->lg_acl[k].al_pat);
		lg->lg_acl[k].al_pat = NULL;
		lg->lg_acl[k].al_n = 0;
	}
}

/* 1 when the kind's list for ci (see above) has an entry matching. */
static int
access_match(const struct config *cf, const struct config_conninfo *ci,
    int kind, const char *user, const char *ip, char *const *groups,
    int ngroups, int *inforce)
{
	const struct config_acl *al;
	int i, j, g, inmatch = 0, hit = 0;

	for (i = 0; i <= cf->c_nmatches; i++) {
		if (i < cf->c_nmatches) {
			al = &cf->c_matches[i].cm_login.lg_acl[kind];
			if (al->al_n == 0 || ci == NULL ||
			    !config_match_applies(&cf->c_matches[i], ci))
				continue;
			inmatch = 1;
		} else if (inmatch)
			break;
		else
			al = &cf->c_login.lg_acl[kind];
		*inforce |= al->al_n > 0;
		for (j = 0; j < al->al_n && !hit; j++) {
			if (kind == CONFIG_ACL_DENY_USERS ||
			    kind == CONFIG_ACL_ALLOW_USERS) {
				hit = access_match_user(user, ip,
				    al->al_pat[j]);
				continue;
			}
			for (g = 0; g < ngroups && !hit; g++)
				hit = pattern_match(al->al_pat[j], groups[g],
				    0);
		}
	}
	return hit;
}

int
config_access_needs_groups(const struct config *cf,
    const struct config_conninfo *ci)
{
	int inforce = 0;

	access_match(cf, ci, CONFIG_ACL_DENY_GROUPS, "", "", NULL, 0,
	    &inforce);
	access_match(cf, ci, CONFIG_ACL_ALLOW_GROUPS, "", "", NULL, 0,
	    &inforce);
	return inforce;
}

int
config_access_allowed(const struct config *cf,
    const struct config_conninfo *ci, const char *host, char *const *groups,
    int ngroups, char *why, size_t whylen)
{
	const char *user = ci->ci_user, *ip = ci->ci_addr;
	int inforce = 0;

	if (access_match(cf, ci, CONFIG_ACL_DENY_USERS, user, ip, NULL, 0,
	    &inforce)) {
		snprintf(why, whylen, "User %.100s from %.100s not allowed "
		    "because listed in DenyUsers", user, host);
		return 0;
	}
	inforce = 0;
	if (!access_match(cf, ci, CONFIG_ACL_ALLOW_USERS, user, ip, NULL, 0,
	    &inforce) && inforce) {
		snprintf(why, whylen, "User %.100s from %.100s not allowed "
		    "because not listed in AllowUsers", user, host);
		return 0;
	}
	if (!config_access_needs_groups(cf, ci))
		return 1;
	if (ngroups == 0) {
		snprintf(why, whylen, "User %.100s from %.100s not allowed "
		    "because not in any group", user, host);
		return 0;
	}
	if (access_match(cf, ci, CONFIG_ACL_DENY_GROUPS, user, ip, groups,
	    ngroups, &inforce)) {
		snprintf(why, whylen, "User %.100s from %.100s not allowed "
		    "because a group is listed in DenyGroups", user, host);
		return 0;
	}
	inforce = 0;
	if (!access_match(cf, ci, CONFIG_ACL_ALLOW_GROUPS, user, ip, groups,
	    ngroups, &inforce) && inforce) {
		snprintf(why, whylen, "User %.100s from %.100s not allowed "
		    "because none of user's groups are listed in AllowGroups",
		    user, host);
		return 0;
	}
	return 1;
}

/* As sshd -T: one line per pattern, the lists in force for ci. */
void
config_access_dump(const struct config *cf, const struct config_conninfo *ci,
    int fd)
{
	const struct config_acl *al;
	int k, i, j, inmatch;

	for (k = 0; k < CONFIG_ACL_NKINDS; k++) {
		inmatch = 0;
		for (i = 0; ci != NULL && i < cf->c_nmatches; i++) {
			al = &cf->c_matches[i].cm_login.lg_acl[k];
			if (al->al_n == 0 ||
			    !config_match_applies(&cf->c_matches[i], ci))
				continue;
			inmatch = 1;
			for (j = 0; j < al->al_n; j++)
				dprintf(fd, "%s %s\n", access_dump_names[k],
				    al->al_pat[j]);
		}
		al = &cf->c_login.lg_acl[k];
		for (j = 0; !inmatch && j < al->al_n; j++)
			dprintf(fd, "%s %s\n", access_dump_names[k],
			    al->al_pat[j]);
	}
}
