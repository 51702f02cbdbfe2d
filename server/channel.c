/*
 * channel.c: one direct-tcpip channel's life, from open request to free.
 *
 * The open request is kept unanswered while we check the policy by name,
 * resolve the target with evdns, check every address it resolved to, and
 * connect (non-blocking) to the addresses that passed, and only those;
 * only a completed TCP connect earns OPEN_CONFIRMATION, as in sshd.
 * Anything else answers OPEN_FAILURE.
 *
 * Once confirmed, relay.c moves the bytes; what is left here is the
 * channel's ends: CLOSE goes out only when both halves are closed, and
 * the channel stays (relay.c discarding what still comes) until the
 * peer's CLOSE.
 */
#include <sys/socket.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <libssh/server.h>

#include "addr.h"
#include "audit.h"
#include "channel.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "policy.h"
#include "relay.h"
#include "resolve.h"
#include "session.h"
#include "sshlog.h"
#include "str.h"
#include "worker.h"

static void	channel_connect_next(struct channel *);
static void	channel_release_target(struct channel *);
static void	channel_log_denied(struct channel *,
		    const struct policy_result *);
static int	channel_check_addrs(struct channel *);
static void	channel_on_resolved(int, struct evutil_addrinfo *, void *);
static void	channel_on_target_write(evutil_socket_t, short, void *);
static void	channel_on_connect_timeout(evutil_socket_t, short, void *);

static struct event_base *
channel_base(struct channel *ch)
{
	return ch->ch_session->s_worker->w_base;
}

/*
 * Every refusal of a direct-tcpip open, counted by cause and audited
 * with what decided it.
 */
static void
channel_deny(struct channel *ch, enum metrics_deny why, const char *rule)
{
	struct session *s = ch->ch_session;

	metrics_add(&s->s_worker->w_metrics.m_denied[why], 1);
	audit_channel_deny(s, ch->ch_orig, ch->ch_orig_port, ch->ch_host,
	    ch->ch_port, rule, metrics_deny_name(why));
}

/* Answers OPEN_FAILURE; the post-pump walk frees the channel. */
static void
channel_refuse(struct channel *ch, enum metrics_deny why, const char *rule)
{
	channel_deny(ch, why, rule);
	log_debug("server_input_channel_open: failure direct-tcpip");
	ssh_message_reply_default(ch->ch_conn->cc_msg);
	ssh_message_free(ch->ch_conn->cc_msg);
	ch->ch_conn->cc_msg = NULL;
	ch->ch_phase = CHAN_DEAD;
	session_schedule(ch->ch_session);
}

