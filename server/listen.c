/*
 * listen.c: the daemon's listening sockets, and the endpoints they make.
 *
 * Every ListenAddress x Port is bound once per worker with SO_REUSEPORT,
 * so the kernel spreads connections over the workers and no lock is
 * shared; all of it happens in main before any worker starts, so a bad
 * address fails at start-up.  The same endpoints are what the
 * special-destination guard refuses as targets: forwarding into jumpgate
 * itself is never useful and only hides where a connection came from.
 */
#include <sys/socket.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "config.h"
#include "listen.h"
#include "log.h"
#include "str.h"
#include "worker.h"

/* One listening socket for one worker; SO_REUSEPORT lets all share it. */
static int
listen_one(const struct addrinfo *ai)
{
	int fd, one = 1;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ==
	    -1 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
	    sizeof(one)) == -1 ||
	    (ai->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &one, sizeof(one)) == -1) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, SOMAXCONN) == -1) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/*
 * SO_REUSEPORT would let a second jumpgate of the same user share the
 * port and silently take half the connections: a plain bind first fails
 * with EADDRINUSE, as sshd's would.
 */
static int
listen_port_free(const struct addrinfo *ai)
{
	int fd, one = 1, rc = -1, saved;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
	    ai->ai_protocol);
	if (fd == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
	    (ai->ai_family != AF_INET6 || setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &one, sizeof(one)) == 0) &&
	    bind(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		rc = 0;
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/*
 * Calls fn for every address of every ListenAddress x Port, resolved
 * passively in the AddressFamily configured.  Stops early when fn
 * returns -1.  An address that does not resolve, such as ::1 with
 * AddressFamily inet, stops the daemon with sshd's words.
 */
static void
listen_foreach(const struct config *cf,
    int (*fn)(const struct addrinfo *, int, void *), void *arg)
{
	struct addrinfo hints, *res, *ai;
	char portstr[16];
	int i, p, port, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = cf->c_address_family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	for (i = 0; i < cf->c_nlisten; i++) {
		for (p = 0; p < cf->c_nports; p++) {
			/* "host:port" names its own port: only once. */
			if (cf->c_listen[i].cl_port && p > 0)
				break;
			port = cf->c_listen[i].cl_port ? cf->c_listen[i].cl_port
			    : cf->c_ports[p];
			snprintf(portstr, sizeof(portstr), "%d", port);
			rc = getaddrinfo(cf->c_listen[i].cl_host, portstr,
			    &hints, &res);
			if (rc != 0)
				log_fatal("bad addr or host: %s (%s)",
				    cf->c_listen[i].cl_host, gai_strerror(rc));
			for (ai = res; ai != NULL; ai = ai->ai_next)
				if (fn(ai, port, arg) == -1)
					break;
			freeaddrinfo(res);
		}
	}
}

struct listen_bind_state {
	struct worker	*lb_workers;
	int		 lb_nworkers;
	int		 lb_bound;
	char		*lb_first_host;
	size_t		 lb_hostlen;
	int		*lb_first_port;
};

/* One address for every worker; sshd's messages on failure. */
static int
listen_bind_one(const struct addrinfo *ai, int port, void *arg)
{
	struct listen_bind_state *lb = arg;
	struct worker *w;
	char ntop[ADDR_STRLEN];
	int k, fd;

	addr_ntop(ai->ai_addr, ntop, sizeof(ntop), &port);
	if (listen_port_free(ai) == -1) {
		log_error("Bind to port %d on %s failed: %s.", port, ntop,
		    strerror(errno));
		return 0;
	}
	for (k = 0; k < lb->lb_nworkers; k++) {
		w = &lb->lb_workers[k];
		if (w->w_nlfds == WORKER_MAX_LISTENERS)
			log_fatal("too many listen addresses");
		if ((fd = listen_one(ai)) == -1) {
			log_error("Bind to port %d on %s failed: %s.", port,
			    ntop, strerror(errno));
			/* All workers listen on it, or none does. */
			while (k-- > 0) {
				w = &lb->lb_workers[k];
				close(w->w_lfds[--w->w_nlfds]);
			}
			return 0;
		}
		w->w_lfds[w->w_nlfds++] = fd;
	}
	log_info("Server listening on %s port %d.", ntop, port);
	if (lb->lb_bound++ == 0) {
		str_lcpy(lb->lb_first_host, ntop, lb->lb_hostlen);
		*lb->lb_first_port = port;
	}
	return 0;
}

int
listen_bind_all(const struct config *cf, struct worker *workers, int nworkers,
    char *first_host, size_t hostlen, int *first_port)
{
	struct listen_bind_state lb = { workers, nworkers, 0, first_host,
	    hostlen, first_port };

	listen_foreach(cf, listen_bind_one, &lb);
	return lb.lb_bound;
}

struct listen_endpoint_state {
	struct policy_endpoint	*le_out;
	int			 le_max;
	int			 le_n;
};

static int
listen_endpoint_one(const struct addrinfo *ai, int port, void *arg)
{
	struct listen_endpoint_state *le = arg;
	struct policy_endpoint *pe;

	if (le->le_n == le->le_max)
		return -1;
	pe = &le->le_out[le->le_n];
	memset(pe, 0, sizeof(*pe));
	pe->pe_family = ai->ai_family;
	pe->pe_port = port;
	if (ai->ai_family == AF_INET)
		memcpy(pe->pe_addr, &((const struct sockaddr_in *)(const void *)
		    ai->ai_addr)->sin_addr, 4);
	else if (ai->ai_family == AF_INET6)
		memcpy(pe->pe_addr, &((const struct sockaddr_in6 *)(const void *)
		    ai->ai_addr)->sin6_addr, 16);
	else
		return 0;
	le->le_n++;
	return 0;
}

/* Our own endpoints, as the policy's guard sees them. */
int
listen_endpoints(const struct config *cf, struct policy_endpoint *out,
    int max)
{
	struct listen_endpoint_state le = { out, max, 0 };

	listen_foreach(cf, listen_endpoint_one, &le);
	return le.le_n;
}
