/*
 * login.c: the sshd keywords about who may log in and what they are told
 * first: Banner, PermitRootLogin, AuthenticationMethods, PermitListen
 * (and the access lists, AllowUsers and friends, parsed in access.c).
 *
 * They live apart from the forwarding policy (dest.c) because they are
 * decided at authentication, not per channel.  jumpgate offers only
 * publickey and serves no remote forwards, so AuthenticationMethods loads
 * only when it asks for nothing more than one publickey, and any
 * PermitListen is at least as wide as what jumpgate allows (nothing):
 * both are checked and kept for -T, nothing more.  All four may appear
 * inside Match, as in sshd; the first applying block that sets one wins.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "str.h"

/* sshd's auth2_read_banner() refuses larger files. */
#define LOGIN_BANNER_MAX	(1024 * 1024)

/* sshd's names; -T prints the first one of a value, as sshd's does. */
static const struct {
	const char	*name;
	int		 value;
} login_root_names[] = {
	{ "without-password",		CONFIG_ROOT_NO_PASSWD },
	{ "prohibit-password",		CONFIG_ROOT_NO_PASSWD },
	{ "forced-commands-only",	CONFIG_ROOT_FORCED_ONLY },
	{ "yes",			CONFIG_ROOT_YES },
	{ "no",				CONFIG_ROOT_NO },
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* Method names sshd knows (auth2.c authmethods[]). */
static const char *const login_methods[] = {
	"none", "publickey", "password", "keyboard-interactive", "hostbased",
	"gssapi-with-mic",
};

static int
login_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
login_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

void
config_login_init(struct config_login *lg)
{
	memset(lg, 0, sizeof(*lg));
	lg->lg_root = -1;
}

void
config_login_free(struct config_login *lg)
{
	free(lg->lg_banner);
	free(lg->lg_authmethods);
	free(lg->lg_permitlisten);
	config_access_free(lg);
	config_login_init(lg);
}

/* The words joined by blanks, as -T prints a list. */
static char *
login_join(char **av, int ac)
{
	size_t len = 1;
	char *s;
	int i;

	for (i = 0; i < ac; i++)
		len += strlen(av[i]) + 1;
	s = xcalloc(1, len);
	for (i = 0; i < ac; i++) {
		if (i > 0)
			strcat(s, " ");
		strcat(s, av[i]);
	}
	return s;
}

/*
 * One method list ("publickey,password"): 1 when it asks for exactly one
 * publickey, 0 when it needs more than jumpgate offers, -1 when sshd
 * would reject it.
 */
static int
login_methods_list(const char *list)
{
	char *copy = xstrdup(list), *p = copy, *m, *colon;
	int n = 0, pubkey = 0, ret = -1;
	size_t i;

	if (*list == '\0')
		goto out;
	while ((m = strsep(&p, ",")) != NULL) {
		if ((colon = strchr(m, ':')) != NULL)
			*colon = '\0';
		for (i = 0; i < NITEMS(login_methods); i++)
			if (strcmp(m, login_methods[i]) == 0)
				break;
		if (i == NITEMS(login_methods))
			goto out;
		n++;
		if (strcmp(m, "publickey") == 0 && colon == NULL)
			pubkey++;
	}
	ret = n == 1 && pubkey == 1;
out:
	free(copy);
	return ret;
}

static int
login_authmethods(struct config_login *lg, const char *kw, char **av,
    int ac, char *err, size_t errlen)
{
	int i, r;

	for (i = 0; i < ac; i++) {
		if (strcmp(av[i], "any") == 0) {
			if (ac > 1)
				return login_fail(err, errlen, "\"any\" must "
				    "appear alone in %s", kw);
			continue;
		}
		if ((r = login_methods_list(av[i])) == -1)
			return login_fail(err, errlen, "invalid %s method "
			    "list.", kw);
		if (r == 0)
			return login_fail(err, errlen, "Unsupported option "
			    "%s %s: jumpgate offers one publickey "
			    "authentication only", kw, av[i]);
	}
	if (lg->lg_authmethods == NULL)
		lg->lg_authmethods = login_join(av, ac);
	return 0;
}

/* sshd's PermitListen syntax: "any", "none", or [host:]port entries. */
static int
login_permitlisten(struct config_login *lg, const char *kw, char **av,
    int ac, char *err, size_t errlen)
{
	struct permit_entry pe;
	char why[128], *entry;
	int i, r;

	if (strcmp(av[0], "any") != 0 && strcmp(av[0], "none") != 0) {
		for (i = 0; i < ac; i++) {
			/* A bare port listens on every address. */
			if (strchr(av[i], ':') == NULL) {
				entry = xmalloc(strlen(av[i]) + 3);
				snprintf(entry, strlen(av[i]) + 3, "*:%s",
				    av[i]);
			} else
				entry = xstrdup(av[i]);
			r = config_parse_permitopen(entry, &pe, why,
			    sizeof(why));
			free(entry);
			if (r == -1)
				return login_fail(err, errlen, "%s %s", kw,
				    why);
			free(pe.pe_host);
		}
	} else
		ac = 1;		/* as sshd: the rest of the line is unread */
	if (lg->lg_permitlisten == NULL)
		lg->lg_permitlisten = login_join(av, ac);
	return 0;
}

int
config_login_parse(struct config_login *lg, const char *kw, char **av,
    int ac, char *err, size_t errlen)
{
	size_t i;

	if (strcasecmp(kw, "AllowUsers") == 0 ||
	    strcasecmp(kw, "DenyUsers") == 0 ||
	    strcasecmp(kw, "AllowGroups") == 0 ||
	    strcasecmp(kw, "DenyGroups") == 0)
		return config_access_parse(lg, kw, av, ac, err, errlen);
	if (ac == 0 || av[0][0] == '\0')
		return login_fail(err, errlen, "%s: missing argument", kw);
	if (strcasecmp(kw, "AuthenticationMethods") == 0)
		return login_authmethods(lg, kw, av, ac, err, errlen);
	if (strcasecmp(kw, "PermitListen") == 0)
		return login_permitlisten(lg, kw, av, ac, err, errlen);
	if (ac > 1)
		return login_fail(err, errlen, "%s: extra arguments at end of "
		    "line", kw);
	if (strcasecmp(kw, "Banner") == 0) {
		if (lg->lg_banner == NULL)
			lg->lg_banner = config_abspath(av[0]);
		return 0;
	}
	/* PermitRootLogin */
	for (i = 0; i < NITEMS(login_root_names); i++)
		if (strcasecmp(av[0], login_root_names[i].name) == 0)
			break;
	if (i == NITEMS(login_root_names))
		return login_fail(err, errlen, "%s: unsupported option "
		    "\"%s\".", kw, av[0]);
	if (lg->lg_root == -1)
		lg->lg_root = login_root_names[i].value;
	return 0;
}

void
config_effective_login(const struct config *cf,
    const struct config_conninfo *ci, struct config_login *out)
{
	const struct config_login *m;
	int i, root = 0, banner = 0, methods = 0, listen = 0;

	*out = cf->c_login;
	for (i = 0; i < cf->c_nmatches; i++) {
		m = &cf->c_matches[i].cm_login;
		/* Cheap first: most blocks set none of these. */
		if (m->lg_root == -1 && m->lg_banner == NULL &&
		    m->lg_authmethods == NULL && m->lg_permitlisten == NULL)
			continue;
		if (!config_match_applies(&cf->c_matches[i], ci))
			continue;
		if (!root && m->lg_root != -1) {
			out->lg_root = m->lg_root;
			root = 1;
		}
		if (!banner && m->lg_banner != NULL) {
			out->lg_banner = m->lg_banner;
			banner = 1;
		}
		if (!methods && m->lg_authmethods != NULL) {
			out->lg_authmethods = m->lg_authmethods;
			methods = 1;
		}
		if (!listen && m->lg_permitlisten != NULL) {
			out->lg_permitlisten = m->lg_permitlisten;
			listen = 1;
		}
	}
}

void
config_login_dump(const struct config_login *lg, int fd)
{
	const char *root = "without-password";
	size_t i;

	for (i = 0; i < NITEMS(login_root_names); i++)
		if (login_root_names[i].value == lg->lg_root) {
			root = login_root_names[i].name;
			break;
		}
	dprintf(fd, "permitrootlogin %s\n", root);
	dprintf(fd, "banner %s\n", lg->lg_banner != NULL ? lg->lg_banner :
	    "none");
	dprintf(fd, "authenticationmethods %s\n", lg->lg_authmethods != NULL ?
	    lg->lg_authmethods : "any");
	dprintf(fd, "permitlisten %s\n", lg->lg_permitlisten != NULL ?
	    lg->lg_permitlisten : "any");
}

/*
 * Like authorized_keys files: regular files only, never blocking on a
 * FIFO.  A missing file is no error (sshd is silent too).
 */
char *
config_banner_read(const char *path)
{
	struct stat st;
	char *text = NULL;
	ssize_t n;
	size_t got = 0;
	int fd;

	if (path == NULL || strcasecmp(path, "none") == 0)
		return NULL;
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		log_debug("%s: %s: %s", __func__, path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    st.st_size > LOGIN_BANNER_MAX)
		goto fail;
	text = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		n = read(fd, text + got, (size_t)st.st_size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got == 0)
		goto fail;
	text[got] = '\0';
	close(fd);
	return text;
fail:
	free(text);
	close(fd);
	return NULL;
}

int
config_root_allowed(int root_login, const char *user)
{
	return strcmp(user, "root") != 0 || root_login == -1 ||
	    root_login == CONFIG_ROOT_YES || root_login == CONFIG_ROOT_NO_PASSWD;
}
