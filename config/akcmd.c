/*
 * akcmd.c: AuthorizedKeysCommand, AuthorizedKeysCommandUser,
 * AuthorizedKeysCommandTimeout and AuthorizedKeysCommandCache as read
 * from the configuration, and the token expansion of one run.
 *
 * Apart from config.c because the command is a whole argv with tokens
 * checked at load: a path that is not absolute or a token jumpgate does
 * not know fails with "FILE:LINE: message", where sshd would only say
 * so at the first login.  As everywhere in config/, the first value
 * obtained wins.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "akcmd.h"
#include "config.h"
#include "str.h"

/* The tokens sshd expands in the arguments, less %C and %D. */
#define AKCMD_TOKENS	"%uUftkh"

static int
akcmd_parse_command(struct config_akcmd *ak, char **av, int ac,
    const char *where, const char *file, int line, char *err, size_t errlen)
{
	const char *kw = "AuthorizedKeysCommand", *p;
	int i;

	if (ac == 1 && strcasecmp(av[0], "none") == 0) {
		if (ak->ak_where == NULL)
			ak->ak_where = where;
		return 0;
	}
	if (av[0][0] != '/')
		return config_errf(err, errlen, file, line, "%s: \"%s\" is not "
		    "an absolute path", kw, av[0]);
	for (i = 1; i < ac; i++)
		for (p = av[i]; (p = strchr(p, '%')) != NULL; p += 2)
			if (p[1] == '\0' || strchr(AKCMD_TOKENS, p[1]) == NULL)
				return config_errf(err, errlen, file, line,
				    "%s: unknown token %%%c in \"%s\"", kw,
				    p[1] ? p[1] : ' ', av[i]);
	if (ak->ak_where != NULL)
		return 0;
	ak->ak_where = where;
	ak->ak_argv = xcalloc((size_t)ac + 1, sizeof(*ak->ak_argv));
	for (i = 0; i < ac; i++)
		ak->ak_argv[i] = xstrdup(av[i]);
	ak->ak_argc = ac;
	return 0;
}

int
akcmd_parse(struct config_akcmd *ak, const char *kw, char **av, int ac,
    const char *where, const char *file, int line, char *err, size_t errlen)
{
	int n;

	if (ac == 0 || av[0][0] == '\0')
		return config_errf(err, errlen, file, line,
		    "%s: missing argument", kw);
	if (strcasecmp(kw, "AuthorizedKeysCommand") == 0)
		return akcmd_parse_command(ak, av, ac, where, file, line, err,
		    errlen);
	if (ac > 1)
		return config_errf(err, errlen, file, line,
		    "%s: extra arguments at end of line", kw);
	if (strcasecmp(kw, "AuthorizedKeysCommandUser") == 0) {
		/* sshd expands %u here: one account for every user here. */
		if (strchr(av[0], '/') != NULL || strchr(av[0], '%') != NULL)
			return config_errf(err, errlen, file, line,
			    "%s: bad user name \"%s\"", kw, av[0]);
		if (ak->ak_user == NULL)
			ak->ak_user = xstrdup(av[0]);
		return 0;
	}
	if (strcasecmp(kw, "AuthorizedKeysCommandTimeout") == 0) {
		if ((n = config_convtime(av[0])) <= 0)
			return config_errf(err, errlen, file, line,
			    "%s: invalid time value \"%s\" (1 second or more)",
			    kw, av[0]);
		if (ak->ak_timeout == -1)
			ak->ak_timeout = n;
		return 0;
	}
	/* AuthorizedKeysCommandCache */
	if (strcasecmp(av[0], "none") == 0)
		n = 0;
	else if ((n = config_convtime(av[0])) == -1)
		return config_errf(err, errlen, file, line,
		    "%s: invalid time value \"%s\" (or none)", kw, av[0]);
	if (ak->ak_cache == -1)
		ak->ak_cache = n;
	return 0;
}

void
akcmd_finalize(struct config_akcmd *ak)
{
	if (ak->ak_timeout == -1)
		ak->ak_timeout = AKCMD_DEFAULT_TIMEOUT;
	if (ak->ak_cache == -1)
		ak->ak_cache = 0;
}

int
akcmd_check(const struct config_akcmd *ak, char *err, size_t errlen)
{
	if (ak->ak_argv == NULL || ak->ak_user != NULL)
		return 0;
	/* sshd would skip the command at each login: refuse it now. */
	snprintf(err, errlen, "%s: AuthorizedKeysCommand needs "
	    "AuthorizedKeysCommandUser (the account that runs it)",
	    ak->ak_where);
	return -1;
}

