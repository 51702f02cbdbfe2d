/*
 * addr.c: printing and splitting socket addresses.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "str.h"

void
addr_ntop(const struct sockaddr *sa, char *host, size_t hostlen, int *port)
{
	char serv[16];
	socklen_t len;

	len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
	if ((sa->sa_family != AF_INET && sa->sa_family != AF_INET6) ||
	    getnameinfo(sa, len, host, hostlen, serv, sizeof(serv),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		str_lcpy(host, "UNKNOWN", hostlen);
		*port = 0;
		return;
	}
	*port = atoi(serv);
}

int
addr_peer(int fd, char *host, size_t hostlen, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getpeername(fd, (struct sockaddr *)&ss, &len) == -1) {
		str_lcpy(host, "UNKNOWN", hostlen);
		*port = 0;
		return -1;
	}
	addr_ntop((struct sockaddr *)&ss, host, hostlen, port);
	return 0;
}

int
addr_local(int fd, char *host, size_t hostlen, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1) {
		str_lcpy(host, "UNKNOWN", hostlen);
		*port = 0;
		return -1;
	}
	addr_ntop((struct sockaddr *)&ss, host, hostlen, port);
	return 0;
}

int
addr_split_hostport(const char *s, char *host, size_t hostlen, int *port)
{
	const char *colon, *end;
	long p;
	size_t n;

	*port = 0;
	if (*s == '[') {
		end = strchr(s, ']');
		if (end == NULL || end == s + 1)
			return -1;
		n = (size_t)(end - s - 1);
		if (n >= hostlen)
			return -1;
		memcpy(host, s + 1, n);
		host[n] = '\0';
		if (end[1] == '\0')
			return 0;
		if (end[1] != ':' ||
		    str_to_long(end + 2, 1, 65535, &p) == -1)
			return -1;
		*port = (int)p;
		return 0;
	}
	colon = strchr(s, ':');
	if (colon == NULL || strchr(colon + 1, ':') != NULL) {
		/* No port, or an unbracketed IPv6 address. */
		if (*s == '\0' || str_lcpy(host, s, hostlen) >= hostlen)
			return -1;
		return 0;
	}
	n = (size_t)(colon - s);
	if (n == 0 || n >= hostlen)
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	if (str_to_long(colon + 1, 1, 65535, &p) == -1)
		return -1;
	*port = (int)p;
	return 0;
}
