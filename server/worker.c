/*
 * worker.c: a thread with its own event loop, ssh_bind, resolver,
 * listeners and sessions.
 *
 * Nothing on the data path is shared between workers: each one accepts
 * from its own SO_REUSEPORT sockets (main binds them before any thread
 * starts, so a bad address fails at start-up) and a session never leaves
 * the worker that accepted it, as libssh requires.  The main thread
 * reaches a running worker only through two events (reload, drain) and
 * the mutex-protected hand-off slot for a reload; the admin thread only
 * through the job queue (worker_job_post).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>

#include "akrun.h"
#include "config.h"
#include "log.h"
#include "resolve.h"
#include "str.h"
#include "session.h"
#include "sshlog.h"
#include "worker.h"

static void
worker_on_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	session_accept(arg, fd, sa);
}

/*
 * Out of descriptors (or kernel memory), accept fails at once and the
 * listening socket stays readable: left enabled, the listener would spin
 * a core and log hundreds of thousands of lines a second.  Stop accepting
 * for a moment instead, saying so once per pause; what waits in the
 * backlog is accepted when descriptors come back, and established
 * sessions are not touched.
 */
static void
worker_pause_accept(struct worker *w, int err)
{
	struct timeval tv = { WORKER_ACCEPT_PAUSE, 0 };
	int i;

	if (w->w_accept_paused)
		return;
	for (i = 0; i < w->w_nlfds; i++)
		evconnlistener_disable(w->w_listeners[i]);
	w->w_accept_paused = 1;
	evtimer_add(w->w_accept_timer, &tv);
	log_error("%s: worker %d: accept: %s; not accepting for %d s",
	    __func__, w->w_id, strerror(err), WORKER_ACCEPT_PAUSE);
}

static void
worker_on_accept_resume(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	int i;

	w->w_accept_paused = 0;
	for (i = 0; i < w->w_nlfds; i++)
		evconnlistener_enable(w->w_listeners[i]);
	log_debug("%s: worker %d: accepting again", __func__, w->w_id);
}

static void
worker_on_accept_error(struct evconnlistener *l, void *arg)
{
	struct worker *w = arg;
	int err = EVUTIL_SOCKET_ERROR();

	switch (err) {
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		worker_pause_accept(w, err);
		break;
	default:
		/* A connection that died in the backlog: nothing to do. */
		log_debug("%s: worker %d: accept: %s", __func__, w->w_id,
		    strerror(err));
		break;
	}
}

/*
 * Ciphers, MACs, KexAlgorithms, HostKeyAlgorithms (both directions alike)
 * and PubkeyAcceptedAlgorithms, whose default is set too: libssh's own
 * would take SHA-1 "ssh-rsa" signatures and certificates.
 */
static int
worker_set_algos(ssh_bind bind, const struct config *cf)
{
	static const struct {
		enum algos_kind		 kind;
		enum ssh_bind_options_e	 opt;
	} map[] = {
		{ ALGOS_CIPHERS, SSH_BIND_OPTIONS_CIPHERS_C_S },
		{ ALGOS_CIPHERS, SSH_BIND_OPTIONS_CIPHERS_S_C },
		{ ALGOS_MACS, SSH_BIND_OPTIONS_HMAC_C_S },
		{ ALGOS_MACS, SSH_BIND_OPTIONS_HMAC_S_C },
		{ ALGOS_KEX, SSH_BIND_OPTIONS_KEY_EXCHANGE },
		{ ALGOS_HOSTKEY, SSH_BIND_OPTIONS_HOSTKEY_ALGORITHMS },
		{ ALGOS_PUBKEY, SSH_BIND_OPTIONS_PUBKEY_ACCEPTED_KEY_TYPES },
	};
	const char *list;
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (cf->c_algos[map[i].kind] == NULL &&
		    map[i].kind != ALGOS_PUBKEY)
			continue;
		list = config_algos(cf, map[i].kind);
		if (ssh_bind_options_set(bind, map[i].opt, list) != SSH_OK) {
			log_error("%s: %s %s: %s", __func__,
			    algos_keyword(map[i].kind), list,
			    ssh_get_error(bind));
			return -1;
		}
	}
	return 0;
}