void
akcmd_free(struct config_akcmd *ak)
{
	int i;

	for (i = 0; i < ak->ak_argc; i++)
		free(ak->ak_argv[i]);
	free(ak->ak_argv);
	free(ak->ak_user);
	free(ak->ak_runas.ar_groups);
	free(ak->ak_runas.ar_home);
	memset(ak, 0, sizeof(*ak));
}

/* One argument, quoted when it would not read back as one word. */
static void
akcmd_dump_arg(const char *a, int fd)
{
	const char *p;

	if (a[0] != '\0' && strpbrk(a, " \t\"'\\#") == NULL) {
		dprintf(fd, "%s", a);
		return;
	}
	dprintf(fd, "\"");
	for (p = a; *p != '\0'; p++)
		dprintf(fd, "%s%c", *p == '"' || *p == '\\' ? "\\" : "", *p);
	dprintf(fd, "\"");
}

void
akcmd_dump(const struct config_akcmd *ak, int fd)
{
	int i;

	dprintf(fd, "authorizedkeyscommand");
	for (i = 0; i < ak->ak_argc; i++) {
		dprintf(fd, " ");
		akcmd_dump_arg(ak->ak_argv[i], fd);
	}
	dprintf(fd, "%s\n", ak->ak_argc == 0 ? " none" : "");
	dprintf(fd, "authorizedkeyscommanduser %s\n",
	    ak->ak_user != NULL ? ak->ak_user : "none");
	dprintf(fd, "authorizedkeyscommandtimeout %d\n", ak->ak_timeout);
	if (ak->ak_cache == 0)
		dprintf(fd, "authorizedkeyscommandcache none\n");
	else
		dprintf(fd, "authorizedkeyscommandcache %d\n", ak->ak_cache);
}

static const char *
akcmd_value(const struct akcmd_tokens *t, char c)
{
	switch (c) {
	case 'u':	return t->at_user;
	case 'U':	return t->at_uid;
	case 'h':	return t->at_home;
	case 'f':	return t->at_fp;
	case 't':	return t->at_type;
	case 'k':	return t->at_key;
	default:	return "%";	/* %%; others refused at load */
	}
}

/* One argument; NULL when a token has no value (*missing says which). */
static char *
akcmd_expand_arg(const char *arg, const struct akcmd_tokens *t,
    char *missing)
{
	const char *p, *v;
	char *out;
	size_t len = 1, n;

	for (p = arg; *p != '\0'; p++) {
		if (*p != '%') {
			len++;
			continue;
		}
		if ((v = akcmd_value(t, *++p)) == NULL) {
			*missing = *p;
			return NULL;
		}
		len += strlen(v);
	}
	out = xmalloc(len);
	for (p = arg, n = 0; *p != '\0'; p++) {
		if (*p != '%') {
			out[n++] = *p;
			continue;
		}
		v = akcmd_value(t, *++p);
		memcpy(out + n, v, strlen(v));
		n += strlen(v);
	}
	out[n] = '\0';
	return out;
}

char **
akcmd_expand(const struct config_akcmd *ak, const struct akcmd_tokens *t,
    char *missing)
{
	char **av;
	int i, ac = ak->ak_argc;

	/* sshd: a bare command is given the user name as its argument. */
	av = xcalloc((size_t)(ac == 1 ? 3 : ac + 1), sizeof(*av));
	av[0] = xstrdup(ak->ak_argv[0]);
	if (ac == 1) {
		av[1] = xstrdup(t->at_user);
		return av;
	}
	for (i = 1; i < ac; i++)
		if ((av[i] = akcmd_expand_arg(ak->ak_argv[i], t,
		    missing)) == NULL) {
			akcmd_argv_free(av);
			return NULL;
		}
	return av;
}

void
akcmd_argv_free(char **av)
{
	int i;

	if (av == NULL)
		return;
	for (i = 0; av[i] != NULL; i++)
		free(av[i]);
	free(av);
}

char *
akcmd_argv_join(char *const *av)
{
	size_t len = 1, n = 0;
	char *out;
	int i;

	for (i = 0; av[i] != NULL; i++)
		len += strlen(av[i]) + 1;
	out = xmalloc(len);
	for (i = 0; av[i] != NULL; i++) {
		if (i > 0)
			out[n++] = ' ';
		memcpy(out + n, av[i], strlen(av[i]));
		n += strlen(av[i]);
	}
	out[n] = '\0';
	return out;
}