void
channel_open(struct session *s, ssh_message msg)
{
	struct evdns_getaddrinfo_request *req;
	struct channel *ch;
	uint32_t rchan, window, maxpacket;
	const char *orig = ssh_message_channel_request_open_originator(msg);
	int orig_port = ssh_message_channel_request_open_originator_port(msg);
	enum metrics_deny cause = MDN_PROTOCOL;
	int known;
	char why[256];

	ch = xcalloc(1, sizeof(*ch));
	ch->ch_conn = xcalloc(1, sizeof(*ch->ch_conn));
	ch->ch_session = s;
	ch->ch_conn->cc_msg = msg;
	ch->ch_fd = -1;
	ch->ch_id = -1;
	ch->ch_host = xstrdup(ssh_message_channel_request_open_destination(msg));
	ch->ch_port = ssh_message_channel_request_open_destination_port(msg);
	ch->ch_orig = xstrdup(orig);
	ch->ch_orig_port = orig_port;

	known = sshlog_open_params(msg, &rchan, &window, &maxpacket) == 0;
	log_debug("server_input_channel_open: ctype direct-tcpip rchan %u "
	    "win %u max %u", rchan, window, maxpacket);
	log_debug("server_request_direct_tcpip: originator %.100s port %d, "
	    "target %.100s port %d", orig, orig_port, ch->ch_host, ch->ch_port);
	if (!known) {
		/* Fail closed: an unknown max packet may wedge the worker. */
		log_error("%s: session %lu: cannot read the open's maximum "
		    "packet size from libssh: refusing", __func__, s->s_id);
		snprintf(why, sizeof(why), "unknown maximum packet size");
		goto refuse;
	}
	if (maxpacket < CHANNEL_MIN_MAXPACKET) {
		log_info("%s: session %lu: refused direct-tcpip open from %s "
		    "port %d: maximum packet size %u is below %d", __func__,
		    s->s_id, s->s_peer, s->s_peer_port, maxpacket,
		    CHANNEL_MIN_MAXPACKET);
		snprintf(why, sizeof(why), "maximum packet size %u below %d",
		    maxpacket, CHANNEL_MIN_MAXPACKET);
		goto refuse;
	}

	policy_check_name(&s->s_policy_ctx, ch->ch_host, ch->ch_port,
	    &ch->ch_conn->cc_policy);
	switch (ch->ch_conn->cc_policy.pr_verdict) {
	case POLICY_ALLOW:
		break;
	case POLICY_FORWARDING_OFF:
		log_info("refused local port forward: originator %.100s port "
		    "%d, target %.100s port %d", orig, orig_port, ch->ch_host,
		    ch->ch_port);
		channel_log_denied(ch, &ch->ch_conn->cc_policy);
		goto refuse_policy;
	case POLICY_NOT_PERMITTED:
		log_info("Received request from %.100s port %d to connect to "
		    "host %.100s port %d, but the request was denied.",
		    s->s_peer, s->s_peer_port, ch->ch_host, ch->ch_port);
		channel_log_denied(ch, &ch->ch_conn->cc_policy);
		goto refuse_policy;
	case POLICY_DENIED:
		channel_log_denied(ch, &ch->ch_conn->cc_policy);
		goto refuse_policy;
	}
	if ((ch->ch_id = session_channel_attach(s, ch, why,
	    sizeof(why))) == -1) {
		log_info("%s: session %lu: %s, refusing channel to %.100s "
		    "port %d", __func__, s->s_id, why, ch->ch_host, ch->ch_port);
		cause = MDN_LIMIT;
		goto refuse;
	}
	ch->ch_phase = CHAN_RESOLVING;
	/* May call back before returning (numeric hosts, /etc/hosts). */
	req = resolve_start(s->s_worker->w_dns, ch->ch_host, ch->ch_port,
	    s->s_worker->w_config->c_address_family, channel_on_resolved, ch);
	if (ch->ch_phase == CHAN_RESOLVING && ch->ch_conn->cc_addrs == NULL)
		ch->ch_conn->cc_dnsreq = req;
	return;
refuse_policy:
	cause = MDN_POLICY;
	str_lcpy(why, ch->ch_conn->cc_policy.pr_rule, sizeof(why));
refuse:
	channel_deny(ch, cause, why);
	log_debug("server_input_channel_open: failure direct-tcpip");
	ssh_message_reply_default(msg);
	ssh_message_free(msg);
	if (ch->ch_id != -1)
		session_channel_detach(s, ch);
	free(ch->ch_conn);
	free(ch->ch_host);
	free(ch->ch_orig);
	free(ch);
}

/* The open is answered: what only the connect needed goes. */
static void
channel_connect_free(struct channel *ch)
{
	struct channel_connect *cc = ch->ch_conn;

	if (cc == NULL)
		return;
	if (cc->cc_dnsreq != NULL)
		evdns_getaddrinfo_cancel(cc->cc_dnsreq);
	if (cc->cc_addrs != NULL)
		evutil_freeaddrinfo(cc->cc_addrs);
	if (cc->cc_msg != NULL)
		ssh_message_free(cc->cc_msg);
	if (cc->cc_timer != NULL)
		event_free(cc->cc_timer);
	free(cc);
	ch->ch_conn = NULL;
}

/* jumpgate's own line for every refusal: who, where, and what decided. */
static void
channel_log_denied(struct channel *ch, const struct policy_result *pr)
{
	struct session *s = ch->ch_session;

	log_info("refused forward for user %.100s key %s from %s port %d to "
	    "%.100s port %d: denied by %s", s->s_user, s->s_keydesc,
	    s->s_peer, s->s_peer_port, ch->ch_host, ch->ch_port, pr->pr_rule);
}

/* Each refused address of a name, at DEBUG. */
static void
channel_log_addr(const struct evutil_addrinfo *ai,
    const struct policy_result *res, void *arg)
{
	struct channel *ch = arg;
	char ntop[ADDR_STRLEN];
	int port;

	if (res->pr_verdict == POLICY_ALLOW)
		return;
	addr_ntop(ai->ai_addr, ntop, sizeof(ntop), &port);
	log_debug("%s: session %lu: %.100s resolved to %s: denied by %s",
	    __func__, ch->ch_session->s_id, ch->ch_host, ntop, res->pr_rule);
}

