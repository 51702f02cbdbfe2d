/*
 * frontend.c: how the daemon is reached and watched, apart from SSH
 * itself: AuditLog, AdminListen, AdminSocket and ProxyProtocolFrom, all
 * jumpgate's own.
 *
 * Apart from config.c, whose table is for sshd's keywords, because these
 * four have forms of their own (a sink, an optional address, an address
 * list checked strictly).  As everywhere in config/, the first value
 * obtained wins and errors read "FILE:LINE: message".
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "config.h"
#include "pattern.h"
#include "str.h"

/*
 * "[addr:]port" or "[v6]:port"; a bare port listens on 127.0.0.1, so
 * that a line naming only a port never exposes the listener.
 */
static int
frontend_admin_listen(struct config_listen *cl, const char *arg)
{
	long port;

	if (str_to_long(arg, 1, 65535, &port) == 0) {
		str_lcpy(cl->cl_host, "127.0.0.1", sizeof(cl->cl_host));
		cl->cl_port = (int)port;
		return 0;
	}
	if (addr_split_hostport(arg, cl->cl_host, sizeof(cl->cl_host),
	    &cl->cl_port) == -1 || cl->cl_port == 0 || cl->cl_host[0] == '\0')
		return -1;
	return 0;
}

/*
 * ProxyProtocolFrom: numeric addresses and address/length only, so that
 * which peers may speak for others never depends on a glob.
 */
static int
frontend_proxy_list_ok(const char *list)
{
	struct pattern_addr pa;
	char entry[INET6_ADDRSTRLEN + 8], *slash;
	const char *p, *end;
	size_t len;
	long bits;

	for (p = list;; p = end + 1) {
		end = p + strcspn(p, ",");
		if (*p == '!')
			p++;
		if ((len = (size_t)(end - p)) == 0 || len >= sizeof(entry))
			return 0;
		memcpy(entry, p, len);
		entry[len] = '\0';
		if ((slash = strchr(entry, '/')) != NULL)
			*slash++ = '\0';
		if (pattern_addr_pton(entry, &pa, 1) == -1)
			return 0;
		if (slash != NULL && str_to_long(slash, 0,
		    pa.pa_af == AF_INET ? 32 : 128, &bits) == -1)
			return 0;
		if (*end == '\0')
			return 1;
	}
}

int
config_frontend_parse(struct config *cf, const char *kw, char **av, int ac,
    const char *file, int line, char *err, size_t errlen)
{
	struct config_listen cl;

	if (ac == 0 || av[0][0] == '\0')
		return config_errf(err, errlen, file, line,
		    "%s: missing argument", kw);
	if (ac > 1)
		return config_errf(err, errlen, file, line,
		    "%s: extra arguments at end of line", kw);
	if (strcasecmp(kw, "AuditLog") == 0) {
		if (cf->c_audit_log != NULL)
			return 0;
		if (strcasecmp(av[0], "none") == 0)
			cf->c_audit_log = xstrdup("none");
		else if (strcasecmp(av[0], "stdout") == 0)
			cf->c_audit_log = xstrdup("stdout");
		else
			cf->c_audit_log = config_abspath(av[0]);
	} else if (strcasecmp(kw, "AdminListen") == 0) {
		memset(&cl, 0, sizeof(cl));
		if (strcasecmp(av[0], "none") != 0 &&
		    frontend_admin_listen(&cl, av[0]) == -1)
			return config_errf(err, errlen, file, line,
			    "%s: bad address \"%s\" (want [address:]port, "
			    "[v6]:port or none)", kw, av[0]);
		if (!cf->c_admin_set) {
			cf->c_admin_listen = cl;
			cf->c_admin_set = 1;
		}
	} else if (strcasecmp(kw, "AdminSocket") == 0) {
		if (strcasecmp(av[0], "none") != 0 && av[0][0] != '/')
			return config_errf(err, errlen, file, line,
			    "%s: \"%s\" is not an absolute path", kw, av[0]);
		if (strcasecmp(av[0], "none") != 0 &&
		    strlen(av[0]) >= CONFIG_SUN_PATH_MAX)
			return config_errf(err, errlen, file, line,
			    "%s: path longer than %d bytes", kw,
			    CONFIG_SUN_PATH_MAX - 1);
		if (cf->c_admin_socket == NULL)
			cf->c_admin_socket = xstrdup(av[0]);
	} else {
		/* ProxyProtocolFrom: numeric addresses and CIDR only. */
		if (strcasecmp(av[0], "none") != 0 &&
		    (!frontend_proxy_list_ok(av[0]) ||
		    pattern_addr_list(NULL, av[0], 1) == -2))
			return config_errf(err, errlen, file, line,
			    "%s: invalid address list \"%s\" (numeric "
			    "addresses and address/length only)", kw, av[0]);
		if (cf->c_proxy_from == NULL)
			cf->c_proxy_from = strcasecmp(av[0], "none") == 0 ?
			    xstrdup("none") : xstrdup(av[0]);
	}
	return 0;
}

void
config_frontend_finalize(struct config *cf)
{
	if (cf->c_audit_log == NULL)
		cf->c_audit_log = xstrdup("none");
	if (cf->c_admin_socket == NULL)
		cf->c_admin_socket = xstrdup("none");
	if (cf->c_proxy_from == NULL)
		cf->c_proxy_from = xstrdup("none");
}

void
config_frontend_free(struct config *cf)
{
	free(cf->c_audit_log);
	free(cf->c_admin_socket);
	free(cf->c_proxy_from);
	cf->c_audit_log = cf->c_admin_socket = cf->c_proxy_from = NULL;
}

void
config_frontend_dump(const struct config *cf, int fd)
{
	const struct config_listen *cl = &cf->c_admin_listen;

	dprintf(fd, "auditlog %s\n", cf->c_audit_log);
	if (cl->cl_port == 0)
		dprintf(fd, "adminlisten none\n");
	else if (strchr(cl->cl_host, ':') != NULL)
		dprintf(fd, "adminlisten [%s]:%d\n", cl->cl_host, cl->cl_port);
	else
		dprintf(fd, "adminlisten %s:%d\n", cl->cl_host, cl->cl_port);
	dprintf(fd, "adminsocket %s\n", cf->c_admin_socket);
	dprintf(fd, "proxyprotocolfrom %s\n", cf->c_proxy_from);
}

int
config_proxy_trusted(const struct config *cf, const char *addr)
{
	if (strcmp(cf->c_proxy_from, "none") == 0)
		return 0;
	return pattern_addr_list(addr, cf->c_proxy_from, 1) == 1;
}
