/*
 * worker.c: a thread with its own event loop, ssh_bind, resolver,
 * listeners and sessions.
 *
 * Nothing on the data path is shared between workers: each one accepts
 * from its own SO_REUSEPORT sockets (main binds them before any thread
 * starts, so a bad address fails at start-up) and a session never leaves
 * the worker that accepted it, as libssh requires.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>

#include "config.h"
#include "log.h"
#include "resolve.h"
#include "session.h"
#include "sshlog.h"
#include "worker.h"

static void
worker_on_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	session_accept(arg, fd);
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
worker_set_algos(struct worker *w)
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
	const struct config *cf = w->w_config;
	const char *list;
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (cf->c_algos[map[i].kind] == NULL &&
		    map[i].kind != ALGOS_PUBKEY)
			continue;
		list = config_algos(cf, map[i].kind);
		if (ssh_bind_options_set(w->w_bind, map[i].opt, list) !=
		    SSH_OK) {
			log_error("%s: %s %s: %s", __func__,
			    algos_keyword(map[i].kind), list,
			    ssh_get_error(w->w_bind));
			return -1;
		}
	}
	return 0;
}

int
worker_init(struct worker *w, int id, const struct config *cf,
    char *const *hostkeys, int nhostkeys)
{
	char err[CONFIG_ERR_MAX];
	int i, process_config = 0;

	w->w_id = id;
	w->w_config = cf;
	TAILQ_INIT(&w->w_sessions);
	if ((w->w_base = event_base_new()) == NULL)
		goto fail;
	/* As --explain creates its own: see resolve.c. */
	if ((w->w_dns = resolve_dns_new(w->w_base, cf, err,
	    sizeof(err))) == NULL) {
		log_error("%s: worker %d: %s", __func__, id, err);
		goto fail;
	}

	if ((w->w_bind = ssh_bind_new()) == NULL)
		goto fail;
	/* /etc/ssh/libssh_server_config must not change our behaviour. */
	ssh_bind_options_set(w->w_bind, SSH_BIND_OPTIONS_PROCESS_CONFIG,
	    &process_config);
	for (i = 0; i < nhostkeys; i++) {
		if (ssh_bind_options_set(w->w_bind, SSH_BIND_OPTIONS_HOSTKEY,
		    hostkeys[i]) != SSH_OK) {
			log_error("%s: host key %s: %s", __func__, hostkeys[i],
			    ssh_get_error(w->w_bind));
			goto fail;
		}
	}
	if (worker_set_algos(w) == -1)
		goto fail;

	if ((w->w_accept_timer = evtimer_new(w->w_base,
	    worker_on_accept_resume, w)) == NULL)
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

	/* libssh keeps its log settings per thread. */
	sshlog_thread_init(log_get_level());
	log_debug("%s: worker %d running", __func__, w->w_id);
	event_base_dispatch(w->w_base);
	log_debug("%s: worker %d stopping with %d sessions", __func__,
	    w->w_id, w->w_nsessions);
	session_free_all(w);
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
	if (w->w_dns != NULL)
		evdns_base_free(w->w_dns, 1);
	if (w->w_bind != NULL)
		ssh_bind_free(w->w_bind);
	if (w->w_base != NULL)
		event_base_free(w->w_base);
	return 0;
}