/*
 * Checks every resolved address; only those that pass are ever connected
 * to, so a later lookup cannot change what was checked.
 */
static int
channel_check_addrs(struct channel *ch)
{
	struct channel_connect *cc = ch->ch_conn;
	struct policy_result denied;

	cc->cc_nallowed = resolve_check(&ch->ch_session->s_policy_ctx,
	    &cc->cc_policy, ch->ch_port, cc->cc_addrs, cc->cc_allowed,
	    CHANNEL_MAX_ADDRS, &denied, channel_log_addr, ch);
	if (cc->cc_nallowed == 0)
		memcpy(cc->cc_policy.pr_rule, denied.pr_rule,
		    sizeof(denied.pr_rule));
	return cc->cc_nallowed;
}

static void
channel_on_resolved(int err, struct evutil_addrinfo *res, void *arg)
{
	struct channel *ch = arg;
	uint64_t mark;
	char why[128];

	if (err == EVUTIL_EAI_CANCEL)
		return;		/* channel_teardown is cancelling us */
	ch->ch_conn->cc_dnsreq = NULL;
	mark = session_io_mark(ch->ch_session);
	if (err != 0) {
		log_error("connect_to %.100s: unknown host (%s)", ch->ch_host,
		    evutil_gai_strerror(err));
		snprintf(why, sizeof(why), "unknown host (%s)",
		    evutil_gai_strerror(err));
		channel_refuse(ch, MDN_RESOLVE, why);
	} else {
		ch->ch_conn->cc_addrs = res;
		if (channel_check_addrs(ch) == 0) {
			channel_log_denied(ch, &ch->ch_conn->cc_policy);
			channel_refuse(ch, MDN_POLICY,
			    ch->ch_conn->cc_policy.pr_rule);
		} else
			channel_connect_next(ch);
	}
	session_io_done(ch->ch_session, mark);
}

/* sshd's connect_next: try each resolved address in order. */
static void
channel_connect_next(struct channel *ch)
{
	struct session *s = ch->ch_session;
	const struct config *cf = s->s_worker->w_config;
	struct evutil_addrinfo *ai;
	char ntop[ADDR_STRLEN], why[160];
	int fd, port, one = 1, started = ch->ch_phase == CHAN_CONNECTING;

	while (ch->ch_conn->cc_next < ch->ch_conn->cc_nallowed) {
		ai = ch->ch_conn->cc_allowed[ch->ch_conn->cc_next++];
		addr_ntop(ai->ai_addr, ntop, sizeof(ntop), &port);
		log_debug("connect_next: start for host %.100s ([%.100s]:%d)",
		    ch->ch_host, ntop, port);
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (fd == -1) {
			ch->ch_conn->cc_errno = errno;
			log_debug("connect_next: socket: %s", strerror(errno));
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		/* Unlike sshd: a dead target host must not hold an fd. */
		if (cf->c_tcp_keepalive)
			setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one,
			    sizeof(one));
		/* Success now is reported as writability too: one path. */
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1 &&
		    errno != EINPROGRESS) {
			ch->ch_conn->cc_errno = errno;
			log_debug("connect_next: host %.100s ([%.100s]:%d): "
			    "%.100s", ch->ch_host, ntop, port, strerror(errno));
			close(fd);
			continue;
		}
		ch->ch_wev = event_new(channel_base(ch), fd,
		    EV_WRITE | EV_PERSIST, channel_on_target_write, ch);
		if (ch->ch_wev == NULL)
			log_fatal("%s: event_new failed", __func__);
		event_add(ch->ch_wev, NULL);
		ch->ch_fd = fd;
		if (cf->c_connect_timeout > 0) {
			struct timeval tv = { cf->c_connect_timeout, 0 };

			if (ch->ch_conn->cc_timer == NULL &&
			    (ch->ch_conn->cc_timer = evtimer_new(
			    channel_base(ch), channel_on_connect_timeout,
			    ch)) == NULL)
				log_fatal("%s: evtimer_new failed", __func__);
			evtimer_add(ch->ch_conn->cc_timer, &tv);
		}
		log_debug("connect_next: connect host %.100s ([%.100s]:%d) in "
		    "progress, fd=%d", ch->ch_host, ntop, port, fd);
		if (!started) {
			clock_gettime(CLOCK_MONOTONIC,
			    &ch->ch_conn->cc_started);
			log_debug("channel %d: new direct-tcpip [direct-tcpip] "
			    "(inactive timeout: %d)", ch->ch_id,
			    config_channel_timeout(cf, "direct-tcpip"));
			log_debug("server_input_channel_open: confirm "
			    "direct-tcpip");
			log_debug3("channel %d: waiting for connection",
			    ch->ch_id);
		}
		ch->ch_phase = CHAN_CONNECTING;
		return;
	}
	if (started)
		log_error("connect_to %.100s port %d: failed.", ch->ch_host,
		    ch->ch_port);
	else
		log_error("connect to %.100s port %d failed: %s", ch->ch_host,
		    ch->ch_port, strerror(ch->ch_conn->cc_errno));
	snprintf(why, sizeof(why), "connect failed: %s",
	    strerror(ch->ch_conn->cc_errno));
	channel_refuse(ch, MDN_CONNECT, why);
}

