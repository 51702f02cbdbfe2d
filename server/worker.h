/*
 * worker.h: one thread, its event loop, its listeners and its sessions.
 */
#ifndef JG_WORKER_H
#define JG_WORKER_H

#include <pthread.h>
#include <time.h>
#include <sys/queue.h>

#include <libssh/libssh.h>
#include <libssh/server.h>

struct config;
struct policy_endpoint;
struct event_base;
struct evdns_base;
struct evconnlistener;
struct event;
struct session;

#define WORKER_MAX_LISTENERS	64
/* Seconds without accepting after accept ran out of descriptors. */
#define WORKER_ACCEPT_PAUSE	1

struct worker {
	int			 w_id;
	pthread_t		 w_thread;
	const struct config	*w_config;
	struct event_base	*w_base;
	struct evdns_base	*w_dns;
	ssh_bind		 w_bind;
	int			 w_lfds[WORKER_MAX_LISTENERS];
	int			 w_nlfds;
	struct evconnlistener	*w_listeners[WORKER_MAX_LISTENERS];
	struct event		*w_accept_timer;	/* ends a pause */
	int			 w_accept_paused;
	TAILQ_HEAD(, session)	 w_sessions;
	int			 w_nsessions;
	/* Our own listening endpoints, never a target (read-only). */
	const struct policy_endpoint *w_self;
	int			 w_nself;
};

/* Creates the worker's loop and bind; listening fds are already bound. */
int	worker_init(struct worker *w, int id, const struct config *cf,
	    char *const *hostkeys, int nhostkeys);
int	worker_start(struct worker *w);
/*
 * Asks the loop to stop (any thread); then worker_join frees it, or
 * returns non-zero, freeing nothing, if the thread is still running at
 * deadline (CLOCK_REALTIME).
 */
void	worker_stop(struct worker *w);
int	worker_join(struct worker *w, const struct timespec *deadline);

#endif
