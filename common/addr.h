/*
 * addr.h: socket address helpers with no state.
 */
#ifndef JG_ADDR_H
#define JG_ADDR_H

#include <sys/socket.h>
#include <netinet/in.h>

/* Big enough for any numeric IPv6 address with a scope id. */
#define ADDR_STRLEN 64

/* Numeric host and port of sa; "UNKNOWN" and 0 when it cannot say. */
void	addr_ntop(const struct sockaddr *sa, char *host, size_t hostlen,
	    int *port);

/* The peer or local address of a connected socket, numeric. */
int	addr_peer(int fd, char *host, size_t hostlen, int *port);
int	addr_local(int fd, char *host, size_t hostlen, int *port);

/*
 * Splits "host", "host:port", "[v6]" or "[v6]:port" (sshd's ListenAddress
 * forms; a bare IPv6 address without brackets is taken whole as a host).
 * host receives the name without brackets; *port is 0 when none is given.
 * Returns -1 on a malformed string.
 */
int	addr_split_hostport(const char *s, char *host, size_t hostlen,
	    int *port);

#endif