/*
 * sshd logs an allowed forward only at DEBUG; a bastion's operator needs
 * it at INFO: who, with which key, to what, through which address, and
 * the rule that allowed it.
 */
static void
channel_log_allowed(struct channel *ch)
{
	struct session *s = ch->ch_session;
	struct channel_connect *cc = ch->ch_conn;
	struct evutil_addrinfo *ai = cc->cc_allowed[cc->cc_next - 1];
	struct policy_result res;
	const char *rule = cc->cc_policy.pr_rule;
	char ntop[ADDR_STRLEN];
	int port;

	if (cc->cc_policy.pr_need_addr) {
		/* An address rule allowed it: name that one. */
		policy_check_addr(&s->s_policy_ctx, &cc->cc_policy, ch->ch_port,
		    ai->ai_addr, &res);
		rule = res.pr_rule;
	}
	addr_ntop(ai->ai_addr, ntop, sizeof(ntop), &port);
	str_lcpy(ch->ch_addr, ntop, sizeof(ch->ch_addr));
	ch->ch_addr_port = port;
	ch->ch_rule = xstrdup(rule);
	log_info("forward allowed for user %.100s key %s from %s port %d to "
	    "%.100s port %d via %s port %d: allowed by %s", s->s_user,
	    s->s_keydesc, s->s_peer, s->s_peer_port, ch->ch_host, ch->ch_port,
	    ntop, port, rule);
}

/* The connect latency, then the open stamped for the audit and /sessions. */
static void
channel_mark_opened(struct channel *ch)
{
	struct metrics *m = &ch->ch_session->s_worker->w_metrics;

	clock_gettime(CLOCK_MONOTONIC, &ch->ch_opened_mono);
	metrics_observe(&m->m_connect, &ch->ch_conn->cc_started,
	    &ch->ch_opened_mono);
	metrics_add(&m->m_chans_opened, 1);
}

static void
channel_confirm(struct channel *ch)
{
	struct session *s = ch->ch_session;

	log_debug("channel %d: connected to %.100s port %d", ch->ch_id,
	    ch->ch_host, ch->ch_port);
	channel_log_allowed(ch);
	ch->ch_ssh = ssh_message_channel_request_open_reply_accept(
	    ch->ch_conn->cc_msg);
	if (ch->ch_ssh == NULL) {
		log_error("%s: session %lu: channel %d: confirm failed: %s",
		    __func__, s->s_id, ch->ch_id, ssh_get_error(s->s_ssh));
		channel_deny(ch, MDN_PROTOCOL, "confirmation failed");
		channel_connect_free(ch);
		ch->ch_phase = CHAN_DEAD;
		session_schedule(s);
		return;
	}
	channel_mark_opened(ch);
	channel_connect_free(ch);
	audit_channel_open(ch);
	ch->ch_phase = CHAN_OPEN;
	relay_start(ch);
}

/* This address failed: on to the next, as sshd's connect_next. */
static void
channel_connect_failed(struct channel *ch, int err)
{
	ch->ch_conn->cc_errno = err;
	log_debug("channel %d: connection failed: %s", ch->ch_id,
	    strerror(err));
	channel_release_target(ch);
	channel_connect_next(ch);
}

/*
 * ConnectTimeout: a target that never answers our SYN would hold the fd
 * and the client's open for the kernel's two minutes.
 */
static void
channel_on_connect_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct channel *ch = arg;
	struct session *s = ch->ch_session;
	uint64_t mark = session_io_mark(s);

	if (ch->ch_phase == CHAN_CONNECTING)
		channel_connect_failed(ch, ETIMEDOUT);
	session_io_done(s, mark);
}

