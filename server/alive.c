/*
 * alive.c: noticing clients that are gone or idle, as sshd's server loop
 * does: ClientAliveInterval/ClientAliveCountMax probes and
 * UnusedConnectionTimeout.  Kept apart from session.c, which drives
 * libssh; these are plain timers that only look at counters.
 *
 * Proof of life is a whole packet from the client: libssh counts them in
 * the raw counter (s_rawcount.in_packets), and sshd likewise resets its
 * count of unanswered probes on every packet it reads.  A byte counter
 * would let a client that drips one byte per interval, never finishing a
 * packet, look alive.  The reply to our probe (REQUEST_FAILURE from
 * OpenSSH) is consumed inside libssh, but it is a packet like any other.
 *
 * The probe timer ticks every interval; a tick that saw no packet since
 * the last one sends keepalive@openssh.com, so a probe leaves between one
 * and two intervals after the client went quiet (sshd: exactly one).
 */
#include <stdint.h>

#include <event2/event.h>
#include <libssh/server.h>

#include "alive.h"
#include "config.h"
#include "log.h"
#include "session.h"
#include "worker.h"

static void	alive_on_tick(evutil_socket_t, short, void *);
static void	alive_on_unused(evutil_socket_t, short, void *);

void
alive_init(struct session *s)
{
	const struct config *cf = s->s_worker->w_config;
	struct timeval tv = { cf->c_alive_interval, 0 };

	if (cf->c_alive_interval > 0) {
		s->s_alive = event_new(s->s_worker->w_base, -1, EV_PERSIST,
		    alive_on_tick, s);
		if (s->s_alive == NULL)
			log_fatal("%s: event_new failed", __func__);
		evtimer_add(s->s_alive, &tv);
	}
	if (cf->c_unused_timeout > 0 &&
	    (s->s_unused = evtimer_new(s->s_worker->w_base, alive_on_unused,
	    s)) == NULL)
		log_fatal("%s: evtimer_new failed", __func__);
}

/*
 * libssh 0.10's ssh_send_keepalive is its global request: in
 * non-blocking mode it queues the request and pumps once.  While an
 * earlier probe is unanswered it sends nothing (it only pumps again),
 * and the first call after an answer only collects that answer; so when
 * a call sent no packet, one more call sends the probe.
 */
static void
alive_probe(struct session *s)
{
	uint64_t mark = session_io_mark(s), sent = s->s_rawcount.out_packets;

	ssh_send_keepalive(s->s_ssh);
	if (s->s_rawcount.out_packets == sent && !(ssh_get_status(s->s_ssh) &
	    (SSH_CLOSED | SSH_CLOSED_ERROR)))
		ssh_send_keepalive(s->s_ssh);
	log_debug("%s: session %lu: keepalive sent, %d unanswered", __func__,
	    s->s_id, s->s_alive_missed);
	/* The pump inside may have read: its packets count next tick. */
	session_io_done(s, mark);
}

static void
alive_on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;
	const struct config *cf = s->s_worker->w_config;
	char rid[256];

	/* Before authentication LoginGraceTime applies, as in sshd. */
	if (s->s_state != SESSION_OPEN)
		return;
	if (s->s_rawcount.in_packets != s->s_alive_seen) {
		s->s_alive_seen = s->s_rawcount.in_packets;
		s->s_alive_missed = 0;
		return;
	}
	if (cf->c_alive_count_max > 0 &&
	    ++s->s_alive_missed > cf->c_alive_count_max) {
		session_remote_id(s, rid, sizeof(rid));
		log_info("Timeout, client not responding from %s", rid);
		s->s_dropped = 1;
		s->s_state = SESSION_DEAD;
		session_schedule(s);
		return;
	}
	alive_probe(s);
}

void
alive_post(struct session *s)
{
	struct timeval tv = { s->s_worker->w_config->c_unused_timeout, 0 };

	if (s->s_unused == NULL || s->s_state != SESSION_OPEN)
		return;
	/* sshd's clock starts at authentication and at the last close. */
	if (s->s_nchans > 0)
		evtimer_del(s->s_unused);
	else if (!evtimer_pending(s->s_unused, NULL))
		evtimer_add(s->s_unused, &tv);
}

static void
alive_on_unused(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;
	char rid[256];

	if (s->s_nchans > 0 || s->s_state != SESSION_OPEN)
		return;
	session_remote_id(s, rid, sizeof(rid));
	log_info("terminating inactive connection from %s", rid);
	s->s_dropped = 1;
	s->s_state = SESSION_DEAD;
	session_schedule(s);
}

void
alive_free(struct session *s)
{
	if (s->s_alive != NULL)
		event_free(s->s_alive);
	if (s->s_unused != NULL)
		event_free(s->s_unused);
	s->s_alive = s->s_unused = NULL;
}
