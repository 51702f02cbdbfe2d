/*
 * authprinc.c: an AuthorizedPrincipalsFile, read for a certificate from
 * a TrustedUserCAKeys CA as sshd's auth_process_principals() reads it
 * (auth2-pubkeyfile.c): "[options] principal" lines, '#' comments and
 * blank lines skipped, the first line naming one of the certificate's
 * principals wins and its options apply.
 *
 * Apart from authkeys.c: the lines are principals, not keys, and the
 * file replaces the user-name rule rather than adding keys.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authkeys.h"
#include "cert.h"
#include "log.h"
#include "str.h"

/* sshd's check_principals_line(): options, if any, end at the last blank. */
static const char *
authprinc_line(char *cp, const char *loc, const struct cert *c,
    struct authkey_opts *opts)
{
	char *ep, err[128];
	size_t i;

	memset(opts, 0, sizeof(*opts));
	if ((ep = strrchr(cp, ' ')) != NULL || (ep = strrchr(cp, '\t')) !=
	    NULL) {
		*ep++ = '\0';
		ep += strspn(ep, " \t");
	} else {
		ep = cp;
		cp = NULL;
	}
	if (authkeys_parse_options(cp != NULL ? cp : "", opts, NULL, err,
	    sizeof(err)) == -1) {
		log_debug("%s: bad principals options: %s", loc, err);
		return NULL;
	}
	for (i = 0; i < c->c_nprincipals; i++)
		if (strcmp(ep, c->c_principals[i]) == 0) {
			log_debug("%s: matched principal \"%.100s\"", loc,
			    c->c_principals[i]);
			return c->c_principals[i];
		}
	authkeys_opts_free(opts);
	return NULL;
}

const char *
authprinc_find(const char *path, const char *user,
    const struct authkeys_acct *acct, const struct cert *c,
    struct authkey_match *out)
{
	const char *hit = NULL;
	char *line = NULL, *cp, loc[PATH_MAX + 32];
	size_t linesize = 0;
	unsigned long lineno = 0;
	FILE *fp;

	memset(out, 0, sizeof(*out));
	log_debug("trying authorized principals file %s", path);
	if ((fp = authkeys_open(path, user, acct, "principals")) == NULL)
		return NULL;
	/* As sshd, read to the end even after a match. */
	while (getline(&line, &linesize, fp) != -1) {
		lineno++;
		if (hit != NULL)
			continue;
		line[strcspn(line, "\r\n")] = '\0';
		cp = line + strspn(line, " \t");
		if (*cp == '\0' || *cp == '#')
			continue;
		snprintf(loc, sizeof(loc), "%s:%lu", path, lineno);
		if ((hit = authprinc_line(cp, loc, c, &out->am_opts)) != NULL) {
			str_lcpy(out->am_file, path, sizeof(out->am_file));
			out->am_line = (int)lineno;
		}
	}
	free(line);
	fclose(fp);
	return hit;
}