ssh_bind
worker_bind_new(const struct config *cf, char *const *hostkeys,
    int nhostkeys)
{
	ssh_bind bind;
	int i, process_config = 0;

	if ((bind = ssh_bind_new()) == NULL)
		return NULL;
	/* /etc/ssh/libssh_server_config must not change our behaviour. */
	ssh_bind_options_set(bind, SSH_BIND_OPTIONS_PROCESS_CONFIG,
	    &process_config);
	for (i = 0; i < nhostkeys; i++) {
		if (ssh_bind_options_set(bind, SSH_BIND_OPTIONS_HOSTKEY,
		    hostkeys[i]) != SSH_OK) {
			log_error("%s: host key %s: %s", __func__, hostkeys[i],
			    ssh_get_error(bind));
			goto fail;
		}
	}
	if (worker_set_algos(bind, cf) == -1)
		goto fail;
	return bind;
fail:
	ssh_bind_free(bind);
	return NULL;
}

/*
 * The swap itself, on the worker's thread between two events, so no
 * session sees a config change under it.  A session already accepted
 * keeps what libssh copied from the old bind (its host keys too), and a
 * session's policy keeps its own reference to the old config until its
 * next channel open recomputes it (auth_policy_refresh).
 */
static void
worker_on_reload(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct config *cf, *old;
	ssh_bind bind;

	pthread_mutex_lock(&w->w_mtx);
	cf = w->w_next_config;
	bind = w->w_next_bind;
	w->w_next_config = NULL;
	w->w_next_bind = NULL;
	pthread_mutex_unlock(&w->w_mtx);
	if (cf == NULL)
		return;
	old = w->w_config;
	w->w_config = cf;
	ssh_bind_free(w->w_bind);
	w->w_bind = bind;
	config_unref(old);
	log_debug("%s: worker %d: new configuration in force, %d sessions "
	    "open", __func__, w->w_id, w->w_nsessions);
}

void
worker_reload(struct worker *w, struct config *cf, ssh_bind bind)
{
	struct config *stale;
	ssh_bind stale_bind;

	pthread_mutex_lock(&w->w_mtx);
	/* Two reloads before the worker ran: only the last one counts. */
	stale = w->w_next_config;
	stale_bind = w->w_next_bind;
	w->w_next_config = config_ref(cf);
	w->w_next_bind = bind;
	pthread_mutex_unlock(&w->w_mtx);
	if (stale != NULL) {
		ssh_bind_free(stale_bind);
		config_unref(stale);
	}
	event_active(w->w_reload_ev, 0, 0);
}

void
worker_session_gone(struct worker *w)
{
	if (!w->w_draining || w->w_nsessions > 0 ||
	    __atomic_load_n(&w->w_drained, __ATOMIC_ACQUIRE))
		return;
	log_debug("%s: worker %d: drained", __func__, w->w_id);
	__atomic_store_n(&w->w_drained, 1, __ATOMIC_RELEASE);
	event_active(w->w_main_ev, 0, 0);
}

int
worker_is_drained(struct worker *w)
{
	return __atomic_load_n(&w->w_drained, __ATOMIC_ACQUIRE);
}

/*
 * Closing the listening sockets makes the kernel refuse new connections
 * (and reset those waiting in the backlog), which tells a load balancer
 * more than accepting and closing would.  Each session is then looked at
 * once (session_post ends those without a channel) and the last one to
 * go tells main.
 */
