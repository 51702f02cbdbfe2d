/*
 * listen.h: binding the daemon's sockets, and naming its own endpoints.
 */
#ifndef JG_LISTEN_H
#define JG_LISTEN_H

#include <stddef.h>

#include "policy.h"

struct config;
struct worker;

#define LISTEN_MAX_ENDPOINTS	64

/*
 * Binds every ListenAddress x Port once per worker, into w_lfds.  Returns
 * how many addresses were bound; the first one is reported back for the
 * demo's instructions.
 */
int	listen_bind_all(const struct config *cf, struct worker *workers,
	    int nworkers, char *first_host, size_t hostlen, int *first_port);

/* The configured endpoints, resolved the same way, without binding. */
int	listen_endpoints(const struct config *cf, struct policy_endpoint *out,
	    int max);

#endif
