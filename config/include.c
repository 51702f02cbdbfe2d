/*
 * include.c: the Include keyword, with sshd's semantics (servconf.c).
 *
 * Each argument is a glob; its matches are read in lexical order (glob's
 * own sorting), one after the other, as if their lines stood where the
 * Include is.  A glob that matches nothing is no error, so Debian's stock
 * Include of every .conf file in /etc/ssh/sshd_config.d loads with an
 * empty directory.
 * A relative path starts at the directory of the main config file: sshd
 * starts at /etc/ssh, the home of its sshd_config.  An Include inside a
 * Match block puts the included lines in that block; a Match inside the
 * included file opens a block that applies only where the including one
 * does, and ends with its file, after which the including file's block
 * is open again.  Includes nest 16 deep at most, as in sshd, which also
 * stops a file that includes itself.  Unlike sshd, a match that is not a
 * regular file (a directory, a FIFO, /dev/zero) is an error, not read.
 *
 * Kept apart from config.c, which reads the lines, so that the one
 * recursive path through the reader is in one small place.
 */
#include <sys/stat.h>

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "str.h"

/* sshd's SERVCONF_MAX_DEPTH. */
#define INCLUDE_MAX_DEPTH	16

static int
include_one(struct config *cf, const char *arg, const char *file, int line,
    struct config_pos *pos, char *err, size_t errlen)
{
	struct config_pos sub;
	struct stat st;
	glob_t gl;
	char *path;
	size_t i, len;
	int r, ret = -1;

	/* sshd takes "~" paths literally too: only "/" is absolute. */
	if (arg[0] != '/' && arg[0] != '~') {
		len = strlen(pos->cp_dir) + strlen(arg) + 2;
		path = xmalloc(len);
		snprintf(path, len, "%s%s%s", pos->cp_dir,
		    pos->cp_dir[strlen(pos->cp_dir) - 1] == '/' ? "" : "/",
		    arg);
	} else
		path = xstrdup(arg);
	memset(&gl, 0, sizeof(gl));
	if ((r = glob(path, 0, NULL, &gl)) != 0 && r != GLOB_NOMATCH) {
		config_errf(err, errlen, file, line, "include \"%s\" glob "
		    "failed", path);
		goto out;
	}
	if (r == GLOB_NOMATCH)
		log_debug2("%s line %d: no match for %s", file, line, path);
	for (i = 0; r == 0 && i < gl.gl_pathc; i++) {
		/* sshd would read a FIFO or a device: always a mistake. */
		if (stat(gl.gl_pathv[i], &st) == 0 && !S_ISREG(st.st_mode)) {
			config_errf(err, errlen, file, line, "include \"%s\": "
			    "not a regular file", gl.gl_pathv[i]);
			goto out;
		}
		log_debug2("%s line %d: including %s", file, line,
		    gl.gl_pathv[i]);
		/* The included lines start in the block open here. */
		sub.cp_block = sub.cp_base = pos->cp_block;
		sub.cp_depth = pos->cp_depth + 1;
		sub.cp_dir = pos->cp_dir;
		if (config_load_pos(cf, gl.gl_pathv[i], &sub, err,
		    errlen) == -1)
			goto out;
	}
	ret = 0;
out:
	globfree(&gl);
	free(path);
	return ret;
}

int
config_include(struct config *cf, char **av, int ac, const char *file,
    int line, struct config_pos *pos, char *err, size_t errlen)
{
	int i;

	if (ac == 0)
		return config_errf(err, errlen, file, line, "Include missing "
		    "filename argument");
	if (pos->cp_depth >= INCLUDE_MAX_DEPTH)
		return config_errf(err, errlen, file, line, "Too many "
		    "recursive configuration includes");
	for (i = 0; i < ac; i++) {
		if (av[i][0] == '\0')
			return config_errf(err, errlen, file, line, "keyword "
			    "Include empty argument");
		if (include_one(cf, av[i], file, line, pos, err, errlen) == -1)
			return -1;
	}
	return 0;
}

/*
 * sshd never lets a Match in an included file apply where the including
 * block does not: the parent's criteria go in front of the child's, and
 * criteria are all required.
 */
void
config_match_inherit(struct config *cf, int child, int parent)
{
	struct config_match *c = &cf->c_matches[child];
	const struct config_match *p = &cf->c_matches[parent];
	struct config_match_crit *crit;
	int i, n = p->cm_ncrit + c->cm_ncrit;

	crit = xcalloc((size_t)n + 1, sizeof(*crit));
	for (i = 0; i < p->cm_ncrit; i++) {
		crit[i].mc_kind = p->cm_crit[i].mc_kind;
		crit[i].mc_patterns = xstrdup(p->cm_crit[i].mc_patterns);
	}
	memcpy(crit + p->cm_ncrit, c->cm_crit,
	    (size_t)c->cm_ncrit * sizeof(*crit));
	free(c->cm_crit);
	c->cm_crit = crit;
	c->cm_ncrit = n;
}
