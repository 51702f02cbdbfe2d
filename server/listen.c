/*
 * listen.c: the daemon's listening sockets, and the endpoints they make.
 *
 * Every ListenAddress x Port is bound once per worker with SO_REUSEPORT,
 * so the kernel spreads connections over the workers and no lock is
 * shared; all of it happens in main before any worker starts, so a bad
 * address fails at start-up.  The same endpoints are what the
 * special-destination guard refuses as targets: forwarding into jumpgate
 * itself is never useful and only hides where a connection came from.
 *
 * Under systemd socket activation (LISTEN_PID is ours, LISTEN_FDS > 0)
 * the sockets systemd passed replace ListenAddress and Port: every
 * worker accepts from its own dup of each, so the kernel wakes them all
 * and one wins the accept.
 */
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
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

/* sd_listen_fds(3): passed sockets start at descriptor 3. */
#define LISTEN_FDS_START	3

static int	listen_activated[LISTEN_MAX_ENDPOINTS];
static int	listen_nactivated = -1;	/* not looked at yet */

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

/*
 * The sockets systemd passed, checked to be listening TCP sockets; the
 * variables are removed so that nothing we start inherits them.
 */
static int
listen_inherit(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	long lpid, nfds;
	int i, fd, type, on;
	socklen_t len;

	if (listen_nactivated != -1)
		return listen_nactivated;
	listen_nactivated = 0;
	if (pid == NULL || fds == NULL ||
	    str_to_long(pid, 1, 0x7fffffff, &lpid) == -1 ||
	    (pid_t)lpid != getpid() ||
	    str_to_long(fds, 1, LISTEN_MAX_ENDPOINTS, &nfds) == -1)
		goto out;
	for (i = 0; i < nfds; i++) {
		fd = LISTEN_FDS_START + i;
		len = sizeof(type);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
		    type != SOCK_STREAM || (len = sizeof(on),
		    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len)) ==
		    -1 || !on)
			log_fatal("socket activation: descriptor %d is not a "
			    "listening TCP socket", fd);
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) ==
		    -1 || fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
			log_fatal("socket activation: descriptor %d: %s", fd,
			    strerror(errno));
		listen_activated[listen_nactivated++] = fd;
	}
	log_info("socket activation: %d socket%s from systemd; ListenAddress "
	    "and Port are not used", listen_nactivated,
	    listen_nactivated == 1 ? "" : "s");
out:
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return listen_nactivated;
}

/* The address a passed socket listens on, as getaddrinfo would give it. */
static int
listen_activated_addr(int fd, struct sockaddr_storage *ss,
    struct addrinfo *ai, char *ntop, size_t ntoplen, int *port)
{
	socklen_t len = sizeof(*ss);

	if (getsockname(fd, (struct sockaddr *)ss, &len) == -1)
		return -1;
	memset(ai, 0, sizeof(*ai));
	ai->ai_family = ss->ss_family;
	ai->ai_socktype = SOCK_STREAM;
	ai->ai_addr = (struct sockaddr *)ss;
	ai->ai_addrlen = len;
	addr_ntop(ai->ai_addr, ntop, ntoplen, port);
	return 0;
}

/* Every worker gets its own dup of every passed socket. */
static int
listen_adopt_all(struct worker *workers, int nworkers, char *first_host,
    size_t hostlen, int *first_port)
{
	struct sockaddr_storage ss;
	struct addrinfo ai;
	char ntop[ADDR_STRLEN];
	int i, k, fd, port;

	for (i = 0; i < listen_nactivated; i++) {
		for (k = 0; k < nworkers; k++) {
			if (workers[k].w_nlfds == WORKER_MAX_LISTENERS)
				log_fatal("too many listen addresses");
			fd = k == 0 ? listen_activated[i] :
			    fcntl(listen_activated[i], F_DUPFD_CLOEXEC, 0);
			if (fd == -1)
				log_fatal("socket activation: dup: %s",
				    strerror(errno));
			workers[k].w_lfds[workers[k].w_nlfds++] = fd;
		}
		if (listen_activated_addr(listen_activated[i], &ss, &ai, ntop,
		    sizeof(ntop), &port) == -1)
			continue;
		log_info("Server listening on %s port %d.", ntop, port);
		if (i == 0) {
			str_lcpy(first_host, ntop, hostlen);
			*first_port = port;
		}
	}
	return listen_nactivated;
}

int
listen_bind_all(const struct config *cf, struct worker *workers, int nworkers,
    char *first_host, size_t hostlen, int *first_port)
{
	struct listen_bind_state lb = { workers, nworkers, 0, first_host,
	    hostlen, first_port };

	if (listen_inherit() > 0)
		return listen_adopt_all(workers, nworkers, first_host,
		    hostlen, first_port);
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
	struct sockaddr_storage ss;
	struct addrinfo ai;
	char ntop[ADDR_STRLEN];
	int i, port;

	if (listen_nactivated > 0) {
		for (i = 0; i < listen_nactivated; i++)
			if (listen_activated_addr(listen_activated[i], &ss,
			    &ai, ntop, sizeof(ntop), &port) == 0)
				listen_endpoint_one(&ai, port, &le);
		return le.le_n;
	}
	listen_foreach(cf, listen_endpoint_one, &le);
	return le.le_n;
}