static void
worker_on_drain(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct session *s;
	int i, nchans = 0;

	if (w->w_draining)
		return;
	w->w_draining = 1;
	evtimer_del(w->w_accept_timer);
	for (i = 0; i < w->w_nlfds; i++) {
		if (w->w_listeners[i] != NULL)
			evconnlistener_free(w->w_listeners[i]);
		w->w_listeners[i] = NULL;
	}
	TAILQ_FOREACH(s, &w->w_sessions, s_entry) {
		nchans += s->s_nchans;
		session_schedule(s);
	}
	log_info("%s: worker %d: not accepting; %d sessions with %d channels "
	    "open", __func__, w->w_id, w->w_nsessions, nchans);
	worker_session_gone(w);
}

void
worker_drain(struct worker *w)
{
	event_active(w->w_drain_ev, 0, 0);
}

struct worker_job *
worker_job_new(int n, worker_job_fn fn, void *arg, struct event_base *base,
    void (*done)(evutil_socket_t, short, void *), void *donearg)
{
	struct worker_job *j;
	int i;

	j = xcalloc(1, sizeof(*j));
	j->wj_fn = fn;
	j->wj_arg = arg;
	j->wj_nparts = n;
	j->wj_parts = xcalloc((size_t)n, sizeof(*j->wj_parts));
	if ((j->wj_done = event_new(base, -1, 0, done, donearg)) == NULL)
		log_fatal("%s: event_new failed", __func__);
	for (i = 0; i < n; i++) {
		j->wj_parts[i].wp_job = j;
		if ((j->wj_parts[i].wp_out = evbuffer_new()) == NULL)
			log_fatal("%s: evbuffer_new failed", __func__);
	}
	return j;
}

void
worker_job_free(struct worker_job *j)
{
	int i;

	if (j == NULL)
		return;
	for (i = 0; i < j->wj_nparts; i++)
		evbuffer_free(j->wj_parts[i].wp_out);
	event_free(j->wj_done);
	free(j->wj_parts);
	free(j);
}

/* The part is the worker's no more; nor, after this, the job. */
static void
worker_part_done(struct worker_part *p)
{
	struct worker_job *j = p->wp_job;

	if (__atomic_sub_fetch(&j->wj_left, 1, __ATOMIC_ACQ_REL) == 0)
		event_active(j->wj_done, 0, 0);
}

void
worker_job_post(struct worker_job *j, struct worker *workers, int n)
{
	struct worker *w;
	struct worker_part *p;
	int i, closed;

	__atomic_store_n(&j->wj_left, n, __ATOMIC_RELEASE);
	for (i = 0; i < n; i++) {
		w = &workers[i];
		p = &j->wj_parts[i];
		pthread_mutex_lock(&w->w_mtx);
		if (!(closed = w->w_jobs_closed))
			TAILQ_INSERT_TAIL(&w->w_jobs, p, wp_entry);
		pthread_mutex_unlock(&w->w_mtx);
		if (closed)
			worker_part_done(p);
		else
			event_active(w->w_job_ev, 0, 0);
	}
}

/* Takes the queue at once, so posting never waits for a job to run. */
static void
worker_run_jobs(struct worker *w, int closing)
{
	TAILQ_HEAD(, worker_part) todo;
	struct worker_part *p;

	TAILQ_INIT(&todo);
	pthread_mutex_lock(&w->w_mtx);
	TAILQ_CONCAT(&todo, &w->w_jobs, wp_entry);
	if (closing)
		w->w_jobs_closed = 1;
	pthread_mutex_unlock(&w->w_mtx);
	while ((p = TAILQ_FIRST(&todo)) != NULL) {
		TAILQ_REMOVE(&todo, p, wp_entry);
		if (!closing) {
			p->wp_job->wj_fn(w, p->wp_job->wj_arg, p->wp_out);
			p->wp_ran = 1;
		}
		worker_part_done(p);
	}
}

static void
worker_on_job(evutil_socket_t fd, short what, void *arg)
{
	worker_run_jobs(arg, 0);
}

