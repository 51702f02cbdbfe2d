/*
 * worker.h: one thread, its event loop, its listeners and its sessions.
 */
#ifndef JG_WORKER_H
#define JG_WORKER_H

#include <pthread.h>
#include <time.h>
#include <sys/queue.h>

#include <event2/util.h>
#include <libssh/libssh.h>
#include <libssh/server.h>

#include "metrics.h"

struct config;
struct policy_endpoint;
struct event_base;
struct evdns_base;
struct evconnlistener;
struct event;
struct evbuffer;
struct session;
struct akrun_job;
struct worker;
struct worker_job;

#define WORKER_MAX_LISTENERS	64
/* Seconds without accepting after accept ran out of descriptors. */
#define WORKER_ACCEPT_PAUSE	1

struct worker {
	int			 w_id;
	pthread_t		 w_thread;
	/* A reference; replaced on the worker's thread only (reload). */
	struct config		*w_config;
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
	/* AuthorizedKeysCommand children, until reaped (akrun.c). */
	TAILQ_HEAD(akrun_jobs, akrun_job) w_akrun;
	/* Our own listening endpoints, never a target (read-only). */
	const struct policy_endpoint *w_self;
	int			 w_nself;
	/* Reload: main leaves the next config and bind here (w_mtx). */
	pthread_mutex_t		 w_mtx;
	struct config		*w_next_config;
	ssh_bind		 w_next_bind;
	struct event		*w_reload_ev;
	/* Drain: listeners closed, sessions end with their channels. */
	struct event		*w_drain_ev;
	int			 w_draining;
	int			 w_drained;	/* atomic: no session left */
	struct event		*w_main_ev;	/* main's, activated then */
	struct metrics		 w_metrics;	/* written by this thread only */
	int			 w_left_sessions;	/* cut at stop */
	int			 w_left_channels;
	/* Jobs from another thread (the admin listener), under w_mtx. */
	TAILQ_HEAD(, worker_part) w_jobs;
	struct event		*w_job_ev;
	int			 w_jobs_closed;	/* loop ended */
};

/*
 * A job another thread runs on every worker without touching their data:
 * each worker runs wj_fn on its own thread, between two events, and
 * writes its answer into its part's wp_out; the last part to finish
 * activates wj_done, an event on the requester's base.  A worker that
 * has stopped does not run it (wp_ran stays 0) but still counts down.
 */
typedef void (*worker_job_fn)(struct worker *, void *, struct evbuffer *);

struct worker_part {
	TAILQ_ENTRY(worker_part) wp_entry;
	struct worker_job	*wp_job;
	struct evbuffer		*wp_out;
	int			 wp_ran;
};

struct worker_job {
	worker_job_fn		 wj_fn;
	void			*wj_arg;	/* read-only while posted */
	struct event		*wj_done;
	int			 wj_left;	/* atomic: parts not done */
	int			 wj_nparts;
	struct worker_part	*wj_parts;
};

/*
 * Creates the worker's loop and bind; listening fds are already bound.
 * The worker takes its own reference to cf; main_ev is main's event
 * that worker_drained activates.
 */
int	worker_init(struct worker *w, int id, struct config *cf,
	    char *const *hostkeys, int nhostkeys, struct event *main_ev);
int	worker_start(struct worker *w);

/* An ssh_bind with cf's host keys and algorithms (any thread), or NULL. */
ssh_bind worker_bind_new(const struct config *cf, char *const *hostkeys,
	    int nhostkeys);
/*
 * From main: the worker takes cf (a new reference) and bind (owned) for
 * the connections it accepts and the channels opened from now on; the
 * swap happens on the worker's thread, which is never blocked for it.
 */
void	worker_reload(struct worker *w, struct config *cf, ssh_bind bind);
/*
 * From main: the worker closes its listeners and each session as soon
 * as it has no channel; when none is left it activates main_ev.
 */
void	worker_drain(struct worker *w);
/* 1 once a draining worker has no session left (any thread). */
int	worker_is_drained(struct worker *w);
/* A session of a draining worker has gone (the worker's thread). */
void	worker_session_gone(struct worker *w);
/*
 * Asks the loop to stop (any thread); then worker_join frees it, or
 * returns non-zero, freeing nothing, if the thread is still running at
 * deadline (CLOCK_REALTIME).
 */
void	worker_stop(struct worker *w);
int	worker_join(struct worker *w, const struct timespec *deadline);

/* A job for n workers; done(arg) runs on base once every part is done. */
struct worker_job *worker_job_new(int n, worker_job_fn fn, void *arg,
	    struct event_base *base,
	    void (*done)(evutil_socket_t, short, void *), void *donearg);
/* To each of the n workers (from the requester's thread; never waits). */
void	worker_job_post(struct worker_job *j, struct worker *workers,
	    int n);
/* Only once wj_done has run, or was never posted. */
void	worker_job_free(struct worker_job *j);

#endif