/* Target writable: its connect finished, or it has room again. */
static void
channel_on_target_write(evutil_socket_t fd, short what, void *arg)
{
	struct channel *ch = arg;
	struct session *s = ch->ch_session;
	uint64_t mark = session_io_mark(s);
	socklen_t len = sizeof(int);
	int err = 0;

	if (ch->ch_phase == CHAN_CONNECTING) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			err = errno;
		if (err == 0)
			channel_confirm(ch);
		else
			channel_connect_failed(ch, err);
	} else if (ch->ch_phase == CHAN_OPEN) {
		relay_output(ch);
		/* The post decides what a closed output half means. */
		if (ch->ch_out == HALF_CLOSED)
			session_schedule(s);
	}
	session_io_done(s, mark);
}

/* The target's side goes: socket, events, idle clock, both queues. */
static void
channel_release_target(struct channel *ch)
{
	if (ch->ch_rev != NULL)
		event_free(ch->ch_rev);
	if (ch->ch_wev != NULL)
		event_free(ch->ch_wev);
	if (ch->ch_idle != NULL)
		event_free(ch->ch_idle);
	if (ch->ch_fd != -1)
		close(ch->ch_fd);
	if (ch->ch_obuf != NULL)
		evbuffer_free(ch->ch_obuf);
	if (ch->ch_held != NULL)
		evbuffer_free(ch->ch_held);
	ch->ch_rev = ch->ch_wev = ch->ch_idle = NULL;
	ch->ch_fd = -1;
	ch->ch_obuf = ch->ch_held = NULL;
}

/* Both CLOSEs are exchanged: libssh frees its channel now, we ours. */
static void
channel_finish(struct channel *ch)
{
	ssh_remove_channel_callbacks(ch->ch_ssh, &ch->ch_cb);
	ssh_channel_free(ch->ch_ssh);
	ch->ch_ssh = NULL;
	channel_teardown(ch);
}

/*
 * Sends our CLOSE.  libssh keeps its channel until the peer's CLOSE and,
 * with no callbacks installed, would buffer every DATA the peer still
 * sends, without bound.  So ours stay installed to discard it
 * (relay.c), and the channel stays attached: a peer that never
 * answers keeps counting against the session's channels.
 */
static void
channel_send_close(struct channel *ch)
{
	struct session *s = ch->ch_session;

	log_debug2("channel %d: send close", ch->ch_id);
	ssh_channel_close(ch->ch_ssh);
	log_debug("%s: session %lu: channel %d: %s port %d closed, %llu "
	    "bytes in, %llu bytes out", __func__, s->s_id, ch->ch_id,
	    ch->ch_host, ch->ch_port, (unsigned long long)ch->ch_bytes_in,
	    (unsigned long long)ch->ch_bytes_out);
	channel_release_target(ch);
	ch->ch_phase = CHAN_CLOSING;
	if (ch->ch_rcvd_close)
		channel_finish(ch);
}

void
channel_post(struct channel *ch)
{
	if (ch->ch_phase == CHAN_DEAD) {
		channel_teardown(ch);
		return;
	}
	if (ch->ch_phase == CHAN_CLOSING) {
		/* sshd logs it when it comes, after our "send close". */
		if (ch->ch_rcvd_close) {
			log_debug2("channel %d: rcvd close", ch->ch_id);
			channel_finish(ch);
		}
		return;
	}
	if (ch->ch_phase != CHAN_OPEN)
		return;

	if (relay_post(ch))
		channel_send_close(ch);
}

void
channel_teardown(struct channel *ch)
{
	struct session *s = ch->ch_session;

	channel_connect_free(ch);
	channel_release_target(ch);
	if (ch->ch_ssh != NULL) {
		/* Session teardown: ssh_free reclaims the channel itself. */
		ssh_remove_channel_callbacks(ch->ch_ssh, &ch->ch_cb);
	}
	if (channel_confirmed(ch)) {
		channel_close_reason(ch, "session_closed");
		metrics_add(&s->s_worker->w_metrics.m_chans_closed, 1);
		audit_channel_close(ch);
	}
	session_channel_detach(s, ch);
	log_debug("channel %d: free: direct-tcpip, nchannels %d", ch->ch_id,
	    s->s_nchans + 1);
	free(ch->ch_host);
	free(ch->ch_orig);
	free(ch->ch_rule);
	free(ch);
}