int
worker_init(struct worker *w, int id, struct config *cf,
    char *const *hostkeys, int nhostkeys, struct event *main_ev)
{
	char err[CONFIG_ERR_MAX];
	int i;

	w->w_id = id;
	w->w_config = config_ref(cf);
	w->w_main_ev = main_ev;
	TAILQ_INIT(&w->w_sessions);
	TAILQ_INIT(&w->w_akrun);
	TAILQ_INIT(&w->w_jobs);
	pthread_mutex_init(&w->w_mtx, NULL);
	if ((w->w_base = event_base_new()) == NULL)
		goto fail;
	/* As --explain creates its own: see resolve.c. */
	if ((w->w_dns = resolve_dns_new(w->w_base, cf, err,
	    sizeof(err))) == NULL) {
		log_error("%s: worker %d: %s", __func__, id, err);
		goto fail;
	}
	if ((w->w_bind = worker_bind_new(cf, hostkeys, nhostkeys)) == NULL)
		goto fail;

	if ((w->w_accept_timer = evtimer_new(w->w_base,
	    worker_on_accept_resume, w)) == NULL ||
	    (w->w_reload_ev = event_new(w->w_base, -1, 0, worker_on_reload,
	    w)) == NULL ||
	    (w->w_drain_ev = event_new(w->w_base, -1, 0, worker_on_drain,
	    w)) == NULL ||
	    (w->w_job_ev = event_new(w->w_base, -1, 0, worker_on_job,
	    w)) == NULL)
		goto fail;
	for (i = 0; i < w->w_nlfds; i++) {
		w->w_listeners[i] = evconnlistener_new(w->w_base,
		    worker_on_accept, w, LEV_OPT_CLOSE_ON_FREE, -1,
		    w->w_lfds[i]);
		if (w->w_listeners[i] == NULL)
			goto fail;
		evconnlistener_set_error_cb(w->w_listeners[i],
		    worker_on_accept_error);
	}
	return 0;
fail:
	log_error("%s: worker %d: initialisation failed", __func__, id);
	return -1;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct session *s;

	/* libssh keeps its log settings per thread. */
	sshlog_thread_init(log_get_level());
	log_debug("%s: worker %d running", __func__, w->w_id);
	event_base_dispatch(w->w_base);
	/* What was posted and not run yet is answered as not run. */
	worker_run_jobs(w, 1);
	TAILQ_FOREACH(s, &w->w_sessions, s_entry)
		w->w_left_channels += s->s_nchans;
	w->w_left_sessions = w->w_nsessions;
	log_debug("%s: worker %d stopping with %d sessions", __func__,
	    w->w_id, w->w_nsessions);
	session_free_all(w);
	akrun_worker_free(w);
	return NULL;
}

int
worker_start(struct worker *w)
{
	int rc;

	if ((rc = pthread_create(&w->w_thread, NULL, worker_main, w)) != 0) {
		log_error("%s: pthread_create: %s", __func__, strerror(rc));
		return -1;
	}
	return 0;
}

void
worker_stop(struct worker *w)
{
	event_base_loopbreak(w->w_base);
}

int
worker_join(struct worker *w, const struct timespec *deadline)
{
	int i, rc;

	if ((rc = pthread_timedjoin_np(w->w_thread, NULL, deadline)) != 0)
		return rc;
	for (i = 0; i < w->w_nlfds; i++)
		if (w->w_listeners[i] != NULL)
			evconnlistener_free(w->w_listeners[i]);
	if (w->w_accept_timer != NULL)
		event_free(w->w_accept_timer);
	if (w->w_reload_ev != NULL)
		event_free(w->w_reload_ev);
	if (w->w_drain_ev != NULL)
		event_free(w->w_drain_ev);
	if (w->w_job_ev != NULL)
		event_free(w->w_job_ev);
	if (w->w_next_bind != NULL)
		ssh_bind_free(w->w_next_bind);
	config_unref(w->w_next_config);
	config_unref(w->w_config);
	pthread_mutex_destroy(&w->w_mtx);
	if (w->w_dns != NULL)
		evdns_base_free(w->w_dns, 1);
	if (w->w_bind != NULL)
		ssh_bind_free(w->w_bind);
	if (w->w_base != NULL)
		event_base_free(w->w_base);
	return 0;
}
